//! Partner organisations end to end (both hosts), the permission matrix, email templates and
//! language fallback, duplicated, archived and test processes.

use e2e_tests::aws::AwsWorld;
use e2e_tests::scenario::{accept, access_token, define, invite, link_token, portal_session, start, World};
use e2e_tests::{unique, Client, Local};
use serde_json::{json, Value};

/// A process whose first step is the partner's, then the customer's.
async fn partner_process(w: &impl World, partner: &str, tag: &str) -> String {
    let staff = w.staff("alice");
    let journey = w
        .call("POST", "/v1/journeys", Some(&staff), Some(json!({"name": "Commissioning", "fields": [{"key": "serial", "label": {"fr": "Numéro de série", "de": "Seriennummer"}, "type": "text", "required": true}]})))
        .await;
    let process = w
        .call("POST", "/v1/processes", Some(&staff), Some(json!({"name": format!("PV install {tag}"), "steps": [
            {"key": "install", "name": "Install the PV system", "assignee": {"kind": "partner", "partner_id": partner},
             "info_texts": {"partner": {"fr": "Installez l'onduleur.", "de": "Bitte Wechselrichter montieren."}},
             "journey_id": journey.field("id"), "due_in_days": 10, "owner": {"user_id": "bob", "email": format!("bob-{tag}@utility.example")}},
            {"key": "confirm", "name": "Confirm", "assignee": {"kind": "customer"}}]})))
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    process.field("id")
}

async fn run_for(w: &impl World, process: &str, tag: &str) -> String {
    let run = w
        .call("POST", &format!("/v1/processes/{process}/runs"), Some(&w.staff("alice")), Some(json!({"context": {"title": "PV Rossi"}, "participants": {"customer": {"name": "Chiara", "email": format!("chiara-{tag}@customer.example"), "locale": "it"}}})))
        .await;
    assert_eq!(run.status, 201, "{}", run.body);
    run.field("id")
}

