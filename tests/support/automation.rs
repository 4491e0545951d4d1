//! Processes that start themselves: triggers on the product's events, written once against
//! [`World`] and run on both hosts; end users of the app beside staff.

use serde_json::{json, Value};

use super::aws::AwsWorld;
use super::scenario::{accept, invite, World};
use super::Local;

/// End users of the scenario's tenant, beyond what [`World`] knows.
pub trait App: World + 'static {
    /// A bearer for an end user (role customer), with an optional locale claim.
    fn customer(&self, sub: &str, locale: Option<&str>) -> String;
    /// The email address an end user's token carries.
    fn customer_email(&self, sub: &str) -> String;
}

impl App for Local {
    fn customer(&self, sub: &str, locale: Option<&str>) -> String {
        let mut claims = local_server::Claims::new("acme", sub, vec!["customer".to_string()]);
        claims.email = Some(self.customer_email(sub));
        claims.name = Some(sub.to_string());
        claims.locale = locale.map(str::to_string);
        self.running.auth.mint(&claims).unwrap()
    }

    fn customer_email(&self, sub: &str) -> String {
        format!("{sub}@acme.example")
    }
}

impl App for AwsWorld {
    /// `customer:{sub}[:{locale}]`, which the gateway turns into customer claims.
    fn customer(&self, sub: &str, locale: Option<&str>) -> String {
        match locale {
            Some(l) => format!("customer:{sub}:{l}"),
            None => format!("customer:{sub}"),
        }
    }

