//! The one key builder of the single table, and its access patterns.
//!
//! Every partition key starts with the tenant (`T#{tenant}#…`), except the token rows, which
//! are found by the SHA-256 of a secret token before any tenant is known, the address
//! directory, which a "send me a new link" request reads knowing only an address, and the
//! webhook rows, which an inbound webhook reads knowing only its trigger's id (and proves
//! with the signature); all carry their tenant inside and grant nothing beyond it.
//!
//! | access pattern                           | index | key condition                                         |
//! |------------------------------------------|-------|-------------------------------------------------------|
//! | journey by id                            | table | pk = `T#t#JOURNEYS`, sk = `J#{id}`                     |
//! | journeys of a tenant                     | table | pk = `T#t#JOURNEYS`, sk begins_with `J#`               |
//! | process definition by id                 | table | pk = `T#t#PROCESSES`, sk = `P#{id}`                    |
//! | process definitions of a tenant          | table | pk = `T#t#PROCESSES`, sk begins_with `P#`              |
//! | run by id                                | table | pk = `T#t#RUN#{id}`, sk = `RUN`                        |
//! | history (events) of a run, in order      | table | pk = `T#t#RUN#{id}`, sk begins_with `EVT#`             |
//! | runs of a process [with a status]        | gsi1  | gsi1pk = `T#t#RUNS#P#{process}`, gsi1sk begins_with `{status}#` |
//! | runs with a status, newest first         | gsi2  | gsi2pk = `T#t#RUNS#S#{status}`, gsi2sk = run id (desc) |
//! | all runs, newest first                   | gsi3  | gsi3pk = `T#t#RUNS`, gsi3sk = run id (desc)            |
//! | a participant's tasks across runs        | table | pk = `T#t#PART#{participant}`, sk begins_with `TASK#`  |
//! | history (events) of a participant's access | table | pk = `T#t#PART#{participant}`, sk begins_with `EVT#` |
//! | an upload, until it is confirmed        | table | pk = `T#t#UPLOAD#{id}`, sk = `UPLOAD`                  |
//! | an offer image by its public id         | table | pk = `IMAGE#{id}`, sk = `IMAGE`                        |
//! | where an address has portal access       | table | pk = `ADDRESS#{participant id of the address}`, sk begins_with `T#` |
//! | portal access link / session by token    | table | pk = `TOKEN#{sha256}`, sk = `TOKEN`                    |
//! | partner invitation by token              | table | pk = `TOKEN#{sha256}`, sk = `TOKEN`                    |
//! | partner by id                            | table | pk = `T#t#PARTNERS`, sk = `PT#{id}`                     |
//! | partners of a tenant                     | table | pk = `T#t#PARTNERS`, sk begins_with `PT#`               |
//! | history (events) of a partner            | table | pk = `T#t#PARTNER#{id}`, sk begins_with `EVT#`          |
//! | email template override (kind, language) | table | pk = `T#t#TEMPLATES`, sk = `TPL#{kind}#{lang}`          |
//! | all template overrides of a tenant       | table | pk = `T#t#TEMPLATES`, sk begins_with `TPL#`             |
//! | tenant settings (name, default language) | table | pk = `T#t#SETTINGS`, sk = `SETTINGS`                    |
//! | offer by id                              | table | pk = `T#t#OFFER#{id}`, sk = `OFFER`                    |
//! | history (events) of an offer             | table | pk = `T#t#OFFER#{id}`, sk begins_with `EVT#`           |
//! | offers of a category [with a status]     | gsi1  | gsi1pk = `T#t#OFFERS#C#{category}`, gsi1sk begins_with `{status}#` |
//! | offers with a status, by category        | gsi2  | gsi2pk = `T#t#OFFERS#S#{status}`, gsi2sk = `{category}#{id}` |
//! | all offers, by category                  | gsi3  | gsi3pk = `T#t#OFFERS`, gsi3sk = `{category}#{id}`      |
//! | the active offer of a category (pointer) | table | pk = `T#t#OFFERS#ACTIVE#{category}`, sk = `ACTIVE`     |
//! | order by id                              | table | pk = `T#t#ORDER#{id}`, sk = `ORDER`                    |
//! | history (events) of an order, in order   | table | pk = `T#t#ORDER#{id}`, sk begins_with `EVT#`           |
//! | an end user's orders, newest first       | gsi1  | gsi1pk = `T#t#USER#{h}#ORDERS`, gsi1sk = order id (desc) |
//! | orders with a status, newest first       | gsi2  | gsi2pk = `T#t#ORDERS#S#{status}`, gsi2sk = order id (desc) |
//! | all orders, newest first                 | gsi3  | gsi3pk = `T#t#ORDERS`, gsi3sk = order id (desc)        |
//! | an end user's open orders (one per offer)| table | pk = `T#t#USER#{h}`, sk begins_with `OPEN#`            |
//! | open order of (user, offer): the lock    | table | pk = `T#t#USER#{h}`, sk = `OPEN#{offer}`               |
//! | the tenant's five order steps            | table | pk = `T#t#ORDERSTEPS`, sk = `ORDERSTEPS`               |
//! | history of the order-step configuration  | table | pk = `T#t#ORDERSTEPS`, sk begins_with `EVT#`           |
//! | an address that takes no more email      | table | pk = `T#t#UNDELIVERABLE`, sk = `ADDR#{participant id of the address}` |
//! | the tenant's undeliverable addresses     | table | pk = `T#t#UNDELIVERABLE`, sk begins_with `ADDR#`        |
//! | email sent for (event, recipient)        | table | pk = `T#t#MAIL#{event}#{recipient}`, sk = `CLAIM`      |
//! | result of an idempotent request          | table | pk = `T#t#IDEM#{scope}#{key}`, sk = `IDEM`             |
//! | a rate limit's counter in a time window  | table | pk = `LIMIT#{name}#{sha256 of subject}`, sk = `W#{window}` |
//! | overdue runs, newest first               | gsi4  | gsi4pk = `T#t#RUNS#OVERDUE`, gsi4sk = run id (desc; sparse) |
//! | team by id                                | table | pk = `T#t#TEAMS`, sk = `TM#{id}`                       |
//! | teams of a tenant                        | table | pk = `T#t#TEAMS`, sk begins_with `TM#`                 |
//! | history (events) of a team               | table | pk = `T#t#TEAM#{id}`, sk begins_with `EVT#`            |
//! | staff inbox: steps of an assignee and a process, by an order | gsi1 | gsi1pk = `T#t#INBOX#{order}#S#{status}#A#{a}#P#{process}`, gsi1sk = `{order key}#{run}#{step}` |
//! | staff inbox: steps of an assignee        | gsi2  | gsi2pk = `T#t#INBOX#{order}#S#{status}#A#{a}`, gsi2sk as gsi1sk |
//! | staff inbox: steps of a process          | gsi3  | gsi3pk = `T#t#INBOX#{order}#S#{status}#P#{process}`, gsi3sk as gsi1sk |
//! | staff inbox: all steps with a status     | gsi4  | gsi4pk = `T#t#INBOX#{order}#S#{status}`, gsi4sk as gsi1sk (due before: sk < `{date}`) |
//! | comment by id                             | table | pk = `T#t#COMMENT#{id}`, sk = `COMMENT` (its events: same pk) |
//! | comments of a run, oldest first          | table | pk = `T#t#RUN#{run}`, sk begins_with `CMT#`             |
//! | a reader's comment mailbox for a run     | table | pk = `T#t#MAILBOX#{run}.{hash of the address}`, sk = `MAILBOX` |
//! | trigger by id                             | table | pk = `T#t#TRIGGERS`, sk = `TR#{id}`                     |
//! | triggers of a tenant                     | table | pk = `T#t#TRIGGERS`, sk begins_with `TR#`               |
//! | history (events) of a trigger            | table | pk = `T#t#TRIGGER#{id}`, sk begins_with `EVT#`          |
//! | triggers reacting to an event kind       | gsi1  | gsi1pk = `T#t#TRIGGERS#ON#{on}`, gsi1sk = trigger id    |
//! | triggers starting a process              | gsi2  | gsi2pk = `T#t#TRIGGERS#P#{process}`, gsi2sk = trigger id |
//! | an inbound webhook's secret and tenant   | table | pk = `HOOK#{trigger}`, sk = `HOOK`                     |
//! | webhook subscription by id               | table | pk = `T#t#SUBSCRIPTIONS`, sk = `SUB#{id}`               |
//! | webhook subscriptions of a tenant        | table | pk = `T#t#SUBSCRIPTIONS`, sk begins_with `SUB#`         |
//! | a subscription's signing secret          | table | pk = `T#t#SUBSCRIPTIONS`, sk = `SECRET#{id}`            |
//! | history (events) of a subscription       | table | pk = `T#t#SUBSCRIPTION#{id}`, sk begins_with `EVT#`     |
//! | a delivery (subscription, event)         | table | pk = `T#t#SUBSCRIPTION#{id}#DELIVERIES`, sk = `DL#{event}` |
//! | a subscription's delivery log, newest first | table | pk = `T#t#SUBSCRIPTION#{id}#DELIVERIES`, sk begins_with `DL#` |
//! | what the sweeper does next, in time order | table | pk = `WAKE#{shard 0-3}`, sk < `{now}$` (sk = `{at}#{tenant}#{kind}#{id}`) |
//!
//! The due index (`WAKE#…`) is read by the sweeper before it knows any tenant: one row per
//! run or partner with something scheduled, under the time of its next action, written and
//! moved in the transaction of the change that moved that time. Four shards spread the
//! writes; a tick reads each shard up to now, so its cost follows what is due, not the number
//! of runs.
//!
//! The inbox rows live in their run's partition (`sk = INBOX#{order}#{step}`), one per step
//! and order (`due`: the due date, undated last; `act`: the activation), and are in all four
//! indexes at once, so each combination of the assignee and process filters is one Query.
//! `{a}` is the hash of the assignee (`user:{id}` for a staff member or a team step's
//! claimer, `team:{id}` for an unclaimed team step, `partner:{id}`, `customer`, `installer`).
//!
//! `{h}` is the first 32 hex digits of the SHA-256 of the end user's `sub`, so that no claim
//! value can break the key structure.
//!
//! Event rows (outbox and history) have `sk = EVT#{version:012}-{n:02}`: the aggregate's
//! version after the change, then the change's position, so a history reads in order.
//!
//! Test runs (`test: true`) use `T#t#TESTRUNS…` in place of `T#t#RUNS…` in gsi1-3, so the
//! default lists leave them out and `?test=true` lists them.

