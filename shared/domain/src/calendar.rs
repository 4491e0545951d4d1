//! Business days: Monday to Friday except the public holidays of a region. Holidays are
//! computed for any year (the movable ones from Easter Sunday), for Germany and each of its 16
//! states, Austria and Switzerland (the holidays observed nationwide there).
//!
//! Decisions: Bavaria counts the Assumption (15 August, a holiday in most of its communities);
//! Augsburg's Peace Festival and Thuringia's local Corpus Christi are left out. Switzerland
//! has one federal holiday (1 August); the list adds those the cantons keep almost everywhere
//! (New Year, Good Friday, Easter and Whit Monday, Ascension, Christmas, St Stephen's Day).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Where a tenant's holidays are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum HolidayRegion {
    #[serde(rename = "DE")]
    De,
    #[serde(rename = "DE-BW")]
    DeBw,
    #[serde(rename = "DE-BY")]
    DeBy,
    #[serde(rename = "DE-BE")]
    DeBe,
    #[serde(rename = "DE-BB")]
    DeBb,
    #[serde(rename = "DE-HB")]
    DeHb,
    #[serde(rename = "DE-HH")]
    DeHh,
    #[serde(rename = "DE-HE")]
    DeHe,
    #[serde(rename = "DE-MV")]
    DeMv,
    #[serde(rename = "DE-NI")]
    DeNi,
    #[serde(rename = "DE-NW")]
    DeNw,
    #[serde(rename = "DE-RP")]
    DeRp,
    #[serde(rename = "DE-SL")]
    DeSl,
    #[serde(rename = "DE-SN")]
    DeSn,
    #[serde(rename = "DE-ST")]
    DeSt,
    #[serde(rename = "DE-SH")]
    DeSh,
    #[serde(rename = "DE-TH")]
    DeTh,
    #[serde(rename = "AT")]
    At,
    #[serde(rename = "CH")]
    Ch,
}

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or_default()
}

