//! email-sender: SQS batches of events -> emails through SES v2 (`lambda_host::events::send_batch`).

use app::email::notify::Notifier;
use aws_lambda_events::sqs::SqsEvent;
use lambda_host::ses::SesMailer;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_host::init_lambda_logging();
    let aws = lambda_host::Aws::load().await?;
    let table = aws.table();
    let mailer = SesMailer::from_env(aws_sdk_sesv2::Client::new(&aws.sdk));
    let notifier = Notifier {
        table: &table,
        mailer: &mailer,
        config: &aws.config,
    };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(lambda_host::events::send_batch(notifier, &event.payload).await)
    }))
    .await
}
