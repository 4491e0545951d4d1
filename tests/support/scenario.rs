//! The core-loop scenario, written once against [`World`] and run on both hosts: HTTP
//! against local-server (embedded store, file outbox) and API Gateway events against the
//! area routers on DynamoDB (DynamoDB Local), with relay -> SQS -> sender -> SES.

use serde_json::{json, Value};

use super::Client;

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    /// The text part (local) or the HTML part (moto keeps only the HTML one).
    pub body: String,
}

#[async_trait::async_trait]
pub trait World: Client {
    /// Lets the event path run until every event written so far is handled.
    async fn deliver(&self);
    /// Lets the bounce and complaint reports of the emails sent so far arrive (SES's mailbox
    /// simulator addresses report), then delivers what they caused.
    async fn feedback(&self);
    /// Every email sent so far to `to`, oldest first.
    async fn inbox(&self, to: &str) -> Vec<Mail>;
    /// A bearer for a staff user of the scenario's tenant.
    fn staff(&self, sub: &str) -> String;
    /// A bearer for a staff user of another tenant.
    fn other_tenant_staff(&self) -> String;
    /// A bearer for an admin of the scenario's tenant.
    fn admin(&self) -> String;
    /// The email address a staff user's token carries.
    fn staff_email(&self, sub: &str) -> String;
    /// What a malware scan writes on a document's file: its result tag.
    async fn scan(&self, run_id: &str, doc_id: &str, result: &str);
    /// Moves the world's clock forward, lets the sweeper tick, and delivers what it caused.
    async fn advance_hours(&self, hours: u32);
}

/// The token in an email's link after `prefix` (`/portal/access/`, `/partners/invitations/`).
pub fn link_token(mail: &Mail, prefix: &str) -> String {
    let body = mail.body.replace("&#x2f;", "/");
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {}", mail.body))
        + prefix.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The portal access token in an email's link.
pub fn access_token(mail: &Mail) -> String {
    link_token(mail, "/portal/access/")
}

pub struct Ids {
    pub journey: String,
    pub process: String,
    pub run: String,
    pub installer: String,
    pub customer: String,
    pub owner: String,
}

/// Creates the journey and the meter-change process (installer -> customer -> staff).
pub async fn define(w: &impl World, tag: &str) -> (String, String) {
    let staff = w.staff("alice");
    let journey = w
        .call(
            "POST",
            "/v1/journeys",
            Some(&staff),
            Some(json!({"name": "Installation report", "fields": [
                {"key": "meter_number", "label": {"de": "Zählernummer", "fr": "Numéro de compteur"}, "type": "text", "required": true},
                {"key": "reading", "label": {"de": "Zählerstand"}, "type": "number", "required": true},
                {"key": "installed_on", "label": {"de": "Datum"}, "type": "date", "required": false},
            ]})),
        )
        .await;
    assert_eq!(journey.status, 201, "{}", journey.body);
    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": format!("Meter change {tag}"), "steps": [
                {"key": "install", "name": "Install the meter", "assignee": {"kind": "installer"},
                 "info_texts": {"installer": {"fr": "Installez le compteur au sous-sol.", "de": "Bitte Zähler im Keller montieren."}},
                 "journey_id": journey.field("id"), "due_in_days": 5,
                 "owner": {"user_id": "bob", "email": format!("bob-{tag}@utility.example")}},
                {"key": "confirm", "name": "Confirm the change", "assignee": {"kind": "customer"},
                 "info_texts": {"customer": {"it": "Confermi il cambio del contatore.", "de": "Bitte bestätigen Sie."}},
                 "owner": {"user_id": "bob", "email": format!("bob-{tag}@utility.example")}},
                {"key": "review", "name": "Review", "assignee": {"kind": "staff", "user_id": "carla", "email": format!("carla-{tag}@utility.example")}},
            ]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    assert_eq!(process.body["version"], json!(1));
    (journey.field("id"), process.field("id"))
}

/// Starts a run for an installer (French) and a customer (Italian).
pub async fn start(w: &impl World, process: &str, tag: &str) -> (Value, String, String) {
    let installer = format!("ivo-{tag}@installer.example");
    let customer = format!("chiara-{tag}@customer.example");
    let run = w
        .raw(
            "POST",
            &format!("/v1/processes/{process}/runs"),
            Some(&w.staff("alice")),
            &[("idempotency-key", &format!("start-{tag}"))],
            Some(
                json!({"context": {"title": "Meter 4711", "opportunity_id": "opp-1"}, "participants": {
                "installer": {"name": "Ivo", "email": installer, "locale": "fr"},
                "customer": {"name": "Chiara", "email": customer, "locale": "it"}}})
                .to_string(),
            ),
        )
        .await;
    assert_eq!(run.status, 201, "{}", run.body);
    (run.body, installer, customer)
}