pub const TOKEN_SK: &str = "TOKEN";

pub struct Key {
    pub pk: String,
    pub sk: String,
}

fn tenant(t: &str) -> String {
    format!("T#{t}#")
}

/// The prefix every partition key of a tenant starts with (cursors are checked against it).
pub fn tenant_prefix(t: &str) -> String {
    tenant(t)
}

pub fn journeys_pk(t: &str) -> String {
    format!("{}JOURNEYS", tenant(t))
}
pub const JOURNEY_SK_PREFIX: &str = "J#";
pub fn journey(t: &str, id: &str) -> Key {
    Key {
        pk: journeys_pk(t),
        sk: format!("{JOURNEY_SK_PREFIX}{id}"),
    }
}

pub fn processes_pk(t: &str) -> String {
    format!("{}PROCESSES", tenant(t))
}
pub const PROCESS_SK_PREFIX: &str = "P#";
pub fn process(t: &str, id: &str) -> Key {
    Key {
        pk: processes_pk(t),
        sk: format!("{PROCESS_SK_PREFIX}{id}"),
    }
}

/// An event row (outbox and history) in its aggregate's partition `aggregate_pk`.
pub fn event(aggregate_pk: &str, event_id: &str) -> Key {
    Key {
        pk: aggregate_pk.to_string(),
        sk: format!("{EVENT_SK_PREFIX}{event_id}"),
    }
}

