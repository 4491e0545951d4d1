//! sweeper: every few minutes (EventBridge schedule) does what is due — reminders, overdue
//! marks, escalations, partner digests (`app::sweeper::tick`).

use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_host::init_lambda_logging();
    let aws = lambda_host::Aws::load().await?;
    let (table, clock) = (aws.table(), aws.config.clock.clone());
    let (table, clock) = (&table, &clock);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let swept = app::sweeper::tick(table, clock.now()).await?;
        Ok::<_, lambda_runtime::Error>(serde_json::json!(swept))
    }))
    .await
}
