//! order-api: orders in the app and the five-step order process in the back office (routes in
//! `shared::api::order`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::init_lambda_logging();
    let aws = shared::runtime::Aws::load().await?;
    lambda_http::run(shared::api::order::router(aws.state())).await
}
