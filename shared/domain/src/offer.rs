//! Offers: what a utility sells in its end users' app (energy products, hardware), and their
//! life cycle `draft -> active -> closed`.
//!
//! Rules (decided here, see README):
//! - only drafts can be edited; an active offer is replaced by activating a new draft, which
//!   closes it in the same transaction (the repository keeps one active offer per category);
//! - activation takes a draft only: an active offer is already active, a closed one never
//!   comes back (409); to offer it again, create a new draft with its content;
//! - closing takes an active offer (the category then has no active offer) or a draft (it is
//!   discarded: there is no delete, and the history stays); a closed offer stays closed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::journey::{validate_fields, Field, LocalizedField};
use super::{into_result, require_text};
use crate::error::{DomainError, FieldError};
use crate::events::OfferEvent;
use crate::i18n::{I18n, Lang};
pub use crate::values::{OfferCategory, OfferStatus};

pub const MAX_QUESTIONNAIRE_FIELDS: usize = 50;

/// The texts of an offer in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferContent {
    /// The card's and the detail page's title.
    pub title: String,
    /// The short line under the title (the card's teaser text).
    pub header: String,
    pub description: String,
    pub details: String,
    /// The product in the utility's shop, in this language (http or https): the app's card and
    /// detail page show a button to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_url: Option<String>,
}

/// What `POST /offers` and `PUT /offers/{id}` take.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    pub category: OfferCategory,
    pub content: BTreeMap<Lang, OfferContent>,
    #[serde(default)]
    pub teaser_image_url: Option<String>,
    #[serde(default)]
    pub detail_image_url: Option<String>,
    #[serde(default)]
    pub questionnaire: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Offer {
    pub id: String,
    pub category: OfferCategory,
    pub status: OfferStatus,
    pub content: BTreeMap<Lang, OfferContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teaser_image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_image_url: Option<String>,
    /// The uploaded images (their public image ids), where the URLs are theirs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub uploaded_images: BTreeMap<ImageSlot, String>,
    #[serde(default)]
    pub questionnaire: Vec<Field>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The offer whose activation closed this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

/// Which image of an offer: the card's or the detail page's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageSlot {
    Teaser,
    Detail,
}

impl ImageSlot {
    pub fn parse(s: &str) -> Option<ImageSlot> {
        match s {
            "teaser" => Some(ImageSlot::Teaser),
            "detail" => Some(ImageSlot::Detail),
            _ => None,
        }
    }
}

/// What the app's offer card and detail page show, in one language.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OfferPreview {
    pub id: String,
    pub category: OfferCategory,
    pub status: OfferStatus,
    /// The language shown (`None` when the offer has no content at all).
    pub locale: Option<Lang>,
    pub requested_locale: Lang,
    pub available_locales: Vec<Lang>,
    pub card: OfferCard,
    pub detail: OfferDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OfferCard {
    pub title: String,
    pub header: String,
    pub image_url: Option<String>,
    /// The shop's page of the product, in the shown language.
    pub shop_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OfferDetail {
    pub title: String,
    pub header: String,
    pub description: String,
    pub details: String,
    pub image_url: Option<String>,
    pub shop_url: Option<String>,
    pub questionnaire: Vec<LocalizedField>,
}

/// A plausible absolute http(s) URL: scheme, a host, no spaces, at most 2000 characters.
pub fn valid_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty()
        && !host.starts_with('.')
        && s.len() <= 2000
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

impl OfferInput {
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        if self.content.is_empty() {
            errors.push(FieldError::new(
                "content",
                "required",
                "needs the texts in at least one of de, en, fr, it",
            ));
        }
        for (lang, c) in &self.content {
            let at = format!("content.{}", lang.code());
            require_text(&c.title, &format!("{at}.title"), 200, &mut errors);
            require_text(&c.header, &format!("{at}.header"), 500, &mut errors);
            require_text(&c.description, &format!("{at}.description"), 5_000, &mut errors);
            require_text(&c.details, &format!("{at}.details"), 20_000, &mut errors);
            if c.shop_url.as_deref().is_some_and(|u| !valid_url(u.trim())) {
                errors.push(FieldError::new(
                    format!("{at}.shop_url"),
                    "invalid_url",
                    "must be an http or https URL",
                ));
            }
        }
        for (field, url) in [
            ("teaser_image_url", &self.teaser_image_url),
            ("detail_image_url", &self.detail_image_url),
        ] {
            if let Some(u) = url {
                if !valid_url(u.trim()) {
                    errors.push(FieldError::new(field, "invalid_url", "must be an http or https URL"));
                }
            }
        }
        if self.questionnaire.len() > MAX_QUESTIONNAIRE_FIELDS {
            errors.push(FieldError::new(
                "questionnaire",
                "too_many",
                format!("must have at most {MAX_QUESTIONNAIRE_FIELDS} fields"),
            ));
        }
        validate_fields(&self.questionnaire, "questionnaire", &mut errors);
        into_result(errors)
    }
}

