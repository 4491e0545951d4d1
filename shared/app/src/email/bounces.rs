//! SES's bounce and complaint reports, as they arrive (SES event publishing through a
//! configuration set, SNS, SQS; or SES's older identity notifications), and what they change:
//! the address is marked undeliverable for the tenant the email's tags name, and the run the
//! email was about shows it on the steps of that participant.
//!
//! Only hard bounces (`bounceType: Permanent`) and complaints mark an address: a transient
//! bounce (a full mailbox, a greylisting server) is retried by SES itself and marks nothing.

use chrono::{DateTime, Utc};
use domain::run::{UndeliverableReason, Unreachable};
use serde_json::{json, Value};
use store::Table;

use crate::error::AppResult;
use crate::repo::undeliverable;

/// The message tags every email carries, so that a report finds its tenant and run again.
pub const TAG_TENANT: &str = "tenant";
pub const TAG_RUN: &str = "run";
pub const TAG_KIND: &str = "kind";
/// The event an email was sent for (with the address, what its claim is keyed by).
pub const TAG_EVENT: &str = "event";

/// One address reported undeliverable.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub tenant: String,
    pub run_id: Option<String>,
    pub unreachable: Unreachable,
}

/// The notices in one queue message: the SES JSON itself (raw delivery) or inside an SNS
/// envelope (`Type: Notification`, `Message`). A delivery, open or transient bounce gives
/// none; a message that is no SES report at all is an error (it cannot succeed later).
pub fn parse(body: &str) -> Result<Vec<Notice>, String> {
    let outer: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let event = match (outer.get("Type").and_then(Value::as_str), outer.get("Message")) {
        (Some("Notification"), Some(Value::String(inner))) => {
            serde_json::from_str(inner).map_err(|e| format!("SNS message is not JSON: {e}"))?
        }
        _ => outer,
    };
    let kind = event
        .get("eventType")
        .or_else(|| event.get("notificationType"))
        .and_then(Value::as_str)
        .ok_or("no eventType or notificationType: not an SES report")?;
    let (reason, report, list, detail_of): (_, &str, &str, Detail) = match kind {
        "Bounce" => {
            if event["bounce"]["bounceType"].as_str() != Some("Permanent") {
                return Ok(Vec::new());
            }
            (UndeliverableReason::Bounce, "bounce", "bouncedRecipients", |r, b| {
                text(&r["diagnosticCode"])
                    .or_else(|| text(&r["status"]))
                    .or_else(|| text(&b["bounceSubType"]))
            })
        }
        "Complaint" => (
            UndeliverableReason::Complaint,
            "complaint",
            "complainedRecipients",
            |_, c| text(&c["complaintFeedbackType"]),
        ),
        _ => return Ok(Vec::new()),
    };
    let tags = &event["mail"]["tags"];
    let tag = |name: &str| tags[name].get(0).and_then(Value::as_str).map(str::to_string);
    let tenant = tag(TAG_TENANT).ok_or("the email carries no tenant tag")?;
    let report = &event[report];
    let at = report["timestamp"]
        .as_str()
        .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        .unwrap_or_else(Utc::now);
    let recipients = report[list].as_array().cloned().unwrap_or_default();
    Ok(recipients
        .iter()
        .filter_map(|r| {
            let email = address(r["emailAddress"].as_str()?)?;
            Some(Notice {
                tenant: tenant.clone(),
                run_id: tag(TAG_RUN),
                unreachable: Unreachable {
                    email,
                    reason,
                    detail: detail_of(r, report).map(|d| d.chars().take(500).collect()),
                    since: at,
                },
            })
        })
        .collect())
}

/// What a report says about one recipient: (the recipient's entry, the whole report).
type Detail = fn(&Value, &Value) -> Option<String>;

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The bare address of `Name <a@b>` or `a@b`; `None` when that is no address.
fn address(raw: &str) -> Option<String> {
    let bare = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => &raw[open + 1..close],
        _ => raw,
    };
    let bare = bare.trim();
    domain::valid_email(bare).then(|| bare.to_string())
}

/// Applies a notice: the address takes no more email from the tenant, and the run it was
/// about shows it. Repeating a notice changes nothing more.
pub async fn apply(table: &dyn Table, notice: &Notice) -> AppResult<()> {
    let u = &notice.unreachable;
    let entry = undeliverable::record(table, &notice.tenant, u).await?;
    tracing::warn!(tenant = notice.tenant, reason = ?u.reason, "address marked undeliverable");
    if let Some(run) = &notice.run_id {
        undeliverable::mark_run(table, &notice.tenant, run, &entry.unreachable()).await?;
    }
    Ok(())
}

