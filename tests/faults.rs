//! Faults on the event path, each ending in the email arriving exactly once: SES throttling,
//! an SQS send failure in the relay, a crash between the commit and the relay, and DynamoDB
//! throttling in the sender. The faults are answered on the wire by a proxy in front of moto
//! and DynamoDB Local ([`e2e_tests::faults`]), so the SDK's retries and the error mapping run.

use std::time::Duration;

use app::email::notify::Notifier;
use e2e_tests::aws::{queues, sender_poll, ses_inbox, stream_event, AwsWorld, Queues};
use e2e_tests::faults::{Fault, FaultProxy};
use e2e_tests::scenario::{define, start, World};
use e2e_tests::{dynamodb_endpoint, moto_endpoint, sdk, unique, Local};
use store::dynamo::DynamoTable;

/// Polls the queue through the sender until it is empty, as Lambda would (failed messages
/// come back after the one-second visibility timeout); returns how many polls failed.
async fn drain(w: &AwsWorld, q: &Queues, notifier: &Notifier<'_>) -> usize {
    let (mut failed_polls, mut idle) = (0, 0);
    for _ in 0..60 {
        let (n, failed) = sender_poll(&w.sqs, &q.url, notifier).await;
        if !failed.is_empty() {
            failed_polls += 1;
            idle = 0;
            tokio::time::sleep(Duration::from_millis(1100)).await;
        } else if n == 0 {
            idle += 1;
            if idle >= 2 {
                return failed_polls;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    panic!("the queue did not drain");
}

/// A world, a run for a fresh installer, its events on a fresh queue (visibility 1 s).
async fn started() -> (AwsWorld, Vec<store::Item>, String, Queues) {
    let w = AwsWorld::new().await;
    let tag = unique();
    let (_, process) = define(&w, &tag).await;
    let (run, installer, _) = start(&w, &process, &tag).await;
    let events = w.run_events(&run).await;
    let q = queues(&w.sqs, 1, 10).await;
    (w, events, installer, q)
}

#[tokio::test]
async fn ses_throttling_ends_in_one_email() {
    let (w, events, installer, q) = started().await;
    let r = lambda_host::events::relay(&w.sqs, &[q.url.as_str()], &stream_event(&events, 1)).await;
    assert!(r.batch_item_failures.is_empty());
    // Four throttled answers: one delivery exhausts the SDK's three attempts, the next one
    // gets through on its second.
    let proxy = FaultProxy::start(&moto_endpoint(), vec![Fault::ses_throttled(4)]).await;
    let ses = aws_sdk_sesv2::Client::new(&proxy.sdk(&sdk().await));
    let mailer = lambda_host::ses::SesMailer::new(ses, None);
    let notifier = Notifier {
        table: w.table.as_ref(),
        mailer: &mailer,
        config: &w.config,
    };
    let failed_polls = drain(&w, &q, &notifier).await;
    assert_eq!(proxy.injected(), 4);
    assert!(failed_polls >= 1, "the throttled message came back");
    assert_eq!(ses_inbox(&installer).await.len(), 1, "exactly one email");
}

#[tokio::test]
async fn an_sqs_send_failure_in_the_relay_ends_in_one_email() {
    let (w, events, installer, q) = started().await;
    let proxy = FaultProxy::start(
        &moto_endpoint(),
        vec![Fault::sqs_unavailable("AmazonSQS.SendMessageBatch", 3)],
    )
    .await;
    let sqs = aws_sdk_sqs::Client::new(&proxy.sdk(&sdk().await));
    let batch = stream_event(&events, 1);
    let first = lambda_host::events::relay(&sqs, &[q.url.as_str()], &batch).await;
    assert_eq!(
        first.batch_item_failures.len(),
        events.len(),
        "every record reported failed"
    );
    assert_eq!(proxy.injected(), 3, "the SDK tried three times");
    // Lambda retries the batch from the first failed record.
    let again = lambda_host::events::relay(&sqs, &[q.url.as_str()], &batch).await;
    assert!(again.batch_item_failures.is_empty());
    assert_eq!(drain(&w, &q, &w.notifier()).await, 0);
    assert_eq!(ses_inbox(&installer).await.len(), 1, "exactly one email");
}

/// In AWS: the relay sent the batch and crashed before Lambda recorded it; the stream hands
/// the same records over again, and the queue holds every event twice.
#[tokio::test]
async fn a_relay_crash_after_sending_ends_in_one_email() {
    let (w, events, installer, q) = started().await;
    let batch = stream_event(&events, 1);
    for _ in 0..2 {
        assert!(lambda_host::events::relay(&w.sqs, &[q.url.as_str()], &batch)
            .await
            .batch_item_failures
            .is_empty());
    }
    assert_eq!(drain(&w, &q, &w.notifier()).await, 0);
    assert_eq!(ses_inbox(&installer).await.len(), 1, "exactly one email");
}

/// On local-server: the command committed, and the process died before its relay ran. The
/// next start sends the email; the start after that sends nothing more.
#[tokio::test]
async fn a_crash_between_commit_and_relay_on_local_server_ends_in_one_email() {
    let dir = std::env::temp_dir().join(format!("portal-crash-{}", unique()));
    let tag = unique();
    let process = {
        let w = Local::start_in(dir.clone()).await;
        let (_, process) = define(&w, &tag).await;
        w.deliver().await;
        w.running.stop();
        std::mem::forget(w); // keep the folder
        process
    };
    // The commit, with no relay running: what a crash right after it leaves behind.
    let installer = format!("ivo-{tag}@installer.example");
    {
        let table = store_sqlite::EmbeddedTable::open(&dir.join("portal.sqlite3")).unwrap();
        let def: domain::process::Process = app::repo::definitions::get(&table, "acme", &process).await.unwrap();
        let input: domain::run::RunInput = serde_json::from_value(serde_json::json!({"participants": {
            "installer": {"name": "Ivo", "email": installer, "locale": "fr"},
            "customer": {"name": "Chiara", "email": format!("chiara-{tag}@customer.example")}}}))
        .unwrap();
        let creator = domain::run::Creator {
            sub: "alice".into(),
            email: None,
            name: None,
            locale: None,
        };
        app::repo::runs::create(&table, "acme", &def, input, creator, None, chrono::Utc::now())
            .await
            .unwrap();
    }
    {
        let w = Local::start_in(dir.clone()).await;
        w.deliver().await;
        assert_eq!(w.inbox(&installer).await.len(), 1, "sent after the restart");
        w.running.stop();
        std::mem::forget(w);
    }
    let w = Local::start_in(dir).await;
    w.deliver().await;
    assert_eq!(w.inbox(&installer).await.len(), 1, "and not again");
}

#[tokio::test]
async fn dynamodb_throttling_in_the_sender_ends_in_one_email() {
    let (w, events, installer, q) = started().await;
    let r = lambda_host::events::relay(&w.sqs, &[q.url.as_str()], &stream_event(&events, 1)).await;
    assert!(r.batch_item_failures.is_empty());
    // Reads throttled past the SDK's retries (the delivery fails and comes back), and the
    // write that marks the email sent throttled past them too (the sender tries again).
    let proxy = FaultProxy::start(
        &dynamodb_endpoint(),
        vec![
            Fault::dynamodb_throttled("DynamoDB_20120810.GetItem", 4),
            Fault::dynamodb_throttled("DynamoDB_20120810.TransactWriteItems", 4).when_body_contains(r#"{"S":"sent"}"#),
        ],
    )
    .await;
    let client = aws_sdk_dynamodb::Client::new(&proxy.sdk(&sdk().await));
    let table = DynamoTable::new(client, w.config.table_name.clone());
    let notifier = Notifier {
        table: &table,
        mailer: w.mailer.as_ref(),
        config: &w.config,
    };
    let failed_polls = drain(&w, &q, &notifier).await;
    assert_eq!(proxy.injected(), 8);
    assert!(failed_polls >= 1, "the throttled delivery came back");
    assert_eq!(ses_inbox(&installer).await.len(), 1, "exactly one email");
    // And its claim says sent: no later delivery sends it again.
    let again = lambda_host::events::relay(&w.sqs, &[q.url.as_str()], &stream_event(&events, 1)).await;
    assert!(again.batch_item_failures.is_empty());
    assert_eq!(drain(&w, &q, &notifier).await, 0);
    assert_eq!(ses_inbox(&installer).await.len(), 1);
}
