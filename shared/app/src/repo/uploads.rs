//! Uploads: asked for (name, type, size, where it goes), sent by the browser straight to the
//! file store with a signed form, then confirmed: only a confirmed upload whose stored bytes
//! pass (size, type by its first bytes) becomes a document of the run. Anything refused is
//! deleted from the store.
//!
//! An upload's row lives a day (`ttl`); the bucket's lifecycle rule deletes objects nobody
//! confirmed after a day too.

use chrono::{DateTime, Duration, Utc};
use domain::document::{self, Document, DocumentStatus, Visibility};
use domain::events::Actor;
use domain::run::Run;
use domain::DomainError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::blobs::{Blobs, DownloadRequest, UploadRequest, UploadTarget};
use store::{Cond, Table, Write};

use super::{from_item, load, to_item};
use crate::error::{stale, AppError, AppResult};
use crate::keys;

/// How long an upload's signed form works.
pub const UPLOAD_MINUTES: i64 = 15;
/// How long a download link works.
pub const DOWNLOAD_MINUTES: i64 = 5;
/// A file name longer than this is refused (before it is made safe).
pub const MAX_FILENAME_CHARS: usize = 255;
/// The scan result tag GuardDuty Malware Protection for S3 writes, and its clean value.
pub const SCAN_TAG: &str = "GuardDutyMalwareScanStatus";
pub const SCAN_CLEAN: &str = "NO_THREATS_FOUND";
/// Uploads carry `state=unconfirmed` until confirmed; the bucket's lifecycle rule deletes
/// objects still tagged so after a day.
pub const STATE_TAG: &str = "state";
pub const UNCONFIRMED: &str = "unconfirmed";
pub const CONFIRMED: &str = "confirmed";

/// What the uploader says of the file, and where it goes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadInput {
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// The step it goes to (staff may leave it out: the run's own document).
    #[serde(default)]
    pub step_key: Option<String>,
    /// The step's required document it is for.
    #[serde(default)]
    pub requirement: Option<String>,
    /// Staff only (participants' uploads are always `shared`); default `shared`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// An upload asked for, until it is confirmed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UploadRow {
    id: String,
    run_id: String,
    step_key: Option<String>,
    requirement: Option<String>,
    visibility: Visibility,
    /// Empty for a form upload: the store puts the file's name at the end of the key.
    name: String,
    /// None for a form upload: the bytes say what it is.
    content_type: Option<String>,
    object_key: String,
    max_size: u64,
    uploaded_by: Actor,
    expires_at: DateTime<Utc>,
    /// Set once confirmed: the document it became.
    #[serde(default)]
    document_id: Option<String>,
    #[serde(default)]
    version: u64,
    ttl: i64,
}

/// Where the browser sends the file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadTicket {
    pub upload_id: String,
    /// POST `multipart/form-data` here: `fields` in this order, then the file as `file`.
    pub url: String,
    #[schema(value_type = Vec<Vec<String>>)]
    pub fields: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
    /// The largest file the store takes, in bytes.
    pub max_size: u64,
}

/// The tenant's limits for documents.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_size: u64,
    pub scanning: bool,
    /// The types it takes.
    pub types: Vec<&'static str>,
}

impl Limits {
    pub fn of(settings: &super::settings::Settings) -> Limits {
        Limits {
            max_size: settings.max_document_size(),
            scanning: settings.document_scanning,
            types: settings.document_types(),
        }
    }

    /// The tenant's (one read of its settings).
    pub async fn load(table: &dyn Table, tenant: &str) -> AppResult<Limits> {
        Ok(Limits::of(&super::settings::get_settings(table, tenant).await?))
    }
}

fn invalid(field: &str, code: &'static str, message: &str) -> AppError {
    AppError::Domain(DomainError::invalid(field, code, message))
}

/// Where uploads go: the table, the file store, the tenant and its limits.
pub struct Files<'a> {
    pub table: &'a dyn Table,
    pub blobs: &'a dyn Blobs,
    pub tenant: &'a str,
    pub limits: Limits,
}

