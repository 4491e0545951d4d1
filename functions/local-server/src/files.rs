//! The local stand-in for the S3 bucket: the same upload shape (a signed multipart form whose
//! conditions the store enforces: key, type, size range, expiry; then 204 or a redirect) and
//! signed download links, with the files under the data folder (`files/`). Signatures are
//! HMAC-SHA256 with a key made at start (links live minutes).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{Multipart, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use store::blobs::{attachment, Blobs, DownloadRequest, UploadRequest, UploadTarget};
use store::StoreError;

pub struct LocalBlobs {
    dir: PathBuf,
    base_url: String,
    secret: String,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Keys are `{tenant}/{run}/{upload}[/{file name}]`: no empty, `.` or `..` segment, no
/// backslash or control character.
fn safe_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 600
        && !key.split('/').any(|p| p.is_empty() || p == "." || p == "..")
        && !key.chars().any(|c| c.is_control() || c == '\\')
}

impl LocalBlobs {
    pub fn new(dir: PathBuf, base_url: &str) -> Self {
        use rand::RngCore;
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        LocalBlobs {
            dir,
            base_url: base_url.trim_end_matches('/').to_string(),
            secret: hex::encode(secret),
        }
    }

    fn sign(&self, parts: &[&str]) -> String {
        aws_sigv4::sign::v4::calculate_signature(self.secret.as_bytes(), parts.join("\n").as_bytes())
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        if !safe_key(key) {
            return Err(StoreError::Invalid(format!("file key {key:?}")));
        }
        Ok(self.dir.join(key))
    }

    fn upload_signature(&self, f: &Fields) -> String {
        self.sign(&[
            "upload",
            &f.get("key"),
            &f.get("Content-Type"),
            &f.get("max_size"),
            &f.get("expires"),
            &f.get("success_action_redirect"),
            &f.get("tagging"),
        ])
    }
}

#[async_trait]
impl Blobs for LocalBlobs {
    async fn upload_target(&self, req: &UploadRequest) -> Result<UploadTarget, StoreError> {
        let mut f = Fields(vec![
            ("key".into(), req.key.clone()),
            ("Content-Type".into(), req.content_type.clone().unwrap_or_default()),
            ("max_size".into(), req.max_size.to_string()),
            ("expires".into(), req.expires_at.to_string()),
        ]);
        if let Some(r) = &req.redirect {
            f.0.push(("success_action_redirect".into(), r.clone()));
        }
        if !req.tags.is_empty() {
            f.0.push(("tagging".into(), store::blobs::tagging_xml(&req.tags)));
        }
        let signature = self.upload_signature(&f);
        f.0.push(("signature".into(), signature));
        Ok(UploadTarget {
            url: format!("{}/local/uploads", self.base_url),
            fields: f.0,
        })
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn read(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        tokio::fs::read(self.path(key)?).await.map_err(backend)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(backend(e)),
            _ => Ok(()),
        }
    }

    async fn download_url(&self, req: &DownloadRequest) -> Result<String, StoreError> {
        self.path(&req.key)?;
        let expires = req.expires_at.to_string();
        let sig = self.sign(&["download", &req.key, &req.filename, &req.content_type, &expires]);
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("name", &req.filename)
            .append_pair("type", &req.content_type)
            .append_pair("expires", &expires)
            .append_pair("sig", &sig)
            .finish();
        Ok(format!("{}/local/files/{}?{q}", self.base_url, req.key))
    }

    async fn put_tags(&self, key: &str, tags: &[(String, String)]) -> Result<(), StoreError> {
        let path = self.path(key)?.with_extension("tags");
        let json = serde_json::to_vec(tags).map_err(backend)?;
        tokio::fs::write(path, json).await.map_err(backend)
    }

    async fn tags(&self, key: &str) -> Result<Vec<(String, String)>, StoreError> {
        let path = self.path(key)?.with_extension("tags");
        match tokio::fs::read(&path).await {
            Ok(b) => serde_json::from_slice(&b).map_err(backend),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(backend(e)),
        }
    }
}

/// A form's text fields, in order.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// Refusals as S3 words them (an XML error there; plain text here).
fn refuse(status: StatusCode, code: &str) -> Response {
    (status, code.to_string()).into_response()
}

