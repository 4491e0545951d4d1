//! A bounded load test on local-server (`cargo run --release -p e2e-tests --bin load`, see
//! README): participants completing their steps in the portal and staff starting runs, all
//! at once for a while; then, once the relay has caught up, every request must have
//! succeeded and every event's emails must have been sent exactly once: for each run, as
//! many emails of each kind as its history has events that cause them, and no (event,
//! recipient) twice. It reports counts and rates; it asserts no timing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::scenario::{access_token, Mail};
use super::Local;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub participants: usize,
    pub staff: usize,
    pub duration: Duration,
}

#[derive(Debug, Default)]
pub struct Report {
    pub requests: usize,
    pub errors: usize,
    pub first_errors: Vec<String>,
    pub runs_started: usize,
    pub steps_completed: usize,
    pub emails: usize,
    /// Runs whose emails of a kind do not match their history, and duplicate (event, to).
    pub mismatches: Vec<String>,
    pub load_seconds: f64,
    pub drain_seconds: f64,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.errors == 0 && self.mismatches.is_empty() && self.steps_completed > 0
    }

    pub fn print(&self) {
        println!("requests          {}", self.requests);
        println!(
            "  per second      {:.0}",
            self.requests as f64 / self.load_seconds.max(0.001)
        );
        println!("errors            {}", self.errors);
        for e in &self.first_errors {
            println!("  {e}");
        }
        println!("runs started      {}", self.runs_started);
        println!("steps completed   {}", self.steps_completed);
        println!("emails sent       {}", self.emails);
        println!("relay caught up   {:.1} s after the load", self.drain_seconds);
        println!("email mismatches  {}", self.mismatches.len());
        for m in self.mismatches.iter().take(20) {
            println!("  {m}");
        }
        println!("result            {}", if self.ok() { "OK" } else { "FAILED" });
    }
}

struct Counters {
    requests: AtomicUsize,
    errors: AtomicUsize,
    first_errors: Mutex<Vec<String>>,
    runs: Mutex<Vec<String>>,
    completed: AtomicUsize,
}

impl Counters {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut f) = self.first_errors.lock() {
            if f.len() < 10 {
                f.push(what);
            }
        }
    }
}

/// One request; a non-2xx answer or a failed connection counts as an error.
async fn call(
    http: &reqwest::Client,
    c: &Counters,
    method: reqwest::Method,
    url: String,
    bearer: &str,
    body: Option<Value>,
    headers: &[(&str, String)],
) -> Option<Value> {
    c.requests.fetch_add(1, Ordering::SeqCst);
    let mut req = http.request(method.clone(), &url);
    if !bearer.is_empty() {
        req = req.bearer_auth(bearer);
    }
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    match req.send().await {
        Ok(r) if r.status().is_success() => Some(r.json().await.unwrap_or(Value::Null)),
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            c.error(format!(
                "{method} {url}: {status} {}",
                text.chars().take(200).collect::<String>()
            ));
            None
        }
        Err(e) => {
            c.error(format!("{method} {url}: {e}"));
            None
        }
    }
}

fn participant_email(i: usize) -> String {
    format!("p{i}@load.example")
}

async fn start_run(w: &Local, http: &reqwest::Client, c: &Counters, staff: &str, process: &str, i: usize) {
    let email = participant_email(i);
    let body = json!({"context": {"title": format!("Load {i}")}, "participants": {
        "installer": {"name": format!("Installer {i}"), "email": email, "locale": "fr"},
        "customer": {"name": format!("Customer {i}"), "email": email, "locale": "de"}}});
    let key = [("idempotency-key", domain::ids::new_id())];
    let url = w.url(&format!("/v1/processes/{process}/runs"));
    if let Some(run) = call(http, c, reqwest::Method::POST, url, staff, Some(body), &key).await {
        if let Some(id) = run["id"].as_str() {
            c.runs.lock().unwrap().push(id.to_string());
        }
    }
}

