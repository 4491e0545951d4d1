//! The AWS path: area routers on DynamoDB Local called with API Gateway events; events go
//! through stream records -> `event-relay` -> SQS -> `email-sender` -> SES, (SQS, SES on moto) read back from moto.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use app::config::Config;
use app::email::mailer::{MailError, Mailer, OutgoingEmail};
use app::email::notify::Notifier;
use app::keys;
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::sqs::SqsEvent;
use aws_sdk_sqs::types::QueueAttributeName;
use domain::i18n::Lang;
use serde_json::{json, Value};
use store::dynamo::DynamoTable;
use store::{Index, Item, Query, Table};

use super::scenario::{Mail, World};
use super::{dynamo_table, moto_endpoint, sdk, unique, Client, Gateway, Resp};

pub struct Queues {
    pub url: String,
    pub dlq_url: String,
}

/// A queue's ARN (what redrive policies and subscriptions name).
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone()
}

/// A queue with a DLQ after `max_receives`, visibility timeout in seconds.
pub async fn queues(sqs: &aws_sdk_sqs::Client, visibility: u32, max_receives: u32) -> Queues {
    queues_named(sqs, "events", visibility, max_receives).await
}

/// [`queues`], named `{kind}-…`.
pub async fn queues_named(sqs: &aws_sdk_sqs::Client, kind: &str, visibility: u32, max_receives: u32) -> Queues {
    let name = format!("{kind}-{}", unique());
    let dlq = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .unwrap();
    let dlq_url = dlq.queue_url.unwrap();
    let arn = queue_arn(sqs, &dlq_url).await;
    let redrive = json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives.to_string()}).to_string();
    let q = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::VisibilityTimeout, visibility.to_string())
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .unwrap();
    Queues {
        url: q.queue_url.unwrap(),
        dlq_url,
    }
}

/// A configuration like the functions read from their environment.
pub fn config(table: &str, queue: &str, tag: &str) -> Config {
    Config {
        table_name: table.into(),
        events_queue_url: Some(queue.into()),
        email_from: format!("portal@{tag}.utility.example"),
        portal_base_url: "https://portal.utility.example".into(),
        app_base_url: "https://app.utility.example".into(),
        customer_app_url: "https://home.utility.example".into(),
        staff_links_name_tenant: false,
        default_locale: Lang::De,
        session_limits: app::config::SessionLimits::from_env(),
        documents_bucket: Some(format!("docs-{}", tag.to_lowercase())),
        clock: app::clock::Clock::default(),
        webhooks_queue_url: None,
        // As in AWS: no private or loopback targets, https only.
        webhooks_allow_private: false,
    }
}

/// The world's documents bucket on moto, and the file store on it.
pub async fn documents(sdk: &aws_config::SdkConfig, config: &Config) -> Arc<dyn store::blobs::Blobs> {
    let bucket = config.documents_bucket.clone().unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    Arc::new(lambda_host::s3_blobs(sdk, &bucket).unwrap())
}

/// Verifies the sender address on moto's SES (otherwise SendEmail is rejected).
pub async fn verify_sender(ses: &aws_sdk_sesv2::Client, from: &str) {
    ses.create_email_identity().email_identity(from).send().await.unwrap();
}

/// Stream records (NEW_IMAGE, INSERT) for items, in the shape Lambda delivers them.
pub fn stream_event(items: &[Item], first_seq: u64) -> StreamEvent {
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let image: serde_dynamo::Item = serde_dynamo::to_item(item).unwrap();
            let keys: serde_dynamo::Item = serde_dynamo::to_item(json!({"pk": item["pk"], "sk": item["sk"]})).unwrap();
            json!({
                "eventID": format!("evt-{}", first_seq + i as u64), "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "eu-central-1",
                "dynamodb": {"ApproximateCreationDateTime": 1795860000.0, "Keys": keys, "NewImage": image,
                    "SequenceNumber": format!("{:021}", first_seq + i as u64), "SizeBytes": 512, "StreamViewType": "NEW_IMAGE"},
                "eventSourceARN": "arn:aws:dynamodb:eu-central-1:123456789012:table/portal/stream/2026-11-22T00:00:00.000",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("a valid DynamoDB stream event")
}

/// Receives up to ten messages and wraps them as the SQS event Lambda would pass.
pub async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> (SqsEvent, Vec<(String, String)>) {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let mut handles = Vec::new();
    let records: Vec<Value> = out
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let id = m.message_id.clone().unwrap_or_default();
            handles.push((id.clone(), m.receipt_handle.clone().unwrap_or_default()));
            json!({"messageId": id, "receiptHandle": m.receipt_handle, "body": m.body, "md5OfBody": m.md5_of_body,
                   "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795860000000"},
                   "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "eu-central-1",
                   "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:events"})
        })
        .collect();
    (
        serde_json::from_value(json!({"Records": records})).expect("a valid SQS event"),
        handles,
    )
}