pub fn run(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}RUN#{id}", tenant(t)),
        sk: "RUN".into(),
    }
}
pub const EVENT_SK_PREFIX: &str = "EVT#";

fn runs_root(t: &str, test: bool) -> String {
    format!("{}{}", tenant(t), if test { "TESTRUNS" } else { "RUNS" })
}
/// gsi1: runs of a process, sorted by status then id.
pub fn runs_by_process(t: &str, test: bool, process_id: &str) -> String {
    format!("{}#P#{process_id}", runs_root(t, test))
}
pub fn runs_by_process_sk(status: &str, run_id: &str) -> String {
    format!("{status}#{run_id}")
}
/// gsi2: runs with a status.
pub fn runs_by_status(t: &str, test: bool, status: &str) -> String {
    format!("{}#S#{status}", runs_root(t, test))
}
/// gsi3: all runs.
pub fn runs_all(t: &str, test: bool) -> String {
    runs_root(t, test)
}
/// gsi4: runs with an overdue step.
pub fn runs_overdue(t: &str, test: bool) -> String {
    format!("{}#OVERDUE", runs_root(t, test))
}

/// The due index's shards.
pub const WAKE_SHARDS: u8 = 4;
pub fn wake_pk(shard: u8) -> String {
    format!("WAKE#{shard}")
}
fn wake_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
/// The row that wakes the sweeper for an aggregate (`kind`: `run`, `partner`) at `at`.
pub fn wake(t: &str, kind: &str, id: &str, at: chrono::DateTime<chrono::Utc>) -> Key {
    let shard = domain::ids::hash_token(&format!("{t}#{kind}#{id}"))
        .bytes()
        .next()
        .map_or(0, |b| b % WAKE_SHARDS);
    Key {
        pk: wake_pk(shard),
        sk: format!("{}#{}{kind}#{id}", wake_time(at), tenant(t)),
    }
}
/// A due-index sort key bound: every row due at or before `now` sorts below it (`$` > `#`).
pub fn wake_due_by(now: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}$", wake_time(now))
}

