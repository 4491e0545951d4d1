//! order-api: orders in the app and the five-step order process in the back office (routes in
//! `web::order`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_host::init_lambda_logging();
    let aws = lambda_host::Aws::load().await?;
    let state = web::AppState::new(
        std::sync::Arc::new(aws.table()),
        std::sync::Arc::new(aws.blobs()?),
        aws.config.clone(),
    );
    lambda_http::run(web::order::router(state)).await
}