async fn partner_story(w: &impl World) {
    let tag = unique();
    let staff = w.staff("alice");
    let (partner, office) = invite(w, &tag, json!(["tasks:complete"])).await;

    // The first link dies when the invitation is resent; the new one works once.
    w.deliver().await;
    let first = link_token(&w.inbox(&office).await[0], "/partners/invitations/");
    assert_eq!(
        w.call("GET", &format!("/v1/partner-invitations/{first}"), None, None)
            .await
            .status,
        200
    );
    let page = w
        .raw("GET", &format!("/partners/invitations/{first}"), None, &[], None)
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        w.call(
            "POST",
            &format!("/v1/partners/{partner}/invitation"),
            Some(&staff),
            None
        )
        .await
        .status,
        200
    );
    w.call("GET", &format!("/v1/partner-invitations/{first}"), None, None)
        .await
        .problem(410);
    w.deliver().await;
    assert_eq!(w.inbox(&office).await.len(), 2);
    let second = link_token(w.inbox(&office).await.last().unwrap(), "/partners/invitations/");
    let who = w
        .call("GET", &format!("/v1/partner-invitations/{second}"), None, None)
        .await;
    assert_eq!(who.status, 200);
    assert_eq!(who.body["partner"]["name"], "Install AG");
    assert!(who.body["inviter"]["name"].is_string());
    let ina = format!("ina-{tag}@install.example");
    let ina_session = accept(w, &office, &ina).await;
    let used = w
        .call(
            "POST",
            &format!("/v1/partner-invitations/{second}/accept"),
            None,
            Some(json!({"organization_name": "X", "user": {"name": "Y", "email": "y@x.example"}})),
        )
        .await;
    used.problem(410);
    w.call(
        "POST",
        "/v1/partner-invitations/unknown-token/accept",
        None,
        Some(json!({"organization_name": "X", "user": {"name": "Y", "email": "y@x.example"}})),
    )
    .await
    .problem(404);

    // A second user, added by staff, reaches the portal by an emailed link.
    let max = format!("max-{tag}@install.example");
    let added = w
        .call(
            "POST",
            &format!("/v1/partners/{partner}/users"),
            Some(&staff),
            Some(json!({"name": "Max", "email": max, "locale": "de"})),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    w.deliver().await;
    assert_eq!(w.inbox(&max).await.len(), 1);

    // A step assigned to the partner: every user is emailed in their language.
    let process = partner_process(w, &partner, &tag).await;
    let run = run_for(w, &process, &tag).await;
    w.deliver().await;
    let ina_mails = w.inbox(&ina).await;
    assert_eq!(ina_mails.len(), 1);
    assert!(
        ina_mails[0].body.contains("Installez l'onduleur") || ina_mails[0].body.contains("Installez l&#x27;onduleur"),
        "{}",
        ina_mails[0].body
    );
    let max_mails = w.inbox(&max).await;
    assert_eq!(max_mails.len(), 2);
    assert!(max_mails[1].body.contains("Wechselrichter"));
    let max_session = portal_session(w, &max).await;
    let tasks = w.call("GET", "/v1/portal/tasks", Some(&max_session), None).await;
    assert_eq!(
        tasks.body["tasks"][0]["info_text"], "Bitte Wechselrichter montieren.",
        "{}",
        tasks.body
    );
    assert!(tasks.body["tasks"][0]["due_at"].is_string());
    assert_eq!(tasks.body["tasks"][0]["journey"]["fields"][0]["label"], "Seriennummer");

    // Without runs:view_all_steps the partner sees only its own step.
    let view = w
        .call("GET", &format!("/v1/portal/runs/{run}"), Some(&ina_session), None)
        .await;
    assert_eq!(view.status, 200);
    assert_eq!(view.body["steps"].as_array().unwrap().len(), 1);

    // Commissioning: the appointment; the owner is told.
    let when = "2031-05-04T08:00:00Z";
    let set = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{run}/steps/install/due-date"),
            Some(&ina_session),
            Some(json!({"due_at": when})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    w.deliver().await;
    let owner = format!("bob-{tag}@utility.example");
    assert_eq!(w.inbox(&owner).await.len(), 1, "the owner hears of the appointment");
    assert!(
        w.inbox(&owner).await[0].body.contains("4. Mai 2031, 10:00"),
        "in German, Berlin time"
    );

    // The partner fills in the journey and marks the step done; the owner is told.
    let path = format!("/v1/portal/runs/{run}/steps/install");
    assert_eq!(
        w.call(
            "POST",
            &format!("{path}/submission"),
            Some(&max_session),
            Some(json!({"data": {"serial": "SN-1"}}))
        )
        .await
        .status,
        200
    );
    let done = w
        .call("POST", &format!("{path}/complete"), Some(&ina_session), None)
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    w.deliver().await;
    assert_eq!(w.inbox(&owner).await.len(), 2);
    let staff_view = w.call("GET", &format!("/v1/runs/{run}"), Some(&staff), None).await;
    assert_eq!(staff_view.body["current_step"], "confirm");
    assert_eq!(staff_view.body["steps"][0]["completed_by"]["kind"], "partner");

    // With runs:view_all_steps the whole run shows; revoking ends every session.
    let perms = w
        .call(
            "PUT",
            &format!("/v1/partners/{partner}/permissions"),
            Some(&staff),
            Some(json!({"permissions": ["tasks:complete", "runs:view_all_steps"]})),
        )
        .await;
    assert_eq!(perms.status, 200);
    let view = w
        .call("GET", &format!("/v1/portal/runs/{run}"), Some(&ina_session), None)
        .await;
    assert_eq!(view.body["steps"].as_array().unwrap().len(), 2);
    assert_eq!(view.body["current_step"], "confirm");
    assert_eq!(
        w.call("DELETE", &format!("/v1/partners/{partner}"), Some(&staff), None)
            .await
            .status,
        204
    );
    w.call("GET", "/v1/portal/tasks", Some(&ina_session), None)
        .await
        .problem(401);
    w.call("GET", "/v1/portal/tasks", Some(&max_session), None)
        .await
        .problem(401);
    let listed = w.call("GET", "/v1/partners", Some(&staff), None).await;
    assert!(listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == json!(partner) && p["status"] == "revoked"));
}

#[tokio::test]
async fn partner_story_on_local_server() {
    partner_story(&Local::start().await).await;
}

#[tokio::test]
async fn partner_story_on_the_aws_path() {
    partner_story(&AwsWorld::new().await).await;
}

