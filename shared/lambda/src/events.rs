//! The event path: DynamoDB Streams -> `event-relay` -> SQS -> `email-sender` -> SES, and
//! the same events -> the webhooks queue -> `webhook-sender` -> subscribers. Every end
//! reports partial batch failures, so only what failed is retried.

#[cfg(feature = "feedback")]
pub use feedback::record_feedback;
#[cfg(feature = "sqs")]
pub use relay::{relay, stream_events};
#[cfg(feature = "ses")]
pub use sender::send_batch;
#[cfg(feature = "sqs")]
pub use webhooks::deliver_batch;

/// One CloudWatch embedded-metric-format line with two counts.
fn metrics(names: [&str; 2], values: [usize; 2]) {
    let mut line = serde_json::json!({"_aws": {
        "Timestamp": chrono::Utc::now().timestamp_millis(),
        "CloudWatchMetrics": [{"Namespace": "ProcessPortal", "Dimensions": [[]], "Metrics": [
            {"Name": names[0], "Unit": "Count"}, {"Name": names[1], "Unit": "Count"}]}]}});
    line[names[0]] = values[0].into();
    line[names[1]] = values[1].into();
    println!("{line}");
}

#[cfg(feature = "sqs")]
mod relay {
    use aws_lambda_events::dynamodb::Event as StreamEvent;
    use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
    use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
    use store::{attr_str, Item};

    /// The event items among stream records (by their NEW_IMAGE), with their sequence numbers.
    /// Records that are not event items (runs, tasks, tokens…) are skipped.
    pub fn stream_events(event: &StreamEvent) -> Vec<(String, Item)> {
        event
            .records
            .iter()
            .filter(|r| r.event_name == "INSERT" || r.event_name == "MODIFY")
            .filter_map(|r| {
                let seq = r.change.sequence_number.clone().unwrap_or_default();
                match serde_dynamo::from_item::<_, Item>(r.change.new_image.clone()) {
                    Ok(item) if attr_str(&item, "entity") == Some("event") => Some((seq, item)),
                    Ok(_) => None,
                    Err(e) => {
                        tracing::error!(error = %e, seq, "unreadable stream image: skipped");
                        None
                    }
                }
            })
            .collect()
    }

    /// Sends the stream's event items to each queue (emails, webhooks); records that could not
    /// be sent to one of them are reported as batch item failures (Lambda retries from the
    /// first of them; the consumers make nothing twice).
    pub async fn relay(sqs: &aws_sdk_sqs::Client, queue_urls: &[&str], event: &StreamEvent) -> DynamoDbEventResponse {
        let mut failed: Vec<String> = Vec::new();
        let events = stream_events(event);
        for queue_url in queue_urls {
            send_all(sqs, queue_url, &events, &mut failed).await;
        }
        failed.sort();
        failed.dedup();
        super::metrics(
            ["EventsRelayed", "EventsNotRelayed"],
            [events.len() - failed.len(), failed.len()],
        );
        let mut response = DynamoDbEventResponse::default();
        for seq in failed {
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = Some(seq);
            response.batch_item_failures.push(f);
        }
        response
    }

    async fn send_all(sqs: &aws_sdk_sqs::Client, queue_url: &str, events: &[(String, Item)], failed: &mut Vec<String>) {
        for chunk in events.chunks(10) {
            let mut entries = Vec::new();
            for (i, (seq, item)) in chunk.iter().enumerate() {
                let body = serde_json::Value::Object(item.clone()).to_string();
                match SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                {
                    Ok(entry) => entries.push(entry),
                    Err(e) => {
                        tracing::error!(error = %e, seq, "could not build SQS entry");
                        failed.push(seq.clone());
                    }
                }
            }
            if entries.is_empty() {
                continue;
            }
            match sqs
                .send_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(out) => {
                    for f in out.failed {
                        if let Some((seq, _)) = f.id.parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                            tracing::error!(seq, code = f.code, "event not relayed");
                            failed.push(seq.clone());
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "SendMessageBatch failed");
                    failed.extend(chunk.iter().map(|(seq, _)| seq.clone()));
                }
            }
        }
    }
}