/// One poll of the queue through the sender; what Lambda does with the answer (delete the
/// successes, leave the failures). Returns (messages, failures).
pub async fn sender_poll(sqs: &aws_sdk_sqs::Client, url: &str, notifier: &Notifier<'_>) -> (usize, Vec<String>) {
    let (event, handles) = receive(sqs, url).await;
    if handles.is_empty() {
        return (0, Vec::new());
    }
    let response = lambda_host::events::send_batch(notifier, &event).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    for (id, handle) in &handles {
        if !failed.contains(id) {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(handle)
                .send()
                .await
                .unwrap();
        }
    }
    (handles.len(), failed)
}

/// Emails moto's SES has accepted for `to`.
pub async fn ses_inbox(to: &str) -> Vec<Mail> {
    // data.json is a dump of every backend; a dump taken mid-change can fail: try again.
    let mut data = Value::Null;
    for _ in 0..10 {
        if let Ok(response) = reqwest::get(format!("{}/moto-api/data.json", moto_endpoint())).await {
            if let Ok(v) = response.json::<Value>().await {
                data = v;
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(to))))
        })
        .map(|m| Mail {
            to: to.into(),
            subject: m["subject"].as_str().unwrap_or_default().into(),
            body: m["body"].as_str().unwrap_or_default().into(),
        })
        .collect()
}

/// SES as the sender sees it, keeping a copy of every email sent (what SES's mailbox
/// simulator would report on).
pub struct Recording {
    inner: lambda_host::ses::SesMailer,
    sent: Arc<Mutex<Vec<OutgoingEmail>>>,
}

#[async_trait::async_trait]
impl Mailer for Recording {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let id = self.inner.send(email).await?;
        self.sent.lock().unwrap().push(email.clone());
        Ok(id)
    }
}

/// The SNS topic SES's configuration set publishes to, and the queue subscribed to it
/// (raw delivery, as the template subscribes it).
pub struct FeedbackPath {
    pub sns: aws_sdk_sns::Client,
    pub topic_arn: String,
    pub queue_url: String,
}

impl FeedbackPath {
    pub async fn new(sdk: &aws_config::SdkConfig, sqs: &aws_sdk_sqs::Client) -> FeedbackPath {
        let sns = aws_sdk_sns::Client::new(sdk);
        let name = format!("feedback-{}", unique());
        let topic_arn = sns.create_topic().name(&name).send().await.unwrap().topic_arn.unwrap();
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let queue_arn = queue_arn(sqs, &queue_url).await;
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .unwrap();
        FeedbackPath {
            sns,
            topic_arn,
            queue_url,
        }
    }

    /// Publishes what SES would for each email, then runs bounce-handler over the queue.
    pub async fn report(&self, sqs: &aws_sdk_sqs::Client, table: &dyn Table, sent: Vec<OutgoingEmail>) -> usize {
        let mut published = 0;
        for report in sent.iter().filter_map(app::email::bounces::simulated_report) {
            self.sns
                .publish()
                .topic_arn(&self.topic_arn)
                .message(report)
                .send()
                .await
                .unwrap();
            published += 1;
        }
        let mut handled = 0;
        while handled < published {
            let (event, handles) = receive(sqs, &self.queue_url).await;
            if handles.is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            let response = lambda_host::events::record_feedback(table, &event).await;
            assert!(response.batch_item_failures.is_empty(), "bounce-handler failures");
            for (_, handle) in &handles {
                sqs.delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .unwrap();
            }
            handled += handles.len();
        }
        handled
    }
}

pub struct AwsWorld {
    pub gw: Gateway,
    pub table: Arc<DynamoTable>,
    pub sqs: aws_sdk_sqs::Client,
    pub queues: Queues,
    pub mailer: Box<dyn Mailer>,
    pub config: Config,
    pub sent: Arc<Mutex<Vec<OutgoingEmail>>>,
    pub feedback: FeedbackPath,
    relayed: Mutex<HashSet<String>>,
    seq: AtomicU64,
}