fn trimmed(content: BTreeMap<Lang, OfferContent>) -> BTreeMap<Lang, OfferContent> {
    content
        .into_iter()
        .map(|(l, c)| {
            (
                l,
                OfferContent {
                    title: c.title.trim().into(),
                    header: c.header.trim().into(),
                    description: c.description.trim().into(),
                    details: c.details.trim().into(),
                    shop_url: c.shop_url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()),
                },
            )
        })
        .collect()
}

impl Offer {
    /// A new draft.
    pub fn create(id: String, input: OfferInput, now: DateTime<Utc>) -> Result<(Offer, Vec<OfferEvent>), DomainError> {
        input.validate()?;
        let offer = Offer {
            id,
            category: input.category,
            status: OfferStatus::Draft,
            content: trimmed(input.content),
            teaser_image_url: input.teaser_image_url.map(|u| u.trim().to_string()),
            detail_image_url: input.detail_image_url.map(|u| u.trim().to_string()),
            uploaded_images: BTreeMap::new(),
            questionnaire: input.questionnaire,
            version: 1,
            created_at: now,
            updated_at: now,
            activated_at: None,
            closed_at: None,
            replaced_by: None,
        };
        let changes = vec![OfferEvent::OfferCreated {
            category: offer.category,
        }];
        Ok((offer, changes))
    }

    /// Replaces a draft's content. Active and closed offers are never edited.
    pub fn edit(&mut self, input: OfferInput, now: DateTime<Utc>) -> Result<Vec<OfferEvent>, DomainError> {
        match self.status {
            OfferStatus::Draft => {}
            OfferStatus::Active => {
                return Err(DomainError::Conflict(format!(
                    "offer {} is active and cannot be edited; create a new draft and activate it to replace this offer",
                    self.id
                )))
            }
            OfferStatus::Closed => {
                return Err(DomainError::Conflict(format!(
                    "offer {} is closed and cannot be edited; create a new draft instead",
                    self.id
                )))
            }
        }
        input.validate()?;
        let old_category = self.category;
        self.category = input.category;
        self.content = trimmed(input.content);
        // An uploaded image stays unless the edit names another URL.
        for (slot, given) in [
            (ImageSlot::Teaser, input.teaser_image_url),
            (ImageSlot::Detail, input.detail_image_url),
        ] {
            let url = match slot {
                ImageSlot::Teaser => &mut self.teaser_image_url,
                ImageSlot::Detail => &mut self.detail_image_url,
            };
            match given {
                Some(u) => {
                    *url = Some(u.trim().to_string());
                    self.uploaded_images.remove(&slot);
                }
                None if self.uploaded_images.contains_key(&slot) => {}
                None => *url = None,
            }
        }
        self.questionnaire = input.questionnaire;
        self.updated_at = now;
        self.version += 1;
        Ok(vec![OfferEvent::OfferUpdated {
            old_category,
            category: self.category,
        }])
    }

    /// Sets an uploaded image of a draft: `url` is its public address, `image_id` its id.
    pub fn set_image(
        &mut self,
        slot: ImageSlot,
        image_id: &str,
        url: String,
        now: DateTime<Utc>,
    ) -> Result<Vec<OfferEvent>, DomainError> {
        if self.status != OfferStatus::Draft {
            return Err(DomainError::Conflict(format!(
                "offer {} is not a draft; its images no longer change",
                self.id
            )));
        }
        match slot {
            ImageSlot::Teaser => self.teaser_image_url = Some(url),
            ImageSlot::Detail => self.detail_image_url = Some(url),
        }
        self.uploaded_images.insert(slot, image_id.to_string());
        self.updated_at = now;
        self.version += 1;
        Ok(vec![OfferEvent::OfferImageSet { slot }])
    }

