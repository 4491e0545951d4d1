//! offer-api: offers in the back office and the active offers in the app (routes in
//! `web::offer`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_host::init_lambda_logging();
    let aws = lambda_host::Aws::load().await?;
    let state = web::AppState::new(
        std::sync::Arc::new(aws.table()),
        std::sync::Arc::new(aws.blobs()?),
        aws.config.clone(),
    );
    lambda_http::run(web::offer::router(state)).await
}
