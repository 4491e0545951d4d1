//! Building what a Lambda function needs, once per cold start: SDK clients from one
//! `SdkConfig` (honouring `AWS_ENDPOINT_URL`), the table adapter, logging. The SES mailer
//! (feature `ses`, email-sender) and the stream relay (feature `sqs`, event-relay) live here
//! too, so that the API functions link neither.

use app::config::Config;
use store::dynamo::DynamoTable;

#[cfg(any(feature = "ses", feature = "sqs", feature = "feedback"))]
pub mod events;
#[cfg(feature = "ses")]
pub mod ses;

/// JSON logs (Lambda's `LogFormat: JSON`), level from `RUST_LOG` (default info).
pub fn init_lambda_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let json = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(json)
        .with(app::config::log_filter())
        .try_init();
}

pub struct Aws {
    pub sdk: aws_config::SdkConfig,
    pub config: Config,
}

impl Aws {
    pub async fn load() -> Result<Self, String> {
        let config = Config::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Aws { sdk, config })
    }

    pub fn table(&self) -> DynamoTable {
        DynamoTable::new(aws_sdk_dynamodb::Client::new(&self.sdk), self.config.table_name.clone())
    }

    /// The documents bucket (`DOCUMENTS_BUCKET`); a stand-in's address from
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` makes requests path-style.
    pub fn blobs(&self) -> Result<store::s3::S3Blobs, String> {
        let bucket = self
            .config
            .documents_bucket
            .clone()
            .ok_or("environment variable DOCUMENTS_BUCKET is required")?;
        s3_blobs(&self.sdk, &bucket)
    }
}

/// The file store on S3 for `bucket`, with the SDK's region and credentials.
pub fn s3_blobs(sdk: &aws_config::SdkConfig, bucket: &str) -> Result<store::s3::S3Blobs, String> {
    let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()));
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(endpoint.is_some())
        .build();
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region is configured")?;
    let credentials = sdk.credentials_provider().ok_or("no AWS credentials are configured")?;
    Ok(store::s3::S3Blobs::new(
        aws_sdk_s3::Client::from_conf(config),
        bucket,
        &region,
        credentials,
        endpoint.as_deref(),
    ))
}