fn date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The Wednesday before 23 November (Saxony's Day of Repentance and Prayer).
fn repentance_day(year: i32) -> Option<NaiveDate> {
    let mut d = date(year, 11, 22)?;
    while d.weekday() != Weekday::Wed {
        d -= Duration::days(1);
    }
    Some(d)
}

/// The region's public holidays of a year, with their (German) names, in date order.
pub fn holidays(region: HolidayRegion, year: i32) -> Vec<(NaiveDate, &'static str)> {
    use HolidayRegion::*;
    let easter = easter_sunday(year);
    let e = |days: i64| Some(easter + Duration::days(days));
    let mut out: Vec<(Option<NaiveDate>, &'static str)> = Vec::new();
    let german = !matches!(region, At | Ch);
    if german {
        out.extend([
            (date(year, 1, 1), "Neujahr"),
            (e(-2), "Karfreitag"),
            (e(1), "Ostermontag"),
            (date(year, 5, 1), "Tag der Arbeit"),
            (e(39), "Christi Himmelfahrt"),
            (e(50), "Pfingstmontag"),
            (date(year, 10, 3), "Tag der Deutschen Einheit"),
            (date(year, 12, 25), "1. Weihnachtstag"),
            (date(year, 12, 26), "2. Weihnachtstag"),
        ]);
        if matches!(region, DeBw | DeBy | DeSt) {
            out.push((date(year, 1, 6), "Heilige Drei Könige"));
        }
        if matches!(region, DeBw | DeBy | DeHe | DeNw | DeRp | DeSl) {
            out.push((e(60), "Fronleichnam"));
        }
        if matches!(region, DeBy | DeSl) {
            out.push((date(year, 8, 15), "Mariä Himmelfahrt"));
        }
        if matches!(region, DeBw | DeBy | DeNw | DeRp | DeSl) {
            out.push((date(year, 11, 1), "Allerheiligen"));
        }
        let reformation = match region {
            DeBb | DeMv | DeSn | DeSt | DeTh => true,
            DeHb | DeHh | DeNi | DeSh => year >= 2018,
            _ => false,
        } || year == 2017;
        if reformation {
            out.push((date(year, 10, 31), "Reformationstag"));
        }
        if matches!(region, DeSn) {
            out.push((repentance_day(year), "Buß- und Bettag"));
        }
        if (region == DeBe && year >= 2019) || (region == DeMv && year >= 2023) {
            out.push((date(year, 3, 8), "Internationaler Frauentag"));
        }
        if region == DeTh && year >= 2019 {
            out.push((date(year, 9, 20), "Weltkindertag"));
        }
        if region == DeBb {
            out.push((easter.into(), "Ostersonntag"));
            out.push((e(49), "Pfingstsonntag"));
        }
    }
    if region == At {
        out.extend([
            (date(year, 1, 1), "Neujahr"),
            (date(year, 1, 6), "Heilige Drei Könige"),
            (e(1), "Ostermontag"),
            (date(year, 5, 1), "Staatsfeiertag"),
            (e(39), "Christi Himmelfahrt"),
            (e(50), "Pfingstmontag"),
            (e(60), "Fronleichnam"),
            (date(year, 8, 15), "Mariä Himmelfahrt"),
            (date(year, 10, 26), "Nationalfeiertag"),
            (date(year, 11, 1), "Allerheiligen"),
            (date(year, 12, 8), "Mariä Empfängnis"),
            (date(year, 12, 25), "Christtag"),
            (date(year, 12, 26), "Stefanitag"),
        ]);
    }
    if region == Ch {
        out.extend([
            (date(year, 1, 1), "Neujahr"),
            (e(-2), "Karfreitag"),
            (e(1), "Ostermontag"),
            (e(39), "Auffahrt"),
            (e(50), "Pfingstmontag"),
            (date(year, 8, 1), "Bundesfeier"),
            (date(year, 12, 25), "Weihnachten"),
            (date(year, 12, 26), "Stephanstag"),
        ]);
    }
    let mut days: Vec<(NaiveDate, &'static str)> = out.into_iter().filter_map(|(d, n)| Some((d?, n))).collect();
    days.sort();
    days
}

/// Whether a day is a working day: Monday to Friday and no holiday of the region (without a
/// region, weekends only).
pub fn is_business_day(day: NaiveDate, region: Option<HolidayRegion>) -> bool {
    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        return false;
    }
    region.is_none_or(|r| !holidays(r, day.year()).iter().any(|(d, _)| *d == day))
}

/// The day `n` business days after `start` (`n = 0`: `start` itself, or the next business day
/// when it is none).
pub fn add_business_days(start: NaiveDate, n: u32, region: Option<HolidayRegion>) -> NaiveDate {
    let mut day = start;
    while !is_business_day(day, region) {
        day += Duration::days(1);
    }
    let mut left = n;
    while left > 0 {
        day += Duration::days(1);
        if is_business_day(day, region) {
            left -= 1;
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use HolidayRegion::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn has(region: HolidayRegion, day: NaiveDate) -> bool {
        holidays(region, day.year()).iter().any(|(x, _)| *x == day)
    }

    #[test]
    fn easter_falls_where_the_calendars_say() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2038), d(2038, 4, 25));
    }

    #[test]
    fn movable_and_regional_holidays() {
        assert!(has(De, d(2026, 4, 6)), "Easter Monday 2026");
        assert!(has(De, d(2025, 6, 9)), "Whit Monday 2025");
        assert!(has(DeBy, d(2026, 6, 4)), "Corpus Christi in Bavaria");
        assert!(!has(DeBe, d(2026, 6, 4)), "but not in Berlin");
        assert!(has(DeSn, d(2026, 10, 31)), "Reformation Day in Saxony");
        assert!(!has(DeBy, d(2026, 10, 31)), "but not in Bavaria");
        assert!(
            has(DeNi, d(2026, 10, 31)) && !has(DeNi, d(2016, 10, 31)),
            "Lower Saxony since 2018"
        );
        assert!(has(DeBy, d(2017, 10, 31)), "everywhere in 2017");
        assert!(has(DeSn, d(2026, 11, 18)), "Repentance Day 2026 in Saxony");
        assert!(has(DeSn, d(2024, 11, 20)), "Repentance Day 2024");
        assert!(
            has(DeBe, d(2026, 3, 8)) && !has(DeBe, d(2018, 3, 8)),
            "Women's Day in Berlin since 2019"
        );
        assert!(has(DeTh, d(2026, 9, 20)), "Children's Day in Thuringia");
        assert!(has(At, d(2026, 10, 26)) && has(At, d(2026, 12, 8)), "Austria");
        assert!(!has(At, d(2026, 4, 3)), "Good Friday is no Austrian holiday");
        assert!(
            has(Ch, d(2026, 8, 1)) && has(Ch, d(2026, 5, 14)),
            "Swiss national day and Ascension"
        );
        assert!(!has(Ch, d(2026, 10, 3)));
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Thursday 2 April 2026, before Easter: Good Friday, the weekend and Easter Monday pass.
        assert_eq!(add_business_days(d(2026, 4, 2), 1, Some(De)), d(2026, 4, 7));
        assert_eq!(
            add_business_days(d(2026, 4, 2), 1, None),
            d(2026, 4, 3),
            "no region: weekends only"
        );
        // Corpus Christi (Thursday 4 June 2026) counts in Bavaria, not in Berlin.
        assert_eq!(add_business_days(d(2026, 6, 3), 1, Some(DeBy)), d(2026, 6, 5));
        assert_eq!(add_business_days(d(2026, 6, 3), 1, Some(DeBe)), d(2026, 6, 4));
        // From a Saturday, zero days is the Monday.
        assert_eq!(add_business_days(d(2026, 12, 5), 0, Some(De)), d(2026, 12, 7));
        // Christmas 2026: Friday 25 and Saturday 26.
        assert_eq!(add_business_days(d(2026, 12, 24), 1, Some(De)), d(2026, 12, 28));
        assert!(!is_business_day(d(2026, 1, 6), Some(DeBw)) && is_business_day(d(2026, 1, 6), Some(DeNw)));
    }

    #[test]
    fn every_region_reads_and_writes_its_code() {
        for (code, region) in [("\"DE-BY\"", DeBy), ("\"AT\"", At), ("\"CH\"", Ch), ("\"DE\"", De)] {
            assert_eq!(serde_json::to_string(&region).unwrap(), code);
            assert_eq!(serde_json::from_str::<HolidayRegion>(code).unwrap(), region);
        }
    }
}
