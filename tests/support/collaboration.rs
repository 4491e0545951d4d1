//! Working together on a run, written once against [`World`] and run on both hosts: staff
//! send a step back, reassign steps and owners, replace a participant, and teams claim steps.

use serde_json::{json, Value};

use super::scenario::{define, portal_session, start, World};

fn run_id(run: &Value) -> String {
    run["id"].as_str().unwrap().to_string()
}

fn step<'a>(run: &'a Value, key: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no step {key} in {run}"))
}

/// Staff send the installer's completed step back with a reason and a field; the installer
/// is emailed, the portal shows why and which field, the answers stay; the resubmission
/// completes it and the run goes on.
pub async fn request_changes(w: &impl World, tag: &str) {
    let staff = w.staff("alice");
    let (_, process) = define(w, tag).await;
    let (run, installer, customer) = start(w, &process, tag).await;
    let id = run_id(&run);
    w.deliver().await;
    let session = portal_session(w, &installer).await;
    let path = format!("/v1/portal/runs/{id}/steps/install");
    let answers = json!({"data": {"meter_number": "M-4711", "reading": 1234.5}});
    let ok = w
        .call("POST", &format!("{path}/submission"), Some(&session), Some(answers))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Nothing to send back before the submission on another run: 409.
    let (fresh, _, _) = start(w, &process, &format!("{tag}f")).await;
    let early = w
        .call(
            "POST",
            &format!("/v1/runs/{}/steps/install/request-changes", run_id(&fresh)),
            Some(&staff),
            Some(json!({"reason": "check"})),
        )
        .await;
    early.problem(409);
    let done = w.call("POST", &format!("{path}/complete"), Some(&session), None).await;
    assert_eq!(done.status, 200, "{}", done.body);
    w.deliver().await;
    assert_eq!(w.inbox(&customer).await.len(), 1, "the customer's step began");

    let ask = format!("/v1/runs/{id}/steps/install/request-changes");
    let blank = w.call("POST", &ask, Some(&staff), Some(json!({"reason": "  "}))).await;
    blank.problem(422);
    assert_eq!(blank.error_fields(), ["reason"]);
    let unknown = w
        .call(
            "POST",
            &ask,
            Some(&staff),
            Some(json!({"reason": "x", "fields": ["colour"]})),
        )
        .await;
    unknown.problem(422);
    let reason = "Der Zählerstand ist unleserlich <bitte neu>";
    let back = w
        .call(
            "POST",
            &ask,
            Some(&staff),
            Some(json!({"reason": reason, "fields": ["reading"]})),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.body["current_step"], "install");
    assert_eq!(step(&back.body, "install")["changes_requested"]["reason"], reason);
    assert_eq!(step(&back.body, "confirm")["status"], "pending");

    // The installer is told why, in French, with a link to the step.
    w.deliver().await;
    let mails = w.inbox(&installer).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let mail = mails.last().unwrap();
    assert!(mail.subject.starts_with("Modifications demandées"), "{}", mail.subject);
    assert!(mail.body.contains("unleserlich"), "the reason: {}", mail.body);
    assert!(mail.body.replace("&#x2f;", "/").contains("/portal/access/"));
    // The portal shows the reason, the field, and the answers as they were.
    let view = w
        .call("GET", &format!("/v1/portal/runs/{id}"), Some(&session), None)
        .await;
    let own = step(&view.body, "install");
    assert_eq!(own["status"], "active");
    assert_eq!(own["changes_requested"]["fields"], json!(["reading"]));
    assert_eq!(own["submission"]["meter_number"], "M-4711");
    let tasks = w.call("GET", "/v1/portal/tasks", Some(&session), None).await;
    assert_eq!(tasks.body["tasks"][0]["changes_requested"], true, "{}", tasks.body);
    let page = w
        .raw("GET", &format!("/portal/runs/{id}"), Some(&session), &[], None)
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("unleserlich &lt;bitte neu&gt;"), "{}", page.text);
    assert!(page.text.contains(r#"class="flagged""#), "the field is marked");
    assert!(page.text.contains(r#"value="M-4711""#), "the answers stay filled in");

    // Resubmitted and done: the request is gone, the customer's step begins again.
    let fixed = json!({"data": {"meter_number": "M-4711", "reading": 1250}});
    let ok = w
        .call("POST", &format!("{path}/submission"), Some(&session), Some(fixed))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let done = w.call("POST", &format!("{path}/complete"), Some(&session), None).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let run = w.call("GET", &format!("/v1/runs/{id}"), Some(&staff), None).await;
    assert!(step(&run.body, "install")["changes_requested"].is_null());
    assert_eq!(run.body["current_step"], "confirm");
    let history = w
        .call("GET", &format!("/v1/runs/{id}/history"), Some(&staff), None)
        .await;
    let types: Vec<&str> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(types.contains(&"step_changes_requested"), "{types:?}");

    // A finished run: 409.
    let cancel = w
        .call(
            "POST",
            &format!("/v1/runs/{id}/cancel"),
            Some(&staff),
            Some(json!({"reason": "moved"})),
        )
        .await;
    assert_eq!(cancel.status, 200);
    w.call("POST", &ask, Some(&staff), Some(json!({"reason": "late"})))
        .await
        .problem(409);
}

/// Reassigning: a pending step's new assignee hears of it when it begins; a replaced
/// installer loses access at once and the new one is emailed; an active step given to a
/// staff member emails them and ends the installer's access; a new owner is emailed; done
/// steps keep their assignment.
pub async fn reassignment(w: &impl World, tag: &str) {
    let staff = w.staff("alice");
    let (_, process) = define(w, tag).await;
    let (run, installer, _) = start(w, &process, tag).await;
    let id = run_id(&run);
    w.deliver().await;
    let old_session = portal_session(w, &installer).await;
    let dan = w.staff_email("dan");
    let to_dan = json!({"kind": "staff", "user_id": "dan", "email": dan, "name": "Dan"});
    let pending = w
        .call(
            "PUT",
            &format!("/v1/runs/{id}/steps/review/assignee"),
            Some(&staff),
            Some(to_dan.clone()),
        )
        .await;
    assert_eq!(pending.status, 200, "{}", pending.body);
    assert_eq!(step(&pending.body, "review")["assignee"]["user_id"], "dan");
    let same = w
        .call(
            "PUT",
            &format!("/v1/runs/{id}/steps/review/assignee"),
            Some(&staff),
            Some(to_dan),
        )
        .await;
    same.problem(409);
    let unknown_team = w
        .call(
            "PUT",
            &format!("/v1/runs/{id}/steps/review/assignee"),
            Some(&staff),
            Some(json!({"kind": "team", "team_id": "nope"})),
        )
        .await;
    unknown_team.problem(422);

    // A new installer: the old one's access ends at once, the new one is emailed.
    let new_installer = format!("nina-{tag}@installer.example");
    let replaced = w
        .call(
            "PUT",
            &format!("/v1/runs/{id}/participants/installer"),
            Some(&staff),
            Some(json!({"name": "Nina", "email": new_installer, "locale": "de"})),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let gone = w
        .call("GET", &format!("/v1/portal/runs/{id}"), Some(&old_session), None)
        .await;
    gone.problem(404);
    let tasks = w.call("GET", "/v1/portal/tasks", Some(&old_session), None).await;
    assert_eq!(tasks.body["tasks"], json!([]), "{}", tasks.body);
    w.deliver().await;
    assert_eq!(w.inbox(&new_installer).await.len(), 1, "the new installer is told");
    let new_session = portal_session(w, &new_installer).await;

    // The active step goes to a staff member: they are emailed, the installer loses it.
    let erin = w.staff_email("erin");
    let active = w
        .call(
            "PUT",
            &format!("/v1/runs/{id}/steps/install/assignee"),
            Some(&staff),
            Some(json!({"kind": "staff", "user_id": "erin", "email": erin})),
        )
        .await;
    assert_eq!(active.status, 200, "{}", active.body);
    w.deliver().await;
    let mails = w.inbox(&erin).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].body.contains("Install the meter"));
    w.call("GET", &format!("/v1/portal/runs/{id}"), Some(&new_session), None)
        .await
        .problem(404);

    // A new owner for the customer's step is emailed.
    let olga = w.staff_email("olga");
    let owner = w
        .call(
            "PUT",
            &format!("/v1/runs/{id}/steps/confirm/owner"),
            Some(&staff),
            Some(json!({"user_id": "olga", "email": olga, "name": "Olga"})),
        )
        .await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert_eq!(step(&owner.body, "confirm")["owner"]["user_id"], "olga");
    w.deliver().await;
    assert_eq!(w.inbox(&olga).await.len(), 1);

    // Done steps keep their assignment; dan hears of review when it begins.
    let done = w
        .call(
            "POST",
            &format!("/v1/runs/{id}/steps/install/complete"),
            Some(&w.staff("erin")),
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    w.call(
        "PUT",
        &format!("/v1/runs/{id}/steps/install/assignee"),
        Some(&staff),
        Some(json!({"kind": "customer"})),
    )
    .await
    .problem(409);
    w.call(
        "PUT",
        &format!("/v1/runs/{id}/steps/install/owner"),
        Some(&staff),
        Some(json!({"user_id": "o", "email": olga})),
    )
    .await
    .problem(409);
    let customer_step = w
        .call(
            "POST",
            &format!("/v1/runs/{id}/steps/confirm/complete"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(customer_step.status, 200);
    w.deliver().await;
    assert_eq!(w.inbox(&dan).await.len(), 1, "dan's step began");
}

/// Teams: admins manage them; every member hears of the team's step; parallel claims, one
/// wins; release and claim again; completing needs the claim or an override.
pub async fn teams(w: &impl World, tag: &str) {
    let staff = w.staff("alice");
    let member = |sub: &str| json!({"user_id": sub, "email": w.staff_email(sub), "name": sub});
    let body = json!({"name": format!("Back office {tag}"), "members": [member("m1"), member("m2")]});
    let bad = w
        .call(
            "POST",
            "/v1/teams",
            Some(&w.admin()),
            Some(json!({"name": "", "members": [{"user_id": "x", "email": "nope"}]})),
        )
        .await;
    bad.problem(422);
    assert_eq!(bad.error_fields(), ["name", "members[0].email"]);
    let team = w.call("POST", "/v1/teams", Some(&w.admin()), Some(body.clone())).await;
    assert_eq!(team.status, 201, "{}", team.body);
    let team_id = team.field("id");
    let listed = w.call("GET", "/v1/teams", Some(&staff), None).await;
    assert_eq!(listed.body["items"][0]["id"], team_id.as_str());
    let other = w
        .call(
            "GET",
            &format!("/v1/teams/{team_id}"),
            Some(&w.other_tenant_staff()),
            None,
        )
        .await;
    other.problem(404);

    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": format!("Triage {tag}"), "steps": [
                {"key": "triage", "name": "Triage the request", "assignee": {"kind": "team", "team_id": team_id}},
                {"key": "close", "name": "Close", "assignee": {"kind": "staff", "user_id": "alice", "email": w.staff_email("alice")}},
            ]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    let process = process.field("id");
    let unknown = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": "x", "steps": [
                {"key": "a", "name": "A", "assignee": {"kind": "team", "team_id": "nope"}}]})),
        )
        .await;
    unknown.problem(422);
    assert_eq!(unknown.error_fields(), ["steps[0].assignee.team_id"]);

    let (run, _, _) = start(w, &process, tag).await;
    let id = run_id(&run);
    w.deliver().await;
    for m in ["m1", "m2"] {
        let mails = w.inbox(&w.staff_email(m)).await;
        assert_eq!(mails.len(), 1, "{m} hears of the team's step");
        assert!(mails[0].body.contains("Triage the request"));
    }
    let step_path = format!("/v1/runs/{id}/steps/triage");
    w.call("POST", &format!("{step_path}/complete"), Some(&w.staff("m1")), None)
        .await
        .problem(409);
    w.call("POST", &format!("{step_path}/claim"), Some(&w.staff("zed")), None)
        .await
        .problem(403);

    // Two members claim at once: exactly one wins.
    let (claim, m1, m2) = (format!("{step_path}/claim"), w.staff("m1"), w.staff("m2"));
    let (a, b) = tokio::join!(
        w.call("POST", &claim, Some(&m1), None),
        w.call("POST", &claim, Some(&m2), None),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    let (winner, loser) = if a.status == 200 { ("m1", "m2") } else { ("m2", "m1") };
    let run = w.call("GET", &format!("/v1/runs/{id}"), Some(&staff), None).await;
    assert_eq!(step(&run.body, "triage")["claimed"]["user_id"], winner);
    w.call("POST", &format!("{step_path}/release"), Some(&w.staff(loser)), None)
        .await
        .problem(403);
    w.call("POST", &format!("{step_path}/complete"), Some(&w.staff(loser)), None)
        .await
        .problem(409);
    let released = w
        .call("POST", &format!("{step_path}/release"), Some(&w.staff(winner)), None)
        .await;
    assert_eq!(released.status, 200, "{}", released.body);
    let claimed = w
        .call("POST", &format!("{step_path}/claim"), Some(&w.staff(loser)), None)
        .await;
    assert_eq!(claimed.status, 200, "{}", claimed.body);
    let done = w
        .call("POST", &format!("{step_path}/complete"), Some(&w.staff(loser)), None)
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["current_step"], "close");

    // Another run: a staff member completes the team's step by override.
    let (run, _, _) = start(w, &process, &format!("{tag}o")).await;
    let forced = w
        .call(
            "POST",
            &format!("/v1/runs/{}/steps/triage/complete", run_id(&run)),
            Some(&staff),
            Some(json!({"override": true})),
        )
        .await;
    assert_eq!(forced.status, 200, "{}", forced.body);

    // Members change: the new member can claim the next run's step.
    let put = w
        .call(
            "PUT",
            &format!("/v1/teams/{team_id}"),
            Some(&w.admin()),
            Some(json!({"name": "Back office", "members": [member("m3")]})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let (run, _, _) = start(w, &process, &format!("{tag}n")).await;
    let claim = format!("/v1/runs/{}/steps/triage/claim", run_id(&run));
    w.call("POST", &claim, Some(&w.staff("m1")), None).await.problem(403);
    assert_eq!(w.call("POST", &claim, Some(&w.staff("m3")), None).await.status, 200);
}

/// The run ids of an inbox page, and its next cursor.
async fn inbox_page(w: &impl World, bearer: &str, query: &str) -> (Vec<String>, Option<String>, Vec<Value>) {
    let r = w.call("GET", &format!("/v1/tasks?{query}"), Some(bearer), None).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    let items = r.body["items"].as_array().cloned().unwrap_or_default();
    let ids = items
        .iter()
        .map(|t| t["run_id"].as_str().unwrap().to_string())
        .collect();
    (ids, r.body["next_cursor"].as_str().map(str::to_string), items)
}

/// Every run id of a filter, page by page (`limit` each), checking each page's size.
async fn inbox_all(w: &impl World, bearer: &str, query: &str, limit: usize) -> Vec<String> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&limit={limit}&cursor={c}"),
            None => format!("{query}&limit={limit}"),
        };
        let (ids, next, _) = inbox_page(w, bearer, &q).await;
        assert!(ids.len() <= limit);
        all.extend(ids);
        match next {
            Some(c) => cursor = Some(c),
            None => return all,
        }
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The staff inbox over many runs: each filter, pagination, the orders, the overdue and
/// due-before bounds, claims moving a step to its claimer, and bad filters.
pub async fn inbox(w: &impl World, tag: &str) {
    let staff = w.staff("alice");
    let ua = w.staff("ua");
    let admin = w.admin();
    let team = w
        .call(
            "POST",
            "/v1/teams",
            Some(&admin),
            Some(json!({"name": "Field", "members": [{"user_id": "ua", "email": w.staff_email("ua")}]})),
        )
        .await;
    assert_eq!(team.status, 201, "{}", team.body);
    let team_id = team.field("id");
    let partner = w
        .call(
            "POST",
            "/v1/partners",
            Some(&staff),
            Some(json!({"name": "Solar AG", "email": format!("office-{tag}@solar.example")})),
        )
        .await;
    assert_eq!(partner.status, 201, "{}", partner.body);
    let partner_id = partner.field("id");
    let define = |name: String, steps: Value| async move {
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
    };
    let a = define(
        format!("A {tag}"),
        json!([
            {"key": "check", "name": "Check", "assignee": {"kind": "staff", "user_id": "ua", "email": w.staff_email("ua")}, "due_in_days": 2},
            {"key": "install", "name": "Install", "assignee": {"kind": "installer"}},
        ]),
    )
    .await;
    let b = define(
        format!("B {tag}"),
        json!([
            {"key": "triage", "name": "Triage", "assignee": {"kind": "team", "team_id": team_id}, "due_in_days": 5},
            {"key": "confirm", "name": "Confirm", "assignee": {"kind": "customer"}},
        ]),
    )
    .await;
    let c = define(
        format!("C {tag}"),
        json!([{"key": "commission", "name": "Commission", "assignee": {"kind": "partner", "partner_id": partner_id}}]),
    )
    .await;
    let mut runs_a = Vec::new();
    for n in 0..7 {
        let (run, _, _) = start(w, &a, &format!("{tag}a{n}")).await;
        runs_a.push(run_id(&run));
    }
    let mut runs_b = Vec::new();
    for n in 0..5 {
        let (run, _, _) = start(w, &b, &format!("{tag}b{n}")).await;
        runs_b.push(run_id(&run));
    }
    let (run_c, _, _) = start(w, &c, &format!("{tag}c")).await;
    let run_c = run_id(&run_c);

    // Mine, page by page (3 a page): all seven, each once, soonest due first.
    let mine = inbox_all(w, &ua, "assignee=me", 3).await;
    assert_eq!(sorted(mine.clone()), sorted(runs_a.clone()));
    let (_, _, items) = inbox_page(w, &ua, "assignee=me&limit=100").await;
    let dues: Vec<&str> = items.iter().map(|t| t["due_at"].as_str().unwrap()).collect();
    assert!(dues.windows(2).all(|d| d[0] <= d[1]), "by due date: {dues:?}");
    assert_eq!(items[0]["step_name"], "Check");
    assert_eq!(items[0]["overdue"], false);
    assert_eq!(inbox_all(w, &staff, "assignee=user:ua", 100).await.len(), 7);
    assert!(
        inbox_all(w, &staff, "assignee=me", 100).await.is_empty(),
        "alice has none"
    );
    assert_eq!(
        sorted(inbox_all(w, &staff, &format!("assignee=team:{team_id}"), 2).await),
        sorted(runs_b.clone())
    );
    assert_eq!(
        inbox_all(w, &staff, &format!("assignee=partner:{partner_id}"), 100).await,
        [run_c]
    );
    assert_eq!(
        sorted(inbox_all(w, &staff, &format!("process_id={a}"), 4).await),
        sorted(runs_a.clone())
    );
    assert_eq!(
        inbox_all(w, &staff, &format!("process_id={b}&assignee=team:{team_id}"), 100)
            .await
            .len(),
        5
    );
    assert!(
        inbox_all(w, &staff, &format!("process_id={a}&assignee=team:{team_id}"), 100)
            .await
            .is_empty()
    );
    assert_eq!(
        inbox_all(w, &staff, "assignee=customer&status=pending", 100)
            .await
            .len(),
        5
    );
    // Everyone's active steps: 7 + 5 + 1.
    assert_eq!(inbox_all(w, &staff, "status=active", 5).await.len(), 13);
    // By activation, newest first.
    let (newest, _, _) = inbox_page(w, &staff, &format!("process_id={a}&sort=activated&limit=100")).await;
    let mut expected = runs_a.clone();
    expected.reverse();
    assert_eq!(newest, expected);

    // Two checks done: the installer has them, the done list shows them.
    for r in &runs_a[..2] {
        let done = w
            .call("POST", &format!("/v1/runs/{r}/steps/check/complete"), Some(&ua), None)
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
    }
    assert_eq!(
        sorted(inbox_all(w, &staff, "assignee=installer", 100).await),
        sorted(runs_a[..2].to_vec())
    );
    assert_eq!(inbox_all(w, &staff, "assignee=user:ua&status=done", 100).await.len(), 2);
    assert_eq!(inbox_all(w, &ua, "assignee=me", 100).await.len(), 5);
    // A claim moves the team's step to its claimer.
    let claim = w
        .call(
            "POST",
            &format!("/v1/runs/{}/steps/triage/claim", runs_b[0]),
            Some(&ua),
            None,
        )
        .await;
    assert_eq!(claim.status, 200, "{}", claim.body);
    assert_eq!(
        inbox_all(w, &staff, &format!("assignee=team:{team_id}"), 100)
            .await
            .len(),
        4
    );
    assert_eq!(inbox_all(w, &ua, "assignee=me", 100).await.len(), 6);

    // Three days on: the five open checks are overdue, the triage steps are not.
    w.advance_hours(3 * 24).await;
    let overdue = inbox_all(w, &staff, "overdue=true", 2).await;
    assert_eq!(sorted(overdue), sorted(runs_a[2..].to_vec()));
    let (_, _, items) = inbox_page(w, &ua, "assignee=me&overdue=true").await;
    assert!(items.iter().all(|t| t["overdue"] == true && t["step_key"] == "check"));
    let soon = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        inbox_all(w, &staff, &format!("due_before={soon}"), 100).await.len(),
        10,
        "the due ones (the partner's step has no due date)"
    );

    // Bad filters: 422, and another tenant sees nothing.
    for q in [
        "assignee=boss",
        "assignee=user:",
        "sort=activated&overdue=true",
        "overdue=true&status=done",
    ] {
        w.call("GET", &format!("/v1/tasks?{q}"), Some(&staff), None)
            .await
            .problem(422);
    }
    let other = w
        .call("GET", "/v1/tasks?status=active", Some(&w.other_tenant_staff()), None)
        .await;
    assert_eq!(other.body["items"], json!([]), "{}", other.body);
}