/// A participant: completes their active steps, one after the other, until the deadline.
async fn participant(w: &Local, http: &reqwest::Client, c: &Counters, session: &str, deadline: Instant) {
    let get = reqwest::Method::GET;
    while Instant::now() < deadline {
        let Some(tasks) = call(http, c, get.clone(), w.url("/v1/portal/tasks"), session, None, &[]).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let active: Vec<(String, String)> = tasks["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["status"] == "active")
            .filter_map(|t| Some((t["run_id"].as_str()?.to_string(), t["step_key"].as_str()?.to_string())))
            .collect();
        if active.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        // As a reader would, act once the step's email has gone out: when the relay has
        // handled everything written up to now (the step's activation among it).
        let head = w.running.feed_head().unwrap_or(i64::MAX);
        while !w.running.relay_has_passed(head).unwrap_or(false) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for (run, step) in active {
            if Instant::now() >= deadline {
                return;
            }
            let base = format!("/v1/portal/runs/{run}/steps/{step}");
            if step == "install" {
                let answers = json!({"data": {"meter_number": "M-1", "reading": 42}});
                let url = w.url(&format!("{base}/submission"));
                if call(http, c, reqwest::Method::POST, url, session, Some(answers), &[])
                    .await
                    .is_none()
                {
                    continue;
                }
            }
            let url = w.url(&format!("{base}/complete"));
            if call(http, c, reqwest::Method::POST, url, session, None, &[])
                .await
                .is_some()
            {
                c.completed.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// Emails sent, as the local outbox lists them.
async fn outbox(w: &Local) -> Vec<Value> {
    w.outbox(0).await
}

async fn wait_for_relay(w: &Local) {
    while w.running.relay_behind().unwrap_or(true) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the load against a fresh local-server and checks what it left behind.
pub async fn run(opts: &LoadOptions) -> Report {
    let w = Local::start().await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(512).build().unwrap();
    let c = Arc::new(Counters {
        requests: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
        first_errors: Mutex::new(Vec::new()),
        runs: Mutex::new(Vec::new()),
        completed: AtomicUsize::new(0),
    });
    let admin = w.token("acme", "lead", &["admin"]);
    let owner = "lead@acme.example";

    // The process: the installer fills in the report, then the customer confirms.
    let journey = call(&http, &c, reqwest::Method::POST, w.url("/v1/journeys"), &admin, Some(json!({
        "name": "Installation report", "fields": [
            {"key": "meter_number", "label": {"de": "Zählernummer", "fr": "Numéro de compteur"}, "type": "text", "required": true},
            {"key": "reading", "label": {"de": "Zählerstand"}, "type": "number", "required": true}]})), &[])
    .await
    .expect("journey");
    let process = call(
        &http,
        &c,
        reqwest::Method::POST,
        w.url("/v1/processes"),
        &admin,
        Some(json!({
        "name": "Meter change", "steps": [
            {"key": "install", "name": "Install the meter", "assignee": {"kind": "installer"},
             "journey_id": journey["id"], "owner": {"user_id": "lead", "email": owner}},
            {"key": "confirm", "name": "Confirm", "assignee": {"kind": "customer"},
             "owner": {"user_id": "lead", "email": owner}}]})),
        &[],
    )
    .await
    .expect("process");
    let process = process["id"].as_str().unwrap_or_default().to_string();

    // Every participant's first run, and their session from its email (outside the clock).
    for i in 0..opts.participants {
        start_run(&w, &http, &c, &admin, &process, i).await;
    }
    wait_for_relay(&w).await;
    let mut first_mail: HashMap<String, Mail> = HashMap::new();
    for m in outbox(&w).await {
        let to = m["to"].as_str().unwrap_or_default().to_string();
        first_mail.entry(to.clone()).or_insert(Mail {
            to,
            subject: m["subject"].as_str().unwrap_or_default().into(),
            body: m["text"].as_str().unwrap_or_default().into(),
        });
    }
    let mut sessions = Vec::new();
    for i in 0..opts.participants {
        let Some(mail) = first_mail.get(&participant_email(i)) else {
            c.error(format!("no email for participant {i}"));
            continue;
        };
        let token = access_token(mail);
        let url = w.url("/v1/portal/sessions");
        if let Some(s) = call(
            &http,
            &c,
            reqwest::Method::POST,
            url,
            "",
            Some(json!({"token": token})),
            &[],
        )
        .await
        {
            sessions.push(s["session_token"].as_str().unwrap_or_default().to_string());
        }
    }

    // The load: participants completing steps, staff starting runs, all at once.
    let started = Instant::now();
    let deadline = started + opts.duration;
    let w = Arc::new(w);
    let mut tasks = tokio::task::JoinSet::new();
    for session in sessions {
        let (w, http, c) = (w.clone(), http.clone(), c.clone());
        tasks.spawn(async move { participant(&w, &http, &c, &session, deadline).await });
    }
    for s in 0..opts.staff {
        let (w, http, c, process) = (w.clone(), http.clone(), c.clone(), process.clone());
        let (n, stride) = (opts.participants.max(1), opts.staff);
        // Staff member `s` starts runs for every `stride`-th participant from its own offset.
        tasks.spawn(async move {
            let token = w.token("acme", &format!("staff{s}"), &["staff"]);
            let mut k = s;
            while Instant::now() < deadline {
                start_run(&w, &http, &c, &token, &process, k % n).await;
                k += stride;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let load_seconds = started.elapsed().as_secs_f64();
    let drain = Instant::now();
    wait_for_relay(&w).await;
    let drain_seconds = drain.elapsed().as_secs_f64();

    // Exactly once: per run and kind, the emails match the events that cause them.
    let emails = outbox(&w).await;
    let mut mismatches = Vec::new();
    let mut seen = HashSet::new();
    let mut by_run: HashMap<String, BTreeMap<String, usize>> = HashMap::new();
    for e in &emails {
        let tag = |n: &str| e["tags"][n].as_str().unwrap_or_default().to_string();
        if !seen.insert((tag("event"), e["to"].as_str().unwrap_or_default().to_lowercase())) {
            mismatches.push(format!("event {} emailed {} twice", tag("event"), e["to"]));
        }
        *by_run.entry(tag("run")).or_default().entry(tag("kind")).or_default() += 1;
    }
    let runs = c.runs.lock().unwrap().clone();
    for run in &runs {
        let url = w.url(&format!("/v1/runs/{run}/history"));
        let Some(h) = call(&http, &c, reqwest::Method::GET, url, &admin, None, &[]).await else {
            continue;
        };
        let mut expected: BTreeMap<String, usize> = BTreeMap::new();
        for ev in h["events"].as_array().into_iter().flatten() {
            let kind = match ev["type"].as_str().unwrap_or_default() {
                "step_activated" => "step_activated_participant",
                "step_completed" => "step_completed",
                "run_completed" => "run_completed",
                _ => continue,
            };
            *expected.entry(kind.into()).or_default() += 1;
        }
        // Step completions tell the owner (the lead) and the run's creator when that is
        // someone else (the staff who started the load's runs).
        let creator_is_owner = h["events"][0]["actor"]["id"] == "lead";
        if !creator_is_owner {
            if let Some(n) = expected.get_mut("step_completed") {
                *n *= 2;
            }
        }
        let got = by_run.remove(run).unwrap_or_default();
        if got != expected {
            mismatches.push(format!("run {run}: emails {got:?}, events {expected:?}"));
        }
    }
    let first_errors = c.first_errors.lock().map(|f| f.clone()).unwrap_or_default();
    Report {
        requests: c.requests.load(Ordering::SeqCst),
        errors: c.errors.load(Ordering::SeqCst),
        first_errors,
        runs_started: runs.len(),
        steps_completed: c.completed.load(Ordering::SeqCst),
        emails: emails.len(),
        mismatches,
        load_seconds,
        drain_seconds,
    }
}