impl AwsWorld {
    pub async fn new() -> AwsWorld {
        Self::with(|_| {}).await
    }

    /// A world whose configuration `tune` changes first (a test's own deviation from AWS).
    pub async fn with(tune: impl FnOnce(&mut Config)) -> AwsWorld {
        let sdk = sdk().await;
        let tag = unique();
        let (table, name) = dynamo_table(&sdk).await;
        let table = Arc::new(table);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queues = queues(&sqs, 30, 5).await;
        let webhook_queues = queues_named(&sqs, "webhooks", 30, 5).await;
        let mut config = config(&name, &queues.url, &tag);
        config.webhooks_queue_url = Some(webhook_queues.url.clone());
        tune(&mut config);
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        verify_sender(&ses, &config.email_from).await;
        let blobs = documents(&sdk, &config).await;
        let gw = Gateway::new(table.clone(), blobs, config.clone(), &format!("t{tag}"));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mailer = Recording {
            inner: lambda_host::ses::SesMailer::new(ses, None),
            sent: sent.clone(),
        };
        let feedback = FeedbackPath::new(&sdk, &sqs).await;
        AwsWorld {
            gw,
            table,
            sqs,
            queues,
            mailer: Box::new(mailer),
            config,
            sent,
            feedback,
            relayed: Mutex::new(HashSet::new()),
            seq: AtomicU64::new(1),
        }
    }

    /// The sender as email-sender builds it, on this world's table, SES and configuration.
    pub fn notifier(&self) -> Notifier<'_> {
        Notifier {
            table: self.table.as_ref(),
            mailer: self.mailer.as_ref(),
            config: &self.config,
        }
    }

    /// A run's event rows, oldest first.
    pub async fn run_events(&self, run: &Value) -> Vec<Item> {
        let pk = keys::run(&self.gw.tenant, run["id"].as_str().unwrap()).pk;
        self.table
            .query(Query::new(Index::Primary, pk).begins_with(keys::EVENT_SK_PREFIX))
            .await
            .unwrap()
            .items
    }

    /// Every event item of the tenant's runs not yet handed to the relay.
    async fn new_events(&self) -> Vec<Item> {
        let tenant = &self.gw.tenant;
        let runs = self
            .table
            .query(Query::new(Index::Gsi3, keys::runs_all(tenant, false)).limit(100))
            .await
            .unwrap();
        let tests = self
            .table
            .query(Query::new(Index::Gsi3, keys::runs_all(tenant, true)).limit(100))
            .await
            .unwrap();
        let mut fresh = Vec::new();
        let partners = self
            .table
            .query(Query::new(Index::Primary, keys::partners_pk(tenant)).begins_with(keys::PARTNER_SK_PREFIX))
            .await
            .unwrap();
        let mut partitions: Vec<String> = runs
            .items
            .iter()
            .chain(tests.items.iter())
            .map(|r| r["pk"].as_str().unwrap().to_string())
            .collect();
        partitions.extend(
            partners
                .items
                .iter()
                .map(|p| keys::partner_events_pk(tenant, p["id"].as_str().unwrap())),
        );
        let triggers = self
            .table
            .query(Query::new(Index::Primary, keys::triggers_pk(tenant)).begins_with(keys::TRIGGER_SK_PREFIX))
            .await
            .unwrap();
        partitions.extend(
            triggers
                .items
                .iter()
                .map(|t| keys::trigger_events_pk(tenant, t["id"].as_str().unwrap())),
        );
        let subscriptions = self
            .table
            .query(Query::new(Index::Primary, keys::subscriptions_pk(tenant)).begins_with(keys::SUBSCRIPTION_SK_PREFIX))
            .await
            .unwrap();
        partitions.extend(
            subscriptions
                .items
                .iter()
                .map(|t| keys::subscription_events_pk(tenant, t["id"].as_str().unwrap())),
        );
        // The runs' participants (their portal access events: new links asked for), and the
        // mailboxes of their comments' readers (found as the comment path finds them).
        for item in runs.items.iter().chain(tests.items.iter()) {
            let Ok(run) = serde_json::from_value::<domain::run::Run>(serde_json::Value::Object(item.clone())) else {
                continue;
            };
            let comments = app::repo::comments::list(self.table.as_ref(), tenant, &run.id)
                .await
                .unwrap();
            if !comments.is_empty() {
                let partners = app::repo::comments::partners_of(self.table.as_ref(), tenant, &run)
                    .await
                    .unwrap();
                for c in &comments {
                    for r in app::repo::comments::readers(&run, c, &partners) {
                        let pk = keys::mailbox(tenant, &keys::mailbox_id(&run.id, &r.email)).pk;
                        if !partitions.contains(&pk) {
                            partitions.push(pk);
                        }
                    }
                }
            }
            for step in &run.steps {
                if let Some(p) = run.participant_for(step) {
                    let pk = keys::participant_pk(tenant, &p.id);
                    if !partitions.contains(&pk) {
                        partitions.push(pk);
                    }
                }
            }
        }
        let orders = self
            .table
            .query(Query::new(Index::Gsi3, keys::orders_all(tenant)).limit(100))
            .await
            .unwrap();
        partitions.extend(orders.items.iter().map(|o| o["pk"].as_str().unwrap().to_string()));
        for pk in partitions {
            let events = self
                .table
                .query(Query::new(Index::Primary, pk).begins_with(keys::EVENT_SK_PREFIX))
                .await
                .unwrap();
            let mut seen = self.relayed.lock().unwrap();
            for e in events.items {
                let id = format!("{}|{}", e["pk"], e["sk"]);
                if seen.insert(id) {
                    fresh.push(e);
                }
            }
        }
        fresh
    }
}

