use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::events::Actor;
use crate::process::{Process, ProcessInput};
use crate::run::{Creator, RunInput};

/// A run of one installer step due in 5 days, started Monday 2 March 2026, 10:00 in Berlin.
fn run_with(policy: serde_json::Value) -> (Run, DateTime<Utc>) {
    let input: ProcessInput = serde_json::from_value(json!({
        "name": "Meter change",
        "steps": [
            {"key": "install", "name": "Install", "assignee": {"kind": "installer"}, "due_in_days": 5,
             "owner": {"user_id": "bob", "email": "bob@utility.example"}},
            {"key": "check", "name": "Check", "assignee": {"kind": "staff", "user_id": "carla", "email": "carla@utility.example"}},
        ],
        "reminders": policy,
    }))
    .unwrap();
    let process = Process::create("p1".into(), input, Utc::now()).unwrap();
    let run_input: RunInput = serde_json::from_value(json!({
        "participants": {"installer": {"name": "Ivo", "email": "ivo@installer.example", "locale": "fr"}}
    }))
    .unwrap();
    let creator = Creator {
        sub: "alice".into(),
        email: Some("alice@utility.example".into()),
        name: None,
        locale: None,
    };
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let calendar = RunCalendar {
        time_zone: "Europe/Berlin".into(),
        holiday_region: None,
    };
    let (run, _) = Run::start("r1".into(), &process, &[], run_input, creator, calendar, None, start).unwrap();
    (run, start)
}

fn at(d: u32, h: u32) -> DateTime<Utc> {
    // Berlin is UTC+1 in March (before the 29th).
    Utc.with_ymd_and_hms(2026, 3, d, h - 1, 0, 0).unwrap()
}

fn kinds(events: &[RunEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            RunEvent::StepReminderSent { reminder, number, .. } => format!("{reminder:?}#{number}"),
            RunEvent::StepOverdue { .. } => "Overdue!".into(),
            RunEvent::StepEscalated { .. } => "Escalated".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn policy() -> serde_json::Value {
    json!({"before_due_days": 2, "overdue_every_days": 2, "overdue_max": 2, "escalate_after_days": 3})
}

#[test]
fn the_schedule_runs_before_due_overdue_up_to_the_limit_and_escalates() {
    let (mut run, _) = run_with(policy());
    // Due at the end of Saturday 7 March (Berlin).
    let due = run.steps[0].due_at.unwrap();
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 7, 22, 59, 59).unwrap());
    // Before due: Thursday 5 March, 08:00 Berlin.
    assert_eq!(run.wake(), Some(at(5, 8)));
    assert!(run.remind(at(5, 7)).is_empty(), "nothing before its time");
    let events = run.remind(at(5, 8));
    assert_eq!(kinds(&events), ["BeforeDue#1"]);
    let RunEvent::StepReminderSent { days_left, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(*days_left, 2);
    // The same moment again sends nothing (a doubled tick).
    assert!(run.remind(at(5, 8)).is_empty());
    // Overdue at the due moment, then reminded the next morning and two days later, then no more.
    assert_eq!(run.wake(), Some(due));
    assert_eq!(kinds(&run.remind(due)), ["Overdue!"]);
    assert!(run.overdue());
    assert_eq!(run.wake(), Some(at(8, 8)));
    let events = run.remind(at(8, 8));
    assert_eq!(kinds(&events), ["Overdue#1"]);
    let RunEvent::StepReminderSent { days_left, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(*days_left, -1);
    assert_eq!(
        run.wake(),
        Some(at(10, 8)),
        "escalation (3 days) and the next reminder (2 days)"
    );
    assert_eq!(kinds(&run.remind(at(10, 8))), ["Overdue#2", "Escalated"]);
    assert_eq!(run.wake(), None, "the limit is reached and the owner was told");
    assert!(run.remind(at(20, 8)).is_empty());
}

#[test]
fn a_long_outage_sends_one_reminder_per_step_and_the_schedule_goes_on() {
    let (mut run, _) = run_with(json!({"before_due_days": 2, "overdue_every_days": 1, "overdue_max": 3}));
    // Nothing ran from before the reminder until four days after the due date.
    let events = run.remind(at(11, 9));
    assert_eq!(
        kinds(&events),
        ["Overdue!", "Overdue#1"],
        "no before-due reminder once overdue"
    );
    assert_eq!(run.wake(), Some(at(12, 8)));
    assert_eq!(kinds(&run.remind(at(12, 8))), ["Overdue#2"]);
}

#[test]
fn done_steps_finished_runs_and_paused_reminders_send_nothing() {
    let (mut run, _) = run_with(policy());
    let staff = Actor::staff("alice", None);
    run.complete("install", &staff, at(3, 9)).unwrap();
    // The next step (staff) has no due date: nothing scheduled.
    assert_eq!(run.wake(), None);
    assert!(run.remind(at(9, 8)).is_empty());

    let (mut run, _) = run_with(policy());
    run.cancel("customer moved", at(3, 9)).unwrap();
    assert_eq!(run.wake(), None);
    assert!(run.remind(at(9, 8)).is_empty());

    let (mut run, _) = run_with(policy());
    assert_eq!(
        kinds(&run.pause_reminders("on holiday").unwrap()),
        ["RemindersPaused { reason: \"on holiday\" }"]
    );
    assert!(run.pause_reminders("again").unwrap().is_empty());
    assert_eq!(run.wake(), None);
    assert!(run.remind(at(9, 8)).is_empty());
    run.resume_reminders().unwrap();
    // What came due meanwhile: one reminder for the step.
    assert_eq!(kinds(&run.remind(at(9, 9))), ["Overdue!", "Overdue#1"]);
}

#[test]
fn a_new_due_date_starts_afresh_and_manual_reminders_wait_an_hour() {
    let (mut run, _) = run_with(policy());
    run.remind(at(5, 8));
    let staff = Actor::staff("alice", None);
    let err = run
        .remind_now("install", &staff, at(5, 8) + Duration::minutes(30))
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)));
    let events = run.remind_now("install", &staff, at(5, 10)).unwrap();
    assert!(matches!(
        events[0],
        RunEvent::StepReminderSent {
            manual: true,
            reminder: ReminderKind::BeforeDue,
            ..
        }
    ));
    let installer = Actor::new("installer", "x", None);
    assert!(matches!(
        run.remind_now("install", &installer, at(6, 10)),
        Err(DomainError::Forbidden(_))
    ));
    // Moved to Friday 13 March: the before-due reminder comes again for the new date.
    let new_due = Utc.with_ymd_and_hms(2026, 3, 13, 22, 59, 59).unwrap();
    run.move_due_date("install", new_due, "waiting for parts", &staff, at(6, 10))
        .unwrap();
    assert_eq!(run.wake(), Some(at(11, 8)));
    assert_eq!(
        run.steps[0].next_reminder(&run.calendar).unwrap().kind,
        NextAction::BeforeDue
    );
}

