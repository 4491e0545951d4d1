//! Bad input: each answer is the right problem+json status, and nothing changes.

use e2e_tests::aws::AwsWorld;
use e2e_tests::scenario::{define, portal_session, start, World};
use e2e_tests::{unique, Client, Local};
use serde_json::{json, Value};

async fn snapshot(w: &impl World, run: &str, process: &str) -> (Value, usize, Value, usize) {
    let staff = w.staff("alice");
    let run_now = w.call("GET", &format!("/v1/runs/{run}"), Some(&staff), None).await.body;
    let history = w
        .call("GET", &format!("/v1/runs/{run}/history"), Some(&staff), None)
        .await
        .body["events"]
        .as_array()
        .unwrap()
        .len();
    let process_now = w
        .call("GET", &format!("/v1/processes/{process}"), Some(&staff), None)
        .await
        .body;
    let journeys = w.call("GET", "/v1/journeys?limit=100", Some(&staff), None).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    (run_now, history, process_now, journeys)
}

/// The checks that hold on both hosts.
async fn rejects_bad_input(w: &impl World) {
    let tag = unique();
    let staff = w.staff("alice");
    let (journey, process) = define(w, &tag).await;
    let second = json!({"name": "Second", "fields": [{"key": "a", "label": {"en": "A"}, "type": "checkbox"}]});
    assert_eq!(
        w.call("POST", "/v1/journeys", Some(&staff), Some(second)).await.status,
        201
    );
    let (run, installer, _) = start(w, &process, &tag).await;
    let run = run["id"].as_str().unwrap().to_string();
    w.deliver().await;
    let before = snapshot(w, &run, &process).await;

    // Malformed JSON, missing and invalid fields.
    w.raw("POST", "/v1/journeys", Some(&staff), &[], Some("{\"name\": ".into()))
        .await
        .problem(400);
    w.raw("POST", "/v1/journeys", Some(&staff), &[], Some(String::new()))
        .await
        .problem(400);
    let missing = w
        .call("POST", "/v1/journeys", Some(&staff), Some(json!({"fields": []})))
        .await;
    assert_eq!(missing.problem(422).error_codes(), [("name".into(), "required".into())]);
    let wrong_type = w
        .call(
            "POST",
            "/v1/journeys",
            Some(&staff),
            Some(json!({"name": "x", "fields": [{"key": "a", "label": {"de": "A"}, "type": "colour"}]})),
        )
        .await;
    assert_eq!(wrong_type.problem(422).error_fields(), ["fields[0].type"]);
    let invalid = w
        .call("POST", "/v1/processes", Some(&staff), Some(json!({"name": " ", "steps": [
            {"key": "Bad Key", "name": "A", "assignee": {"kind": "staff", "user_id": "u", "email": "not-an-email"}},
            {"key": "b", "name": "B", "assignee": {"kind": "customer"}, "journey_id": "no-such-journey", "due_in_days": 0},
            {"key": "b", "name": "C", "assignee": {"kind": "installer"}, "info_texts": {"installer": {}}}]})))
        .await;
    let codes = invalid.problem(422).error_codes();
    for (field, code) in [
        ("steps[0].key", "invalid_key"),
        ("steps[0].assignee.email", "invalid_email"),
        ("steps[1].due_in_days", "out_of_range"),
        ("steps[2].key", "duplicate"),
    ] {
        assert!(
            codes.contains(&(field.into(), code.into())),
            "{field} {code}: {codes:?}"
        );
    }
    let fields = invalid.problem(422).error_fields();
    for f in [
        "name",
        "steps[0].key",
        "steps[0].assignee.email",
        "steps[1].due_in_days",
        "steps[2].key",
        "steps[2].info_texts.installer",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} missing in {fields:?}");
    }
    let unknown_journey = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": "P", "steps": [
            {"key": "a", "name": "A", "assignee": {"kind": "customer"}, "journey_id": "no-such-journey"}]})),
        )
        .await;
    assert_eq!(unknown_journey.problem(422).error_fields(), ["steps[0].journey_id"]);
    let no_participant = w
        .call(
            "POST",
            &format!("/v1/processes/{process}/runs"),
            Some(&staff),
            Some(json!({"participants": {}})),
        )
        .await;
    assert_eq!(
        no_participant.problem(422).error_fields(),
        ["participants.customer", "participants.installer"]
    );
    w.call(
        "POST",
        &format!("/v1/runs/{run}/cancel"),
        Some(&staff),
        Some(json!({"reason": "  "})),
    )
    .await
    .problem(422);
    w.call("POST", &format!("/v1/runs/{run}/cancel"), Some(&staff), Some(json!({})))
        .await
        .problem(422);
    w.call("GET", "/v1/runs?limit=0", Some(&staff), None).await.problem(422);
    w.call("GET", "/v1/runs?status=sleeping", Some(&staff), None)
        .await
        .problem(422);
    w.call("GET", "/v1/runs?cursor=bm90LWEtY3Vyc29y", Some(&staff), None)
        .await
        .problem(422);
    let big = format!("{{\"name\": \"{}\", \"fields\": []}}", "x".repeat(300 * 1024));
    w.raw("POST", "/v1/journeys", Some(&staff), &[], Some(big))
        .await
        .problem(413);

    // Unknown ids, and another tenant's ids, are 404.
    // Ids longer than any key DynamoDB accepts are simply not found.
    let long = "x".repeat(3000);
    w.call("GET", &format!("/v1/runs/{long}"), Some(&staff), None)
        .await
        .problem(404);
    w.call("GET", &format!("/v1/journeys/{long}"), Some(&staff), None)
        .await
        .problem(404);
    let none = w
        .call("GET", &format!("/v1/runs?process_id={long}"), Some(&staff), None)
        .await;
    assert_eq!(none.body["items"], json!([]));
    let long_journey = json!({"name": "P", "steps": [{"key": "a", "name": "A", "assignee": {"kind": "customer"}, "journey_id": long}]});
    let refused = w.call("POST", "/v1/processes", Some(&staff), Some(long_journey)).await;
    assert_eq!(refused.problem(422).error_fields(), ["steps[0].journey_id"]);
    w.call("GET", "/v1/runs/01NOSUCHRUN", Some(&staff), None)
        .await
        .problem(404);
    w.call("GET", "/v1/processes/01NOSUCHPROCESS", Some(&staff), None)
        .await
        .problem(404);
    w.call("POST", "/v1/processes/01NOSUCH/runs", Some(&staff), Some(json!({})))
        .await
        .problem(404);
    w.call(
        "POST",
        &format!("/v1/runs/{run}/steps/nope/complete"),
        Some(&staff),
        None,
    )
    .await
    .problem(404);
    let other = w.other_tenant_staff();
    w.call("GET", &format!("/v1/runs/{run}"), Some(&other), None)
        .await
        .problem(404);
    w.call("GET", &format!("/v1/journeys/{journey}"), Some(&other), None)
        .await
        .problem(404);
    w.call("GET", &format!("/v1/processes/{process}"), Some(&other), None)
        .await
        .problem(404);
    w.call(
        "POST",
        &format!("/v1/runs/{run}/steps/install/complete"),
        Some(&other),
        None,
    )
    .await
    .problem(404);
    w.call(
        "POST",
        &format!("/v1/runs/{run}/cancel"),
        Some(&other),
        Some(json!({"reason": "mine now"})),
    )
    .await
    .problem(404);
    w.call("GET", &format!("/v1/runs/{run}/history"), Some(&other), None)
        .await
        .problem(404);
    let theirs = w.call("GET", "/v1/runs", Some(&other), None).await;
    assert_eq!(theirs.body["items"], json!([]));
    // A cursor from this tenant is refused to the other one.
    let page = w.call("GET", "/v1/journeys?limit=1", Some(&staff), None).await;
    let cursor = page.field("next_cursor");
    w.call(
        "GET",
        &format!("/v1/journeys?limit=1&cursor={cursor}"),
        Some(&other),
        None,
    )
    .await
    .problem(422);
    assert_eq!(
        w.call(
            "GET",
            &format!("/v1/journeys?limit=1&cursor={cursor}"),
            Some(&staff),
            None
        )
        .await
        .status,
        200
    );
    // ...and to another list of the same tenant.
    w.call("GET", &format!("/v1/processes?cursor={cursor}"), Some(&staff), None)
        .await
        .problem(422);
    w.call("GET", &format!("/v1/runs?cursor={cursor}"), Some(&staff), None)
        .await
        .problem(422);

    // No credentials.

    w.call("GET", "/v1/runs", None, None).await.problem(401);
    w.call("GET", "/v1/portal/tasks", None, None).await.problem(401);
    w.call("GET", "/v1/portal/tasks", Some("forged-session"), None)
        .await
        .problem(401);
    w.call("POST", "/v1/portal/sessions", None, Some(json!({"token": "forged"})))
        .await
        .problem(401);

    // A step that is not active; a stale version.
    w.call(
        "POST",
        &format!("/v1/runs/{run}/steps/confirm/complete"),
        Some(&staff),
        None,
    )
    .await
    .problem(409);
    let body = json!({"name": "Renamed", "steps": before.2["steps"]}).to_string();
    w.raw(
        "PUT",
        &format!("/v1/processes/{process}"),
        Some(&staff),
        &[("if-match", "7")],
        Some(body.clone()),
    )
    .await
    .problem(409);
    w.raw(
        "PUT",
        &format!("/v1/processes/{process}"),
        Some(&staff),
        &[],
        Some(body),
    )
    .await
    .problem(422);

    // A portal session on someone else's run is 404; on someone else's step 403.
    let session = portal_session(w, &installer).await;
    let tag2 = unique();
    let (other_run, _, _) = start(w, &process, &tag2).await;
    let other_run = other_run["id"].as_str().unwrap();
    w.call("GET", &format!("/v1/portal/runs/{other_run}"), Some(&session), None)
        .await
        .problem(404);
    w.call(
        "POST",
        &format!("/v1/portal/runs/{other_run}/steps/install/complete"),
        Some(&session),
        None,
    )
    .await
    .problem(404);
    w.call(
        "POST",
        &format!("/v1/portal/runs/{run}/steps/confirm/complete"),
        Some(&session),
        None,
    )
    .await
    .problem(403);
    w.call(
        "POST",
        &format!("/v1/portal/runs/{run}/steps/confirm/submission"),
        Some(&session),
        Some(json!({"data": {}})),
    )
    .await
    .problem(403);
    w.call(
        "POST",
        &format!("/v1/portal/runs/{run}/steps/install/submission"),
        Some(&session),
        Some(json!({"data": {"meter_number": "M", "reading": 1, "colour": "red"}})),
    )
    .await
    .problem(422);
    // Numbers DynamoDB cannot store are refused, not a 500.
    let huge = w
        .raw(
            "POST",
            &format!("/v1/portal/runs/{run}/steps/install/submission"),
            Some(&session),
            &[],
            Some(r#"{"data": {"meter_number": "M", "reading": 1e300}}"#.into()),
        )
        .await;
    assert_eq!(
        huge.problem(422).error_codes(),
        [("data.reading".into(), "out_of_range".into())]
    );
    w.call(
        "POST",
        &format!("/v1/portal/runs/{run}/steps/install/submission"),
        Some(&session),
        Some(json!({"daten": {}})),
    )
    .await
    .problem(422);
    w.raw(
        "POST",
        &format!("/v1/portal/runs/{run}/steps/install/submission"),
        Some(&session),
        &[],
        Some("[1,".into()),
    )
    .await
    .problem(400);

    // Pagination: one run per page, newest first, then the cursor runs out.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..4 {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = w
            .call(
                "GET",
                &format!("/v1/runs?process_id={process}&limit=1{q}"),
                Some(&staff),
                None,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
        cursor = page.body["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(
        seen,
        [other_run.to_string(), run.clone()],
        "newest first, each run once"
    );

    // Bodies are objects: an array is no run, and no settings either.
    let array = w
        .raw(
            "POST",
            &format!("/v1/processes/{process}/runs"),
            Some(&staff),
            &[],
            Some("[]".into()),
        )
        .await;
    assert_eq!(
        array.problem(422).error_codes(),
        [("body".into(), "not_an_object".into())]
    );
    let admin = w.admin();
    let settings = w.call("GET", "/v1/settings", Some(&admin), None).await.body;
    w.raw("PUT", "/v1/settings", Some(&admin), &[], Some("[]".into()))
        .await
        .problem(422);
    assert_eq!(w.call("GET", "/v1/settings", Some(&admin), None).await.body, settings);
    // Optional bodies have the same limit and errors as the others.
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    w.raw(
        "POST",
        &format!("/v1/processes/{process}/duplicate"),
        Some(&staff),
        &[],
        Some(huge.clone()),
    )
    .await
    .problem(413);
    w.raw(
        "POST",
        "/v1/email-templates/run_completed/de/preview",
        Some(&admin),
        &[],
        Some(huge),
    )
    .await
    .problem(413);
    // A path parameter that is no UTF-8 names nothing.
    w.call("GET", "/v1/runs/%ff%fe", Some(&staff), None).await.problem(404);
    w.call("GET", "/v1/runs/%ff%fe/history", Some(&staff), None)
        .await
        .problem(404);

    // Nothing of all that changed anything.
    let after = snapshot(w, &run, &process).await;
    assert_eq!(before.0, after.0, "the run is unchanged");
    assert_eq!(before.1, after.1, "no events were written");
    assert_eq!(before.2, after.2, "the process is unchanged");
    assert_eq!(before.3, after.3, "no journey was created");

    // Idempotency keys are the caller's own, and stand for one request.
    let key = format!("start-{tag}");
    let body = |title: &str| {
        json!({"context": {"title": title, "opportunity_id": "opp-1"}, "participants": {
            "installer": {"name": "Ivo", "email": installer, "locale": "fr"},
            "customer": {"name": "Chiara", "email": format!("chiara-{tag}@customer.example"), "locale": "it"}}})
        .to_string()
    };
    let path = format!("/v1/processes/{process}/runs");
    let same = w
        .raw(
            "POST",
            &path,
            Some(&staff),
            &[("idempotency-key", &key)],
            Some(body("Meter 4711")),
        )
        .await;
    assert_eq!(
        (same.status, same.body["id"].as_str()),
        (201, Some(run.as_str())),
        "{}",
        same.body
    );
    let other = w
        .raw(
            "POST",
            &path,
            Some(&staff),
            &[("idempotency-key", &key)],
            Some(body("Meter 4712")),
        )
        .await;
    assert_eq!(
        other.problem(422).error_codes(),
        [("Idempotency-Key".into(), "reused".into())]
    );
    let bob = w.staff("bob");
    let bobs = w
        .raw(
            "POST",
            &path,
            Some(&bob),
            &[("idempotency-key", &key)],
            Some(body("Meter 4711")),
        )
        .await;
    assert_eq!(bobs.status, 201, "{}", bobs.body);
    assert_ne!(bobs.body["id"], same.body["id"], "another caller's key is another key");
}

#[tokio::test]
async fn bad_input_on_local_server() {
    let w = Local::start().await;
    rejects_bad_input(&w).await;
    // Credentials only local-server sees (API Gateway rejects these before the function).
    w.call("GET", "/v1/runs", Some("not.a.jwt"), None).await.problem(401);
    let customer = w.token("acme", "carl", &["customer"]);
    w.call("GET", "/v1/runs", Some(&customer), None).await.problem(403);
    w.call(
        "POST",
        "/v1/journeys",
        Some(&customer),
        Some(json!({"name": "x", "fields": []})),
    )
    .await
    .problem(403);
    let ct = w
        .raw(
            "POST",
            "/v1/journeys",
            Some(&w.staff("alice")),
            &[("content-type", "text/plain")],
            None,
        )
        .await;
    ct.problem(415);
    w.call("GET", "/v1/no-such-route", None, None).await.problem(404);
    // A run that would not fit in one table item is a 422, and nothing is written.
    let staff = w.staff("alice");
    let label = "L".repeat(500);
    let mut steps = Vec::new();
    for i in 0..4 {
        let fields: Vec<_> = (0..60)
            .map(|f| json!({"key": format!("f{f}"), "label": {"de": label, "en": label, "fr": label, "it": label}, "type": "text"}))
            .collect();
        let j = w
            .call(
                "POST",
                "/v1/journeys",
                Some(&staff),
                Some(json!({"name": format!("Big {i}"), "fields": fields})),
            )
            .await;
        assert_eq!(j.status, 201, "{}", j.body);
        steps.push(json!({"key": format!("s{i}"), "name": "S", "assignee": {"kind": "staff", "user_id": "u", "email": "u@x.example"}, "journey_id": j.body["id"]}));
    }
    let big = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": "Big", "steps": steps})),
        )
        .await;
    assert_eq!(big.status, 201);
    let process = big.field("id");
    w.call(
        "POST",
        &format!("/v1/processes/{process}/runs"),
        Some(&staff),
        Some(json!({})),
    )
    .await
    .problem(422);
    let runs = w
        .call("GET", &format!("/v1/runs?process_id={process}"), Some(&staff), None)
        .await;
    assert_eq!(runs.body["items"], json!([]));
    w.call("PATCH", "/v1/journeys", Some(&w.staff("alice")), None)
        .await
        .problem(405);
}

