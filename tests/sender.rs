//! The email sender on SQS and SES (moto): redelivery sends once, a failed send is reported
//! for its message only and retried, a message that keeps failing ends in the DLQ.

use std::sync::atomic::{AtomicUsize, Ordering};

use app::email::mailer::{MailError, Mailer, OutgoingEmail};
use app::email::notify::Notifier;
use app::keys;
use e2e_tests::aws::{queues, sender_poll, ses_inbox, stream_event, AwsWorld};
use e2e_tests::scenario::{define, start};
use e2e_tests::unique;
use store::Table;

/// SES, except that emails to one address fail the first `failures` times.
struct Flaky<'a> {
    inner: &'a dyn Mailer,
    address: String,
    failures: AtomicUsize,
}

#[async_trait::async_trait]
impl Mailer for Flaky<'_> {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        if email.to == self.address && self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(MailError::Retry("Throttling: simulated SES failure".into()));
        }
        self.inner.send(email).await
    }
}

/// Relays every event of the run to the world's queue.
async fn relay_run(w: &AwsWorld, run: &serde_json::Value, seq: u64) {
    let events = w.run_events(run).await;
    let response = lambda_host::events::relay(&w.sqs, &[w.queues.url.as_str()], &stream_event(&events, seq)).await;
    assert!(response.batch_item_failures.is_empty());
}

#[tokio::test]
async fn a_redelivered_message_sends_one_email() {
    let w = AwsWorld::new().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let (run, installer, _) = start(&w, &process, &tag).await;
    relay_run(&w, &run, 1).await;
    let notifier = Notifier {
        table: w.table.as_ref(),
        mailer: w.mailer.as_ref(),
        config: &w.config,
    };
    let (event, _) = e2e_tests::aws::receive(&w.sqs, &w.queues.url).await;
    assert_eq!(event.records.len(), 2, "run_started and step_activated");
    for _ in 0..3 {
        let response = lambda_host::events::send_batch(&notifier, &event).await;
        assert!(response.batch_item_failures.is_empty());
    }
    assert_eq!(ses_inbox(&installer).await.len(), 1);
}

#[tokio::test]
async fn an_ses_failure_fails_only_its_message_which_is_retried() {
    let w = AwsWorld::new().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let (run_a, flaky_installer, _) = start(&w, &process, &format!("{tag}a")).await;
    let (run_b, fine_installer, _) = start(&w, &process, &format!("{tag}b")).await;
    let q = queues(&w.sqs, 1, 5).await;
    for (i, run) in [&run_a, &run_b].into_iter().enumerate() {
        let events = w.run_events(run).await;
        assert!(
            lambda_host::events::relay(&w.sqs, &[q.url.as_str()], &stream_event(&events, 10 * i as u64 + 1))
                .await
                .batch_item_failures
                .is_empty()
        );
    }
    let flaky = Flaky {
        inner: w.mailer.as_ref(),
        address: flaky_installer.clone(),
        failures: AtomicUsize::new(1),
    };
    let notifier = Notifier {
        table: w.table.as_ref(),
        mailer: &flaky,
        config: &w.config,
    };

    let (mut seen, mut failed) = (0, Vec::new());
    while seen < 4 {
        let (n, f) = sender_poll(&w.sqs, &q.url, &notifier).await;
        assert!(n > 0, "all four messages arrive");
        seen += n;
        failed.extend(f);
    }
    assert_eq!(failed.len(), 1, "only the message whose email failed is reported");
    assert_eq!(ses_inbox(&fine_installer).await.len(), 1);
    assert!(ses_inbox(&flaky_installer).await.is_empty());

    // After the visibility timeout the failed message comes back and is sent.
    let mut retried = 0;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let (n, f) = sender_poll(&w.sqs, &q.url, &notifier).await;
        assert!(f.is_empty());
        retried += n;
        if retried > 0 {
            break;
        }
    }
    assert_eq!(retried, 1, "only the failed message is redelivered");
    assert_eq!(ses_inbox(&flaky_installer).await.len(), 1);
    assert_eq!(ses_inbox(&fine_installer).await.len(), 1, "nothing is sent twice");
}

#[tokio::test]
async fn a_message_that_keeps_failing_ends_in_the_dlq() {
    let w = AwsWorld::new().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let (run, installer, _) = start(&w, &process, &tag).await;
    let q = queues(&w.sqs, 1, 2).await;
    let events = w.run_events(&run).await;
    lambda_host::events::relay(&w.sqs, &[q.url.as_str()], &stream_event(&events, 1)).await;
    let broken = Flaky {
        inner: w.mailer.as_ref(),
        address: installer.clone(),
        failures: AtomicUsize::new(usize::MAX),
    };
    let notifier = Notifier {
        table: w.table.as_ref(),
        mailer: &broken,
        config: &w.config,
    };
    let mut in_dlq = 0;
    for _ in 0..30 {
        sender_poll(&w.sqs, &q.url, &notifier).await;
        let (dlq, _) = e2e_tests::aws::receive(&w.sqs, &q.dlq_url).await;
        in_dlq += dlq.records.len();
        if in_dlq > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
    assert_eq!(in_dlq, 1, "the failing message is dead-lettered");
    assert!(ses_inbox(&installer).await.is_empty());
}

/// SES refusing one address for good (a rejected recipient).
struct Rejecting<'a> {
    inner: &'a dyn Mailer,
    address: String,
    tried: AtomicUsize,
}

