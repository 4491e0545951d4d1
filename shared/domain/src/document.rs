//! Documents: files uploaded to a run (a step's, or the run's own). What a document is, how its
//! name is made safe, what its first bytes say it is, and which documents a step requires.
//! The run holds its documents ([`crate::run::Run::documents`]); its commands check who may
//! add or remove one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{Actor, RunEvent};
use crate::i18n::Text;
use crate::run::Run;
use crate::{DomainError, FieldError};

/// Files per step (and for the run itself), deleted ones not counted.
pub const MAX_DOCUMENTS_PER_STEP: usize = 20;
/// Default size limit of one file (a tenant may set another).
pub const DEFAULT_MAX_SIZE: u64 = 25 * 1024 * 1024;
/// Offer images: at most this large.
pub const MAX_IMAGE_SIZE: u64 = 5 * 1024 * 1024;
/// A file name is cut to this many characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The types a document may have, known by their first bytes.
pub const DEFAULT_TYPES: [&str; 6] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/heic",
    "image/heif",
    "image/webp",
];

/// Who sees a document: staff only, or also the participants of its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Internal,
    #[default]
    Shared,
}

/// Whether a document may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Waits for the malware scan's result (tenants with scanning on).
    PendingScan,
    #[default]
    Available,
    /// The scan found malware: never served.
    Infected,
}

/// A confirmed upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    pub id: String,
    /// The step it belongs to; none for the run's own documents (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_key: Option<String>,
    /// The required document it fulfils (its key on the step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// The file's name, made safe ([`sanitize_name`]).
    pub name: String,
    pub size: u64,
    /// The type its first bytes show.
    pub content_type: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub visibility: Visibility,
    #[serde(default)]
    pub status: DocumentStatus,
    pub uploaded_by: Actor,
    pub uploaded_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<Actor>,
    /// Where its bytes are in the file store, when not under its id (a form upload's key
    /// ends in the file's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_key: Option<String>,
}

impl Document {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Served to whoever may see it: not deleted, and not waiting for or failing its scan.
    pub fn servable(&self) -> bool {
        !self.is_deleted() && self.status == DocumentStatus::Available
    }
}

/// A document a step needs before it can be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredDocument {
    /// Letters, digits, `-` and `_`, unique on the step.
    pub key: String,
    pub label: Text,
    /// The types it may have (of [`DEFAULT_TYPES`]); none: any of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
}

impl RequiredDocument {
    pub fn validate(list: &[RequiredDocument], at: &str, errors: &mut Vec<FieldError>) {
        let mut seen = std::collections::HashSet::new();
        for (i, r) in list.iter().enumerate() {
            let here = format!("{at}[{i}]");
            crate::require_key(&r.key, &format!("{here}.key"), errors);
            if !seen.insert(r.key.as_str()) {
                errors.push(FieldError::new(
                    format!("{here}.key"),
                    "duplicate",
                    "is used twice on this step",
                ));
            }
            r.label.validate(&format!("{here}.label"), 200, errors);
            for (j, t) in r.types.iter().flatten().enumerate() {
                if !DEFAULT_TYPES.contains(&t.as_str()) {
                    errors.push(FieldError::new(
                        format!("{here}.types[{j}]"),
                        "not_an_option",
                        format!("must be one of {}", DEFAULT_TYPES.join(", ")),
                    ));
                }
            }
        }
        if list.len() > MAX_DOCUMENTS_PER_STEP {
            errors.push(FieldError::new(
                at,
                "too_long",
                "at most 20 required documents per step",
            ));
        }
    }

    pub fn allows(&self, content_type: &str) -> bool {
        self.types.as_ref().is_none_or(|t| t.iter().any(|x| x == content_type))
    }
}

/// A file name as documents keep it: the last part of a path, without control characters
/// (CR, LF, tabs…) and without quotes or characters that file systems refuse, at most
/// [`MAX_NAME_CHARS`] characters (keeping the extension); Unicode letters stay. An empty result
/// is `document`.
pub fn sanitize_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        return "document".into();
    }
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return trimmed.to_string();
    }
    // Keep a short extension and cut the stem.
    let (stem, ext) = match trimmed.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() && e.chars().count() <= 10 => (s, Some(e)),
        _ => (trimmed, None),
    };
    let room = MAX_NAME_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(room).collect();
    match ext {
        Some(e) => format!("{stem}.{e}"),
        None => stem,
    }
}