/// Opens a portal session from the newest email to `to`.
pub async fn portal_session(w: &impl World, to: &str) -> String {
    let inbox = w.inbox(to).await;
    let mail = inbox.last().unwrap_or_else(|| panic!("no email to {to}"));
    let token = access_token(mail);
    // The link's page must not use the token up (mail scanners fetch it).
    let page = w.raw("GET", &format!("/portal/access/{token}"), None, &[], None).await;
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    let session = w
        .call("POST", "/v1/portal/sessions", None, Some(json!({"token": token})))
        .await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert!(session.body["participant"]["name"].is_string());
    session.field("session_token")
}

/// The whole core loop; returns the ids for further checks.
pub async fn core_loop(w: &impl World, tag: &str) -> Ids {
    let (journey, process) = define(w, tag).await;
    let (run, installer, customer) = start(w, &process, tag).await;
    let run_id = run["id"].as_str().unwrap().to_string();
    let owner = format!("bob-{tag}@utility.example");
    assert_eq!(run["status"], "running");
    assert_eq!(run["current_step"], "install");
    assert!(
        run["steps"][0]["due_at"].is_string(),
        "the first step gets its due date"
    );
    assert_eq!(run["steps"][1]["status"], "pending");

    // A retried start with the same idempotency key returns the same run.
    let (again, _, _) = start(w, &process, tag).await;
    assert_eq!(again["id"], run["id"]);

    // Editing the definition later does not change the run (it is a snapshot).
    let mut edited = w
        .call(
            "GET",
            &format!("/v1/processes/{process}"),
            Some(&w.staff("alice")),
            None,
        )
        .await
        .body;
    edited["steps"][0]["name"] = json!("Renamed step");
    let body = json!({"name": edited["name"], "steps": edited["steps"]}).to_string();
    let put = w
        .raw(
            "PUT",
            &format!("/v1/processes/{process}"),
            Some(&w.staff("alice")),
            &[("if-match", "1")],
            Some(body),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["version"], json!(2));
    let same = w
        .call("GET", &format!("/v1/runs/{run_id}"), Some(&w.staff("alice")), None)
        .await;
    assert_eq!(same.body["steps"][0]["name"], "Install the meter");

    // The installer is emailed in French with a portal link.
    w.deliver().await;
    let mails = w.inbox(&installer).await;
    assert_eq!(mails.len(), 1, "one email to the installer");
    assert!(
        mails[0].body.contains("Installez le compteur"),
        "French info text: {}",
        mails[0].body
    );
    assert!(
        w.inbox(&customer).await.is_empty(),
        "the customer's step is not active yet"
    );
    let session = portal_session(w, &installer).await;

    // Their task, in French, with the journey; where the run stands.
    let tasks = w.call("GET", "/v1/portal/tasks", Some(&session), None).await;
    assert_eq!(tasks.status, 200);
    let task = &tasks.body["tasks"][0];
    assert_eq!(task["step_key"], "install");
    assert_eq!(task["info_text"], "Installez le compteur au sous-sol.");
    assert_eq!(task["journey"]["fields"][0]["label"], "Numéro de compteur");
    assert!(task["due_at"].is_string());
    let view = w
        .call("GET", &format!("/v1/portal/runs/{run_id}"), Some(&session), None)
        .await;
    assert_eq!(view.status, 200);
    assert_eq!(view.body["current_step"], "install");
    assert_eq!(view.body["title"], "Meter 4711");
    let mine: Vec<bool> = view.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mine"].as_bool().unwrap())
        .collect();
    assert_eq!(mine, [true, false, false]);

    // The journey is validated field by field, then the step is done.
    let path = format!("/v1/portal/runs/{run_id}/steps/install");
    let bad = w
        .call(
            "POST",
            &format!("{path}/submission"),
            Some(&session),
            Some(json!({"data": {"reading": "lots"}})),
        )
        .await;
    bad.problem(422);
    assert_eq!(bad.error_fields(), ["data.meter_number", "data.reading"]);
    let early = w.call("POST", &format!("{path}/complete"), Some(&session), None).await;
    early.problem(422);
    let ok = w
        .call(
            "POST",
            &format!("{path}/submission"),
            Some(&session),
            Some(json!({"data": {"meter_number": "M-4711", "reading": 1234.5}})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let done = w.call("POST", &format!("{path}/complete"), Some(&session), None).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["current_step"], "confirm");
    let again = w.call("POST", &format!("{path}/complete"), Some(&session), None).await;
    again.problem(409);

    // The owner is told; the customer is emailed in Italian.
    w.deliver().await;
    let owner_mail = w.inbox(&owner).await;
    assert_eq!(owner_mail.len(), 1, "the owner is told once");
    assert!(owner_mail[0].body.contains("Install the meter"));
    let customer_mail = w.inbox(&customer).await;
    assert_eq!(customer_mail.len(), 1);
    assert!(
        customer_mail[0].body.contains("Confermi il cambio"),
        "{}",
        customer_mail[0].body
    );
    let customer_session = portal_session(w, &customer).await;
    // The installer cannot act on the customer's step.
    let not_theirs = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{run_id}/steps/confirm/complete"),
            Some(&session),
            None,
        )
        .await;
    not_theirs.problem(403);
    let done = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{run_id}/steps/confirm/complete"),
            Some(&customer_session),
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    // The staff step: the assignee gets a link to the run, staff complete it, the run ends.
    w.deliver().await;
    let carla = w.inbox(&format!("carla-{tag}@utility.example")).await;
    assert_eq!(carla.len(), 1);
    assert!(carla[0]
        .body
        .replace("&#x2f;", "/")
        .contains(&format!("/runs/{run_id}")));
    let staff = w.staff("carla");
    let finished = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/steps/review/complete"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(finished.status, 200, "{}", finished.body);
    assert_eq!(finished.body["status"], "completed");
    assert_eq!(finished.body["current_step"], Value::Null);
    assert_eq!(finished.body["steps"][2]["completed_by"]["id"], "carla");
    let after = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/cancel"),
            Some(&staff),
            Some(json!({"reason": "too late"})),
        )
        .await;
    after.problem(409);

    // The creator hears that the run is complete; nothing is sent twice.
    w.deliver().await;
    w.deliver().await;
    let alice = w.inbox(&w.staff_email("alice")).await;
    assert_eq!(alice.len(), 4, "the creator: three steps done and the run completed");
    assert_eq!(w.inbox(&installer).await.len(), 1);
    assert_eq!(
        w.inbox(&owner).await.len(),
        2,
        "owner: installer's and customer's steps done"
    );

    // History: who did what, when, in order.
    let history = w
        .call("GET", &format!("/v1/runs/{run_id}/history"), Some(&staff), None)
        .await;
    assert_eq!(history.status, 200);
    let events = history.body["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "run_started",
            "step_activated",
            "step_submitted",
            "step_completed",
            "step_activated",
            "step_completed",
            "step_activated",
            "step_completed",
            "run_completed"
        ]
    );
    assert!(events
        .iter()
        .all(|e| e["at"].is_string() && e["actor"]["kind"].is_string()));
    assert_eq!(events[2]["actor"]["kind"], "installer");
    assert_eq!(events[7]["actor"]["id"], "carla");

    // Lists: by status, by process, newest first.
    let completed = w.call("GET", "/v1/runs?status=completed", Some(&staff), None).await;
    assert!(completed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == json!(run_id)));
    let running = w
        .call(
            "GET",
            &format!("/v1/runs?process_id={process}&status=running"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(running.body["items"].as_array().unwrap().len(), 0);
    let by_process = w
        .call(
            "GET",
            &format!("/v1/runs?process_id={process}&limit=5"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(by_process.status, 200, "{}", by_process.body);
    assert_eq!(by_process.body["items"][0]["id"], json!(run_id));

    Ids {
        journey,
        process,
        run: run_id,
        installer,
        customer,
        owner,
    }
}

/// Staff cancel a run with a reason: the steps not done are skipped, the creator is told, the
/// participant's portal shows it, and nothing changes it afterwards.
pub async fn cancel_flow(w: &impl World, tag: &str) {
    let (_, process) = define(w, tag).await;
    let (run, installer, _) = start(w, &process, tag).await;
    let run_id = run["id"].as_str().unwrap();
    w.deliver().await;
    let session = portal_session(w, &installer).await;
    let staff = w.staff("alice");
    let cancelled = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/cancel"),
            Some(&staff),
            Some(json!({"reason": "Customer moved out"})),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["current_step"], Value::Null);
    assert_eq!(cancelled.body["cancel_reason"], "Customer moved out");
    assert!(cancelled.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "skipped"));
    w.deliver().await;
    let told = w.inbox(&w.staff_email("alice")).await;
    assert_eq!(told.len(), 1, "the creator hears of the cancellation");
    assert!(told[0].body.contains("Customer moved out"));
    let view = w
        .call("GET", &format!("/v1/portal/runs/{run_id}"), Some(&session), None)
        .await;
    assert_eq!(view.body["status"], "cancelled");
    w.call(
        "POST",
        &format!("/v1/portal/runs/{run_id}/steps/install/complete"),
        Some(&session),
        None,
    )
    .await
    .problem(409);
    w.call(
        "POST",
        &format!("/v1/runs/{run_id}/steps/install/complete"),
        Some(&staff),
        None,
    )
    .await
    .problem(409);
    let history = w
        .call("GET", &format!("/v1/runs/{run_id}/history"), Some(&staff), None)
        .await;
    let last = history.body["events"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["data"]["reason"].as_str()),
        (Some("run_cancelled"), Some("Customer moved out"))
    );
    let listed = w
        .call(
            "GET",
            &format!("/v1/runs?process_id={process}&status=cancelled"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(listed.body["items"][0]["id"], json!(run_id));
}

/// Texts per language: a German-default utility defines a journey and a process with French
/// and German texts and a plain string; the definition lists what each language lacks, the
/// start warns about the Italian customer, and each participant reads their own language.
pub async fn texts_per_language(w: &impl World, tag: &str) {
    let admin = w.admin();
    let put = w
        .call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"default_locale": "de"})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let staff = w.staff("alice");
    let journey = w
        .call(
            "POST",
            "/v1/journeys",
            Some(&staff),
            Some(json!({"name": {"de": "Zählerdaten", "fr": "Données du compteur"}, "fields": [
                {"key": "tariff", "label": {"de": "Tarif", "fr": "Tarif"}, "type": "select", "required": true,
                 "options": ["Einfachtarif", {"value": "double", "label": {"de": "Doppeltarif", "fr": "Double tarif"}}]},
            ]})),
        )
        .await;
    assert_eq!(journey.status, 201, "{}", journey.body);
    let bad = w
        .call(
            "POST",
            "/v1/journeys",
            Some(&staff),
            Some(json!({"name": {"de": " "}, "fields": [
                {"key": "t", "label": "Tarif", "type": "select", "options": ["a", {"value": "a", "label": {"fr": ""}}]}]})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"name.de") && fields.contains(&"fields[0].options[1]"),
        "{fields:?}"
    );
    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": {"de": format!("Zählerwechsel {tag}"), "fr": format!("Changement de compteur {tag}")}, "steps": [
                {"key": "install", "name": {"de": "Zähler montieren", "fr": "Installer le compteur"},
                 "assignee": {"kind": "installer"}, "journey_id": journey.field("id")},
                {"key": "confirm", "name": "Wechsel bestätigen", "assignee": {"kind": "customer"}},
            ]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    assert_eq!(
        process.body["steps"][1]["name"], "Wechsel bestätigen",
        "a plain string stays as sent"
    );
    let pid = process.field("id");
    let got = w.call("GET", &format!("/v1/processes/{pid}"), Some(&staff), None).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let missing = &got.body["missing_translations"];
    let jid = journey.field("id");
    assert_eq!(
        missing["fr"],
        json!(["steps[1].name", format!("journeys.{jid}.fields[0].options[0]")])
    );
    assert!(missing.get("de").is_none(), "German is the default: {missing}");
    let it = missing["it"].as_array().unwrap();
    assert!(
        it.contains(&json!("name")) && it.contains(&json!(format!("journeys.{jid}.fields[0].options[1]"))),
        "{it:?}"
    );
    let run = w
        .call(
            "POST",
            &format!("/v1/processes/{pid}/runs"),
            Some(&staff),
            Some(json!({"participants": {
                "installer": {"name": "Inès", "email": format!("ines-{tag}@installer.example"), "locale": "fr"},
                "customer": {"name": "Chiara", "email": format!("chiara-{tag}@customer.example"), "locale": "it"}}})),
        )
        .await;
    assert_eq!(run.status, 201, "{}", run.body);
    let warnings = run.body["warnings"].as_array().unwrap();
    let roles: Vec<(&str, &str)> = warnings
        .iter()
        .map(|w| (w["participant"].as_str().unwrap(), w["lang"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("customer", "it"), ("installer", "fr")], "{warnings:?}");
    assert_eq!(warnings[0]["texts"], json!(["name", "steps[0].name", "steps[1].name"]));
    assert_eq!(
        warnings[1]["texts"],
        json!(["steps[0].journey.fields[0].options[0]", "steps[1].name"])
    );
    assert_eq!(warnings[1]["code"], "missing_translation");
    w.deliver().await;
    let installer = format!("ines-{tag}@installer.example");
    let mail = w.inbox(&installer).await.remove(0);
    assert!(
        mail.subject.contains("Installer le compteur") || mail.body.contains("Installer le compteur"),
        "{}",
        mail.body
    );
    assert!(
        mail.body.contains(&format!("Changement de compteur {tag}")),
        "{}",
        mail.body
    );
    let session = portal_session(w, &installer).await;
    let tasks = w.call("GET", "/v1/portal/tasks", Some(&session), None).await;
    assert_eq!(tasks.status, 200, "{}", tasks.body);
    let task = &tasks.body["tasks"][0];
    assert_eq!(task["name"], "Installer le compteur");
    assert_eq!(task["process_name"], format!("Changement de compteur {tag}"));
    assert_eq!(task["journey"]["name"], "Données du compteur");
    let field = &task["journey"]["fields"][0];
    assert_eq!(
        field["options"],
        json!(["Einfachtarif", "double"]),
        "answers hold the values"
    );
    assert_eq!(field["choices"][1], json!({"value": "double", "label": "Double tarif"}));
    let run_id = run.field("id");
    let view = w
        .call("GET", &format!("/v1/portal/runs/{run_id}"), Some(&session), None)
        .await;
    assert_eq!(view.body["steps"][0]["name"], "Installer le compteur");
    let wrong = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{run_id}/steps/install/submission"),
            Some(&session),
            Some(json!({"data": {"tariff": "Double tarif"}})),
        )
        .await;
    assert_eq!(wrong.status, 422, "a label is not a value: {}", wrong.body);
    let right = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{run_id}/steps/install/submission"),
            Some(&session),
            Some(json!({"data": {"tariff": "double"}})),
        )
        .await;
    assert!(right.status < 300, "{}", right.body);
}