#[test]
fn no_policy_still_marks_overdue_and_policies_resolve_and_validate() {
    let (mut run, _) = run_with(serde_json::Value::Null);
    let due = run.steps[0].due_at.unwrap();
    assert_eq!(run.wake(), Some(due));
    assert_eq!(kinds(&run.remind(due)), ["Overdue!"]);
    assert_eq!(run.wake(), None);

    let step = ReminderPolicy {
        before_due_days: Some(1),
        ..Default::default()
    };
    let tenant = ReminderPolicy {
        escalate_after_days: Some(2),
        ..Default::default()
    };
    assert_eq!(ReminderPolicy::resolve(None, None, Some(tenant)), Some(tenant));
    assert_eq!(ReminderPolicy::resolve(Some(step), None, Some(tenant)), Some(step));
    let mut errors = Vec::new();
    ReminderPolicy {
        before_due_days: Some(0),
        overdue_max: Some(99),
        ..Default::default()
    }
    .validate("reminders", &mut errors);
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["reminders.before_due_days", "reminders.overdue_max"]);
}

#[test]
fn a_policy_is_an_object_with_known_fields_only() {
    let p: ReminderPolicy = serde_json::from_str(r#"{"before_due_days": 2}"#).unwrap();
    assert_eq!(p.before_due_days, Some(2));
    assert_eq!(
        serde_json::from_str::<ReminderPolicy>("{}").unwrap(),
        ReminderPolicy::default()
    );
    for bad in [
        "[null, null]",
        "[]",
        "3",
        r#"{"before_due": 2}"#,
        r#"{"overdue_max": -1}"#,
    ] {
        assert!(serde_json::from_str::<ReminderPolicy>(bad).is_err(), "{bad}");
    }
}
