use chrono::{Duration, Utc};
use serde_json::{json, Map};

use super::*;
use crate::due::RunCalendar;
use crate::ids::participant_id;
use crate::journey::{Field, FieldType};
use crate::process::{Process, ProcessInput};
use crate::run::{Creator, JourneySnapshot, RunInput, RunStatus};

/// install (installer, a journey with two fields) -> triage (team) -> confirm (customer).
fn run() -> Run {
    let input: ProcessInput = serde_json::from_value(json!({
        "name": "Meter change",
        "steps": [
            {"key": "install", "name": "Install", "assignee": {"kind": "installer"}, "journey_id": "j1",
             "due_in_days": 5},
            {"key": "triage", "name": "Triage", "assignee": {"kind": "team", "team_id": "back-office"}},
            {"key": "confirm", "name": "Confirm", "assignee": {"kind": "customer"}},
        ],
    }))
    .unwrap();
    let process = Process::create("p1".into(), input, Utc::now()).unwrap();
    let journey = JourneySnapshot {
        id: "j1".into(),
        name: "Report".into(),
        fields: ["meter", "reading"]
            .into_iter()
            .map(|k| Field {
                key: k.into(),
                label: Text::Plain(format!("{k} label")),
                kind: FieldType::Text,
                required: true,
                options: None,
            })
            .collect(),
    };
    let run_input: RunInput = serde_json::from_value(json!({"participants": {
        "installer": {"name": "Ivo", "email": "ivo@installer.example"},
        "customer": {"name": "Cleo", "email": "cleo@customer.example"},
    }}))
    .unwrap();
    let creator = Creator {
        sub: "alice".into(),
        email: None,
        name: None,
        locale: None,
    };
    Run::start(
        "r1".into(),
        &process,
        &[journey],
        run_input,
        creator,
        RunCalendar::default(),
        None,
        Utc::now(),
    )
    .unwrap()
    .0
}

fn staff(id: &str) -> Actor {
    Actor::staff(id, None)
}

fn installer() -> Actor {
    Actor::new("installer", &participant_id("ivo@installer.example"), None)
}

fn answers() -> Map<String, serde_json::Value> {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_value(json!({"meter": "M-1", "reading": "42"})) else {
        unreachable!()
    };
    m
}

#[test]
fn changes_need_a_submission_a_reason_and_known_fields() {
    let mut r = run();
    let now = Utc::now();
    let e = r
        .request_changes("install", "check", &[], &staff("bob"), now)
        .unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)), "{e:?}");
    r.submit("install", answers(), &installer(), now).unwrap();
    let e = r.request_changes("install", "  ", &[], &staff("bob"), now).unwrap_err();
    assert!(
        matches!(e, DomainError::Invalid(ref v) if v[0].field == "reason"),
        "{e:?}"
    );
    let e = r
        .request_changes("install", "why", &["nope".into()], &staff("bob"), now)
        .unwrap_err();
    assert!(
        matches!(e, DomainError::Invalid(ref v) if v[0].field == "fields[0]"),
        "{e:?}"
    );
    let e = r.request_changes("install", "why", &[], &installer(), now).unwrap_err();
    assert!(matches!(e, DomainError::Forbidden(_)));
    let v = r.version;
    let events = r
        .request_changes(
            "install",
            "The reading is blurred",
            &["reading".into()],
            &staff("bob"),
            now,
        )
        .unwrap();
    assert_eq!(r.version, v + 1);
    let step = r.step("install").unwrap();
    assert_eq!(step.status, StepStatus::Active);
    assert_eq!(
        step.changes_requested.as_ref().unwrap().fields,
        vec!["reading".to_string()]
    );
    assert!(step.submission.is_some(), "the answers stay");
    match &events[0] {
        RunEvent::StepChangesRequested {
            reopened, field_labels, ..
        } => {
            assert!(!reopened);
            assert_eq!(field_labels.pick(Lang::Fr, Lang::De), "reading label");
        }
        e => panic!("{e:?}"),
    }
    // Done again: the request is gone.
    r.complete("install", &installer(), now).unwrap();
    assert!(r.step("install").unwrap().changes_requested.is_none());
}

