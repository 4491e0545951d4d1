//! Reminders and escalation with a moved clock, written once against [`World`] and run on
//! both hosts.

use serde_json::json;

use super::scenario::{portal_session, start, World};

/// Reminders with a moved clock: before due, a doubled tick, overdue up to the limit with the
/// owner told, nothing more after the limit, nothing for a cancelled run.
pub async fn reminders(w: &impl World, tag: &str) {
    let staff = w.staff("alice");
    let owner = format!("bob-{tag}@utility.example");
    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&staff),
            Some(json!({"name": format!("Reminded {tag}"), "steps": [
                {"key": "install", "name": "Install the meter", "assignee": {"kind": "installer"}, "due_in_days": 5,
                 "owner": {"user_id": "bob", "email": owner},
                 "reminders": {"before_due_days": 2, "overdue_every_days": 1, "overdue_max": 2, "escalate_after_days": 2}},
                {"key": "review", "name": "Review", "assignee": {"kind": "staff", "user_id": "carla", "email": format!("carla-{tag}@utility.example")}},
            ]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    let process = process.field("id");
    let (run, installer, _) = start(w, &process, tag).await;
    let run_id = run["id"].as_str().unwrap().to_string();
    assert_eq!(run["next_reminder"]["kind"], "before_due", "{run}");
    let (other, other_installer, _) = start(w, &process, &format!("{tag}x")).await;
    // Delivered before the cancellation: a cancelled run's pending activation is not sent.
    w.deliver().await;
    let cancel = w
        .call(
            "POST",
            &format!("/v1/runs/{}/cancel", other["id"].as_str().unwrap()),
            Some(&staff),
            Some(json!({"reason": "customer moved"})),
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    w.deliver().await;
    assert_eq!(w.inbox(&installer).await.len(), 1, "the activation email");

    // Four days on: the before-due reminder (2 days before the due day), once however often
    // the sweeper ticks.
    w.advance_hours(4 * 24).await;
    w.advance_hours(0).await;
    let mails = w.inbox(&installer).await;
    assert_eq!(mails.len(), 2, "one reminder: {mails:?}");
    // Staff's "remind now" within the hour: 409.
    let now = w
        .call(
            "POST",
            &format!("/v1/runs/{run_id}/steps/install/reminders"),
            Some(&staff),
            None,
        )
        .await;
    now.problem(409);

    // Four more days (the sweeper was down): one overdue reminder, and the owner is told.
    w.advance_hours(4 * 24).await;
    assert_eq!(w.inbox(&installer).await.len(), 3, "one catch-up reminder");
    assert_eq!(w.inbox(&owner).await.len(), 1, "the escalation");
    let overdue = w.call("GET", "/v1/runs?overdue=true", Some(&staff), None).await;
    let ids: Vec<&str> = overdue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, [run_id.as_str()], "{}", overdue.body);

    // The second overdue reminder, then no more (the limit), and no second escalation.
    w.advance_hours(2 * 24).await;
    assert_eq!(w.inbox(&installer).await.len(), 4);
    w.advance_hours(6 * 24).await;
    assert_eq!(w.inbox(&installer).await.len(), 4, "at most two overdue reminders");
    assert_eq!(w.inbox(&owner).await.len(), 1);
    assert_eq!(
        w.inbox(&other_installer).await.len(),
        1,
        "a cancelled run reminds nobody"
    );
}

/// A reminder process: the installer's step is due in five days, reminded two days before,
/// then daily when overdue (twice at most), the owner told after two overdue days.
async fn reminded_process(w: &impl World, tag: &str) -> String {
    let process = w
        .call(
            "POST",
            "/v1/processes",
            Some(&w.staff("alice")),
            Some(json!({"name": format!("Reminded {tag}"), "steps": [
                {"key": "install", "name": "Install the meter", "assignee": {"kind": "installer"}, "due_in_days": 5,
                 "owner": {"user_id": "bob", "email": format!("bob-{tag}@utility.example")},
                 "reminders": {"before_due_days": 2, "overdue_every_days": 1, "overdue_max": 2, "escalate_after_days": 2}},
                {"key": "review", "name": "Review", "assignee": {"kind": "staff", "user_id": "carla", "email": format!("carla-{tag}@utility.example")}},
            ]})),
        )
        .await;
    assert_eq!(process.status, 201, "{}", process.body);
    process.field("id")
}

/// A step done before its reminder is reminded no more; a paused run sends nothing until
/// staff resume it, then what came due meanwhile goes out once.
pub async fn reminders_paused_and_done(w: &impl World, tag: &str) {
    let staff = w.staff("alice");
    let process = reminded_process(w, tag).await;
    let (paused, paused_installer, _) = start(w, &process, tag).await;
    let paused_id = paused["id"].as_str().unwrap().to_string();
    let (done, done_installer, _) = start(w, &process, &format!("{tag}d")).await;
    let done_id = done["id"].as_str().unwrap().to_string();
    w.deliver().await;

    // The installer of one run finishes the step the same day.
    let session = portal_session(w, &done_installer).await;
    let completed = w
        .call(
            "POST",
            &format!("/v1/portal/runs/{done_id}/steps/install/complete"),
            Some(&session),
            None,
        )
        .await;
    assert!(completed.status < 300, "{}", completed.body);

    // Staff pause the other: a reason is required; the view says so and plans nothing.
    let pause = format!("/v1/runs/{paused_id}/reminders/pause");
    w.call("POST", &pause, Some(&staff), Some(json!({"reason": " "})))
        .await
        .problem(422);
    let view = w
        .call(
            "POST",
            &pause,
            Some(&staff),
            Some(json!({"reason": "Der Kunde ist im Urlaub"})),
        )
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert_eq!(view.body["reminders_paused"], true, "{}", view.body);
    assert!(view.body["next_reminder"].is_null(), "{}", view.body);
    // Staff's "remind now" still works while paused (a person decided it).
    let manual = w
        .call(
            "POST",
            &format!("/v1/runs/{paused_id}/steps/install/reminders"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(manual.status, 200, "{}", manual.body);
    w.deliver().await;
    assert_eq!(
        w.inbox(&paused_installer).await.len(),
        2,
        "activation and the manual one"
    );

    // Four days on, past the before-due reminder: neither run sends one.
    w.advance_hours(4 * 24).await;
    assert_eq!(w.inbox(&paused_installer).await.len(), 2, "paused");
    assert_eq!(w.inbox(&done_installer).await.len(), 1, "done: only the activation");

    // Resumed: the missed reminder goes out once, however often the sweeper ticks.
    let resumed = w
        .call(
            "POST",
            &format!("/v1/runs/{paused_id}/reminders/resume"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert!(resumed.body.get("reminders_paused").is_none_or(|p| p == false));
    assert!(resumed.body["next_reminder"].is_object(), "{}", resumed.body);
    w.advance_hours(0).await;
    w.advance_hours(0).await;
    assert_eq!(w.inbox(&paused_installer).await.len(), 3, "the missed reminder, once");

    // The history tells who paused, why, and what was sent.
    let history = w
        .call("GET", &format!("/v1/runs/{paused_id}/history"), Some(&staff), None)
        .await;
    let events = history.body["events"].as_array().unwrap();
    let paused_event = events
        .iter()
        .find(|e| e["type"] == "reminders_paused")
        .unwrap_or_else(|| panic!("{}", history.body));
    assert_eq!(paused_event["data"]["reason"], "Der Kunde ist im Urlaub");
    assert_eq!(paused_event["actor"]["id"], "alice");
    assert!(events.iter().any(|e| e["type"] == "reminders_resumed"));
    let sent: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "step_reminder_sent")
        .map(|e| e["data"]["manual"].clone())
        .collect();
    assert_eq!(sent, [json!(true), json!(false)], "{}", history.body);
}