pub fn participant_pk(t: &str, participant: &str) -> String {
    format!("{}PART#{participant}", tenant(t))
}
pub const TASK_SK_PREFIX: &str = "TASK#";
pub fn task(t: &str, participant: &str, run_id: &str, step_key: &str) -> Key {
    Key {
        pk: participant_pk(t, participant),
        sk: format!("{TASK_SK_PREFIX}{run_id}#{step_key}"),
    }
}

/// An address's portal access at one tenant (as a participant, or as one user of a partner):
/// written with each access link, read by "send me a new link".
pub fn address(address_id: &str, t: &str, participant: &str, user: Option<&str>) -> Key {
    Key {
        pk: address_pk(address_id),
        sk: format!("{}{participant}#{}", tenant(t), user.unwrap_or("-")),
    }
}
pub fn address_pk(address_id: &str) -> String {
    format!("ADDRESS#{address_id}")
}

/// An upload asked for, until confirmed (a day at most).
pub fn upload(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}UPLOAD#{id}", tenant(t)),
        sk: "UPLOAD".into(),
    }
}

/// An offer image's public id: where its file is (found before any tenant is known).
pub fn offer_image(id: &str) -> Key {
    Key {
        pk: format!("IMAGE#{id}"),
        sk: "IMAGE".into(),
    }
}

pub fn token(hash: &str) -> Key {
    Key {
        pk: format!("TOKEN#{hash}"),
        sk: TOKEN_SK.into(),
    }
}

/// A rate limit's counter: `name` says what is limited, `subject_hash` whom (a token's or a
/// client address's SHA-256; limits apply before any tenant is known), `window` which window.
pub fn rate_limit(name: &str, subject_hash: &str, window: i64) -> Key {
    Key {
        pk: format!("LIMIT#{name}#{subject_hash}"),
        sk: format!("W#{window}"),
    }
}

pub fn undeliverable_pk(t: &str) -> String {
    format!("{}UNDELIVERABLE", tenant(t))
}
pub const UNDELIVERABLE_SK_PREFIX: &str = "ADDR#";
/// An undeliverable address, by the hash that also names its participant (case-insensitive).
pub fn undeliverable(t: &str, email: &str) -> Key {
    Key {
        pk: undeliverable_pk(t),
        sk: format!("{UNDELIVERABLE_SK_PREFIX}{}", domain::ids::participant_id(email)),
    }
}

pub fn mail_claim(t: &str, event_id: &str, recipient: &str) -> Key {
    Key {
        pk: format!("{}MAIL#{event_id}#{recipient}", tenant(t)),
        sk: "CLAIM".into(),
    }
}

pub fn idempotency(t: &str, scope: &str, key: &str) -> Key {
    Key {
        pk: format!("{}IDEM#{scope}#{key}", tenant(t)),
        sk: "IDEM".into(),
    }
}

pub fn partners_pk(t: &str) -> String {
    format!("{}PARTNERS", tenant(t))
}
pub const PARTNER_SK_PREFIX: &str = "PT#";
pub fn partner(t: &str, id: &str) -> Key {
    Key {
        pk: partners_pk(t),
        sk: format!("{PARTNER_SK_PREFIX}{id}"),
    }
}