#[test]
fn a_step_just_done_comes_back_and_the_next_one_waits() {
    let mut r = run();
    let now = Utc::now();
    r.submit("install", answers(), &installer(), now).unwrap();
    r.complete("install", &installer(), now).unwrap();
    assert_eq!(r.current_step(), Some("triage"));
    let later = now + Duration::days(1);
    let events = r
        .request_changes("install", "Wrong meter", &[], &staff("bob"), later)
        .unwrap();
    assert!(matches!(
        &events[0],
        RunEvent::StepChangesRequested { reopened: true, .. }
    ));
    assert_eq!(r.current_step(), Some("install"));
    let install = r.step("install").unwrap();
    assert!(install.completed_at.is_none());
    assert_eq!(
        install.due_at,
        Some(install.due_rule().unwrap().due(later, &r.calendar))
    );
    let triage = r.step("triage").unwrap();
    assert_eq!(triage.status, StepStatus::Pending);
    assert!(triage.activated_at.is_none());
    // Once a later step is done, it cannot go back.
    r.complete("install", &installer(), later).unwrap();
    r.claim("triage", &staff("carla"), later).unwrap();
    r.complete("triage", &staff("carla"), later).unwrap();
    let e = r
        .request_changes("install", "late", &[], &staff("bob"), later)
        .unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)));
    // A finished run: nothing.
    r.cancel("moved", later).unwrap();
    assert_eq!(r.status, RunStatus::Cancelled);
    let e = r.request_changes("triage", "x", &[], &staff("bob"), later).unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)));
}

#[test]
fn a_team_step_is_completed_by_its_claimer_or_by_override() {
    let mut r = run();
    let now = Utc::now();
    r.submit("install", answers(), &installer(), now).unwrap();
    r.complete("install", &installer(), now).unwrap();
    let e = r.complete("triage", &staff("carla"), now).unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)), "unclaimed");
    r.claim("triage", &staff("carla"), now).unwrap();
    let e = r.claim("triage", &staff("dan"), now).unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)), "claimed already");
    let e = r.release("triage", &staff("dan"), false).unwrap_err();
    assert!(matches!(e, DomainError::Forbidden(_)));
    let e = r.complete("triage", &staff("dan"), now).unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)), "someone else's claim");
    r.release("triage", &staff("carla"), false).unwrap();
    r.claim("triage", &staff("dan"), now).unwrap();
    r.complete_as("triage", &staff("erin"), true, now).unwrap();
    assert_eq!(r.current_step(), Some("confirm"));
}

#[test]
fn reassignment_works_on_open_steps_only() {
    let mut r = run();
    let now = Utc::now();
    let to = Assignee::Staff {
        user_id: "bob".into(),
        email: "bob@utility.example".into(),
        name: None,
    };
    let events = r.reassign_step("install", to.clone(), &staff("alice")).unwrap();
    assert!(
        matches!(
            &events[0],
            RunEvent::StepReassigned {
                active: true,
                old: Assignee::Installer,
                ..
            }
        ),
        "{events:?}"
    );
    assert!(matches!(
        r.reassign_step("install", to.clone(), &staff("alice")),
        Err(DomainError::Conflict(_))
    ));
    let bad = Assignee::Staff {
        user_id: "x".into(),
        email: "not-an-address".into(),
        name: None,
    };
    assert!(matches!(
        r.reassign_step("confirm", bad, &staff("alice")),
        Err(DomainError::Invalid(_))
    ));
    let events = r
        .reassign_step("confirm", Assignee::Installer, &staff("alice"))
        .unwrap();
    assert!(matches!(&events[0], RunEvent::StepReassigned { active: false, .. }));
    r.complete("install", &staff("bob"), now).unwrap();
    assert!(matches!(
        r.reassign_step("install", Assignee::Customer, &staff("alice")),
        Err(DomainError::Conflict(_))
    ));
    let owner = Owner {
        user_id: "olga".into(),
        email: "olga@utility.example".into(),
        name: Some(" Olga ".into()),
    };
    let events = r.change_owner("confirm", owner, &staff("alice")).unwrap();
    assert!(matches!(&events[0], RunEvent::StepOwnerChanged { owner, .. } if owner.name.as_deref() == Some("Olga")));
    assert!(matches!(
        r.change_owner(
            "install",
            Owner {
                user_id: "o".into(),
                email: "o@u.example".into(),
                name: None
            },
            &staff("alice")
        ),
        Err(DomainError::Conflict(_))
    ));
}
