//! An offer's teaser and detail images, uploaded like documents (ask, send to the file store,
//! confirm) but images only and at most 5 MB. A confirmed image gets a public address,
//! `{PORTAL_BASE_URL}/v1/offer-images/{image id}`: an unguessable id whose row (found before
//! any tenant is known, like token rows) says where the file is; the route redirects to a
//! fresh short-lived link.

use chrono::{Duration, Utc};
use domain::document::MAX_IMAGE_SIZE;
use domain::events::Actor;
use domain::offer::{ImageSlot, Offer};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use store::blobs::{DownloadRequest, UploadRequest};
use store::{Cond, Table, Write};

use super::uploads::{
    inspect, Files, UploadTicket, CONFIRMED, MAX_FILENAME_CHARS, STATE_TAG, UNCONFIRMED, UPLOAD_MINUTES,
};
use super::{from_item, load, to_item};
use crate::error::{stale, AppError, AppResult};
use crate::keys;

/// The types an offer image may have.
pub const IMAGE_TYPES: [&str; 5] = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"];
/// How long a browser may keep the image's redirect.
pub const IMAGE_CACHE_SECONDS: u32 = 240;

/// What the admin says of the image.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    pub filename: String,
    pub content_type: String,
    /// Bytes (at most 5 MB).
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ImageUploadRow {
    id: String,
    offer_id: String,
    slot: ImageSlot,
    content_type: String,
    object_key: String,
    ttl: i64,
}

/// Where a public image's file is.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ImageRow {
    tenant_id: String,
    offer_id: String,
    slot: ImageSlot,
    object_key: String,
    content_type: String,
}

/// Asks for an image upload for a draft's slot.
pub async fn ask(files: &Files<'_>, offer: &Offer, slot: ImageSlot, input: ImageInput) -> AppResult<UploadTicket> {
    let mut errors = Vec::new();
    let name = input.filename.trim();
    if name.is_empty() || name.chars().count() > MAX_FILENAME_CHARS {
        errors.push(domain::FieldError::new(
            "filename",
            "too_long",
            "must be 1-255 characters",
        ));
    }
    if !IMAGE_TYPES.contains(&input.content_type.as_str()) {
        errors.push(domain::FieldError::new(
            "content_type",
            "not_an_option",
            format!("must be one of {}", IMAGE_TYPES.join(", ")),
        ));
    }
    if input.size == 0 {
        errors.push(domain::FieldError::new("size", "empty", "the file is empty"));
    } else if input.size > MAX_IMAGE_SIZE {
        errors.push(domain::FieldError::new("size", "too_large", "must be at most 5 MB"));
    }
    domain::into_result(errors)?;
    if offer.status != domain::offer::OfferStatus::Draft {
        return Err(AppError::Domain(DomainError::Conflict(format!(
            "offer {} is not a draft; its images no longer change",
            offer.id
        ))));
    }
    let id = domain::ids::new_id();
    let now = Utc::now();
    let expires_at = now + Duration::minutes(UPLOAD_MINUTES);
    let row = ImageUploadRow {
        id: id.clone(),
        offer_id: offer.id.clone(),
        slot,
        content_type: input.content_type,
        object_key: format!("{}/offers/{}/{id}", files.tenant, offer.id),
        ttl: (now + Duration::days(1)).timestamp(),
    };
    let target = files
        .blobs
        .upload_target(&UploadRequest {
            key: row.object_key.clone(),
            content_type: Some(row.content_type.clone()),
            max_size: MAX_IMAGE_SIZE,
            expires_at: expires_at.timestamp(),
            redirect: None,
            tags: vec![(STATE_TAG.into(), UNCONFIRMED.into())],
        })
        .await?;
    let item = to_item(&row, keys::upload(files.tenant, &id), "offer_upload", &[])?;
    files.table.transact(vec![Write::put(item, Cond::NotExists)]).await?;
    Ok(UploadTicket {
        upload_id: id,
        url: target.url,
        fields: target.fields,
        expires_at,
        max_size: MAX_IMAGE_SIZE,
    })
}

/// Confirms an image: checks the file, gives it its public address and sets it on the draft.
pub async fn confirm(
    files: &Files<'_>,
    offer_id: &str,
    slot: ImageSlot,
    upload_id: &str,
    actor: &Actor,
    base_url: &str,
) -> AppResult<Offer> {
    let k = keys::upload(files.tenant, upload_id);
    let row: ImageUploadRow = match files.table.get(&k.pk, &k.sk).await? {
        Some(item) if store::attr_str(&item, "entity") == Some("offer_upload") => from_item(item)?,
        _ => return Err(AppError::Domain(DomainError::NotFound("upload"))),
    };
    if row.offer_id != offer_id || row.slot != slot {
        return Err(AppError::Domain(DomainError::NotFound("upload")));
    }
    let mut offer: Offer = load(files.table, files.tenant, offer_id).await?;
    let file = inspect(
        files.blobs,
        &row.object_key,
        MAX_IMAGE_SIZE,
        Some(&row.content_type),
        &IMAGE_TYPES,
    )
    .await?;
    let image_id = domain::ids::new_token();
    let url = format!("{base_url}/v1/offer-images/{image_id}");
    let expected = offer.version;
    let now = Utc::now();
    let events = offer.set_image(slot, &image_id, url, now)?;
    let public = ImageRow {
        tenant_id: files.tenant.to_string(),
        offer_id: offer_id.to_string(),
        slot,
        object_key: row.object_key.clone(),
        content_type: file.content_type.to_string(),
    };
    let item = to_item(&public, keys::offer_image(&image_id), "offer_image", &[])?;
    // The upload is used up with it: a second confirm finds no upload.
    let used = Write::Delete {
        pk: k.pk.clone(),
        sk: k.sk.clone(),
        cond: Cond::None,
    };
    super::save(
        files.table,
        files.tenant,
        &offer,
        Some(expected),
        &events,
        actor,
        now,
        vec![Write::put(item, Cond::NotExists), used],
    )
    .await
    .map_err(stale("the offer"))?;
    files.blobs.set_tag(&row.object_key, STATE_TAG, CONFIRMED).await?;
    Ok(offer)
}

/// A short-lived link to a public image (404 for an unknown id).
pub async fn image_link(table: &dyn Table, blobs: &dyn store::blobs::Blobs, image_id: &str) -> AppResult<String> {
    if image_id.is_empty() || image_id.len() > 128 {
        return Err(AppError::Domain(DomainError::NotFound("image")));
    }
    let k = keys::offer_image(image_id);
    let row: ImageRow = match table.get(&k.pk, &k.sk).await? {
        Some(item) => from_item(item)?,
        None => return Err(AppError::Domain(DomainError::NotFound("image"))),
    };
    let name = format!(
        "{}-{}",
        row.offer_id,
        if row.slot == ImageSlot::Teaser {
            "teaser"
        } else {
            "detail"
        }
    );
    Ok(blobs
        .download_url(&DownloadRequest {
            key: row.object_key,
            filename: name,
            content_type: row.content_type,
            expires_at: (Utc::now() + Duration::minutes(5)).timestamp(),
        })
        .await?)
}

/// The slot a path names (404 for another).
pub fn slot(s: &str) -> AppResult<ImageSlot> {
    ImageSlot::parse(s).ok_or(AppError::Domain(DomainError::NotFound("image slot")))
}
