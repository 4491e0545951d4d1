//! event-relay: DynamoDB Streams records of event items -> the events queue (emails and
//! triggers) and the webhooks queue (`lambda_host::events::relay`).

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_host::init_lambda_logging();
    let aws = lambda_host::Aws::load().await?;
    let queue = aws
        .config
        .events_queue_url
        .clone()
        .ok_or("environment variable EVENTS_QUEUE_URL is required")?;
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk);
    let mut queues = vec![queue];
    queues.extend(aws.config.webhooks_queue_url.clone());
    let queues: Vec<&str> = queues.iter().map(String::as_str).collect();
    let (sqs, queues) = (&sqs, queues.as_slice());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, lambda_runtime::Error>(lambda_host::events::relay(sqs, queues, &event.payload).await)
    }))
    .await
}