    /// Makes a draft the active offer of its category; `replaces` is the active offer it
    /// closes (the repository closes it in the same transaction).
    pub fn activate(&mut self, replaces: Option<&str>, now: DateTime<Utc>) -> Result<Vec<OfferEvent>, DomainError> {
        match self.status {
            OfferStatus::Draft => {}
            OfferStatus::Active => return Err(DomainError::Conflict(format!("offer {} is already active", self.id))),
            OfferStatus::Closed => {
                return Err(DomainError::Conflict(format!(
                    "offer {} is closed and cannot be activated again; create a new draft with its content",
                    self.id
                )))
            }
        }
        self.status = OfferStatus::Active;
        self.activated_at = Some(now);
        self.updated_at = now;
        self.version += 1;
        Ok(vec![OfferEvent::OfferActivated {
            category: self.category,
            replaces: replaces.map(str::to_string),
        }])
    }

    /// Closes the offer: an active one (its category then has none, unless `replaced_by`
    /// names the offer activated in its place) or a draft (discarded).
    pub fn close(&mut self, now: DateTime<Utc>, replaced_by: Option<&str>) -> Result<Vec<OfferEvent>, DomainError> {
        let previous = self.status;
        match (previous, replaced_by) {
            (OfferStatus::Closed, _) => {
                return Err(DomainError::Conflict(format!("offer {} is already closed", self.id)))
            }
            (OfferStatus::Draft, Some(_)) => {
                return Err(DomainError::Conflict(format!("offer {} is not active", self.id)))
            }
            _ => {}
        }
        self.status = OfferStatus::Closed;
        self.closed_at = Some(now);
        self.updated_at = now;
        self.replaced_by = replaced_by.map(str::to_string);
        self.version += 1;
        Ok(vec![OfferEvent::OfferClosed {
            previous_status: previous,
            replaced_by: replaced_by.map(str::to_string),
        }])
    }

    /// The language whose content is shown for `lang`: `lang`, else the tenant's default,
    /// else German, else any language the offer has.
    pub fn content_lang(&self, lang: Lang, tenant_default: Lang) -> Option<Lang> {
        crate::i18n::pick_lang(&self.content, lang, tenant_default)
    }

    /// The offer's title in every language it has (orders keep it).
    pub fn titles(&self) -> I18n {
        self.content.iter().map(|(l, c)| (*l, c.title.clone())).collect()
    }

    /// What the app shows in `lang`: the card (list) and the detail page with the
    /// questionnaire's labels in that language.
    pub fn preview(&self, lang: Lang, tenant_default: Lang) -> OfferPreview {
        let shown = self.content_lang(lang, tenant_default);
        let content = shown.and_then(|l| self.content.get(&l)).cloned().unwrap_or_default();
        OfferPreview {
            id: self.id.clone(),
            category: self.category,
            status: self.status,
            locale: shown,
            requested_locale: lang,
            available_locales: self.content.keys().copied().collect(),
            card: OfferCard {
                title: content.title.clone(),
                header: content.header.clone(),
                image_url: self.teaser_image_url.clone(),
                shop_url: content.shop_url.clone(),
            },
            detail: OfferDetail {
                title: content.title,
                header: content.header,
                description: content.description,
                details: content.details,
                image_url: self.detail_image_url.clone(),
                shop_url: content.shop_url,
                questionnaire: self
                    .questionnaire
                    .iter()
                    .map(|f| f.localized(lang, tenant_default))
                    .collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::FieldType;

    fn content(title: &str) -> OfferContent {
        OfferContent {
            title: title.into(),
            header: format!("{title} header"),
            description: format!("{title} description"),
            details: format!("{title} details"),
            shop_url: None,
        }
    }

    fn input() -> OfferInput {
        OfferInput {
            category: OfferCategory::Energy,
            content: BTreeMap::from([(Lang::De, content("Solarstrom")), (Lang::Fr, content("Solaire"))]),
            teaser_image_url: Some("https://cdn.example/teaser.png".into()),
            detail_image_url: None,
            questionnaire: vec![Field {
                key: "roof_area".into(),
                label: I18n::from([(Lang::De, "Dachfläche".to_string()), (Lang::Fr, "Surface".to_string())]).into(),
                kind: FieldType::Number,
                required: true,
                options: None,
            }],
        }
    }

    fn draft() -> Offer {
        Offer::create("o1".into(), input(), Utc::now()).unwrap().0
    }

    #[test]
    fn input_is_validated() {
        let mut bad = input();
        bad.content = BTreeMap::new();
        bad.teaser_image_url = Some("ftp://x".into());
        bad.detail_image_url = Some("https://".into());
        bad.questionnaire[0].options = Some(vec!["a".into()]);
        let Err(DomainError::Invalid(errors)) = bad.validate() else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "content",
                "teaser_image_url",
                "detail_image_url",
                "questionnaire[0].options"
            ]
        );
        let mut blank = input();
        blank.content.insert(Lang::It, content(" "));
        blank.content.get_mut(&Lang::It).unwrap().details = String::new();
        let Err(DomainError::Invalid(errors)) = blank.validate() else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["content.it.title", "content.it.details"]);
        assert!(valid_url("http://localhost:3000/a.png"));
        assert!(!valid_url("https://a b.ch/x"));
    }

