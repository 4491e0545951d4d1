//! Bounces and complaints: an address SES reports undeliverable takes no more email from the
//! tenant, the steps of that participant show it to staff, and staff correct the address.
//! On local-server the mailbox plays SES's mailbox simulator; on the AWS path the same report
//! goes SNS (moto) -> SQS -> bounce-handler.

use e2e_tests::aws::AwsWorld;
use e2e_tests::scenario::{define, portal_session, World};
use e2e_tests::{unique, Local};
use serde_json::{json, Value};

async fn start_for(w: &impl World, process: &str, installer: &str, customer: &str) -> Value {
    let run = w
        .call(
            "POST",
            &format!("/v1/processes/{process}/runs"),
            Some(&w.staff("alice")),
            Some(json!({"context": {"title": "Meter 4711"}, "participants": {
                "installer": {"name": "Ivo", "email": installer, "locale": "fr"},
                "customer": {"name": "Chiara", "email": customer, "locale": "it"}}})),
        )
        .await;
    assert_eq!(run.status, 201, "{}", run.body);
    run.body
}

async fn history_types(w: &impl World, run: &str) -> Vec<String> {
    let h = w
        .call("GET", &format!("/v1/runs/{run}/history"), Some(&w.staff("alice")), None)
        .await;
    assert_eq!(h.status, 200, "{}", h.body);
    h.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn unreachable_participants(w: &impl World) {
    let tag = unique();
    let staff = w.staff("alice");
    let (_, process) = define(w, &tag).await;
    let bouncing = format!("bounce+{tag}@simulator.amazonses.com");
    let customer = format!("chiara-{tag}@customer.example");
    let a = start_for(w, &process, &bouncing, &customer).await;
    let a = a["id"].as_str().unwrap();
    w.deliver().await;
    assert_eq!(w.inbox(&bouncing).await.len(), 1, "sent once, then it bounces");
    w.feedback().await;

    // The installer's step shows staff that the installer cannot be reached.
    let run = w.call("GET", &format!("/v1/runs/{a}"), Some(&staff), None).await;
    let mark = &run.body["steps"][0]["unreachable"];
    assert_eq!(mark["reason"], "bounce", "{}", run.body);
    assert_eq!(mark["email"], json!(bouncing));
    assert!(mark["detail"].as_str().unwrap().contains("550"), "{mark}");
    assert!(run.body["steps"][1]["unreachable"].is_null(), "the customer is fine");
    assert!(history_types(w, a)
        .await
        .contains(&"participant_unreachable".to_string()));
    let list = w.call("GET", "/v1/undeliverable", Some(&staff), None).await;
    assert_eq!(list.status, 200);
    let listed = list.body["items"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|u| u["email"] == json!(bouncing) && u["reason"] == "bounce"),
        "{}",
        list.body
    );
    let other = w
        .call("GET", "/v1/undeliverable", Some(&w.other_tenant_staff()), None)
        .await;
    assert!(!other.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["email"] == json!(bouncing)));

    // Nothing more is sent to it: a second run for the same installer shows the mark at once.
    let b = start_for(w, &process, &bouncing, &customer).await;
    let b = b["id"].as_str().unwrap();
    w.deliver().await;
    w.feedback().await;
    assert_eq!(
        w.inbox(&bouncing).await.len(),
        1,
        "no second email to a bounced address"
    );
    let run_b = w.call("GET", &format!("/v1/runs/{b}"), Some(&staff), None).await;
    assert_eq!(
        run_b.body["steps"][0]["unreachable"]["reason"], "bounce",
        "{}",
        run_b.body
    );

    // Bad corrections change nothing.
    let path = format!("/v1/runs/{a}/participants/installer");
    let bad = w
        .call(
            "PUT",
            &path,
            Some(&staff),
            Some(json!({"name": "Ivo", "email": "ivo@x.ch>, evil@x.ch"})),
        )
        .await;
    bad.problem(422);
    assert_eq!(bad.error_fields(), ["email"]);
    let nobody = w
        .call(
            "PUT",
            &format!("/v1/runs/{a}/participants/owner"),
            Some(&staff),
            Some(json!({"name": "O", "email": "o@x.ch"})),
        )
        .await;
    nobody.problem(404);
    let foreign = w
        .call(
            "PUT",
            &path,
            Some(&w.other_tenant_staff()),
            Some(json!({"name": "Ivo", "email": "ivo@x.ch"})),
        )
        .await;
    foreign.problem(404);
    let same = w.call("GET", &format!("/v1/runs/{a}"), Some(&staff), None).await;
    assert_eq!(same.body["version"], run.body["version"]);

    // Staff correct the address: the mark goes, the new address gets the step's email.
    let corrected = format!("ivo-{tag}@installer.example");
    let fixed = w
        .call(
            "PUT",
            &path,
            Some(&staff),
            Some(json!({"name": "Ivo", "email": corrected, "locale": "fr"})),
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert!(fixed.body["steps"][0]["unreachable"].is_null(), "{}", fixed.body);
    assert_eq!(fixed.body["participants"]["installer"]["email"], json!(corrected));
    w.deliver().await;
    let mails = w.inbox(&corrected).await;
    assert_eq!(mails.len(), 1, "the corrected address hears of its active step");
    assert!(mails[0].body.contains("Installez le compteur"), "{}", mails[0].body);
    assert!(history_types(w, a).await.contains(&"participant_changed".to_string()));

    // The new address works in the portal; run B stays with the old address.
    let session = portal_session(w, &corrected).await;
    let tasks = w.call("GET", "/v1/portal/tasks", Some(&session), None).await;
    let runs: Vec<&str> = tasks.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(runs, [a], "{}", tasks.body);
    let old = portal_session(w, &bouncing).await;
    let old_tasks = w.call("GET", "/v1/portal/tasks", Some(&old), None).await;
    assert!(
        old_tasks.body["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["run_id"] == json!(b)),
        "{}",
        old_tasks.body
    );
    let gone = w.call("GET", &format!("/v1/portal/runs/{a}"), Some(&old), None).await;
    assert!(
        matches!(gone.status, 403 | 404),
        "the old address's access to the run ended: {}",
        gone.status
    );

    // Once the mailbox works again, staff clear the mark: emails go to it again.
    let email_path = format!("/v1/undeliverable/{}", bouncing.replace('+', "%2B"));
    let cleared = w.call("DELETE", &email_path, Some(&staff), None).await;
    assert_eq!(cleared.status, 204, "{}", cleared.body);
    w.call("DELETE", &email_path, Some(&staff), None).await.problem(404);
}

#[tokio::test]
async fn unreachable_participants_on_local_server() {
    unreachable_participants(&Local::start().await).await;
}

#[tokio::test]
async fn unreachable_participants_on_the_aws_path() {
    unreachable_participants(&AwsWorld::new().await).await;
}