#[tokio::test]
async fn partner_permission_matrix() {
    let w = Local::start().await;
    let tag = unique();
    let staff = w.staff("alice");
    // Partner A may not complete; partner B may.
    let (a, a_office) = invite(&w, &format!("{tag}a"), json!([])).await;
    let a_session = accept(&w, &a_office, &format!("ina-{tag}@a.example")).await;
    let (b, b_office) = invite(&w, &format!("{tag}b"), json!(["tasks:complete"])).await;
    let b_session = accept(&w, &b_office, &format!("bea-{tag}@b.example")).await;
    let run_a = run_for(&w, &partner_process(&w, &a, &format!("{tag}a")).await, &tag).await;
    let run_b = run_for(&w, &partner_process(&w, &b, &format!("{tag}b")).await, &tag).await;
    // The activation emails go out now: once a step is done, a late one would say nothing.
    w.deliver().await;

    // Without tasks:complete: fill in yes, mark done and set the appointment no.
    let a_path = format!("/v1/portal/runs/{run_a}/steps/install");
    assert_eq!(
        w.call(
            "POST",
            &format!("{a_path}/submission"),
            Some(&a_session),
            Some(json!({"data": {"serial": "A"}}))
        )
        .await
        .status,
        200
    );
    w.call("POST", &format!("{a_path}/complete"), Some(&a_session), None)
        .await
        .problem(403);
    w.call(
        "POST",
        &format!("{a_path}/due-date"),
        Some(&a_session),
        Some(json!({"due_at": "2031-01-01T00:00:00Z"})),
    )
    .await
    .problem(403);
    // Partner A never sees anything of partner B, and the other way round.
    for (session, other) in [(&a_session, &run_b), (&b_session, &run_a)] {
        w.call("GET", &format!("/v1/portal/runs/{other}"), Some(session), None)
            .await
            .problem(404);
        w.call(
            "POST",
            &format!("/v1/portal/runs/{other}/steps/install/complete"),
            Some(session),
            None,
        )
        .await
        .problem(404);
        w.call(
            "POST",
            &format!("/v1/portal/runs/{other}/steps/install/submission"),
            Some(session),
            Some(json!({"data": {"serial": "x"}})),
        )
        .await
        .problem(404);
    }
    let a_tasks = w.call("GET", "/v1/portal/tasks", Some(&a_session), None).await;
    assert!(a_tasks.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["run_id"] == json!(run_a)));
    // With tasks:complete: done, but not a step that is not theirs (the customer's).
    let b_path = format!("/v1/portal/runs/{run_b}/steps/install");
    w.call(
        "POST",
        &format!("{b_path}/due-date"),
        Some(&b_session),
        Some(json!({"due_at": "2001-01-01T00:00:00Z"})),
    )
    .await
    .problem(422);
    // The same in the HTML portal: the appointment form (the session travels as the cookie).
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(w.url(&format!("/portal/runs/{run_b}")))
        .header("cookie", format!("portal_session={b_session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("type=\"datetime-local\""), "{page}");
    assert!(
        page.contains("Europe&#x2f;Berlin"),
        "the form says which time zone it uses: {page}"
    );
    let set = browser
        .post(w.url(&format!("/portal/runs/{run_b}/steps/install/due-date")))
        .header("cookie", format!("portal_session={b_session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("due_at=2031-06-01T09%3A30")
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 303);
    let view = w
        .call("GET", &format!("/v1/portal/runs/{run_b}"), Some(&b_session), None)
        .await;
    // Entered in the utility's time zone (Europe/Berlin, summer time), stored in UTC with its time.
    assert_eq!(view.body["steps"][0]["due_at"], "2031-06-01T07:30:00Z");
    assert!(
        view.body["steps"][0]["due_date_text"]
            .as_str()
            .unwrap()
            .ends_with("1 June 2031, 09:30")
            || view.body["steps"][0]["due_date_text"]
                .as_str()
                .unwrap()
                .contains("09:30"),
        "{}",
        view.body
    );
    assert_eq!(
        w.call(
            "POST",
            &format!("{b_path}/submission"),
            Some(&b_session),
            Some(json!({"data": {"serial": "B"}}))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        w.call("POST", &format!("{b_path}/complete"), Some(&b_session), None)
            .await
            .status,
        200
    );
    w.call(
        "POST",
        &format!("/v1/portal/runs/{run_b}/steps/confirm/complete"),
        Some(&b_session),
        None,
    )
    .await
    .problem(403);
    // Granting tasks:complete takes effect at once.
    w.call(
        "PUT",
        &format!("/v1/partners/{a}/permissions"),
        Some(&staff),
        Some(json!({"permissions": ["tasks:complete"]})),
    )
    .await;
    assert_eq!(
        w.call("POST", &format!("{a_path}/complete"), Some(&a_session), None)
            .await
            .status,
        200
    );
    // Bad permission names, revoked invitations and assignments to unknown partners.
    w.call(
        "PUT",
        &format!("/v1/partners/{a}/permissions"),
        Some(&staff),
        Some(json!({"permissions": ["everything"]})),
    )
    .await
    .problem(422);
    let (c, c_office) = invite(&w, &format!("{tag}c"), json!([])).await;
    w.deliver().await;
    let c_token = link_token(w.inbox(&c_office).await.last().unwrap(), "/partners/invitations/");
    assert_eq!(
        w.call("DELETE", &format!("/v1/partners/{c}"), Some(&staff), None)
            .await
            .status,
        204
    );
    w.call("GET", &format!("/v1/partner-invitations/{c_token}"), None, None)
        .await
        .problem(410);
    let bad = w
        .call("POST", "/v1/processes", Some(&staff), Some(json!({"name": "X", "steps": [{"key": "a", "name": "A", "assignee": {"kind": "partner", "partner_id": c}}, {"key": "b", "name": "B", "assignee": {"kind": "partner", "partner_id": "nope"}}]})))
        .await;
    assert_eq!(
        bad.problem(422).error_fields(),
        ["steps[0].assignee.partner_id", "steps[1].assignee.partner_id"]
    );
    // Another tenant's staff cannot see or change the partner.
    let other = w.other_tenant_staff();
    w.call("GET", &format!("/v1/partners/{a}"), Some(&other), None)
        .await
        .problem(404);
    w.call("DELETE", &format!("/v1/partners/{a}"), Some(&other), None)
        .await
        .problem(404);
    // A retried invitation (same Idempotency-Key) creates one partner and sends one email.
    let body = json!({"name": "Idem AG", "email": format!("idem-{tag}@x.example")}).to_string();
    let first = w
        .raw(
            "POST",
            "/v1/partners",
            Some(&staff),
            &[("idempotency-key", "invite-1")],
            Some(body.clone()),
        )
        .await;
    let again = w
        .raw(
            "POST",
            "/v1/partners",
            Some(&staff),
            &[("idempotency-key", "invite-1")],
            Some(body),
        )
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["id"], again.body["id"]);
    w.deliver().await;
    assert_eq!(w.inbox(&format!("idem-{tag}@x.example")).await.len(), 1);
    // A portal access link is not an invitation.

    let ina_mails = w.inbox(&format!("ina-{tag}@a.example")).await;
    let portal_token = access_token(ina_mails.last().unwrap());
    w.call("GET", &format!("/v1/partner-invitations/{portal_token}"), None, None)
        .await
        .problem(404);
}