#[async_trait::async_trait]
impl Client for AwsWorld {
    async fn raw(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Resp {
        self.gw.raw(method, path, bearer, headers, body).await
    }
}

#[async_trait::async_trait]
impl World for AwsWorld {
    async fn deliver(&self) {
        let events = self.new_events().await;
        if !events.is_empty() {
            let first = self.seq.fetch_add(events.len() as u64, Ordering::SeqCst);
            let webhooks = self.config.webhooks_queue_url.clone().unwrap_or_default();
            let to = [self.queues.url.as_str(), webhooks.as_str()];
            let response = lambda_host::events::relay(&self.sqs, &to, &stream_event(&events, first)).await;
            assert!(response.batch_item_failures.is_empty(), "relay failures");
        }
        let notifier = self.notifier();
        loop {
            let (n, failed) = sender_poll(&self.sqs, &self.queues.url, &notifier).await;
            assert!(failed.is_empty(), "sender failures: {failed:?}");
            if n == 0 {
                break;
            }
        }
        // webhook-sender, on its own queue.
        if let Some(url) = &self.config.webhooks_queue_url {
            loop {
                let (event, handles) = receive(&self.sqs, url).await;
                if handles.is_empty() {
                    break;
                }
                let now = self.config.clock.now();
                let response = lambda_host::events::deliver_batch(self.table.as_ref(), now, &event).await;
                assert!(response.batch_item_failures.is_empty(), "webhook-sender failures");
                for (_, handle) in &handles {
                    self.sqs
                        .delete_message()
                        .queue_url(url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .unwrap();
                }
            }
        }
    }

    async fn feedback(&self) {
        let sent = std::mem::take(&mut *self.sent.lock().unwrap());
        self.feedback.report(&self.sqs, self.table.as_ref(), sent).await;
        self.deliver().await;
    }

    async fn inbox(&self, to: &str) -> Vec<Mail> {
        ses_inbox(to).await
    }

    fn staff(&self, sub: &str) -> String {
        sub.to_string()
    }

    async fn advance_hours(&self, hours: u32) {
        let now = self.config.clock.advance(chrono::Duration::hours(i64::from(hours)));
        app::sweeper::tick(self.table.as_ref(), now).await.unwrap();
        self.deliver().await;
    }

    async fn scan(&self, run_id: &str, doc_id: &str, result: &str) {
        let key = format!("{}/{run_id}/{doc_id}", self.gw.tenant);
        self.gw
            .state
            .blobs
            .set_tag(&key, app::repo::uploads::SCAN_TAG, result)
            .await
            .unwrap();
    }

    fn other_tenant_staff(&self) -> String {
        format!("other{}:mallory", unique())
    }

    fn admin(&self) -> String {
        "root".into()
    }

    fn staff_email(&self, sub: &str) -> String {
        format!("{sub}@{}.example", self.gw.tenant)
    }
}
