//! webhook-sender: SQS batches of events (the webhooks queue) -> one signed delivery per
//! subscription that wants the event (`lambda_host::events::deliver_batch`); retries of
//! deliveries not taken come from the sweeper.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_host::init_lambda_logging();
    let aws = lambda_host::Aws::load().await?;
    let (table, clock) = (aws.table(), aws.config.clock.clone());
    let (table, clock) = (&table, &clock);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(lambda_host::events::deliver_batch(table, clock.now(), &event.payload).await)
    }))
    .await
}
