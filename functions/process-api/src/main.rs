//! process-api: journeys, process definitions, runs (routes in `shared::api::process`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::init_lambda_logging();
    let aws = shared::runtime::Aws::load().await?;
    lambda_http::run(shared::api::process::router(aws.state())).await
}
