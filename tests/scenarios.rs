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
        // Out-of-office replies leave it alone (RFC 3834).
        assert!(eml.contains("Auto-Submitted: auto-generated"), "{eml}");
    }
}

#[tokio::test]
async fn texts_per_language_on_local_server() {
    e2e_tests::scenario::texts_per_language(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn texts_per_language_on_the_aws_path() {
    e2e_tests::scenario::texts_per_language(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn core_loop_on_the_aws_path() {
    let w = AwsWorld::new().await;
    core_loop(&w, &unique()).await;
}

/// A page's security headers; returns its Content-Security-Policy.
async fn page_headers(browser: &reqwest::Client, url: &str) -> String {
    let r = browser.get(url).send().await.unwrap();
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
    h["content-security-policy"].to_str().unwrap().to_string()
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
    assert!(
        html.contains("Le clic protège votre lien personnel"),
        "and says why: {html}"
    );
    assert!(html.contains("Ivo"));

    // A form posted from another site is refused in the browser's language, before anything
    // happens; the pages say what may run on them (no script) and who may frame them (nobody).
    let csp = page_headers(&browser, &link).await;
    assert!(
        csp.starts_with("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let foreign = browser
        .post(&link)
        .header("origin", "https://evil.example")
        .header("accept-language", "fr-CH, fr;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.headers().get("set-cookie").is_none());
    assert!(foreign
        .text()
        .await
        .unwrap()
        .contains("Formulaire d&#x27;un autre site"));
    let cross = browser
        .post(&link)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);

    let confirmed = browser
        .post(&link)
        .header("origin", w.base.clone())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 303);
    assert_eq!(
        confirmed.headers()["location"],
        format!("/portal/runs/{run_id}#step-install").as_str(),
        "the link leads to the step its email announced"
    );
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
    let post = |url: String, body: &'static str| {
        browser
            .post(url)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // One form: an error keeps what was typed and says, at the field and in French, what is wrong.
    let invalid = post(
        submit.clone(),
        "meter_number=&reading=abc&installed_on=2026-11-20&action=done",
    )
    .await
    .unwrap();
    assert_eq!(invalid.status(), 422);
    let html = invalid.text().await.unwrap();
    assert!(html.contains(r#"value="2026-11-20""#), "typed values survive: {html}");
    assert!(
        html.contains(
            r#"id="f-meter_number" name="meter_number" value="" aria-invalid="true" aria-describedby="e-meter_number""#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<span class="error" id="e-meter_number">Veuillez remplir ce champ.</span>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"role="alert""#) && html.contains(r##"href="#f-reading""##),
        "a summary links to each field"
    );
    assert!(!html.contains("data.meter_number"), "no developer strings");
    // Save: post/redirect/get with a visible message.
    let saved = post(submit.clone(), "meter_number=M-0&reading=1&action=save")
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let to = saved.headers()["location"].to_str().unwrap().to_string();
    assert!(to.ends_with("?saved=install#step-install"), "{to}");
    let page = browser
        .get(w.url(&to))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Vos réponses sont enregistrées.") && page.contains(r#"value="M-0""#),
        "{page}"
    );
    // Submit and mark done asks to confirm, then the step is done and its answers stay visible.
    let valid = post(
        submit.clone(),
        "meter_number=M-1&reading=12.5&installed_on=2026-11-20&action=done",
    )
    .await
    .unwrap();
    assert_eq!(valid.status(), 303);
    let to = valid.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("?confirm=install"), "{to}");
    let page = browser
        .get(w.url(&to))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Oui, marquer comme terminé"), "{page}");
    let done = browser
        .post(w.url(&format!("/portal/runs/{run_id}/steps/install/complete")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let to = done.headers()["location"].to_str().unwrap().to_string();
    let page = browser
        .get(w.url(&to))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Terminé – merci !") && page.contains("Vos réponses") && page.contains("<dd>M-1</dd>"),
        "{page}"
    );
    let staff = w.staff("alice");
    let run = w.call("GET", &format!("/v1/runs/{run_id}"), Some(&staff), None).await;
    assert_eq!(run.body["current_step"], "confirm");
    assert_eq!(
        run.body["steps"][0]["submission"]["data"],
        json!({"meter_number": "M-1", "reading": 12.5, "installed_on": "2026-11-20"})
    );

    // Without the cookie the pages answer 401 in the browser's language, saying what to do; an
    // unknown link 401 (also its page, without a welcome); after logout the cookie is dead.
    let no_session = browser
        .get(w.url("/portal"))
        .header("accept-language", "it-CH, it;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(no_session.status(), 401);
    let html = no_session.text().await.unwrap();
    assert!(
        html.contains(r#"<html lang="it""#) && html.contains("Apra il link della sua e-mail"),
        "{html}"
    );
    let unknown = browser
        .get(w.url("/portal/access/not-a-token"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let html = unknown.text().await.unwrap();
    assert!(
        html.contains("Veuillez ouvrir le lien")
            && !html.contains("action=\"/portal/access/")
            && html.contains("action=\"/portal/new-link\""),
        "no confirm button, the way forward instead: {html}"
    );
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

/// The utility's branding and time zone: settings validated field by field, the sender's
/// display name on its emails, due dates written the reader's way in its zone, and the pages'
/// header, colour and support contact (the colour inside the style block the policy allows).
#[tokio::test]
async fn branding_and_local_dates_on_local_server() {
    let w = Local::start().await;
    let tag = unique();
    let admin = w.admin();
    let bad = w
        .call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({
            "logo_url": "http://x.example/logo.png", "primary_color": "red", "support_email": "a@b\r\nBcc: c",
            "support_phone": "call us", "time_zone": "Mars/Olympus", "sender_name": "Evil <x@y>"})),
        )
        .await;
    bad.problem(422);
    let mut codes = bad.error_codes();
    codes.sort();
    assert_eq!(codes.len(), 6, "{codes:?}");
    let settings = json!({"name": "Stadtwerke Musterstadt", "sender_name": "Stadtwerke Musterstadt",
        "logo_url": "https://cdn.example/sw.png", "primary_color": "#0A7F3F", "support_email": "hilfe@sw.example",
        "support_phone": "+49 30 1234 567", "time_zone": "Europe/Zurich"});
    let put = w.call("PUT", "/v1/settings", Some(&admin), Some(settings)).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["primary_color"], "#0a7f3f");
    // Fields left out stay; an empty string clears one.
    let put = w
        .call("PUT", "/v1/settings", Some(&admin), Some(json!({"support_phone": ""})))
        .await;
    assert_eq!(put.body["name"], "Stadtwerke Musterstadt");
    assert!(put.body["support_phone"].is_null() && put.body["time_zone"] == "Europe/Zurich");

    let (_, process) = define(&w, &tag).await;
    let (run, installer, _) = start(&w, &process, &tag).await;
    w.deliver().await;
    let emails = w.outbox(1).await;
    let mail = emails.iter().find(|m| m["to"] == json!(installer)).unwrap();
    let eml = std::fs::read_to_string(w.data_dir.join("outbox").join(mail["file"].as_str().unwrap())).unwrap();
    assert!(eml.contains("From: \"Stadtwerke Musterstadt\" <"), "{eml}");
    // Due in five days, written as a French reader writes it, in the utility's zone.
    let text = mail["text"].as_str().unwrap();
    let due: chrono::DateTime<chrono::Utc> = run["steps"][0]["due_at"].as_str().unwrap().parse().unwrap();
    let zurich = domain::dates::time_zone("Europe/Zurich").unwrap();
    let written = domain::dates::long_date(due, zurich, domain::i18n::Lang::Fr);
    assert!(text.contains(&written), "{written} in {text}");

    let session = e2e_tests::scenario::portal_session(&w, &installer).await;
    let tasks = w.call("GET", "/v1/portal/tasks", Some(&session), None).await;
    assert_eq!(tasks.body["tasks"][0]["due_relative"], "dans 5 jours", "{}", tasks.body);
    assert_eq!(tasks.body["tasks"][0]["overdue"], false);
    let page = w
        .http
        .get(w.url("/portal"))
        .header("cookie", format!("portal_session={session}"))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Stadtwerke Musterstadt")
            && html.contains(r#"<img src="https:&#x2f;&#x2f;cdn.example&#x2f;sw.png""#),
        "{html}"
    );
    assert!(
        html.contains("--primary:#0a7f3f") && html.contains("hilfe@sw.example") && html.contains("dans 5 jours"),
        "{html}"
    );
    let start = html.find("<style>").unwrap() + 7;
    let css = &html[start..start + html[start..].find("</style>").unwrap()];
    let hash = {
        use sha2::Digest;
        base64_hash(&sha2::Sha256::digest(css.as_bytes()))
    };
    assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
}

fn base64_hash(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn new_link_on_local_server() {
    e2e_tests::new_link::new_link(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn new_link_on_the_aws_path() {
    e2e_tests::new_link::new_link(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn documents_on_local_server() {
    e2e_tests::documents::installer_uploads(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn documents_on_the_aws_path() {
    e2e_tests::documents::installer_uploads(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn bad_uploads_on_local_server() {
    e2e_tests::documents::bad_uploads(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn bad_uploads_on_the_aws_path() {
    e2e_tests::documents::bad_uploads(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn scanned_uploads_on_local_server() {
    e2e_tests::documents::scanned_uploads(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn scanned_uploads_on_the_aws_path() {
    e2e_tests::documents::scanned_uploads(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn staff_move_due_dates_on_local_server() {
    e2e_tests::scenario::staff_move_due_dates(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn staff_move_due_dates_on_the_aws_path() {
    e2e_tests::scenario::staff_move_due_dates(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn reminders_on_local_server() {
    e2e_tests::reminders::reminders(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn reminders_on_the_aws_path() {
    e2e_tests::reminders::reminders(&AwsWorld::new().await, &unique()).await;
}

#[tokio::test]
async fn reminders_paused_and_done_on_local_server() {
    e2e_tests::reminders::reminders_paused_and_done(&Local::start().await, &unique()).await;
}

#[tokio::test]
async fn reminders_paused_and_done_on_the_aws_path() {
    e2e_tests::reminders::reminders_paused_and_done(&AwsWorld::new().await, &unique()).await;
}