    #[test]
    fn drafts_are_edited_then_activated_then_closed() {
        let mut offer = draft();
        assert_eq!((offer.status, offer.version), (OfferStatus::Draft, 1));
        let mut changed = input();
        changed.category = OfferCategory::Hardware;
        let changes = offer.edit(changed, Utc::now()).unwrap();
        assert_eq!(crate::events::type_of(&changes[0]), "offer_updated");
        assert_eq!((offer.category, offer.version), (OfferCategory::Hardware, 2));
        let changes = offer.activate(Some("old"), Utc::now()).unwrap();
        assert_eq!(crate::events::type_of(&changes[0]), "offer_activated");
        assert_eq!(serde_json::to_value(&changes[0]).unwrap()["data"]["replaces"], "old");
        assert_eq!((offer.status, offer.version), (OfferStatus::Active, 3));
        assert!(offer.activated_at.is_some());
        offer.close(Utc::now(), Some("new")).unwrap();
        assert_eq!(offer.status, OfferStatus::Closed);
        assert_eq!(offer.replaced_by.as_deref(), Some("new"));
        assert_eq!(offer.version, 4);
    }

    #[test]
    fn forbidden_transitions_change_nothing() {
        let mut active = draft();
        active.activate(None, Utc::now()).unwrap();
        let before = active.clone();
        let Err(DomainError::Conflict(msg)) = active.edit(input(), Utc::now()) else {
            panic!("editing an active offer is a conflict")
        };
        assert!(msg.contains("new draft"), "{msg}");
        assert!(matches!(
            active.activate(None, Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(active, before);

        let mut closed = before.clone();
        closed.close(Utc::now(), None).unwrap();
        let before = closed.clone();
        assert!(matches!(
            closed.edit(input(), Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            closed.activate(None, Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(closed.close(Utc::now(), None), Err(DomainError::Conflict(_))));
        assert!(matches!(
            closed.close(Utc::now(), Some("x")),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(closed, before);

        // A draft can be discarded by closing it, but not "replaced".
        let mut d = draft();
        assert!(matches!(d.close(Utc::now(), Some("x")), Err(DomainError::Conflict(_))));
        d.close(Utc::now(), None).unwrap();
        assert_eq!(d.status, OfferStatus::Closed);

        // An invalid edit of a draft changes nothing either.
        let mut d = draft();
        let before = d.clone();
        let mut bad = input();
        bad.content.clear();
        assert!(matches!(d.edit(bad, Utc::now()), Err(DomainError::Invalid(_))));
        assert_eq!(d, before);
    }

    #[test]
    fn preview_falls_back_language_by_language() {
        let offer = draft();
        let fr = offer.preview(Lang::Fr, Lang::De);
        assert_eq!(fr.locale, Some(Lang::Fr));
        assert_eq!(fr.card.title, "Solaire");
        assert_eq!(fr.card.image_url.as_deref(), Some("https://cdn.example/teaser.png"));
        assert_eq!(fr.detail.questionnaire[0].label.as_deref(), Some("Surface"));
        // No Italian: the tenant's default (French here), then German.
        let it = offer.preview(Lang::It, Lang::Fr);
        assert_eq!(it.locale, Some(Lang::Fr));
        assert_eq!(it.detail.details, "Solaire details");
        let en = offer.preview(Lang::En, Lang::It);
        assert_eq!(en.locale, Some(Lang::De));
        assert_eq!(en.card.header, "Solarstrom header");
        assert_eq!(en.detail.questionnaire[0].label.as_deref(), Some("Dachfläche"));
        // Only English: any language is better than nothing.
        let mut only_en = input();
        only_en.content = BTreeMap::from([(Lang::En, content("Solar"))]);
        let offer = Offer::create("o2".into(), only_en, Utc::now()).unwrap().0;
        assert_eq!(offer.preview(Lang::Fr, Lang::De).card.title, "Solar");
        assert_eq!(offer.titles(), I18n::from([(Lang::En, "Solar".to_string())]));
    }
}
