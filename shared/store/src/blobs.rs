//! The file store port: files go from the browser to the store and back through short-lived
//! signed requests, never through a function's body. [`crate::s3::S3Blobs`] is the AWS one
//! (presigned POST with a policy, presigned GET); local-server serves the same shape from
//! its data folder.

use async_trait::async_trait;

use crate::StoreError;

/// The part of a key the store replaces with the uploaded file's name (S3's `${filename}`).
pub const FILENAME: &str = "${filename}";

/// What an upload may be: this key (or, ending in [`FILENAME`], this prefix and the file's
/// name), this type (none: whatever the browser sends), a size in `1..=max_size`, sent
/// before `expires_at` (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    pub key: String,
    pub content_type: Option<String>,
    pub max_size: u64,
    pub expires_at: i64,
    /// Where the store sends the browser after the upload (303, with `bucket`, `key` and
    /// `etag` added to its query); none: `204 No Content`.
    pub redirect: Option<String>,
    /// Tags the object gets (an unconfirmed upload's, which the lifecycle rule expires).
    pub tags: Vec<(String, String)>,
}

/// A form upload: POST `multipart/form-data` to `url` with `fields` (in this order) and then
/// the file as the part `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

/// A download: the file as an attachment named `filename`, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    pub key: String,
    pub filename: String,
    pub content_type: String,
    pub expires_at: i64,
}

#[async_trait]
pub trait Blobs: Send + Sync {
    /// Signs an upload; the store itself refuses one that breaks its conditions.
    async fn upload_target(&self, req: &UploadRequest) -> Result<UploadTarget, StoreError>;
    /// The stored object's size, none when nothing is stored under `key`.
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError>;
    /// The object's content (at most what an upload may hold).
    async fn read(&self, key: &str) -> Result<Vec<u8>, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// A signed link to the object.
    async fn download_url(&self, req: &DownloadRequest) -> Result<String, StoreError>;
    /// The object's tags (a malware scan writes its result there).
    async fn tags(&self, key: &str) -> Result<Vec<(String, String)>, StoreError>;
    /// Sets one tag, keeping the others.
    async fn set_tag(&self, key: &str, name: &str, value: &str) -> Result<(), StoreError> {
        let mut tags = self.tags(key).await?;
        tags.retain(|(k, _)| k != name);
        tags.push((name.to_string(), value.to_string()));
        self.put_tags(key, &tags).await
    }
    /// Replaces the object's tags.
    async fn put_tags(&self, key: &str, tags: &[(String, String)]) -> Result<(), StoreError>;
}

/// Tags as S3's `tagging` form field and `x-amz-tagging` header write them (XML).
pub fn tagging_xml(tags: &[(String, String)]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let set: String = tags
        .iter()
        .map(|(k, v)| format!("<Tag><Key>{}</Key><Value>{}</Value></Tag>", esc(k), esc(v)))
        .collect();
    format!("<Tagging><TagSet>{set}</TagSet></Tagging>")
}

/// `Content-Disposition` of a download: an attachment, with an ASCII fallback name and the
/// UTF-8 one (RFC 6266 / 5987). The name is a sanitised one already (no CR/LF, no quotes).
pub fn attachment(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' })
        .filter(|c| !matches!(c, '"' | '\\'))
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachments_name_the_file_in_ascii_and_utf8() {
        assert_eq!(
            super::attachment("Zähler 1.pdf"),
            "attachment; filename=\"Z_hler 1.pdf\"; filename*=UTF-8''Z%C3%A4hler%201.pdf"
        );
    }
}