#[tokio::test]
async fn email_templates_and_language_fallback() {
    let w = Local::start().await;
    let admin = w.admin();
    let kind = "/v1/email-templates/step_activated_participant";
    // Only admins; unknown kinds and languages are 404.
    w.call("GET", "/v1/email-templates", Some(&w.staff("alice")), None)
        .await
        .problem(403);
    w.call(
        "PUT",
        "/v1/email-templates/no_such_kind/de",
        Some(&admin),
        Some(json!({"subject": "x", "text": "y"})),
    )
    .await
    .problem(404);
    w.call(
        "PUT",
        &format!("{kind}/es"),
        Some(&admin),
        Some(json!({"subject": "x", "text": "y"})),
    )
    .await
    .problem(404);
    // Syntax errors and unknown variables are 422s that name the problem.
    let syntax = w
        .call(
            "PUT",
            &format!("{kind}/it"),
            Some(&admin),
            Some(json!({"subject": "Ciao", "text": "{% if %}"})),
        )
        .await;
    assert_eq!(syntax.problem(422).error_fields(), ["text"]);
    assert!(syntax.body["detail"].as_str().unwrap().contains("syntax"));
    let unknown = w
        .call(
            "PUT",
            &format!("{kind}/it"),
            Some(&admin),
            Some(json!({"subject": "Ciao {{ customer_iban }}", "text": "ok"})),
        )
        .await;
    assert_eq!(unknown.problem(422).error_fields(), ["subject"]);
    assert!(unknown.body["detail"].as_str().unwrap().contains("customer_iban"));
    let fails = w
        .call(
            "PUT",
            &format!("{kind}/it"),
            Some(&admin),
            Some(json!({"subject": "{{ step_name | int }}", "text": "ok"})),
        )
        .await;
    assert_eq!(fails.problem(422).error_fields(), ["subject"]);
    let list = w.call("GET", "/v1/email-templates", Some(&admin), None).await;

    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["custom"] == json!(false)));
    assert_eq!(list.body["items"].as_array().unwrap().len() % 4, 0);

    // A valid override is listed, previewed and used; the tenant default language applies to
    // recipients without one.
    let put = w
        .call("PUT", &format!("{kind}/it"), Some(&admin), Some(json!({"subject": "ITALIANO {{ step_name }}", "text": "Ciao {{ recipient_name }}: {{ link }}", "html": "<p>{{ info_text }}</p>"})))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let preview = w
        .call(
            "POST",
            &format!("{kind}/it/preview"),
            Some(&admin),
            Some(json!({"variables": {"step_name": "<Montaggio>"}})),
        )
        .await;
    assert_eq!(preview.body["subject"], "ITALIANO <Montaggio>");
    w.call(
        "POST",
        &format!("{kind}/it/preview"),
        Some(&admin),
        Some(json!({"variables": {"nope": "x"}})),
    )
    .await
    .problem(422);
    let listed = w.call("GET", "/v1/email-templates", Some(&admin), None).await;
    let custom: Vec<&Value> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["custom"] == json!(true))
        .collect();
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0]["kind"], "step_activated_participant");
    assert_eq!(
        w.call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"name": "Acme Energie", "default_locale": "it"}))
        )
        .await
        .status,
        200
    );

    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let nolocale = format!("ivo-{tag}@installer.example");
    let run = w
        .call("POST", &format!("/v1/processes/{process}/runs"), Some(&w.staff("alice")), Some(json!({"participants": {
            "installer": {"name": "Ivo", "email": nolocale}, "customer": {"name": "C", "email": format!("c-{tag}@c.example"), "locale": "fr"}}, "test": true})))
        .await;
    assert_eq!(run.status, 201);
    assert_eq!(run.body["test"], true);
    w.deliver().await;
    let mail = &w
        .outbox(1)
        .await
        .into_iter()
        .find(|m| m["to"] == json!(nolocale))
        .unwrap();
    assert_eq!(
        mail["subject"], "[TEST] ITALIANO Install the meter",
        "tenant default language, test run marked"
    );

    // Revert: the default is back.
    assert_eq!(
        w.call("DELETE", &format!("{kind}/it"), Some(&admin), None).await.status,
        204
    );
    let back = w.call("GET", &format!("{kind}/it"), Some(&admin), None).await;
    assert_eq!(back.body["custom"], false);
    assert_ne!(back.body["subject"], "ITALIANO {{ step_name }}");

    // Who changed which template or setting, when: the configuration's history (admins).
    let history = w.call("GET", "/v1/settings/history", Some(&admin), None).await;
    assert_eq!(history.status, 200, "{}", history.body);
    let events: Vec<(String, Value)> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap().to_string(), e["data"].clone()))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        kinds,
        ["template_changed", "settings_changed", "template_changed"],
        "{events:?}"
    );
    assert_eq!(events[0].1["kind"], "step_activated_participant");
    assert_eq!(events[2].1["removed"], true);
    assert_eq!(history.body["events"][0]["actor"]["id"], "root");
    w.call("GET", "/v1/settings/history", Some(&w.staff("alice")), None)
        .await
        .problem(403);
}

