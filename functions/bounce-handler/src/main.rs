//! bounce-handler: SES bounce and complaint reports (SNS -> SQS) -> undeliverable addresses
//! (`lambda_host::events::record_feedback`).

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_host::init_lambda_logging();
    let aws = lambda_host::Aws::load().await?;
    let table = aws.table();
    let table = &table;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(lambda_host::events::record_feedback(table, &event.payload).await)
    }))
    .await
}