#[cfg(feature = "sqs")]
mod webhooks {
    use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
    use store::{Item, Table};

    /// Makes and tries the deliveries of a batch of queued events; a message whose table
    /// writes failed comes back (DLQ after max receives); a delivery that was not taken is
    /// no failure here (it waits in the due index for the sweeper's next try).
    pub async fn deliver_batch(
        table: &dyn Table,
        now: chrono::DateTime<chrono::Utc>,
        batch: &SqsEvent,
    ) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let (mut made, mut failed) = (0usize, 0usize);
        for message in &batch.records {
            let id = message.message_id.clone().unwrap_or_default();
            match message.body.as_deref().map(serde_json::from_str::<Item>) {
                Some(Ok(item)) => match app::webhooks::handle(table, &item, now).await {
                    Ok(n) => made += n,
                    Err(e) => {
                        tracing::warn!(message_id = id, error = %e, "webhooks of an event failed; retried");
                        failed += 1;
                        let mut f = BatchItemFailure::default();
                        f.item_identifier = id;
                        response.batch_item_failures.push(f);
                    }
                },
                _ => tracing::error!(message_id = id, "message dropped: no event in it"),
            }
        }
        super::metrics(["WebhookDeliveriesMade", "WebhookMessagesFailed"], [made, failed]);
        response
    }
}

#[cfg(feature = "ses")]
mod sender {
    use app::email::notify::{Notifier, NotifyError};
    use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
    use store::Item;

    /// Sends the emails of a batch of queued events; messages whose emails failed are reported as
    /// batch item failures and come back after the visibility timeout (DLQ after max receives).
    pub async fn send_batch(notifier: &Notifier<'_>, batch: &SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let (mut sent, mut failed) = (0usize, 0usize);
        for message in &batch.records {
            let id = message.message_id.clone().unwrap_or_default();
            let parsed = message.body.as_deref().map(serde_json::from_str::<Item>);
            let result = match parsed {
                Some(Ok(item)) => notifier.handle(&item).await,
                Some(Err(e)) => Err(NotifyError::Permanent(format!("unreadable body: {e}"))),
                None => Err(NotifyError::Permanent("empty body".into())),
            };
            match result {
                Ok(n) => sent += n,
                // Retrying cannot help: logged with its reason, not sent to the DLQ five times later.
                Err(NotifyError::Permanent(reason)) => {
                    tracing::error!(message_id = id, reason, "message dropped: it cannot succeed");
                    failed += 1;
                }
                Err(e) => {
                    tracing::warn!(message_id = id, error = %e, "message failed; it will be retried");
                    failed += 1;
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = id;
                    response.batch_item_failures.push(f);
                }
            }
        }
        super::metrics(["EmailsSent", "MessagesFailed"], [sent, failed]);
        response
    }
}

#[cfg(feature = "feedback")]
mod feedback {
    use app::email::bounces;
    use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
    use store::Table;

    /// Applies the bounce and complaint reports of a batch; a message whose table writes
    /// failed comes back (DLQ after max receives); one that is no report is logged and dropped.
    pub async fn record_feedback(table: &dyn Table, batch: &SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let (mut marked, mut failed) = (0usize, 0usize);
        for message in &batch.records {
            let id = message.message_id.clone().unwrap_or_default();
            let notices = match bounces::parse(message.body.as_deref().unwrap_or_default()) {
                Ok(n) => n,
                Err(reason) => {
                    tracing::error!(message_id = id, reason, "feedback message dropped: not an SES report");
                    continue;
                }
            };
            for notice in &notices {
                match bounces::apply(table, notice).await {
                    Ok(()) => marked += 1,
                    Err(e) => {
                        tracing::warn!(message_id = id, error = %e, "feedback not recorded; it will be retried");
                        failed += 1;
                        let mut f = BatchItemFailure::default();
                        f.item_identifier = id.clone();
                        response.batch_item_failures.push(f);
                        break;
                    }
                }
            }
        }
        super::metrics(["AddressesMarkedUndeliverable", "FeedbackFailed"], [marked, failed]);
        response
    }
}