impl<'a> Files<'a> {
    /// The tenant's (one read of its settings for the limits).
    pub async fn of(table: &'a dyn Table, blobs: &'a dyn Blobs, tenant: &'a str) -> AppResult<Files<'a>> {
        Ok(Files {
            table,
            blobs,
            tenant,
            limits: Limits::load(table, tenant).await?,
        })
    }
}

/// Checks what the uploader says and whether they may add it to the run now; stores the
/// upload and signs its form. `redirect`: where the store sends a browser after the upload.
pub async fn ask(
    files: &Files<'_>,
    run: &Run,
    actor: &Actor,
    input: UploadInput,
    redirect: impl FnOnce(&str) -> Option<String>,
) -> AppResult<UploadTicket> {
    let limits = &files.limits;
    let mut errors = Vec::new();
    let raw_name = input.filename.trim();
    if raw_name.is_empty() {
        errors.push(domain::FieldError::new("filename", "required", "is required"));
    } else if raw_name.chars().count() > MAX_FILENAME_CHARS {
        errors.push(domain::FieldError::new(
            "filename",
            "too_long",
            "must be at most 255 characters",
        ));
    }
    if !limits.types.contains(&input.content_type.as_str()) {
        errors.push(domain::FieldError::new(
            "content_type",
            "not_an_option",
            format!("must be one of {}", limits.types.join(", ")),
        ));
    }
    if input.size == 0 {
        errors.push(domain::FieldError::new("size", "empty", "the file is empty"));
    } else if input.size > limits.max_size {
        errors.push(domain::FieldError::new(
            "size",
            "too_large",
            format!("must be at most {} bytes", limits.max_size),
        ));
    }
    domain::into_result(errors)?;
    let visibility = if actor.is_staff() {
        input.visibility.unwrap_or_default()
    } else {
        Visibility::Shared
    };
    let pending = Pending {
        step_key: input.step_key,
        requirement: input.requirement,
        visibility,
        name: Some(document::sanitize_name(raw_name)),
        content_type: Some(input.content_type),
    };
    open(files, run, actor, pending, redirect).await
}

/// An upload from the portal's plain form, which knows nothing of the file before it is
/// picked: the store puts the file's name at the end of the key, and its bytes say its type.
pub async fn ask_form(
    files: &Files<'_>,
    run: &Run,
    actor: &Actor,
    step_key: &str,
    requirement: Option<String>,
    redirect: impl FnOnce(&str) -> Option<String>,
) -> AppResult<UploadTicket> {
    let pending = Pending {
        step_key: Some(step_key.to_string()),
        requirement,
        visibility: Visibility::Shared,
        name: None,
        content_type: None,
    };
    open(files, run, actor, pending, redirect).await
}

struct Pending {
    step_key: Option<String>,
    requirement: Option<String>,
    visibility: Visibility,
    name: Option<String>,
    content_type: Option<String>,
}

async fn open(
    files: &Files<'_>,
    run: &Run,
    actor: &Actor,
    p: Pending,
    redirect: impl FnOnce(&str) -> Option<String>,
) -> AppResult<UploadTicket> {
    let (table, blobs, tenant, limits) = (files.table, files.blobs, files.tenant, &files.limits);
    run.may_add_document(p.step_key.as_deref(), p.requirement.as_deref(), actor)?;
    let id = domain::ids::new_id();
    let now = Utc::now();
    let expires_at = now + Duration::minutes(UPLOAD_MINUTES);
    let object_key = match &p.name {
        Some(_) => object_key(tenant, &run.id, &id),
        None => format!("{}/{}", object_key(tenant, &run.id, &id), store::blobs::FILENAME),
    };
    let row = UploadRow {
        id: id.clone(),
        run_id: run.id.clone(),
        step_key: p.step_key,
        requirement: p.requirement,
        visibility: p.visibility,
        name: p.name.unwrap_or_default(),
        content_type: p.content_type,
        object_key,
        max_size: limits.max_size,
        uploaded_by: actor.clone(),
        expires_at,
        document_id: None,
        version: 1,
        ttl: (now + Duration::days(1)).timestamp(),
    };
    let target: UploadTarget = blobs
        .upload_target(&UploadRequest {
            key: row.object_key.clone(),
            content_type: row.content_type.clone(),
            max_size: limits.max_size,
            expires_at: expires_at.timestamp(),
            redirect: redirect(&id),
            tags: vec![(STATE_TAG.into(), UNCONFIRMED.into())],
        })
        .await?;
    let item = to_item(&row, keys::upload(tenant, &id), "upload", &[])?;
    table.transact(vec![Write::put(item, Cond::NotExists)]).await?;
    Ok(UploadTicket {
        upload_id: id,
        url: target.url,
        fields: target.fields,
        expires_at,
        max_size: limits.max_size,
    })
}

async fn upload_row(table: &dyn Table, tenant: &str, id: &str, actor: &Actor) -> AppResult<UploadRow> {
    let k = keys::upload(tenant, id);
    let row: UploadRow = match table.get(&k.pk, &k.sk).await? {
        Some(item) => from_item(item)?,
        None => return Err(AppError::Domain(DomainError::NotFound("upload"))),
    };
    // Someone else's upload is no upload of theirs.
    if row.uploaded_by.kind != actor.kind || row.uploaded_by.id != actor.id {
        return Err(AppError::Domain(DomainError::NotFound("upload")));
    }
    Ok(row)
}

/// Confirms an upload: checks the stored bytes, then adds the document to the run (with the
/// upload marked confirmed, in one transaction). Confirming again answers the same document.
/// `check` sees the run before the change (the caller's access check: 404 for a run the
/// participant is not in).
pub async fn confirm(
    files: &Files<'_>,
    run_id: &str,
    upload_id: &str,
    actor: &Actor,
    stored_key: Option<&str>,
    check: impl FnOnce(&Run) -> Result<(), DomainError>,
) -> AppResult<(Run, Document)> {
    let (table, blobs, tenant, limits) = (files.table, files.blobs, files.tenant, &files.limits);
    let row = upload_row(table, tenant, upload_id, actor).await?;
    if row.run_id != run_id {
        return Err(AppError::Domain(DomainError::NotFound("upload")));
    }
    let mut run: Run = load(table, tenant, run_id).await?;
    check(&run)?;
    if let Some(done) = &row.document_id {
        let doc = run.documents.iter().find(|d| &d.id == done).cloned();
        let doc = doc.ok_or(AppError::Domain(DomainError::NotFound("document")))?;
        let key = doc.object_key.clone().unwrap_or_else(|| row.object_key.clone());
        blobs.set_tag(&key, STATE_TAG, CONFIRMED).await?;
        return Ok((run, doc));
    }
    // A form upload's key ends in the file's name, as the store says where it put it.
    let (object, name) = match row.object_key.strip_suffix(store::blobs::FILENAME) {
        None => (row.object_key.clone(), row.name.clone()),
        Some(prefix) => {
            let rest = stored_key
                .and_then(|k| k.strip_prefix(prefix))
                .filter(|r| !r.is_empty() && !r.contains('/'));
            let Some(rest) = rest else {
                return Err(AppError::Domain(DomainError::Conflict(
                    "no file was uploaded for this upload yet".into(),
                )));
            };
            (format!("{prefix}{rest}"), document::sanitize_name(rest))
        }
    };
    let file = inspect(blobs, &object, row.max_size, row.content_type.as_deref(), &limits.types).await?;
    let doomed = object.clone();
    let refuse = |e: AppError| async move {
        discard(blobs, &doomed).await;
        Err(e)
    };
    let now = Utc::now();
    // The document keeps its upload's id: its bytes stay where the upload put them.
    let doc = Document {
        id: row.id.clone(),
        step_key: row.step_key.clone(),
        requirement: row.requirement.clone(),
        name,
        size: file.size,
        content_type: file.content_type.to_string(),
        sha256: file.sha256,
        visibility: row.visibility,
        status: if limits.scanning {
            DocumentStatus::PendingScan
        } else {
            DocumentStatus::Available
        },
        uploaded_by: actor.clone(),
        uploaded_at: now,
        deleted_at: None,
        deleted_by: None,
        object_key: (object != row.object_key).then(|| object.clone()),
    };
    let expected = run.version;
    let events = match run.add_document(doc.clone(), actor) {
        Ok(events) => events,
        Err(e) => return refuse(e.into()).await,
    };
    let confirmed = UploadRow {
        document_id: Some(doc.id.clone()),
        version: row.version + 1,
        ..row.clone()
    };
    let item = to_item(&confirmed, keys::upload(tenant, upload_id), "upload", &[])?;
    super::save(
        table,
        tenant,
        &run,
        Some(expected),
        &events,
        actor,
        now,
        vec![Write::put(item, Cond::Version(row.version))],
    )
    .await
    .map_err(stale("the run"))?;
    // Kept for good now; a failure here leaves the file to the lifecycle rule, so it is retried
    // by whoever confirms again (the answer stays the same).
    if let Err(e) = blobs.set_tag(&object, STATE_TAG, CONFIRMED).await {
        tracing::error!(error = %e, "a confirmed document is still tagged unconfirmed");
        return Err(e.into());
    }
    Ok((run, doc))
}

/// What a stored file turned out to be.
pub struct Inspected {
    pub size: u64,
    pub content_type: &'static str,
    pub sha256: String,
}

/// Deletes a refused file (the lifecycle rule gets it otherwise).
pub async fn discard(blobs: &dyn Blobs, key: &str) {
    if let Err(err) = blobs.delete(key).await {
        tracing::warn!(error = %err, "a refused upload was not deleted; the lifecycle rule will");
    }
}

/// Checks a stored file: there, not empty, at most `max_size`, one of `types` by its first
/// bytes and the type declared (if one was); a refused one is deleted (422 naming why).
pub async fn inspect(
    blobs: &dyn Blobs,
    key: &str,
    max_size: u64,
    declared: Option<&str>,
    types: &[&str],
) -> AppResult<Inspected> {
    let refuse = |code: &'static str, message: String| async move {
        discard(blobs, key).await;
        Err(invalid("file", code, &message))
    };
    let Some(size) = blobs.size(key).await? else {
        return Err(AppError::Domain(DomainError::Conflict(
            "no file was uploaded for this upload yet".into(),
        )));
    };
    if size == 0 {
        return refuse("empty", "the file is empty".into()).await;
    }
    if size > max_size {
        return refuse("too_large", format!("must be at most {max_size} bytes")).await;
    }
    let bytes = blobs.read(key).await?;
    let Some(content_type) = document::sniff(&bytes[..bytes.len().min(64)]) else {
        return refuse("unsupported_type", format!("is not one of {}", types.join(", "))).await;
    };
    if let Some(said) = declared.filter(|said| !same_type(said, content_type)) {
        return refuse("type_mismatch", format!("its content is {content_type}, not {said}")).await;
    }
    if !types.contains(&content_type) {
        return refuse("unsupported_type", format!("is not one of {}", types.join(", "))).await;
    }
    Ok(Inspected {
        size: bytes.len() as u64,
        content_type,
        sha256: hex::encode(Sha256::digest(&bytes)),
    })
}

