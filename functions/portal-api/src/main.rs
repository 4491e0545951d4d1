//! portal-api: the participants' side, JSON and HTML (routes in `shared::api::portal`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::init_lambda_logging();
    let aws = shared::runtime::Aws::load().await?;
    lambda_http::run(shared::api::portal::router(aws.state())).await
}