/// What a file is by its first bytes (at least 12 are needed): one of [`DEFAULT_TYPES`], or
/// none.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    // ISO base media: `ftyp` at 4, then the major brand.
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => Some("image/heic"),
            b"mif1" | b"msf1" => Some("image/heif"),
            _ => None,
        };
    }
    None
}

impl Run {
    /// Whether `actor` may add a document now: to `step_key` (participants: their own active
    /// step; staff: any step of a running run) or to the run itself (`None`, staff only); for
    /// `requirement`, one of the step's required documents; while the step holds fewer than
    /// [`MAX_DOCUMENTS_PER_STEP`]. Checked when the upload is asked for and when it is confirmed.
    pub fn may_add_document(
        &self,
        step_key: Option<&str>,
        requirement: Option<&str>,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        match step_key {
            None if !actor.is_staff() => {
                return Err(DomainError::Forbidden("only staff add documents to the run itself"))
            }
            None => self.ensure_running()?,
            Some(k) if actor.is_staff() => {
                self.step(k).ok_or(DomainError::NotFound("step"))?;
                self.ensure_running()?;
            }
            Some(k) => {
                self.active_step_index(k, actor)?;
            }
        }
        if let Some(r) = requirement {
            let known = step_key
                .and_then(|k| self.step(k))
                .is_some_and(|st| st.required_documents.iter().any(|d| d.key == r));
            if !known {
                return Err(DomainError::invalid(
                    "requirement",
                    "not_an_option",
                    "is not a required document of this step",
                ));
            }
        }
        let held = self
            .documents
            .iter()
            .filter(|d| !d.is_deleted() && d.step_key.as_deref() == step_key)
            .count();
        if held >= MAX_DOCUMENTS_PER_STEP {
            return Err(DomainError::invalid(
                "file",
                "too_many",
                "holds 20 documents already; remove one first",
            ));
        }
        Ok(())
    }

    /// Adds a confirmed upload (checked again: the step may have moved on meanwhile).
    pub fn add_document(&mut self, doc: Document, actor: &Actor) -> Result<Vec<RunEvent>, DomainError> {
        self.may_add_document(doc.step_key.as_deref(), doc.requirement.as_deref(), actor)?;
        if let (Some(k), Some(r)) = (&doc.step_key, &doc.requirement) {
            let required = self
                .step(k)
                .and_then(|st| st.required_documents.iter().find(|d| &d.key == r));
            if required.is_some_and(|d| !d.allows(&doc.content_type)) {
                return Err(DomainError::invalid(
                    "file",
                    "not_an_option",
                    "is not of a type this document may have",
                ));
            }
        }
        let event = RunEvent::DocumentAdded {
            document_id: doc.id.clone(),
            step_key: doc.step_key.clone(),
            name: doc.name.clone(),
            requirement: doc.requirement.clone(),
            visibility: doc.visibility,
        };
        self.documents.push(doc);
        self.version += 1;
        Ok(vec![event])
    }