#[tokio::test]
async fn duplicated_archived_and_test_processes() {
    let w = Local::start().await;
    let staff = w.staff("alice");
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let copy = w
        .call(
            "POST",
            &format!("/v1/processes/{process}/duplicate"),
            Some(&staff),
            Some(json!({"name": "Meter change (Ticino)"})),
        )
        .await;
    assert_eq!(copy.status, 201);
    assert_ne!(copy.field("id"), process);
    let original = w
        .call("GET", &format!("/v1/processes/{process}"), Some(&staff), None)
        .await
        .body;
    assert_eq!(copy.body["steps"], original["steps"]);
    // The copy is independent.
    let mut steps = copy.body["steps"].clone();
    steps[0]["name"] = json!("Changed in the copy");
    let copy_id = copy.field("id");
    let edited = w
        .raw(
            "PUT",
            &format!("/v1/processes/{copy_id}"),
            Some(&staff),
            &[("if-match", "1")],
            Some(json!({"name": "Copy", "steps": steps}).to_string()),
        )
        .await;
    assert_eq!(edited.status, 200);
    assert_eq!(
        w.call("GET", &format!("/v1/processes/{process}"), Some(&staff), None)
            .await
            .body["steps"][0]["name"],
        "Install the meter"
    );
    let copy_default = w
        .call(
            "POST",
            &format!("/v1/processes/{process}/duplicate"),
            Some(&staff),
            None,
        )
        .await;
    assert!(copy_default.field("name").ends_with("(copy)"));

    // A test run is marked and left out of the default list.
    let (run, _, _) = start(&w, &process, &tag).await;
    let test = w
        .call("POST", &format!("/v1/processes/{process}/runs"), Some(&staff), Some(json!({"test": true, "participants": {
            "installer": {"name": "T", "email": "t@test.example"}, "customer": {"name": "T", "email": "t2@test.example"}}})))
        .await;
    assert_eq!(test.body["test"], true);
    let default_list = w.call("GET", "/v1/runs", Some(&staff), None).await;
    let ids: Vec<&Value> = default_list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert!(ids.contains(&&run["id"]) && !ids.contains(&&test.body["id"]));
    let tests = w.call("GET", "/v1/runs?test=true", Some(&staff), None).await;
    assert_eq!(tests.body["items"][0]["id"], test.body["id"]);

    // Archiving: listed as archived, no new runs, running runs go on.
    assert_eq!(
        w.call("DELETE", &format!("/v1/processes/{process}"), Some(&staff), None)
            .await
            .status,
        204
    );
    assert_eq!(
        w.call("GET", &format!("/v1/processes/{process}"), Some(&staff), None)
            .await
            .body["status"],
        "archived"
    );
    w.call(
        "POST",
        &format!("/v1/processes/{process}/runs"),
        Some(&staff),
        Some(json!({"participants": {}})),
    )
    .await
    .problem(409);
    let run_id = run["id"].as_str().unwrap();
    let done = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/steps/install/complete"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["current_step"], "confirm");
}