#[tokio::test]
async fn bad_input_on_the_aws_path() {
    let w = AwsWorld::new().await;
    rejects_bad_input(&w).await;
}

/// Portal sessions are limited per access link (10 a minute) and per client (30 a minute),
/// counted before the link is looked up: guessing links is limited too.
async fn limits_sessions(w: &impl World) {
    let session = |token: String| async move {
        w.call("POST", "/v1/portal/sessions", None, Some(json!({ "token": token })))
            .await
    };
    // The limits count per minute (fixed windows): start early in one, so that the requests
    // below all fall into it.
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second > 40 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let guessed = format!("guess-{}", unique());
    for _ in 0..10 {
        session(guessed.clone()).await.problem(401);
    }
    let limited = session(guessed.clone()).await;
    limited.problem(429);
    assert!(limited.field("detail").contains("retry"), "{}", limited.body);
    // 11 requests so far from this client; 19 more links, then the client's limit holds.
    for _ in 0..19 {
        session(format!("guess-{}", unique())).await.problem(401);
    }
    session(format!("guess-{}", unique())).await.problem(429);
}

#[tokio::test]
async fn session_limits_on_local_server() {
    let w = Local::start().await;
    limits_sessions(&w).await;
    // The answer says when to come back, as JSON and as the access page.
    let json = w
        .http
        .post(w.url("/v1/portal/sessions"))
        .json(&json!({"token": "another"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 429);
    let retry: u64 = json.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(json.headers()["content-type"], "application/problem+json");
    let page = w.http.post(w.url("/portal/access/another")).send().await.unwrap();
    assert_eq!(page.status(), 429);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn session_limits_on_the_aws_path() {
    let w = AwsWorld::new().await;
    limits_sessions(&w).await;
}