    /// Removes a document (softly: it stays, marked): staff any time, its uploader while its
    /// step is active.
    pub fn remove_document(
        &mut self,
        id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<RunEvent>, DomainError> {
        let i = self
            .documents
            .iter()
            .position(|d| d.id == id && !d.is_deleted())
            .ok_or(DomainError::NotFound("document"))?;
        if !actor.is_staff() {
            let doc = &self.documents[i];
            let own = doc.uploaded_by.kind == actor.kind && doc.uploaded_by.id == actor.id;
            if !own {
                return Err(DomainError::Forbidden("only its uploader or staff remove a document"));
            }
            let key = doc.step_key.clone().unwrap_or_default();
            self.active_step_index(&key, actor)?;
        }
        let doc = &mut self.documents[i];
        doc.deleted_at = Some(now);
        doc.deleted_by = Some(actor.clone());
        let event = RunEvent::DocumentRemoved {
            document_id: doc.id.clone(),
            name: doc.name.clone(),
        };
        self.version += 1;
        Ok(vec![event])
    }

    /// A document the reader may see, by id: staff any; a participant those of their steps
    /// (with `all_steps`, every step's) that are shared or their own.
    pub fn document_for(&self, id: &str, reader: Option<(&str, bool)>) -> Option<&Document> {
        self.visible_documents(reader).into_iter().find(|d| d.id == id)
    }

    /// The documents a reader sees, not deleted: staff (`None`) all; a participant
    /// (`Some((participant id, all_steps))`) the shared ones and their own uploads of their
    /// steps, or of every step with `all_steps` (partners with runs:view_all_steps).
    pub fn visible_documents(&self, reader: Option<(&str, bool)>) -> Vec<&Document> {
        self.documents
            .iter()
            .filter(|d| !d.is_deleted())
            .filter(|d| match reader {
                None => true,
                Some((pid, all_steps)) => {
                    let Some(step) = d.step_key.as_deref().and_then(|k| self.step(k)) else {
                        return false;
                    };
                    let theirs = self.participant_for(step).is_some_and(|p| p.id == pid);
                    (theirs || all_steps) && (d.visibility == Visibility::Shared || d.uploaded_by.id == pid)
                }
            })
            .collect()
    }

    /// Records the malware scan's result of a document waiting for it (nothing when it is
    /// not waiting: a result read twice changes nothing).
    pub fn settle_scan(&mut self, id: &str, clean: bool) -> Vec<RunEvent> {
        let Some(doc) = self
            .documents
            .iter_mut()
            .find(|d| d.id == id && d.status == DocumentStatus::PendingScan)
        else {
            return Vec::new();
        };
        doc.status = if clean {
            DocumentStatus::Available
        } else {
            DocumentStatus::Infected
        };
        let event = RunEvent::DocumentScanned {
            document_id: doc.id.clone(),
            name: doc.name.clone(),
            step_key: doc.step_key.clone(),
            infected: !clean,
        };
        self.version += 1;
        vec![event]
    }

    /// The step's required documents that no document fulfils yet.
    pub fn missing_documents(&self, key: &str) -> Vec<&RequiredDocument> {
        let Some(step) = self.step(key) else {
            return Vec::new();
        };
        step.required_documents
            .iter()
            .filter(|r| {
                !self.documents.iter().any(|d| {
                    !d.is_deleted()
                        && d.status != DocumentStatus::Infected
                        && d.step_key.as_deref() == Some(key)
                        && d.requirement.as_deref() == Some(&r.key)
                })
            })
            .collect()
    }

    /// The names of the step's documents (not deleted), oldest first.
    pub fn document_names(&self, key: &str) -> Vec<String> {
        self.documents
            .iter()
            .filter(|d| !d.is_deleted() && d.step_key.as_deref() == Some(key))
            .map(|d| d.name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_length_but_keep_unicode() {
        assert_eq!(sanitize_name("C:\\Users\\ivo\\Zählerantrag.pdf"), "Zählerantrag.pdf");
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("a\r\nBcc: x@y.z.pdf"), "aBcc_ x@y.z.pdf");
        assert_eq!(sanitize_name("  .hidden  "), "hidden");
        assert_eq!(sanitize_name("\u{0}\u{7}"), "document");
        assert_eq!(sanitize_name("relevé \"final\".jpg"), "relevé _final_.jpg");
        let long = format!("{}.pdf", "x".repeat(1000));
        let cut = sanitize_name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with(".pdf"));
    }

    #[test]
    fn types_come_from_the_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n%..."), Some("application/pdf"));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1]),
            Some("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some("image/heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"), Some("image/heif"));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), None, "an mp4 is no image");
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn required_documents_are_checked() {
        let ok = RequiredDocument {
            key: "meter_photo".into(),
            label: Text::Plain("Foto des Zählers".into()),
            types: Some(vec!["image/jpeg".into()]),
        };
        let mut errors = Vec::new();
        RequiredDocument::validate(&[ok.clone(), ok.clone()], "steps[0].required_documents", &mut errors);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, "duplicate");
        let bad = RequiredDocument {
            key: "x".into(),
            label: Text::Plain("x".into()),
            types: Some(vec!["text/html".into()]),
        };
        let mut errors = Vec::new();
        RequiredDocument::validate(&[bad], "r", &mut errors);
        assert_eq!(errors[0].field, "r[0].types[0]");
        assert!(ok.allows("image/jpeg") && !ok.allows("application/pdf"));
    }

    fn run() -> Run {
        let now = Utc::now();
        let input: crate::process::ProcessInput = serde_json::from_value(serde_json::json!({
            "name": "Meter change",
            "steps": [
                {"key": "install", "name": "Install", "assignee": {"kind": "installer"},
                 "required_documents": [{"key": "photo", "label": {"de": "Foto", "fr": "Photo"}, "types": ["image/jpeg"]}]},
                {"key": "confirm", "name": "Confirm", "assignee": {"kind": "customer"}}]}))
        .unwrap();
        let process = crate::process::Process::create("p1".into(), input, now).unwrap();
        let input: crate::run::RunInput = serde_json::from_value(serde_json::json!({"participants": {
            "installer": {"name": "Ivo", "email": "ivo@x.ch"}, "customer": {"name": "Chiara", "email": "c@x.ch"}}}))
        .unwrap();
        let creator = crate::run::Creator {
            sub: "alice".into(),
            email: None,
            name: None,
            locale: None,
        };
        Run::start(
            "r1".into(),
            &process,
            &[],
            input,
            creator,
            crate::due::RunCalendar::default(),
            None,
            now,
        )
        .unwrap()
        .0
    }

    fn installer() -> Actor {
        Actor::new("installer", &crate::ids::participant_id("ivo@x.ch"), Some("Ivo"))
    }

    fn customer() -> Actor {
        Actor::new("customer", &crate::ids::participant_id("c@x.ch"), Some("Chiara"))
    }

    fn doc(id: &str, requirement: Option<&str>, content_type: &str, by: &Actor) -> Document {
        Document {
            id: id.into(),
            step_key: Some("install".into()),
            requirement: requirement.map(str::to_string),
            name: format!("{id}.jpg"),
            size: 10,
            content_type: content_type.into(),
            sha256: "00".into(),
            visibility: Visibility::Shared,
            status: DocumentStatus::Available,
            uploaded_by: by.clone(),
            uploaded_at: Utc::now(),
            deleted_at: None,
            deleted_by: None,
            object_key: None,
        }
    }

    #[test]
    fn required_documents_block_completion_until_uploaded() {
        let mut run = run();
        let ivo = installer();
        let err = run.complete("install", &ivo, Utc::now()).unwrap_err();
        let DomainError::Invalid(errors) = err else {
            panic!("422: {err:?}")
        };
        assert_eq!(errors[0].field, "required_documents.photo");
        let wrong = run.add_document(doc("d0", Some("photo"), "application/pdf", &ivo), &ivo);
        assert!(matches!(wrong, Err(DomainError::Invalid(_))), "a PDF is no photo");
        let unknown = run.add_document(doc("d0", Some("invoice"), "image/jpeg", &ivo), &ivo);
        assert!(matches!(unknown, Err(DomainError::Invalid(_))), "no such requirement");
        run.add_document(doc("d1", Some("photo"), "image/jpeg", &ivo), &ivo)
            .unwrap();
        let events = run.complete("install", &ivo, Utc::now()).unwrap();
        let RunEvent::StepCompleted { documents, .. } = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(
            documents,
            &["d1.jpg".to_string()],
            "the owner hears which documents came"
        );
    }

    #[test]
    fn who_adds_removes_and_sees_documents() {
        let mut run = run();
        let (ivo, chiara, staff) = (installer(), customer(), Actor::staff("bob", None));
        let err = run.may_add_document(Some("confirm"), None, &chiara).unwrap_err();
        assert!(
            matches!(err, DomainError::Conflict(_)),
            "her step is not active yet: {err:?}"
        );
        assert!(matches!(
            run.may_add_document(Some("install"), None, &chiara),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            run.may_add_document(None, None, &ivo),
            Err(DomainError::Forbidden(_))
        ));
        run.may_add_document(None, None, &staff).unwrap();
        run.add_document(doc("d1", None, "image/jpeg", &ivo), &ivo).unwrap();
        let mut internal = doc("d2", None, "application/pdf", &staff);
        internal.visibility = Visibility::Internal;
        run.add_document(internal, &staff).unwrap();
        let ivo_sees: Vec<&str> = run
            .visible_documents(Some((&ivo.id, false)))
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(ivo_sees, ["d1"], "not the internal one");
        assert!(
            run.visible_documents(Some((&chiara.id, false))).is_empty(),
            "not her step"
        );
        assert_eq!(run.visible_documents(None).len(), 2, "staff see all");
        assert!(matches!(
            run.remove_document("d1", &chiara, Utc::now()),
            Err(DomainError::Forbidden(_))
        ));
        run.remove_document("d1", &ivo, Utc::now()).unwrap();
        assert!(matches!(
            run.remove_document("d1", &ivo, Utc::now()),
            Err(DomainError::NotFound(_))
        ));
        for n in 0..MAX_DOCUMENTS_PER_STEP - 1 {
            run.add_document(doc(&format!("n{n}"), None, "image/jpeg", &ivo), &ivo)
                .unwrap();
        }
        assert!(
            matches!(
                run.add_document(doc("last", None, "image/jpeg", &ivo), &ivo),
                Err(DomainError::Invalid(_))
            ),
            "20 on one step (the removed one not counted)"
        );
    }
}