/// HEIC and HEIF are told apart by their brand only: either stands for the other.
fn same_type(said: &str, is: &str) -> bool {
    said == is || (said.starts_with("image/hei") && is.starts_with("image/hei"))
}

/// Where an upload's bytes are (and its document's: it keeps the upload's id).
fn object_key(tenant: &str, run_id: &str, upload_id: &str) -> String {
    format!("{tenant}/{run_id}/{upload_id}")
}

/// The malware scan's result of a document waiting for it, once its object carries the scan
/// tag (GuardDuty Malware Protection for S3 writes it; tests set it themselves): the run is
/// saved with it (an infected document tells staff). Nothing changes while the tag is missing.
pub async fn settle_scan(files: &Files<'_>, run: &mut Run, doc_id: &str) -> AppResult<()> {
    let Some(doc) = run
        .documents
        .iter()
        .find(|d| d.id == doc_id && d.status == DocumentStatus::PendingScan)
    else {
        return Ok(());
    };
    let key = doc
        .object_key
        .clone()
        .unwrap_or_else(|| object_key(files.tenant, &run.id, &doc.id));
    let tags = files.blobs.tags(&key).await?;
    let Some((_, result)) = tags.iter().find(|(k, _)| k == SCAN_TAG) else {
        return Ok(());
    };
    let expected = run.version;
    let events = run.settle_scan(doc_id, result == SCAN_CLEAN);
    let scanner = Actor::new("system", "malware-scan", None);
    super::save(
        files.table,
        files.tenant,
        run,
        Some(expected),
        &events,
        &scanner,
        Utc::now(),
        Vec::new(),
    )
    .await
    .map_err(stale("the run"))?;
    Ok(())
}

/// A short-lived link to a document the reader may see (the caller found it so): 409 while
/// it waits for its scan, 410 when the scan found malware.
pub async fn download_url(blobs: &dyn Blobs, tenant: &str, run: &Run, doc: &Document) -> AppResult<String> {
    match doc.status {
        DocumentStatus::Available => {}
        DocumentStatus::PendingScan => {
            return Err(AppError::Domain(DomainError::Conflict(
                "the document waits for its malware scan".into(),
            )))
        }
        DocumentStatus::Infected => {
            return Err(AppError::Domain(DomainError::Gone(
                "the document was found to carry malware",
            )))
        }
    }
    let key = doc
        .object_key
        .clone()
        .unwrap_or_else(|| object_key(tenant, &run.id, &doc.id));
    Ok(blobs
        .download_url(&DownloadRequest {
            key,
            filename: doc.name.clone(),
            content_type: doc.content_type.clone(),
            expires_at: (Utc::now() + Duration::minutes(DOWNLOAD_MINUTES)).timestamp(),
        })
        .await?)
}