#[async_trait::async_trait]
impl Mailer for Rejecting<'_> {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        if email.to == self.address {
            self.tried.fetch_add(1, Ordering::SeqCst);
            return Err(MailError::Rejected("MessageRejected: simulated".into()));
        }
        self.inner.send(email).await
    }
}

#[tokio::test]
async fn a_permanent_failure_is_not_retried() {
    let w = AwsWorld::new().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let (run, installer, _) = start(&w, &process, &tag).await;
    relay_run(&w, &run, 1).await;
    let mailer = Rejecting {
        inner: w.mailer.as_ref(),
        address: installer.clone(),
        tried: AtomicUsize::new(0),
    };
    let notifier = Notifier {
        table: w.table.as_ref(),
        mailer: &mailer,
        config: &w.config,
    };
    let (mut event, _) = e2e_tests::aws::receive(&w.sqs, &w.queues.url).await;
    let response = lambda_host::events::send_batch(&notifier, &event).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "a rejected address is not sent to the DLQ five times later"
    );
    assert_eq!(mailer.tried.load(Ordering::SeqCst), 1);
    assert!(ses_inbox(&installer).await.is_empty());
    // The failure is recorded on the email's claim, and a redelivery does not try again.
    let activated = event
        .records
        .iter()
        .filter_map(|m| serde_json::from_str::<serde_json::Value>(m.body.as_deref()?).ok())
        .find(|e| e["type"] == "step_activated")
        .unwrap();
    let key = keys::mail_claim(
        &w.gw.tenant,
        activated["event_id"].as_str().unwrap(),
        &domain::ids::participant_id(&installer),
    );
    let claim = w.table.get(&key.pk, &key.sk).await.unwrap().unwrap();
    assert_eq!(
        (claim["status"].as_str(), claim["kind"].as_str()),
        (Some("failed"), Some("step_activated_participant"))
    );
    assert!(claim["reason"].as_str().unwrap().contains("MessageRejected"));
    lambda_host::events::send_batch(&notifier, &event).await;
    assert_eq!(mailer.tried.load(Ordering::SeqCst), 1, "not tried again");
    // A body that is no event cannot succeed either: dropped, not retried.
    event.records[0].body = Some("{not json".into());
    event.records[0].message_id = Some("broken".into());
    let response = lambda_host::events::send_batch(&notifier, &event).await;
    assert!(response.batch_item_failures.is_empty());
}

/// A delivery that crashed holding its claim: the next one waits out the lease (no failed
/// attempt), then sends the email, once.
#[tokio::test]
async fn a_claim_stranded_by_a_crash_is_waited_out() {
    use app::email::notify::{NotifyError, CLAIM_LEASE_SECONDS};
    use store::Write;
    let w = AwsWorld::new().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let (run, installer, _) = start(&w, &process, &tag).await;
    let events = w.run_events(&run).await;
    let activated = events.iter().find(|e| e["type"] == "step_activated").unwrap();
    // The claim a crashed delivery left behind, its lease ending in a few seconds.
    let key = keys::mail_claim(
        &w.gw.tenant,
        activated["event_id"].as_str().unwrap(),
        &domain::ids::participant_id(&installer),
    );
    let claimed_at = chrono::Utc::now() - chrono::Duration::seconds(CLAIM_LEASE_SECONDS - 4);
    let claim = serde_json::json!({"pk": key.pk, "sk": key.sk, "entity": "mail_claim", "status": "pending",
        "claimed_at": claimed_at, "version": 1});
    w.table
        .transact(vec![Write::put(
            claim.as_object().unwrap().clone(),
            store::Cond::NotExists,
        )])
        .await
        .unwrap();
    let notifier = Notifier {
        table: w.table.as_ref(),
        mailer: w.mailer.as_ref(),
        config: &w.config,
    };
    let first = notifier.handle(activated).await;
    let Err(NotifyError::InFlight { until }) = first else {
        panic!("a claimed email is in flight: {first:?}")
    };
    assert!(until < chrono::Utc::now() + chrono::Duration::seconds(5));
    tokio::time::sleep((until - chrono::Utc::now()).to_std().unwrap_or_default()).await;
    assert_eq!(
        notifier.handle(activated).await.unwrap(),
        1,
        "sent once the lease is over"
    );
    assert_eq!(notifier.handle(activated).await.unwrap(), 0, "and not again");
    assert_eq!(ses_inbox(&installer).await.len(), 1);
}
