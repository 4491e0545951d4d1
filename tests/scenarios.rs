//! The core loop end to end: over HTTP against local-server, and on the AWS path (DynamoDB Local, SQS and SES on moto).

use e2e_tests::aws::AwsWorld;
use e2e_tests::scenario::{core_loop, define, start, World};
use e2e_tests::{unique, Client, Local};
use serde_json::json;

#[tokio::test]
async fn core_loop_on_local_server() {
    let w = Local::start().await;
    let tag = unique();
    let ids = core_loop(&w, &tag).await;
    // The staff link in the staff member's email works when clicked.
    let mail = w.inbox(&format!("carla-{tag}@utility.example")).await.remove(0);
    let start = mail.body.find("http://").unwrap();
    let link: String = mail.body[start..].split_whitespace().next().unwrap().to_string();
    assert!(link.ends_with(&format!("/runs/{}", ids.run)), "{link}");
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Review") && html.contains("run_completed"), "{html}");
    // Every email is also an .eml file in the data folder.
    let emails = w.outbox(1).await;
    for e in &emails {
        let file = w.data_dir.join("outbox").join(e["file"].as_str().unwrap());
        let eml = std::fs::read_to_string(file).unwrap();
        assert!(eml.contains("multipart/alternative") && eml.contains(e["to"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn core_loop_on_the_aws_path() {
    let w = AwsWorld::new().await;
    core_loop(&w, &unique()).await;
}

/// What a participant does in a browser: the link's page, the form POST, the cookie session,
/// the task list, the journey form and the done button.
#[tokio::test]
async fn html_portal_in_a_browser() {
    let w = Local::start().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let (run, installer, _) = start(&w, &process, &tag).await;
    let run_id = run["id"].as_str().unwrap();
    w.deliver().await;
    let link = w.inbox(&installer).await[0].body.clone();
    let start_at = link.find("http://").unwrap();
    let link: String = link[start_at..].split_whitespace().next().unwrap().to_string();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let page = browser.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\""),
        "the link's page asks to confirm: {html}"
    );
    assert!(html.contains("Ivo"));

    let confirmed = browser.post(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), 303);
    let cookie = confirmed.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let cookie = cookie.split(';').next().unwrap().to_string();

    let tasks = browser
        .get(w.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(tasks.contains(&format!("/portal/runs/{run_id}")), "{tasks}");
    let page = browser
        .get(w.url(&format!("/portal/runs/{run_id}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Installez le compteur au sous-sol."),
        "info text in French: {page}"
    );
    assert!(page.contains("name=\"meter_number\""), "journey form");

    let submit = w.url(&format!("/portal/runs/{run_id}/steps/install/submission"));
    let invalid = browser
        .post(&submit)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("meter_number=&reading=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    assert!(invalid.text().await.unwrap().contains("data.meter_number"));
    let valid = browser
        .post(&submit)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("meter_number=M-1&reading=12.5&installed_on=2026-11-20")
        .send()
        .await
        .unwrap();
    assert_eq!(valid.status(), 303);
    let done = browser
        .post(w.url(&format!("/portal/runs/{run_id}/steps/install/complete")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let staff = w.staff("alice");
    let run = w.call("GET", &format!("/v1/runs/{run_id}"), Some(&staff), None).await;
    assert_eq!(run.body["current_step"], "confirm");
    assert_eq!(
        run.body["steps"][0]["submission"]["data"],
        json!({"meter_number": "M-1", "reading": 12.5, "installed_on": "2026-11-20"})
    );

    // Without the cookie the pages answer 401; an unknown link 401; after logout the cookie is dead.
    assert_eq!(browser.get(w.url("/portal")).send().await.unwrap().status(), 401);
    assert_eq!(
        browser
            .post(w.url("/portal/access/not-a-token"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let out = browser
        .post(w.url("/portal/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(
        browser
            .get(w.url("/portal"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn local_data_and_emails_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("portal-restart-{}", unique()));
    let tag = unique();
    let (journey, run_id) = {
        let w = Local::start_in(dir.clone()).await;
        let (journey, process) = define(&w, &tag).await;
        let (run, _, _) = start(&w, &process, &tag).await;
        w.deliver().await;
        w.running.stop();
        let ids = (journey, run["id"].as_str().unwrap().to_string());
        std::mem::forget(w); // keep the folder
        ids
    };
    let w = Local::start_in(dir).await;
    let staff = w.staff("alice");
    assert_eq!(
        w.call("GET", &format!("/v1/journeys/{journey}"), Some(&staff), None)
            .await
            .status,
        200
    );
    assert_eq!(
        w.call("GET", &format!("/v1/runs/{run_id}"), Some(&staff), None)
            .await
            .body["current_step"],
        "install"
    );
    assert_eq!(
        w.outbox(1).await.len(),
        1,
        "the outbox survives, and nothing is sent again"
    );
    w.deliver().await;
    assert_eq!(w.outbox(1).await.len(), 1);
}

/// Like the DLQ in AWS: an event whose email keeps failing is set aside after a few attempts
/// and does not hold up the events behind it.
#[tokio::test]
async fn local_relay_sets_a_failing_event_aside() {
    let w = Local::start().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    // The outbox folder replaced by a file: every email fails.
    let outbox = w.data_dir.join("outbox");
    let index = std::fs::read(outbox.join("index.jsonl")).unwrap_or_default();
    std::fs::remove_dir_all(&outbox).unwrap();
    std::fs::write(&outbox, b"not a folder").unwrap();
    let (first, installer, _) = start(&w, &process, &tag).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    w.deliver().await;
    // The folder is back: later events are delivered, the failed one stays aside.
    std::fs::remove_file(&outbox).unwrap();
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::write(outbox.join("index.jsonl"), index).unwrap();
    let tag2 = unique();
    let (_, second_installer, _) = start(&w, &process, &tag2).await;
    w.deliver().await;
    assert_eq!(
        w.inbox(&second_installer).await.len(),
        1,
        "events behind the failed one go out"
    );
    assert!(w.inbox(&installer).await.is_empty(), "the failed event was set aside");
    assert_eq!(first["status"], "running");
}

#[tokio::test]
async fn cancelling_a_run_on_local_server() {
    e2e_tests::scenario::cancel_flow(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn cancelling_a_run_on_the_aws_path() {
    e2e_tests::scenario::cancel_flow(&AwsWorld::new().await, &unique()).await;
}

/// The load test (README: `--bin load`) in small: every request succeeds and every event's
/// emails are sent exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_sends_every_email_once() {
    let opts = e2e_tests::load::LoadOptions {
        participants: 12,
        staff: 3,
        duration: std::time::Duration::from_secs(3),
    };
    let report = e2e_tests::load::run(&opts).await;
    report.print();
    assert!(report.ok(), "{report:?}");
    assert!(report.runs_started > opts.participants && report.emails > opts.participants);
}
