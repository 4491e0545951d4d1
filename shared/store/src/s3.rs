//! The file store on S3: uploads are presigned POST forms whose policy S3 enforces (the key,
//! the type, `content-length-range`, the expiry), downloads presigned GETs that name the file
//! as an attachment.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::presigning::PresigningConfig;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::blobs::{attachment, Blobs, DownloadRequest, UploadRequest, UploadTarget};
use crate::StoreError;

pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
    region: String,
    credentials: SharedCredentialsProvider,
    /// Where forms post: the bucket's virtual-hosted address, or `{endpoint}/{bucket}` on a
    /// stand-in (path style).
    post_url: String,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// The full error chain of an SDK error (its `Display` says only "service error").
fn detail(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl S3Blobs {
    /// `endpoint`: a stand-in's address (path-style requests), none on AWS.
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: &str,
        region: &str,
        credentials: SharedCredentialsProvider,
        endpoint: Option<&str>,
    ) -> Self {
        let post_url = match endpoint {
            Some(e) => format!("{}/{bucket}", e.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        };
        S3Blobs {
            client,
            bucket: bucket.into(),
            region: region.into(),
            credentials,
            post_url,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn upload_target(&self, req: &UploadRequest) -> Result<UploadTarget, StoreError> {
        let creds = self.credentials.provide_credentials().await.map_err(backend)?;
        let now = Utc::now();
        let date = now.format("%Y%m%d").to_string();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!("{}/{date}/{}/s3/aws4_request", creds.access_key_id(), self.region);
        let expires = DateTime::<Utc>::from_timestamp(req.expires_at, 0)
            .ok_or_else(|| StoreError::Invalid("expiry out of range".into()))?;
        let mut fields = vec![("key".to_string(), req.key.clone())];
        if let Some(t) = &req.content_type {
            fields.push(("Content-Type".to_string(), t.clone()));
        }
        if !req.tags.is_empty() {
            fields.push(("tagging".into(), crate::blobs::tagging_xml(&req.tags)));
        }
        match &req.redirect {
            Some(url) => fields.push(("success_action_redirect".into(), url.clone())),
            None => fields.push(("success_action_status".into(), "204".into())),
        }
        fields.push(("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()));
        fields.push(("x-amz-credential".into(), credential));
        fields.push(("x-amz-date".into(), amz_date));
        if let Some(token) = creds.session_token() {
            fields.push(("x-amz-security-token".into(), token.to_string()));
        }
        let mut conditions = vec![
            json!({"bucket": self.bucket}),
            json!(["content-length-range", 1, req.max_size]),
        ];
        conditions.extend(
            fields
                .iter()
                .map(|(k, v)| match v.strip_suffix(crate::blobs::FILENAME) {
                    // The file's name completes the key: the prefix is what the policy fixes.
                    Some(prefix) if k == "key" => json!(["starts-with", "$key", prefix]),
                    _ => json!(["eq", format!("${k}"), v]),
                }),
        );
        let policy = json!({
            "expiration": expires.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "conditions": conditions,
        });
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let key = aws_sigv4::sign::v4::generate_signing_key(
            creds.secret_access_key(),
            SystemTime::from(now),
            &self.region,
            "s3",
        );
        let signature = aws_sigv4::sign::v4::calculate_signature(key, policy.as_bytes());
        fields.push(("policy".into(), policy));
        fields.push(("x-amz-signature".into(), signature));
        Ok(UploadTarget {
            url: self.post_url.clone(),
            fields,
        })
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(out.content_length().unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(StoreError::Backend(detail(&e))),
        }
    }

    async fn read(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StoreError::Backend(detail(&e)))?;
        Ok(out.body.collect().await.map_err(backend)?.into_bytes().to_vec())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StoreError::Backend(detail(&e)))?;
        Ok(())
    }

    async fn download_url(&self, req: &DownloadRequest) -> Result<String, StoreError> {
        let left = (req.expires_at - Utc::now().timestamp()).max(1) as u64;
        let config = PresigningConfig::expires_in(Duration::from_secs(left)).map_err(backend)?;
        let signed = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&req.key)
            .response_content_disposition(attachment(&req.filename))
            .response_content_type(&req.content_type)
            .presigned(config)
            .await
            .map_err(|e| StoreError::Backend(detail(&e)))?;
        Ok(signed.uri().to_string())
    }

    async fn put_tags(&self, key: &str, tags: &[(String, String)]) -> Result<(), StoreError> {
        let set = tags
            .iter()
            .map(|(k, v)| {
                aws_sdk_s3::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(backend)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(set))
            .build()
            .map_err(backend)?;
        self.client
            .put_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| StoreError::Backend(detail(&e)))?;
        Ok(())
    }

    async fn tags(&self, key: &str) -> Result<Vec<(String, String)>, StoreError> {
        let out = self
            .client
            .get_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StoreError::Backend(detail(&e)))?;
        Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }
}
