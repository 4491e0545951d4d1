//! offer-api: offers in the back office and the active offers in the app (routes in
//! `shared::api::offer`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::init_lambda_logging();
    let aws = shared::runtime::Aws::load().await?;
    lambda_http::run(shared::api::offer::router(aws.state())).await
}