/// The partition of a partner's events (the partner item itself lives in `partners_pk`).
pub fn partner_events_pk(t: &str, partner_id: &str) -> String {
    format!("{}PARTNER#{partner_id}", tenant(t))
}

pub fn teams_pk(t: &str) -> String {
    format!("{}TEAMS", tenant(t))
}
pub const TEAM_SK_PREFIX: &str = "TM#";
pub fn team(t: &str, id: &str) -> Key {
    Key {
        pk: teams_pk(t),
        sk: format!("{TEAM_SK_PREFIX}{id}"),
    }
}
/// The partition of a team's events.
pub fn team_events_pk(t: &str, team_id: &str) -> String {
    format!("{}TEAM#{team_id}", tenant(t))
}

pub fn triggers_pk(t: &str) -> String {
    format!("{}TRIGGERS", tenant(t))
}
pub const TRIGGER_SK_PREFIX: &str = "TR#";
pub fn trigger(t: &str, id: &str) -> Key {
    Key {
        pk: triggers_pk(t),
        sk: format!("{TRIGGER_SK_PREFIX}{id}"),
    }
}
pub fn trigger_events_pk(t: &str, id: &str) -> String {
    format!("{}TRIGGER#{id}", tenant(t))
}
/// A webhook trigger's secret and tenant, found by the trigger id alone.
pub fn hook(trigger_id: &str) -> Key {
    Key {
        pk: format!("HOOK#{trigger_id}"),
        sk: "HOOK".into(),
    }
}
pub fn subscriptions_pk(t: &str) -> String {
    format!("{}SUBSCRIPTIONS", tenant(t))
}
pub const SUBSCRIPTION_SK_PREFIX: &str = "SUB#";
pub fn subscription(t: &str, id: &str) -> Key {
    Key {
        pk: subscriptions_pk(t),
        sk: format!("{SUBSCRIPTION_SK_PREFIX}{id}"),
    }
}
pub fn subscription_secret(t: &str, id: &str) -> Key {
    Key {
        pk: subscriptions_pk(t),
        sk: format!("SECRET#{id}"),
    }
}
pub fn subscription_events_pk(t: &str, id: &str) -> String {
    format!("{}SUBSCRIPTION#{id}", tenant(t))
}
pub fn deliveries_pk(t: &str, subscription_id: &str) -> String {
    format!("{}#DELIVERIES", subscription_events_pk(t, subscription_id))
}
pub const DELIVERY_SK_PREFIX: &str = "DL#";
/// A delivery by its id `{subscription}.{event}`.
pub fn delivery(t: &str, id: &str) -> Key {
    let (sub, event) = id.split_once('.').unwrap_or((id, ""));
    Key {
        pk: deliveries_pk(t, sub),
        sk: format!("{DELIVERY_SK_PREFIX}{event}"),
    }
}

/// gsi1: the triggers reacting to an event kind.
pub fn triggers_on(t: &str, on: &str) -> String {
    format!("{}#ON#{on}", triggers_pk(t))
}
/// gsi2: the triggers starting a process.
pub fn triggers_starting(t: &str, process_id: &str) -> String {
    format!("{}#P#{process_id}", triggers_pk(t))
}

pub fn comment(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}COMMENT#{id}", tenant(t)),
        sk: "COMMENT".into(),
    }
}
pub const COMMENT_SK_PREFIX: &str = "CMT#";
/// A comment's row in its run's partition (what a run's comment list reads).
pub fn run_comment(t: &str, run_id: &str, id: &str) -> Key {
    Key {
        pk: run(t, run_id).pk,
        sk: format!("{COMMENT_SK_PREFIX}{id}"),
    }
}
/// The id of a reader's mailbox for a run: the run and the hash of the address.
pub fn mailbox_id(run_id: &str, email: &str) -> String {
    format!(
        "{run_id}.{}",
        &domain::ids::hash_token(&email.trim().to_lowercase())[..32]
    )
}
pub fn mailbox(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}MAILBOX#{id}", tenant(t)),
        sk: "MAILBOX".into(),
    }
}