/// Staff move an active step's due date, with a reason; the history keeps it.
pub async fn staff_move_due_dates(w: &impl World, tag: &str) {
    let (_, process) = define(w, tag).await;
    let (run, _, _) = start(w, &process, tag).await;
    let run_id = run["id"].as_str().unwrap().to_string();
    let staff = w.staff("alice");
    let current = run["current_step"].as_str().unwrap().to_string();
    let path = format!("/v1/runs/{run_id}/steps/{current}/due-date");
    let moved = w
        .call(
            "PUT",
            &path,
            Some(&staff),
            Some(json!({"due_at": "2031-03-04T16:00:00Z", "reason": "Der Installateur ist krank"})),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let step = moved.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == current.as_str())
        .unwrap()
        .clone();
    assert_eq!(step["due_at"], "2031-03-04T16:00:00Z");
    let no_reason = w
        .call(
            "PUT",
            &path,
            Some(&staff),
            Some(json!({"due_at": "2031-03-04T16:00:00Z", "reason": " "})),
        )
        .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    let past = w
        .call(
            "PUT",
            &path,
            Some(&staff),
            Some(json!({"due_at": "2020-01-01T00:00:00Z", "reason": "x"})),
        )
        .await;
    assert_eq!(past.status, 422, "{}", past.body);
    let pending = w
        .call(
            "PUT",
            &format!("/v1/runs/{run_id}/steps/confirm/due-date"),
            Some(&staff),
            Some(json!({"due_at": "2031-03-04T16:00:00Z", "reason": "x"})),
        )
        .await;
    assert_eq!(pending.status, 409, "not active yet: {}", pending.body);
    let history = w
        .call("GET", &format!("/v1/runs/{run_id}/history"), Some(&staff), None)
        .await;
    let event = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "step_due_date_moved")
        .cloned()
        .expect("the move is in the history");
    assert_eq!(event["data"]["reason"], "Der Installateur ist krank");
    assert_eq!(event["actor"]["id"], "alice");
}

/// Invites a partner (French, `permissions`); returns its id and office address.
pub async fn invite(w: &impl World, tag: &str, permissions: Value) -> (String, String) {
    let office = format!("office-{tag}@install.example");
    let created = w
        .call(
            "POST",
            "/v1/partners",
            Some(&w.staff("alice")),
            Some(json!({"name": "Install AG", "email": office, "locale": "fr", "permissions": permissions})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["status"], "invited");
    (created.field("id"), office)
}

/// Accepts the newest invitation to `office`; returns the first user's session.
pub async fn accept(w: &impl World, office: &str, user_email: &str) -> String {
    w.deliver().await;
    let token = link_token(w.inbox(office).await.last().unwrap(), "/partners/invitations/");
    let accepted = w
        .call("POST", &format!("/v1/partner-invitations/{token}/accept"), None, Some(json!({"organization_name": "Install AG Lausanne", "user": {"name": "Ina", "email": user_email, "locale": "fr"}})))
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "active");
    accepted.field("session_token")
}
