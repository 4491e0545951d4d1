//! Due dates: a step's rule (`in_days` or `in_business_days` after an anchor: its activation,
//! the run's start, another step's completion, or the run's appointment) and the day it gives,
//! which ends at midnight in the tenant's time zone. A run keeps the calendar (time zone,
//! holiday region) its tenant had when it started.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{add_business_days, HolidayRegion};
use crate::FieldError;

/// What a due date counts from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DueFrom {
    /// The step's activation.
    #[default]
    Activated,
    /// The run's start.
    RunStarted,
    /// Another step's completion (`step:<key>`).
    Step(String),
    /// The run's appointment (a partner's commissioning date, the latest one set).
    Appointment,
}

impl Serialize for DueFrom {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DueFrom::Activated => s.serialize_str("activated"),
            DueFrom::RunStarted => s.serialize_str("run_started"),
            DueFrom::Step(k) => s.serialize_str(&format!("step:{k}")),
            DueFrom::Appointment => s.serialize_str("appointment"),
        }
    }
}

impl<'de> Deserialize<'de> for DueFrom {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "activated" => Ok(DueFrom::Activated),
            "run_started" => Ok(DueFrom::RunStarted),
            "appointment" => Ok(DueFrom::Appointment),
            other => match other.strip_prefix("step:") {
                Some(k) if !k.is_empty() => Ok(DueFrom::Step(k.to_string())),
                _ => Err(serde::de::Error::custom(
                    "must be activated, run_started, appointment or step:<key>",
                )),
            },
        }
    }
}

impl utoipa::PartialSchema for DueFrom {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("`activated`, `run_started`, `appointment` or `step:<key>`"))
            .pattern(Some("^(activated|run_started|appointment|step:[a-z0-9_-]{1,64})$"))
            .into()
    }
}

impl utoipa::ToSchema for DueFrom {}

/// A step's due rule: exactly one of `in_days` and `in_business_days`, counted `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DueRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_business_days: Option<u32>,
    #[serde(default)]
    pub from: DueFrom,
}

/// The calendar a run counts in: its tenant's time zone and holiday region when it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunCalendar {
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday_region: Option<HolidayRegion>,
}

impl Default for RunCalendar {
    fn default() -> Self {
        RunCalendar {
            time_zone: crate::dates::DEFAULT_TIME_ZONE.name().to_string(),
            holiday_region: None,
        }
    }
}

impl RunCalendar {
    pub fn tz(&self) -> chrono_tz::Tz {
        crate::dates::time_zone(&self.time_zone).unwrap_or(crate::dates::DEFAULT_TIME_ZONE)
    }

    /// The end of a day (midnight after it) in this calendar's time zone.
    pub fn end_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let next = day + Duration::days(1);
        let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
        // A midnight that a clock change skips or repeats: the earliest instant there is.
        let local = self.tz().from_local_datetime(&midnight);
        let at = local.earliest().or(local.latest());
        at.map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
            - Duration::seconds(1)
    }
}

impl DueRule {
    /// `due_in_days` as a rule: that many days after activation.
    pub fn days_after_activation(days: u32) -> DueRule {
        DueRule {
            in_days: Some(days),
            in_business_days: None,
            from: DueFrom::Activated,
        }
    }

    /// Checks the rule; `steps` are the process's step keys, `own` the step's.
    pub fn validate(&self, at: &str, steps: &[&str], own: &str, errors: &mut Vec<FieldError>) {
        match (self.in_days, self.in_business_days) {
            (Some(n), None) | (None, Some(n)) if (0..=3650).contains(&n) => {}
            (Some(_), None) | (None, Some(_)) => {
                errors.push(FieldError::new(at, "out_of_range", "must be 0-3650 days"));
            }
            _ => errors.push(FieldError::new(
                at,
                "invalid",
                "needs exactly one of in_days and in_business_days",
            )),
        }
        if let DueFrom::Step(k) = &self.from {
            if k == own || !steps.contains(&k.as_str()) {
                errors.push(FieldError::new(
                    format!("{at}.from"),
                    "unknown_step",
                    "must name another step of the process",
                ));
            }
        }
    }

    /// The due date for an anchor moment: the end of the day `in_days` calendar days or
    /// `in_business_days` business days after the anchor's day.
    pub fn due(&self, anchor: DateTime<Utc>, calendar: &RunCalendar) -> DateTime<Utc> {
        let day = anchor.with_timezone(&calendar.tz()).date_naive();
        let due_day = match (self.in_days, self.in_business_days) {
            (_, Some(n)) => add_business_days(day, n, calendar.holiday_region),
            (Some(n), None) => day + Duration::days(i64::from(n)),
            (None, None) => day,
        };
        calendar.end_of(due_day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin(region: Option<HolidayRegion>) -> RunCalendar {
        RunCalendar {
            time_zone: "Europe/Berlin".into(),
            holiday_region: region,
        }
    }

    #[test]
    fn due_dates_end_at_midnight_in_the_tenants_zone() {
        // Thursday 2 April 2026, 15:00 in Berlin (13:00 UTC).
        let anchor = Utc.with_ymd_and_hms(2026, 4, 2, 13, 0, 0).unwrap();
        let days = DueRule::days_after_activation(3);
        assert_eq!(
            days.due(anchor, &berlin(None)),
            Utc.with_ymd_and_hms(2026, 4, 5, 21, 59, 59).unwrap()
        );
        let business = DueRule {
            in_days: None,
            in_business_days: Some(2),
            from: DueFrom::Activated,
        };
        // Good Friday and Easter Monday are no business days in Germany: Wednesday 8 April.
        assert_eq!(
            business.due(anchor, &berlin(Some(HolidayRegion::De))),
            Utc.with_ymd_and_hms(2026, 4, 8, 21, 59, 59).unwrap()
        );
        // Late in the evening UTC is already the next day in Berlin.
        let late = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap();
        assert_eq!(
            DueRule::days_after_activation(0).due(late, &berlin(None)),
            Utc.with_ymd_and_hms(2026, 12, 2, 22, 59, 59).unwrap()
        );
    }

    #[test]
    fn rules_read_and_check_their_anchor() {
        let rule: DueRule =
            serde_json::from_value(serde_json::json!({"in_business_days": 5, "from": "step:install"})).unwrap();
        assert_eq!(rule.from, DueFrom::Step("install".into()));
        assert_eq!(serde_json::to_value(&rule).unwrap()["from"], "step:install");
        let mut errors = Vec::new();
        rule.validate("steps[1].due", &["install", "confirm"], "confirm", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        rule.validate("steps[0].due", &["install"], "install", &mut errors);
        assert_eq!(errors[0].code, "unknown_step");
        let both: DueRule = serde_json::from_value(serde_json::json!({"in_days": 1, "in_business_days": 1})).unwrap();
        let mut errors = Vec::new();
        both.validate("d", &[], "x", &mut errors);
        assert_eq!(errors[0].code, "invalid");
        assert!(serde_json::from_value::<DueRule>(serde_json::json!({"in_days": 1, "from": "tomorrow"})).is_err());
    }
}
