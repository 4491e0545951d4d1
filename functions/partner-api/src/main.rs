//! partner-api: partner organisations and their invitations (routes in `shared::api::partner`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::init_lambda_logging();
    let aws = shared::runtime::Aws::load().await?;
    lambda_http::run(shared::api::partner::router(aws.state())).await
}
