//! Outbound webhooks: a receiver on loopback that checks signatures with its own HMAC code
//! (not the product's), failing its first answers on demand; the delivery story on
//! local-server (which may reach loopback) and the address refusals on the AWS path.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::scenario::{define, start, World};

/// HMAC-SHA256 as RFC 2104 writes it.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// What the receiver saw of one request.
#[derive(Debug, Clone)]
pub struct Received {
    pub webhook_id: String,
    pub body: Value,
    pub signed: bool,
}

#[derive(Default)]
pub struct Receiver {
    pub secret: Mutex<String>,
    /// Answers 500 to this many requests first (`usize::MAX`: always).
    pub fail_first: AtomicUsize,
    pub seen: Mutex<Vec<Received>>,
}

async fn take(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let signature = header("webhook-signature");
    let (mut t, mut v1) = (String::new(), String::new());
    for part in signature.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.to_string(),
            Some(("v1", x)) => v1 = x.to_string(),
            _ => {}
        }
    }
    let secret = r.secret.lock().unwrap().clone();
    let message = [t.as_bytes(), b".", &body].concat();
    let signed = hex::encode(hmac_sha256(secret.as_bytes(), &message)) == v1;
    r.seen.lock().unwrap().push(Received {
        webhook_id: header("webhook-id"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signed,
    });
    let left = r.fail_first.load(Ordering::SeqCst);
    if left > 0 {
        if left != usize::MAX {
            r.fail_first.store(left - 1, Ordering::SeqCst);
        }
        return (StatusCode::INTERNAL_SERVER_ERROR, "not yet".into());
    }
    (StatusCode::NO_CONTENT, String::new())
}

/// A receiver on a free loopback port; its URL.
pub async fn receiver(fail_first: usize) -> (Arc<Receiver>, String) {
    let r = Arc::new(Receiver::default());
    r.fail_first.store(fail_first, Ordering::SeqCst);
    let app = axum::Router::new().route("/hook", post(take)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (r, url)
}

async fn subscribe(w: &impl World, url: &str, types: Value) -> (String, String) {
    let r = w
        .call(
            "POST",
            "/v1/webhooks",
            Some(&w.admin()),
            Some(json!({"url": url, "event_types": types})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    (r.field("id"), r.field("secret"))
}

async fn deliveries(w: &impl World, sub: &str) -> Vec<Value> {
    let r = w
        .call("GET", &format!("/v1/webhooks/{sub}/deliveries"), Some(&w.admin()), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

/// Deliveries on local-server: retried after the receiver's failures until taken, each
/// signed; the log; a redelivery; a receiver that always fails gets its subscription
/// disabled after a day, and the admin is told.
pub async fn outbound_story(w: &impl World, tag: &str) {
    let (good, good_url) = receiver(2).await;
    let (bad, bad_url) = receiver(usize::MAX).await;
    w.call(
        "POST",
        "/v1/webhooks",
        Some(&w.admin()),
        Some(json!({"url": "ftp://x", "event_types": ["nope"]})),
    )
    .await
    .problem(422);
    let (sub, secret) = subscribe(w, &good_url, json!(["run_started"])).await;
    *good.secret.lock().unwrap() = secret;
    let (failing, failing_secret) = subscribe(w, &bad_url, json!(["*"])).await;
    *bad.secret.lock().unwrap() = failing_secret;
    let listed = w.call("GET", "/v1/webhooks", Some(&w.admin()), None).await;
    assert!(!listed.text.contains("\"secret\""), "secrets are shown once");

    let (_, process) = define(w, tag).await;
    let (run, _, _) = start(w, &process, tag).await;
    w.deliver().await;
    assert_eq!(good.seen.lock().unwrap().len(), 1, "tried at once");
    // The sweeper retries with backoff until the receiver takes it.
    w.advance_hours(1).await;
    w.advance_hours(1).await;
    let seen = good.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.iter().all(|r| r.signed), "every request is signed with the secret");
    assert!(seen.iter().all(|r| r.webhook_id == seen[0].webhook_id), "one event id");
    assert_eq!(seen[0].body["type"], "run_started");
    assert_eq!(seen[0].body["aggregate_id"], run["id"]);
    let log = deliveries(w, &sub).await;
    assert_eq!(log.len(), 1, "only run_started: {log:?}");
    let d = &log[0];
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    let codes: Vec<Value> = d["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(500), json!(204)]);
    assert_eq!(d["log"][0]["response"], "not yet");
    // By hand, again.
    let again = w
        .call(
            "POST",
            &format!("/v1/webhooks/{sub}/deliveries/{}/redeliver", d["id"].as_str().unwrap()),
            Some(&w.admin()),
            None,
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["status"], "delivered");
    assert_eq!(good.seen.lock().unwrap().len(), 4);

    // A day of failures: the delivery is dead, the subscription disabled, the admin told.
    w.advance_hours(25).await;
    w.advance_hours(1).await;
    let sub_now = w
        .call("GET", &format!("/v1/webhooks/{failing}"), Some(&w.admin()), None)
        .await;
    assert_eq!(sub_now.body["status"], "disabled", "{}", sub_now.body);
    let dead = deliveries(w, &failing).await;
    assert!(dead.iter().all(|d| d["status"] == "dead"), "{dead:?}");
    let told = w.inbox(&w.staff_email("root")).await;
    assert!(told.iter().any(|m| m.subject.contains(&bad_url)), "{told:?}");
    let tries = bad.seen.lock().unwrap().len();
    let (_, _, _) = start(w, &process, &format!("{tag}2")).await;
    w.deliver().await;
    assert_eq!(
        bad.seen.lock().unwrap().len(),
        tries,
        "a disabled subscription gets nothing"
    );
}

/// On the AWS path nothing goes to internal addresses: IP literals, a name that resolves to
/// loopback, plain http.
pub async fn refused_targets(w: &impl World, tag: &str) {
    let targets = [
        "https://127.0.0.1:9/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:9/hook",
        "https://localhost:9/hook",
        "http://crm.example/hook",
    ];
    let mut subs = Vec::new();
    for t in targets {
        subs.push(subscribe(w, t, json!(["run_started"])).await.0);
    }
    let (_, process) = define(w, tag).await;
    start(w, &process, tag).await;
    w.deliver().await;
    for (sub, target) in subs.iter().zip(targets) {
        let log = deliveries(w, sub).await;
        assert_eq!(log.len(), 1, "{target}");
        let error = log[0]["log"][0]["error"].as_str().unwrap_or_default().to_string();
        assert!(error.contains("refused"), "{target}: {error}");
        assert!(log[0]["log"][0]["status_code"].is_null());
    }
}