/// The texts of a participant's comments in the portal (JSON), and the run page's HTML.
async fn portal_comments(w: &impl World, session: &str, run: &str) -> (Vec<String>, String) {
    let r = w
        .call("GET", &format!("/v1/portal/runs/{run}/comments"), Some(session), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let bodies = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap().to_string())
        .collect();
    let page = w
        .raw("GET", &format!("/portal/runs/{run}"), Some(session), &[], None)
        .await;
    assert_eq!(page.status, 200);
    (bodies, page.text)
}

/// Comments with both visibilities across staff, a customer, an installer and two partners
/// (one sees every step): nothing internal leaks on any route, page or email; each reader is
/// emailed at most once in ten minutes, later comments come together.
pub async fn comments(w: &impl World, tag: &str) {
    use super::scenario::{accept, invite};
    let staff = w.staff("alice");
    let (pa, office_a) = invite(w, &format!("{tag}a"), json!(["tasks:complete"])).await;
    let user_a = format!("ina-{tag}@a.example");
    let sa = accept(w, &office_a, &user_a).await;
    let (pb, office_b) = invite(w, &format!("{tag}b"), json!(["tasks:complete", "runs:view_all_steps"])).await;
    let user_b = format!("ina-{tag}@b.example");
    let sb = accept(w, &office_b, &user_b).await;
    let bob = format!("bob-{tag}@utility.example");
    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": format!("Heat pump {tag}"), "steps": [
                {"key": "survey", "name": "Survey", "assignee": {"kind": "customer"}},
                {"key": "install", "name": "Install", "assignee": {"kind": "installer"}, "owner": {"user_id": "bob", "email": bob}},
                {"key": "commission", "name": "Commission", "assignee": {"kind": "partner", "partner_id": pa}},
                {"key": "audit", "name": "Audit", "assignee": {"kind": "partner", "partner_id": pb}},
            ]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    let (run, installer, customer) = start(w, &process.field("id"), tag).await;
    let id = run_id(&run);
    w.deliver().await;
    let sc = portal_session(w, &customer).await;
    let done = w
        .call(
            "POST",
            &format!("/v1/runs/{id}/steps/survey/complete"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    w.deliver().await;
    let si = portal_session(w, &installer).await;
    let readers = [installer.clone(), customer.clone(), user_a.clone(), user_b.clone()];
    let mut before = Vec::new();
    for r in &readers {
        before.push(w.inbox(r).await.len());
    }
    let new_mail = |i: usize, now: usize| now - before[i];

    let comment = |body: Value| {
        let path = format!("/v1/runs/{id}/comments");
        async move {
            let r = w.call("POST", &path, Some(&w.staff("alice")), Some(body)).await;
            assert_eq!(r.status, 201, "{}", r.body);
            r.field("id")
        }
    };
    // Internal, mentioning dan: only dan hears of it.
    let secret = format!("Interne Notiz {tag}: Kunde ist schwierig");
    let dan = w.staff_email("dan");
    comment(json!({"body": secret, "visibility": "internal",
        "mentions": [{"user_id": "dan", "email": dan, "name": "Dan"}]}))
    .await;
    // Shared on the installer's step: the installer, and partner B (it sees every step).
    comment(json!({"body": "Zugang über den Hof", "visibility": "shared", "step_key": "install"})).await;
    w.deliver().await;
    // Shared on the run, minutes later: the customer and partner A hear now; the installer
    // and partner B were emailed minutes ago, so it waits.
    comment(json!({"body": "Termin am Montag", "visibility": "shared"})).await;
    w.deliver().await;
    assert_eq!(w.inbox(&dan).await.len(), 1, "the mention");
    let counts: Vec<usize> = {
        let mut c = Vec::new();
        for (i, r) in readers.iter().enumerate() {
            c.push(new_mail(i, w.inbox(r).await.len()));
        }
        c
    };
    assert_eq!(counts, [1, 1, 1, 1], "one email each so far: {counts:?}");
    let installer_mail = w.inbox(&installer).await.last().cloned().unwrap();
    assert!(
        installer_mail.body.contains("Zugang über den Hof"),
        "{}",
        installer_mail.body
    );
    assert!(!installer_mail.body.contains("Termin am Montag"), "not yet");
    let customer_mail = w.inbox(&customer).await.last().cloned().unwrap();
    assert!(customer_mail.body.contains("Termin am Montag") && !customer_mail.body.contains("Hof"));

    // What each reads in the portal: never the internal comment.
    let (i, page_i) = portal_comments(w, &si, &id).await;
    assert_eq!(i, ["Zugang über den Hof", "Termin am Montag"]);
    let (c, page_c) = portal_comments(w, &sc, &id).await;
    assert_eq!(c, ["Termin am Montag"]);
    let (a, page_a) = portal_comments(w, &sa, &id).await;
    assert_eq!(a, ["Termin am Montag"]);
    let (b, page_b) = portal_comments(w, &sb, &id).await;
    assert_eq!(b, ["Zugang über den Hof", "Termin am Montag"]);
    for page in [&page_i, &page_c, &page_a, &page_b] {
        assert!(!page.contains("Interne Notiz"), "no internal comment on a page");
        assert!(page.contains("Termin am Montag"));
    }
    for session in [&si, &sc, &sa, &sb] {
        let run = w
            .call("GET", &format!("/v1/portal/runs/{id}"), Some(session), None)
            .await;
        assert!(!run.text.contains("Interne Notiz"));
        let tasks = w.call("GET", "/v1/portal/tasks", Some(session), None).await;
        assert!(!tasks.text.contains("Interne Notiz"));
    }

    // Participants write shared comments on their own steps (partner B on any); the staff side
    // hears: the step's owner, else the run's creator.
    let write = |session: String, body: Value| {
        let path = format!("/v1/portal/runs/{id}/comments");
        async move { w.call("POST", &path, Some(&session), Some(body)).await }
    };
    let mine = write(si.clone(), json!({"body": "Ich komme um 9", "step_key": "install"})).await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    let installer_comment = mine.field("id");
    write(si.clone(), json!({"body": "x", "step_key": "commission"}))
        .await
        .problem(422);
    write(sa.clone(), json!({"body": "x", "step_key": "audit"}))
        .await
        .problem(422);
    write(sc.clone(), json!({"body": " "})).await.problem(422);
    write(sc.clone(), json!({"body": "x", "visibility": "internal"}))
        .await
        .problem(422);
    let ok = write(sb.clone(), json!({"body": "Audit nach Montage", "step_key": "install"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let from_customer = write(sc.clone(), json!({"body": "Bitte vorher anrufen"})).await;
    assert_eq!(from_customer.status, 201);
    w.deliver().await;
    let bob_mail = w.inbox(&bob).await;
    assert_eq!(
        bob_mail.len(),
        1,
        "the installer's and partner B's comments, one email: {bob_mail:?}"
    );
    assert!(bob_mail[0].body.contains("Ich komme um 9"));
    let alice = w.inbox(&w.staff_email("alice")).await;
    assert!(
        alice.iter().any(|m| m.body.contains("Bitte vorher anrufen")),
        "the run's creator"
    );

    // Ten minutes on: what waited goes, together, to the installer and partner B.
    w.advance_hours(1).await;
    let later = w.inbox(&installer).await;
    assert_eq!(new_mail(0, later.len()), 2, "one more email");
    let gathered = later.last().unwrap();
    assert!(gathered.body.contains("Termin am Montag"), "{}", gathered.body);
    let for_b = w.inbox(&user_b).await;
    assert_eq!(new_mail(3, for_b.len()), 2);
    assert!(for_b.last().unwrap().body.contains("Termin am Montag"));
    assert!(
        w.inbox(&bob).await.len() >= 2,
        "partner B's comment reaches bob after the wait"
    );

    // No internal text in any participant's email.
    for r in readers.iter().chain([&office_a, &office_b]) {
        for m in w.inbox(r).await {
            assert!(
                !m.body.contains("Interne Notiz") && !m.subject.contains("Interne"),
                "{r}: {}",
                m.body
            );
        }
    }

    // Authors delete their own comments; the comment stays, marked.
    let path = format!("/v1/portal/runs/{id}/comments/{installer_comment}");
    w.call("DELETE", &path, Some(&sc), None).await.problem(403);
    let gone = w.call("DELETE", &path, Some(&si), None).await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    w.call("DELETE", &path, Some(&si), None).await.problem(409);
    let all = w
        .call("GET", &format!("/v1/runs/{id}/comments"), Some(&staff), None)
        .await;
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    assert_eq!(items[0]["visibility"], "internal");
    let deleted = items.iter().find(|c| c["id"] == installer_comment.as_str()).unwrap();
    assert_eq!(deleted["body"], "");
    assert!(deleted["deleted_at"].is_string());
    let portal = w
        .call("GET", &format!("/v1/portal/runs/{id}/comments"), Some(&si), None)
        .await;
    let mine: Vec<&Value> = portal.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["mine"] == true)
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["deleted"], true);
    let other = w
        .call(
            "GET",
            &format!("/v1/runs/{id}/comments"),
            Some(&w.other_tenant_staff()),
            None,
        )
        .await;
    other.problem(404);
    let _ = pb;
}