    fn customer_email(&self, sub: &str) -> String {
        format!("{sub}@{}.example", self.gw.tenant)
    }
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

async fn new_process(w: &impl World, name: String, steps: Value) -> String {
    let p = w
        .call(
            "POST",
            "/v1/processes",
            Some(&w.staff("alice")),
            Some(json!({"name": name, "steps": steps})),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    p.field("id")
}

async fn new_trigger(w: &impl World, body: Value) -> String {
    let t = w.call("POST", "/v1/triggers", Some(&w.admin()), Some(body)).await;
    assert_eq!(t.status, 201, "{}", t.body);
    t.field("id")
}

/// The runs of a process (real ones).
async fn runs_of(w: &impl World, process: &str) -> Vec<Value> {
    let r = w
        .call(
            "GET",
            &format!("/v1/runs?process_id={process}"),
            Some(&w.staff("alice")),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    items(&r.body)
}

/// The showcase: an energy-storage order placed in the app starts the installation process
/// with the partner installer; the partner completes its step and the order's step 4 moves on
/// by itself. Then where the process is used, replacing it everywhere, archiving, a test run,
/// and a trigger whose action fails (recorded, its creator emailed).
pub async fn esp_order_story(w: &impl App, tag: &str) -> (String, String) {
    let admin = w.admin();
    let (partner, office) = invite(w, tag, json!(["tasks:complete"])).await;
    let partner_user = format!("ina-{tag}@install.example");
    let partner_session = accept(w, &office, &partner_user).await;
    let process = new_process(
        w,
        format!("ESP installation {tag}"),
        json!([
            {"key": "install", "name": "Install the storage", "assignee": {"kind": "partner", "partner_id": partner}},
            {"key": "welcome", "name": "Welcome", "assignee": {"kind": "customer"}},
        ]),
    )
    .await;
    let offer = w
        .call(
            "POST",
            "/v1/offers",
            Some(&admin),
            Some(
                json!({"category": "hardware", "content": {"de": {"title": format!("Stromspeicher {tag}"),
                "header": "Speicher", "description": "Ihr Stromspeicher.", "details": "10 kWh."}}}),
            ),
        )
        .await;
    assert_eq!(offer.status, 201, "{}", offer.body);
    let offer = offer.field("id");
    let on = w
        .call("POST", &format!("/v1/offers/{offer}/activate"), Some(&admin), None)
        .await;
    assert_eq!(on.status, 200, "{}", on.body);

    // Mappings that do not fit their event are refused.
    let bad = w
        .call(
            "POST",
            "/v1/triggers",
            Some(&admin),
            Some(json!({"name": "x", "on": "run_completed",
                "action": {"kind": "start_run", "process_id": process, "customer": {"from": "order_user"}}})),
        )
        .await;
    bad.problem(422);
    assert_eq!(bad.error_fields(), ["action.customer.from"]);
    let unknown = w
        .call(
            "POST",
            "/v1/triggers",
            Some(&admin),
            Some(json!({"name": "x", "on": "order_placed", "action": {"kind": "start_run", "process_id": "nope"}})),
        )
        .await;
    assert_eq!(unknown.problem(422).error_fields(), ["action.process_id"]);
    let starts = new_trigger(
        w,
        json!({"name": "ESP ordered", "on": "order_placed", "filter": {"offer_category": "hardware"},
            "action": {"kind": "start_run", "process_id": process, "customer": {"from": "order_user"}}}),
    )
    .await;
    let moves_on = new_trigger(
        w,
        json!({"name": "Installed", "on": "run_completed", "filter": {"process_id": process},
            "action": {"kind": "complete_order_step", "step": 4}}),
    )
    .await;

    // The order starts the run, for the end user, naming the order.
    let buyer = w.customer(&format!("eva{tag}"), Some("de"));
    let placed = w
        .call("POST", "/v1/app/orders", Some(&buyer), Some(json!({"offer_id": offer})))
        .await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order = placed.field("id");
    w.deliver().await;
    let runs = runs_of(w, &process).await;
    assert_eq!(runs.len(), 1, "one run: {runs:?}");
    let run = &runs[0];
    assert_eq!(run["context"]["order_id"], order.as_str());
    assert_eq!(
        run["participants"]["customer"]["email"],
        w.customer_email(&format!("eva{tag}")).as_str()
    );
    assert_eq!(run["context"]["title"], format!("Stromspeicher {tag}").as_str());
    let run_id = run["id"].as_str().unwrap().to_string();
    w.deliver().await;
    assert_eq!(runs_of(w, &process).await.len(), 1, "once per order");
    let used = w
        .call(
            "GET",
            &format!("/v1/processes/{process}/triggers"),
            Some(&w.staff("alice")),
            None,
        )
        .await;
    let names: Vec<Value> = items(&used.body).iter().map(|t| t["name"].clone()).collect();
    assert_eq!(names, [json!("ESP ordered")]);

    // Staff take the order to step 4; the partner installs; the order moves on by itself.
    for step in 1..=3 {
        let r = w
            .call(
                "POST",
                &format!("/v1/orders/{order}/advance"),
                Some(&admin),
                Some(json!({"expected_step": step})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let done = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{run_id}/steps/install/complete"),
            Some(&partner_session),
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let welcome = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/steps/welcome/complete"),
            Some(&w.staff("alice")),
            None,
        )
        .await;
    assert_eq!(welcome.status, 200, "{}", welcome.body);
    assert_eq!(welcome.body["status"], "completed");
    w.deliver().await;
    let after = w.call("GET", &format!("/v1/orders/{order}"), Some(&admin), None).await;
    assert_eq!(after.body["current_step"], 5, "{}", after.body);
    let step4 = &after.body["steps"][3];
    assert_eq!(step4["completed_by"]["kind"], "trigger", "{}", after.body);
    assert_eq!(step4["completed_by"]["id"], moves_on.as_str());

    // Replace the process everywhere; archiving waits until no enabled trigger starts it.
    let newer = new_process(
        w,
        format!("ESP installation v2 {tag}"),
        json!([{"key": "install", "name": "Install", "assignee": {"kind": "partner", "partner_id": partner}}]),
    )
    .await;
    let archive = w
        .call(
            "DELETE",
            &format!("/v1/processes/{process}"),
            Some(&w.staff("alice")),
            None,
        )
        .await;
    archive.problem(409);
    assert!(
        archive.body["detail"].as_str().unwrap().contains("ESP ordered"),
        "{}",
        archive.body
    );
    let replaced = w
        .call(
            "POST",
            &format!("/v1/processes/{process}/replace"),
            Some(&admin),
            Some(json!({"with": newer})),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(items(&replaced.body)[0]["action"]["process_id"], newer.as_str());
    let now_used = w
        .call("GET", &format!("/v1/processes/{newer}/triggers"), Some(&admin), None)
        .await;
    assert_eq!(items(&now_used.body).len(), 1);
    w.call(
        "POST",
        &format!("/v1/processes/{process}/replace"),
        Some(&admin),
        Some(json!({"with": process})),
    )
    .await
    .problem(422);
    let archive = w
        .call(
            "DELETE",
            &format!("/v1/processes/{process}"),
            Some(&w.staff("alice")),
            None,
        )
        .await;
    assert_eq!(archive.status, 204, "{}", archive.body);

    // A test: a test run of the new process, from the order.
    let tested = w
        .call(
            "POST",
            &format!("/v1/triggers/{starts}/test"),
            Some(&admin),
            Some(json!({"order_id": order})),
        )
        .await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    let test_run = tested.body["run_id"].as_str().unwrap().to_string();
    let test_run = w.call("GET", &format!("/v1/runs/{test_run}"), Some(&admin), None).await;
    assert_eq!(test_run.body["test"], true);
    assert_eq!(test_run.body["process_id"], newer.as_str());
    let no_order = w
        .call("POST", &format!("/v1/triggers/{starts}/test"), Some(&admin), None)
        .await;
    no_order.problem(409);

    // A trigger whose action cannot work: recorded on it, and its creator is told.
    let needs_installer = new_process(
        w,
        format!("Needs an installer {tag}"),
        json!([{"key": "i", "name": "I", "assignee": {"kind": "installer"}}]),
    )
    .await;
    let failing = new_trigger(
        w,
        json!({"name": "Broken", "on": "order_placed", "filter": {"offer_id": offer},
            "action": {"kind": "start_run", "process_id": needs_installer, "customer": {"from": "order_user"}}}),
    )
    .await;
    let other = w.customer(&format!("max{tag}"), None);
    let placed = w
        .call("POST", "/v1/app/orders", Some(&other), Some(json!({"offer_id": offer})))
        .await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    w.deliver().await;
    w.deliver().await;
    let history = w
        .call("GET", &format!("/v1/triggers/{failing}/history"), Some(&admin), None)
        .await;
    let failure = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "trigger_failed")
        .cloned()
        .unwrap_or_else(|| panic!("no trigger_failed: {}", history.body));
    assert!(
        failure["data"]["reason"].as_str().unwrap().contains("installer"),
        "{failure}"
    );
    let mails = w.inbox(&w.staff_email("root")).await;
    assert!(
        mails.iter().any(|m| m.subject.contains("Broken")),
        "the trigger's creator is told: {mails:?}"
    );
    // The new process still started for the second order (the other trigger is fine).
    assert_eq!(runs_of(w, &newer).await.len(), 1);
    (order, starts)
}

/// Posts a webhook body signed with `secret` at `t` (unix seconds).
async fn hook(w: &impl World, trigger: &str, secret: &str, t: i64, body: &Value) -> super::Resp {
    let body = body.to_string();
    let signature = domain::signature::sign(secret, t, body.as_bytes());
    w.raw(
        "POST",
        &format!("/v1/hooks/{trigger}"),
        None,
        &[("webhook-signature", &signature), ("content-type", "application/json")],
        Some(body),
    )
    .await
}

/// An inbound webhook from the utility's CRM: a valid one starts a run mapped from its
/// payload; a wrong signature, a stale one or none is a 401; the same event id again answers
/// the same run; a payload lacking a mapped field is a 422 recorded on the trigger; a rotated
/// secret replaces the old one at once; a disabled trigger takes nothing.
pub async fn inbound_webhook(w: &impl World, tag: &str) {
    let admin = w.admin();
    let process = new_process(
        w,
        format!("CRM lead {tag}"),
        json!([{"key": "visit", "name": "Book a visit", "assignee": {"kind": "customer"}}]),
    )
    .await;
    let created = w
        .call(
            "POST",
            "/v1/triggers",
            Some(&admin),
            Some(json!({"name": "CRM", "on": "webhook", "action": {"kind": "start_run", "process_id": process,
                "title": "/lead/title",
                "customer": {"from": "payload", "name": "/lead/name", "email": "/lead/email", "locale": "/lead/lang"}}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let trigger = created.field("id");
    let secret = created.field("secret");
    let shown = w
        .call("GET", &format!("/v1/triggers/{trigger}"), Some(&admin), None)
        .await;
    assert!(
        shown.body.get("secret").is_none() && !shown.text.contains(&secret),
        "the secret is shown once"
    );
    let email = format!("lena-{tag}@home.example");
    let event = json!({"id": format!("evt-{tag}"), "lead": {"name": "Lena", "email": email, "lang": "fr", "title": "Heat pump lead"}});
    let now = chrono::Utc::now().timestamp();

    hook(w, &trigger, "not-the-secret", now, &event).await.problem(401);
    hook(w, &trigger, &secret, now - 600, &event).await.problem(401);
    let unsigned = w
        .raw(
            "POST",
            &format!("/v1/hooks/{trigger}"),
            None,
            &[("content-type", "application/json")],
            Some(event.to_string()),
        )
        .await;
    unsigned.problem(401);
    hook(w, "01NOSUCHTRIGGER", &secret, now, &event).await.problem(404);
    assert!(runs_of(w, &process).await.is_empty(), "nothing started yet");

    let ok = hook(w, &trigger, &secret, now, &event).await;
    assert_eq!(ok.status, 202, "{}", ok.body);
    let run_id = ok.body["run_id"].as_str().unwrap().to_string();
    let run = w.call("GET", &format!("/v1/runs/{run_id}"), Some(&admin), None).await;
    assert_eq!(run.body["participants"]["customer"]["email"], email.as_str());
    assert_eq!(run.body["participants"]["customer"]["locale"], "fr");
    assert_eq!(run.body["context"]["title"], "Heat pump lead");
    // Replayed (re-signed later): the same run, nothing new.
    let again = hook(w, &trigger, &secret, now + 30, &event).await;
    assert_eq!(again.status, 202, "{}", again.body);
    assert_eq!(again.body["run_id"], run_id.as_str());
    assert_eq!(runs_of(w, &process).await.len(), 1);
    w.deliver().await;
    assert_eq!(w.inbox(&email).await.len(), 1, "the customer hears of the step");

    // No id, or a payload the mapping cannot read: 422 (the second one recorded).
    hook(w, &trigger, &secret, now, &json!({"lead": {}})).await.problem(422);
    let lacking = hook(
        w,
        &trigger,
        &secret,
        now,
        &json!({"id": format!("evt2-{tag}"), "lead": {"name": "X"}}),
    )
    .await;
    lacking.problem(422);
    let history = w
        .call("GET", &format!("/v1/triggers/{trigger}/history"), Some(&admin), None)
        .await;
    assert!(
        history.text.contains("trigger_failed") && history.text.contains("/lead/email"),
        "{}",
        history.body
    );
    hook(w, &trigger, &secret, now, &json!([1, 2])).await.problem(422);

    // A new secret works at once, the old one no more.
    let rotated = w
        .call("POST", &format!("/v1/triggers/{trigger}/secret"), Some(&admin), None)
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_secret = rotated.field("secret");
    assert_ne!(new_secret, secret);
    let second =
        json!({"id": format!("evt3-{tag}"), "lead": {"name": "Noé", "email": format!("noe-{tag}@home.example")}});
    hook(w, &trigger, &secret, now, &second).await.problem(401);
    assert_eq!(hook(w, &trigger, &new_secret, now, &second).await.status, 202);

    // Disabled: taken by nobody.
    let mut body = shown.body.clone();
    for k in [
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "secret_generation",
    ] {
        body.as_object_mut().unwrap().remove(k);
    }
    body["enabled"] = json!(false);
    let off = w
        .call("PUT", &format!("/v1/triggers/{trigger}"), Some(&admin), Some(body))
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    let third =
        json!({"id": format!("evt4-{tag}"), "lead": {"name": "Ana", "email": format!("ana-{tag}@home.example")}});
    hook(w, &trigger, &new_secret, now, &third).await.problem(409);
    assert_eq!(runs_of(w, &process).await.len(), 2);
}