/// The upload form's target: checks the signature and expiry, writes the file while its size
/// stays in range, then answers 204 or redirects.
async fn upload(State(blobs): State<Arc<LocalBlobs>>, mut form: Multipart) -> Response {
    let mut fields = Fields(Vec::new());
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return refuse(StatusCode::BAD_REQUEST, "InvalidArgument: no file part"),
            Err(_) => return refuse(StatusCode::BAD_REQUEST, "MalformedPOSTRequest"),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            match field.text().await {
                Ok(v) => fields.0.push((name, v)),
                Err(_) => return refuse(StatusCode::BAD_REQUEST, "MalformedPOSTRequest"),
            }
            continue;
        }
        let signature = fields.get("signature");
        if signature.is_empty() || signature != blobs.upload_signature(&fields) {
            return refuse(StatusCode::FORBIDDEN, "AccessDenied: signature");
        }
        let expires: i64 = fields.get("expires").parse().unwrap_or(0);
        if expires < chrono::Utc::now().timestamp() {
            return refuse(StatusCode::FORBIDDEN, "AccessDenied: policy expired");
        }
        let max: u64 = fields.get("max_size").parse().unwrap_or(0);
        // As S3 does: `${filename}` in the key is the file's name (its last path part).
        let file_name = field
            .file_name()
            .unwrap_or_default()
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .to_string();
        let key = fields.get("key").replace(store::blobs::FILENAME, &file_name);
        let Ok(path) = blobs.path(&key) else {
            return refuse(StatusCode::BAD_REQUEST, "InvalidArgument: key");
        };
        let written = write_file(&path, field, max).await;
        if written.is_ok() {
            let tags = parse_tagging(&fields.get("tagging"));
            if !tags.is_empty() && blobs.put_tags(&key, &tags).await.is_err() {
                return refuse(StatusCode::INTERNAL_SERVER_ERROR, "InternalError");
            }
        }
        return match written {
            Ok(()) => match fields.get("success_action_redirect") {
                r if r.is_empty() => StatusCode::NO_CONTENT.into_response(),
                r => {
                    let q: String = form_urlencoded::Serializer::new(String::new())
                        .append_pair("bucket", "local")
                        .append_pair("key", &key)
                        .append_pair("etag", "\"local\"")
                        .finish();
                    let sep = if r.contains('?') { '&' } else { '?' };
                    Redirect::to(&format!("{r}{sep}{q}")).into_response()
                }
            },
            Err(status) => status,
        };
    }
}

/// The tags of a `tagging` field (`<Tag><Key>k</Key><Value>v</Value></Tag>`…).
fn parse_tagging(xml: &str) -> Vec<(String, String)> {
    let between = |s: &str, open: &str, close: &str| -> Option<String> {
        let start = s.find(open)? + open.len();
        Some(s[start..start + s[start..].find(close)?].to_string())
    };
    xml.split("<Tag>")
        .skip(1)
        .filter_map(|t| Some((between(t, "<Key>", "</Key>")?, between(t, "<Value>", "</Value>")?)))
        .collect()
}

/// Writes the file part, refusing (and removing) it when it is empty or exceeds `max`.
async fn write_file(path: &Path, mut field: axum::extract::multipart::Field<'_>, max: u64) -> Result<(), Response> {
    use tokio::io::AsyncWriteExt;
    let failed = |_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "InternalError");
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(failed)?;
    }
    let partial = path.with_extension("part");
    let mut out = tokio::fs::File::create(&partial).await.map_err(failed)?;
    let mut written = 0u64;
    let outcome = loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                written += chunk.len() as u64;
                if written > max {
                    break Err(refuse(StatusCode::BAD_REQUEST, "EntityTooLarge"));
                }
                if out.write_all(&chunk).await.is_err() {
                    break Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, "InternalError"));
                }
            }
            Ok(None) if written == 0 => break Err(refuse(StatusCode::BAD_REQUEST, "EntityTooSmall")),
            Ok(None) => break out.flush().await.map_err(failed),
            Err(_) => break Err(refuse(StatusCode::BAD_REQUEST, "IncompleteBody")),
        }
    };
    match outcome {
        Ok(()) => tokio::fs::rename(&partial, path).await.map_err(failed),
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(e)
        }
    }
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    name: String,
    #[serde(rename = "type")]
    content_type: String,
    expires: i64,
    sig: String,
}

/// A signed download: the file as an attachment.
async fn download(
    State(blobs): State<Arc<LocalBlobs>>,
    axum::extract::Path(key): axum::extract::Path<String>,
    q: Result<Query<DownloadQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return refuse(StatusCode::FORBIDDEN, "AccessDenied");
    };
    let expires = q.expires.to_string();
    if q.sig != blobs.sign(&["download", &key, &q.name, &q.content_type, &expires])
        || q.expires < chrono::Utc::now().timestamp()
    {
        return refuse(StatusCode::FORBIDDEN, "AccessDenied");
    }
    match blobs.read(&key).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, q.content_type.clone()),
                (header::CONTENT_DISPOSITION, attachment(&q.name)),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => refuse(StatusCode::NOT_FOUND, "NoSuchKey"),
    }
}

/// The stand-in's routes (outside the API's body limit: files may be large).
pub fn routes(blobs: Arc<LocalBlobs>) -> Router {
    Router::new()
        .route("/local/uploads", post(upload))
        .route("/local/files/{*key}", get(download))
        .layer(axum::extract::DefaultBodyLimit::max(110 * 1024 * 1024))
        .with_state(blobs)
}