/// The invitation page in a browser: who invites, the form, the session cookie, the portal.
#[tokio::test]
async fn invitation_page_in_a_browser() {
    let w = Local::start().await;
    let tag = unique();
    let (_, office) = invite(&w, &tag, json!(["tasks:complete"])).await;
    w.deliver().await;
    let token = link_token(w.inbox(&office).await.last().unwrap(), "/partners/invitations/");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = w.url(&format!("/partners/invitations/{token}"));
    let page = browser.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Vous êtes invité") && html.contains("name=\"organization_name\""),
        "{html}"
    );
    let form = "application/x-www-form-urlencoded";
    let invalid = browser
        .post(&url)
        .header("content-type", form)
        .body("organization_name=X&name=&email=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let ok = browser
        .post(&url)
        .header("content-type", form)
        .body(format!(
            "organization_name=Install+AG&name=Ina&email=ina-{tag}%40install.example"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/portal?welcome=1");
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // The welcome says the organisation is registered, and with whom, in the partner's language.
    let welcome = browser
        .get(w.url("/portal?welcome=1"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(welcome.status(), 200);
    let html = welcome.text().await.unwrap();
    assert!(
        html.contains("Bienvenue") && html.contains("Install AG") && html.contains("enregistrée"),
        "{html}"
    );
    let plain = browser
        .get(w.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(!plain.text().await.unwrap().contains("Bienvenue"));
    let used = browser
        .get(&url)
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 410);
    let page = used.text().await.unwrap();
    assert!(page.contains("used") && page.contains("lang=\"en\""), "{page}");
}

/// An expired invitation answers 410, and never blocks a new one.
#[tokio::test]
async fn expired_invitations_are_gone_but_can_be_resent() {
    use store::{Cond, Table, Write};
    let table = store_sqlite::EmbeddedTable::in_memory().unwrap();
    let staff = domain::events::Actor::staff("alice", None);
    let input: domain::partner::PartnerInput =
        serde_json::from_value(json!({"name": "Install AG", "email": "office@install.example"})).unwrap();
    let partner = app::repo::partners::create(&table, "acme", input, &staff, None, chrono::Utc::now())
        .await
        .unwrap();
    let token = "expired-invitation-token";
    let key = app::keys::token(&domain::ids::hash_token(token));
    let row = json!({"pk": key.pk, "sk": key.sk, "entity": "token", "token_kind": "invitation", "tenant_id": "acme",
        "partner_id": partner.id, "invitation_id": partner.invitation_id, "expires_at": "2020-01-01T00:00:00Z", "ttl": 1577836800});
    table
        .transact(vec![Write::put(row.as_object().unwrap().clone(), Cond::NotExists)])
        .await
        .unwrap();
    let gone = app::repo::partners::open_invitation(&table, token, chrono::Utc::now()).await;
    assert!(
        matches!(gone, Err(app::error::AppError::Domain(domain::DomainError::Gone(_)))),
        "{gone:?}"
    );
    let resent = app::repo::change(
        &table,
        "acme",
        &partner.id,
        &staff,
        chrono::Utc::now(),
        |p: &mut domain::partner::Partner, _| p.resend(domain::ids::new_id()),
    )
    .await
    .unwrap();
    assert_ne!(resent.invitation_id, partner.invitation_id);
    assert_eq!(resent.status, domain::partner::PartnerStatus::Invited);
}

/// Documents and partner permissions: upload needs documents:upload; a partner sees its own
/// steps' shared documents, every step's with runs:view_all_steps, never internal ones.
async fn partner_documents(w: &impl World) {
    use e2e_tests::documents::{send_file, PDF};
    let tag = unique();
    let staff = w.staff("alice");
    let (none, none_office) = invite(w, &format!("{tag}n"), json!(["tasks:complete"])).await;
    let none_session = accept(w, &none_office, &format!("nina-{tag}@n.example")).await;
    let (up, up_office) = invite(w, &format!("{tag}u"), json!(["documents:upload"])).await;
    let up_session = accept(w, &up_office, &format!("ugo-{tag}@u.example")).await;
    let (all, all_office) = invite(
        w,
        &format!("{tag}v"),
        json!(["documents:upload", "runs:view_all_steps"]),
    )
    .await;
    let all_session = accept(w, &all_office, &format!("vera-{tag}@v.example")).await;
    let run_none = run_for(w, &partner_process(w, &none, &format!("{tag}n")).await, &tag).await;
    let run_up = run_for(w, &partner_process(w, &up, &format!("{tag}u")).await, &tag).await;
    let run_all = run_for(w, &partner_process(w, &all, &format!("{tag}v")).await, &tag).await;
    w.deliver().await;
    let pdf = json!({"filename": "Rapport.pdf", "content_type": "application/pdf", "size": PDF.len()});

    // Without documents:upload: no upload.
    w.call(
        "POST",
        &format!("/v1/portal/runs/{run_none}/steps/install/uploads"),
        Some(&none_session),
        Some(pdf.clone()),
    )
    .await
    .problem(403);

    // Staff share a document on the customer's step and keep an internal one on the partner's.
    let staff_doc = |run: String, step: &'static str, visibility: &'static str| {
        let staff = staff.clone();
        async move {
            let t = w
                .call(
                    "POST",
                    &format!("/v1/runs/{run}/uploads"),
                    Some(&staff),
                    Some(json!({"filename": format!("{visibility}.pdf"), "content_type": "application/pdf", "size": PDF.len(), "step_key": step, "visibility": visibility})),
                )
                .await;
            assert_eq!(t.status, 201, "{}", t.body);
            assert_eq!(send_file(&t.body, "x.pdf", PDF).await, 204);
            w.call(
                "POST",
                &format!("/v1/runs/{run}/uploads/{}/confirm", t.field("upload_id")),
                Some(&staff),
                None,
            )
            .await
            .field("id")
        }
    };
    for (run, session) in [(&run_up, &up_session), (&run_all, &all_session)] {
        let t = w
            .call(
                "POST",
                &format!("/v1/portal/runs/{run}/steps/install/uploads"),
                Some(session),
                Some(pdf.clone()),
            )
            .await;
        assert_eq!(t.status, 201, "{}", t.body);
        assert_eq!(send_file(&t.body, "Rapport.pdf", PDF).await, 204);
        let own = w
            .call(
                "POST",
                &format!("/v1/portal/runs/{run}/uploads/{}/confirm", t.field("upload_id")),
                Some(session),
                None,
            )
            .await;
        assert_eq!(own.status, 201, "{}", own.body);
        let shared = staff_doc(run.clone(), "confirm", "shared").await;
        let internal = staff_doc(run.clone(), "install", "internal").await;
        let get = |doc: String| {
            let session = session.clone();
            let run = run.clone();
            async move {
                w.raw(
                    "GET",
                    &format!("/v1/portal/runs/{run}/documents/{doc}/download"),
                    Some(&session),
                    &[],
                    None,
                )
                .await
                .status
            }
        };
        assert_eq!(get(own.field("id")).await, 303, "its own upload");
        assert_eq!(get(internal).await, 404, "never an internal one");
        let expected = if session == &all_session { 303 } else { 404 };
        assert_eq!(get(shared).await, expected, "the customer's step's shared document");
    }
    // Another partner's documents are nobody else's business.
    w.raw(
        "GET",
        &format!("/v1/portal/runs/{run_up}/documents/x/download"),
        Some(&all_session),
        &[],
        None,
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn partner_documents_on_local_server() {
    partner_documents(&Local::start().await).await;
}

#[tokio::test]
async fn partner_documents_on_the_aws_path() {
    partner_documents(&AwsWorld::new().await).await;
}

/// A partner with the daily digest: its user gets one email each morning listing its open
/// tasks instead of a reminder per step, one after an outage however many mornings were
/// missed, none without tasks; turned off, the per-step reminders come back.
async fn partner_digest(w: &impl World) {
    let tag = unique();
    let staff = w.staff("alice");
    let (partner, office) = invite(w, &tag, json!(["tasks:complete"])).await;
    let ina = format!("ina-{tag}@install.example");
    accept(w, &office, &ina).await;
    let on = w
        .call(
            "PUT",
            &format!("/v1/partners/{partner}/digest"),
            Some(&staff),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["digest"], true);
    w.call(
        "PUT",
        &format!("/v1/partners/{partner}/digest"),
        Some(&staff),
        Some(json!({"enabled": "yes"})),
    )
    .await
    .problem(422);
    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": format!("PV digest {tag}"), "steps": [
            {"key": "install", "name": "Install the PV system", "assignee": {"kind": "partner", "partner_id": partner},
             "due_in_days": 3, "reminders": {"before_due_days": 1, "overdue_every_days": 1, "overdue_max": 3}},
            {"key": "confirm", "name": "Confirm", "assignee": {"kind": "customer"}}]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    let process = process.field("id");
    run_for(w, &process, &tag).await;
    w.deliver().await;
    let digests = |mails: &[e2e_tests::scenario::Mail]| {
        mails
            .iter()
            .filter(|m| m.subject.starts_with("Vos tâches en attente"))
            .count()
    };
    let reminders = |mails: &[e2e_tests::scenario::Mail]| {
        mails
            .iter()
            .filter(|m| m.subject.starts_with("Rappel") || m.subject.starts_with("En retard"))
            .count()
    };
    let before = w.inbox(&ina).await;
    assert_eq!(digests(&before), 0);

    // The next morning: one digest listing the task and its run.
    w.advance_hours(24).await;
    w.advance_hours(0).await;
    let mails = w.inbox(&ina).await;
    assert_eq!(digests(&mails), 1, "{mails:?}");
    let digest = mails
        .iter()
        .rev()
        .find(|m| m.subject.starts_with("Vos tâches"))
        .unwrap();
    assert!(digest.subject.ends_with(": 1"), "{}", digest.subject);
    assert!(digest.body.contains("Install the PV system"), "{}", digest.body);
    assert!(digest.body.contains("PV Rossi"), "{}", digest.body);

    // Five days later (the sweeper was down, the step is overdue by now): one digest, not
    // five, and no reminder per step.
    w.advance_hours(5 * 24).await;
    let mails = w.inbox(&ina).await;
    assert_eq!(digests(&mails), 2, "one after the outage");
    assert_eq!(reminders(&mails), 0, "the digest replaces per-step reminders");
    let digest = mails
        .iter()
        .rev()
        .find(|m| m.subject.starts_with("Vos tâches"))
        .unwrap();
    assert!(digest.body.contains("en retard"), "the overdue count: {}", digest.body);

    // Turned off: no more digests; the overdue reminders come again.
    let off = w
        .call(
            "PUT",
            &format!("/v1/partners/{partner}/digest"),
            Some(&staff),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body["digest"], false);
    w.advance_hours(24).await;
    let mails = w.inbox(&ina).await;
    assert_eq!(digests(&mails), 2);
    assert!(reminders(&mails) >= 1, "per-step reminders again: {mails:?}");
}

#[tokio::test]
async fn partner_digest_on_local_server() {
    partner_digest(&Local::start().await).await;
}

#[tokio::test]
async fn partner_digest_on_the_aws_path() {
    partner_digest(&AwsWorld::new().await).await;
}