/// The report SES's mailbox simulator publishes for an email it was sent: to
/// `bounce[+label]@simulator.amazonses.com` a hard bounce, to `complaint[+label]@…` a
/// complaint, to any other address none. In the shape of SES event publishing, with the
/// email's tags: local-server's mailbox and the AWS-path tests feed it to [`parse`].
pub fn simulated_report(email: &crate::email::mailer::OutgoingEmail) -> Option<String> {
    let to = email.to.to_ascii_lowercase();
    let (local, domain) = to.split_once('@')?;
    if domain != "simulator.amazonses.com" {
        return None;
    }
    let tags: serde_json::Map<String, Value> = email.tags.iter().map(|(n, v)| (n.clone(), json!([v]))).collect();
    let now = Utc::now();
    let mail = json!({"timestamp": now, "source": email.from, "messageId": domain::ids::new_id(),
                      "destination": [email.to], "tags": tags});
    let report = match local.split('+').next() {
        Some("bounce") => json!({"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General", "timestamp": now, "feedbackId": "simulated",
            "bouncedRecipients": [{"emailAddress": email.to, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}),
        Some("complaint") => json!({"eventType": "Complaint", "mail": mail, "complaint": {
            "timestamp": now, "feedbackId": "simulated", "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": email.to}]}}),
        _ => return None,
    };
    Some(report.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(tags: Value) -> Value {
        json!({"timestamp": "2026-12-02T08:00:00.000Z", "source": "portal@u.example", "messageId": "0100-abc",
               "destination": ["i@x.ch"], "tags": tags})
    }

    #[test]
    fn a_hard_bounce_through_sns_names_tenant_run_and_diagnostic() {
        let ses = json!({"eventType": "Bounce", "mail": mail(json!({"tenant": ["acme"], "run": ["R1"], "ses:configuration-set": ["portal"]})),
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-12-02T08:00:01.000Z", "feedbackId": "f",
                "bouncedRecipients": [{"emailAddress": "Ivo <i@x.ch>", "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}});
        let sns = json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:eu-central-1:1:t", "Message": ses.to_string()});
        let n = parse(&sns.to_string()).unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!((n[0].tenant.as_str(), n[0].run_id.as_deref()), ("acme", Some("R1")));
        assert_eq!(n[0].unreachable.email, "i@x.ch");
        assert_eq!(n[0].unreachable.reason, UndeliverableReason::Bounce);
        assert_eq!(n[0].unreachable.detail.as_deref(), Some("smtp; 550 5.1.1 user unknown"));
        assert_eq!(parse(&ses.to_string()).unwrap(), n, "raw delivery reads the same");
    }

    #[test]
    fn complaints_mark_transient_bounces_and_deliveries_do_not() {
        let complaint = json!({"notificationType": "Complaint", "mail": mail(json!({"tenant": ["acme"]})),
            "complaint": {"complainedRecipients": [{"emailAddress": "c@x.ch"}], "timestamp": "2026-12-02T08:00:01Z", "complaintFeedbackType": "abuse"}});
        let n = parse(&complaint.to_string()).unwrap();
        assert_eq!(n[0].unreachable.reason, UndeliverableReason::Complaint);
        assert_eq!(n[0].unreachable.detail.as_deref(), Some("abuse"));
        assert_eq!(n[0].run_id, None);
        let transient = json!({"eventType": "Bounce", "mail": mail(json!({"tenant": ["acme"]})),
            "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "i@x.ch"}]}});
        assert!(parse(&transient.to_string()).unwrap().is_empty());
        let delivery = json!({"eventType": "Delivery", "mail": mail(json!({"tenant": ["acme"]})), "delivery": {}});
        assert!(parse(&delivery.to_string()).unwrap().is_empty());
    }

    #[test]
    fn what_is_no_report_is_an_error() {
        assert!(parse("[]").is_err());
        assert!(parse("{").is_err());
        let untagged = json!({"eventType": "Complaint", "mail": mail(json!({})),
            "complaint": {"complainedRecipients": [{"emailAddress": "c@x.ch"}]}});
        assert!(parse(&untagged.to_string()).is_err());
        let bad_address = json!({"eventType": "Complaint", "mail": mail(json!({"tenant": ["acme"]})),
            "complaint": {"complainedRecipients": [{"emailAddress": "a@b\r\nBcc: x"}]}});
        assert!(parse(&bad_address.to_string()).unwrap().is_empty());
    }

    #[test]
    fn the_mailbox_simulator_reports_with_the_emails_tags() {
        use crate::email::mailer::OutgoingEmail;
        let email = |to: &str| {
            OutgoingEmail::new(to, "p@u.example", "s", "t".into(), None)
                .tagged(TAG_TENANT, "acme")
                .tagged(TAG_RUN, "R1")
                .tagged(TAG_KIND, "bad value!")
        };
        assert_eq!(email("x@y.ch").tag(TAG_KIND), None, "unsafe tag values are left out");
        let bounce = parse(&simulated_report(&email("bounce+a1@simulator.amazonses.com")).unwrap()).unwrap();
        assert_eq!(bounce[0].unreachable.email, "bounce+a1@simulator.amazonses.com");
        assert_eq!(
            (bounce[0].tenant.as_str(), bounce[0].run_id.as_deref()),
            ("acme", Some("R1"))
        );
        let complaint = parse(&simulated_report(&email("complaint@simulator.amazonses.com")).unwrap()).unwrap();
        assert_eq!(complaint[0].unreachable.reason, UndeliverableReason::Complaint);
        assert!(simulated_report(&email("success@simulator.amazonses.com")).is_none());
        assert!(simulated_report(&email("bounce@elsewhere.example")).is_none());
    }
}