/// A step's inbox row for an order (`due` or `act`), in its run's partition.
pub fn inbox_row(t: &str, run_id: &str, order: &str, step_key: &str) -> Key {
    Key {
        pk: run(t, run_id).pk,
        sk: format!("INBOX#{order}#{step_key}"),
    }
}
/// The inbox partition of an order and a status, narrowed to an assignee and/or a process
/// (gsi1: both, gsi2: the assignee, gsi3: the process, gsi4: neither).
pub fn inbox(t: &str, test: bool, order: &str, status: &str, assignee: Option<&str>, process: Option<&str>) -> String {
    let mut pk = format!(
        "{}INBOX#{order}#S#{status}",
        if test { runs_root(t, true) + "#" } else { tenant(t) }
    );
    if let Some(a) = assignee {
        pk.push_str("#A#");
        pk.push_str(&domain::ids::hash_token(a)[..32]);
    }
    if let Some(p) = process {
        pk.push_str("#P#");
        pk.push_str(p);
    }
    pk
}

pub fn templates_pk(t: &str) -> String {
    format!("{}TEMPLATES", tenant(t))
}
pub const TEMPLATE_SK_PREFIX: &str = "TPL#";
pub fn template(t: &str, kind: &str, lang: &str) -> Key {
    Key {
        pk: templates_pk(t),
        sk: format!("{TEMPLATE_SK_PREFIX}{kind}#{lang}"),
    }
}

pub fn settings(t: &str) -> Key {
    Key {
        pk: format!("{}SETTINGS", tenant(t)),
        sk: "SETTINGS".into(),
    }
}

pub fn offer(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}OFFER#{id}", tenant(t)),
        sk: "OFFER".into(),
    }
}
/// gsi1: offers of a category, sorted by status then id.
pub fn offers_by_category(t: &str, category: &str) -> String {
    format!("{}OFFERS#C#{category}", tenant(t))
}
pub fn offers_by_category_sk(status: &str, offer_id: &str) -> String {
    format!("{status}#{offer_id}")
}
/// gsi2: offers with a status, sorted (grouped) by category then id.
pub fn offers_by_status(t: &str, status: &str) -> String {
    format!("{}OFFERS#S#{status}", tenant(t))
}
/// gsi2 and gsi3 sort key of an offer: grouped by category, then in creation order.
pub fn offers_grouped_sk(category: &str, offer_id: &str) -> String {
    format!("{category}#{offer_id}")
}
/// gsi3: all offers, grouped by category.
pub fn offers_all(t: &str) -> String {
    format!("{}OFFERS", tenant(t))
}
/// The pointer to the one active offer of a category; every activation and every close of
/// an active offer writes it under a version check.
pub fn active_offer(t: &str, category: &str) -> Key {
    Key {
        pk: format!("{}OFFERS#ACTIVE#{category}", tenant(t)),
        sk: "ACTIVE".into(),
    }
}

pub fn order(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}ORDER#{id}", tenant(t)),
        sk: "ORDER".into(),
    }
}
/// gsi2: orders with a status.
pub fn orders_by_status(t: &str, status: &str) -> String {
    format!("{}ORDERS#S#{status}", tenant(t))
}
/// gsi3: all orders.
pub fn orders_all(t: &str) -> String {
    format!("{}ORDERS", tenant(t))
}
/// An end user's partition (their open-order rows).
/// `{h}`: an end user's `sub`, hashed, so that no claim value can break the key structure.
pub fn user_hash(sub: &str) -> String {
    domain::ids::hash_token(sub)[..32].to_string()
}
pub fn user_pk(t: &str, sub: &str) -> String {
    format!("{}USER#{}", tenant(t), user_hash(sub))
}
/// gsi1: an end user's orders.
pub fn orders_of_user(t: &str, sub: &str) -> String {
    format!("{}#ORDERS", user_pk(t, sub))
}
pub const OPEN_ORDER_SK_PREFIX: &str = "OPEN#";
/// The open order of (user, offer): written only if absent when an order is placed, deleted
/// when it ends, so a user has at most one open order per offer.
pub fn open_order(t: &str, sub: &str, offer_id: &str) -> Key {
    Key {
        pk: user_pk(t, sub),
        sk: format!("{OPEN_ORDER_SK_PREFIX}{offer_id}"),
    }
}
/// The tenant's five order steps (absent: the built-in default set).
pub fn order_steps(t: &str) -> Key {
    Key {
        pk: format!("{}ORDERSTEPS", tenant(t)),
        sk: "ORDERSTEPS".into(),
    }
}
