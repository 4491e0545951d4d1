//! Dates as each language writes them, in the tenant's time zone: "Freitag, 4. Dezember
//! 2026", "ven. 4 déc. 2026, 09:00", and how far away a due date is ("in 3 Tagen",
//! "2 jours de retard"). The time zone is an IANA name (default `Europe/Berlin`).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::i18n::Lang;

pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Europe::Berlin;

/// An IANA time zone by its name (`Europe/Zurich`); `None` for anything else.
pub fn time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

const WEEKDAYS: [[&str; 7]; 4] = [
    [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ],
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    [
        "lunedì",
        "martedì",
        "mercoledì",
        "giovedì",
        "venerdì",
        "sabato",
        "domenica",
    ],
];
const WEEKDAYS_SHORT: [[&str; 7]; 4] = [
    ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    ["lun", "mar", "mer", "gio", "ven", "sab", "dom"],
];
const MONTHS: [[&str; 12]; 4] = [
    [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
];
const MONTHS_SHORT: [[&str; 12]; 4] = [
    [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.",
    ],
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ],
    [
        "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
    ],
];

fn row(lang: Lang) -> usize {
    match lang {
        Lang::De => 0,
        Lang::En => 1,
        Lang::Fr => 2,
        Lang::It => 3,
    }
}

/// The day, long: "Freitag, 4. Dezember 2026", "Friday 4 December 2026",
/// "vendredi 4 décembre 2026", "venerdì 4 dicembre 2026".
pub fn long_date(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let d = at.with_timezone(&tz);
    let (r, wd, day, month, year) = (
        row(lang),
        d.weekday().num_days_from_monday() as usize,
        d.day(),
        d.month0() as usize,
        d.year(),
    );
    let (w, m) = (WEEKDAYS[r][wd], MONTHS[r][month]);
    match lang {
        Lang::De => format!("{w}, {day}. {m} {year}"),
        Lang::En | Lang::Fr | Lang::It => format!("{w} {day} {m} {year}"),
    }
}

/// The day and time, short: "Fr., 4. Dez. 2026, 09:00", "Fri 4 Dec 2026, 09:00",
/// "ven. 4 déc. 2026, 09:00", "ven 4 dic 2026, 09:00".
pub fn short_date_time(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let d = at.with_timezone(&tz);
    let r = row(lang);
    let (w, m) = (
        WEEKDAYS_SHORT[r][d.weekday().num_days_from_monday() as usize],
        MONTHS_SHORT[r][d.month0() as usize],
    );
    let (day, year, time) = (d.day(), d.year(), format!("{:02}:{:02}", d.hour(), d.minute()));
    match lang {
        Lang::De => format!("{w}, {day}. {m} {year}, {time}"),
        Lang::En | Lang::Fr | Lang::It => format!("{w} {day} {m} {year}, {time}"),
    }
}

/// How far a due date is from `now`, in calendar days of the time zone: "heute fällig",
/// "in 3 days", "2 jours de retard".
pub fn relative_due(due: DateTime<Utc>, now: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let days = (day(due) - day(now)).num_days();
    let n = days.abs();
    match (lang, days) {
        (Lang::De, 0) => "heute fällig".into(),
        (Lang::De, 1) => "morgen fällig".into(),
        (Lang::De, d) if d > 0 => format!("in {n} Tagen"),
        (Lang::De, _) => format!("{n} {} überfällig", if n == 1 { "Tag" } else { "Tage" }),
        (Lang::En, 0) => "due today".into(),
        (Lang::En, 1) => "due tomorrow".into(),
        (Lang::En, d) if d > 0 => format!("in {n} days"),
        (Lang::En, _) => format!("{n} {} overdue", if n == 1 { "day" } else { "days" }),
        (Lang::Fr, 0) => "à rendre aujourd'hui".into(),
        (Lang::Fr, 1) => "à rendre demain".into(),
        (Lang::Fr, d) if d > 0 => format!("dans {n} jours"),
        (Lang::Fr, _) => format!("{n} {} de retard", if n == 1 { "jour" } else { "jours" }),
        (Lang::It, 0) => "scade oggi".into(),
        (Lang::It, 1) => "scade domani".into(),
        (Lang::It, d) if d > 0 => format!("tra {n} giorni"),
        (Lang::It, _) => format!("in ritardo di {n} {}", if n == 1 { "giorno" } else { "giorni" }),
    }
}

/// Whether a due date has passed.
pub fn overdue(due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    due < now
}

/// A local date and time of the zone (an appointment as typed) as UTC; a time that does not
/// exist on that day (the hour the clocks skip) is `None`, an ambiguous one (the hour
/// repeated in autumn) takes the earlier.
pub fn local_to_utc(date: NaiveDate, hour: u32, minute: u32, tz: Tz) -> Option<DateTime<Utc>> {
    let naive = date.and_hms_opt(hour, minute, 0)?;
    tz.from_local_datetime(&naive).earliest().map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn each_language_writes_the_day_its_way_in_the_tenants_zone() {
        // 08:00 UTC is 09:00 in Berlin in winter.
        let t = at("2026-12-04T08:00:00Z");
        let tz = DEFAULT_TIME_ZONE;
        assert_eq!(long_date(t, tz, Lang::De), "Freitag, 4. Dezember 2026");
        assert_eq!(long_date(t, tz, Lang::En), "Friday 4 December 2026");
        assert_eq!(long_date(t, tz, Lang::Fr), "vendredi 4 décembre 2026");
        assert_eq!(long_date(t, tz, Lang::It), "venerdì 4 dicembre 2026");
        assert_eq!(short_date_time(t, tz, Lang::Fr), "ven. 4 déc. 2026, 09:00");
        assert_eq!(short_date_time(t, tz, Lang::De), "Fr., 4. Dez. 2026, 09:00");
        // Late evening UTC is already the next day in Berlin.
        assert_eq!(
            long_date(at("2026-12-03T23:30:00Z"), tz, Lang::De),
            "Freitag, 4. Dezember 2026"
        );
        let zurich = time_zone("Europe/Zurich").unwrap();
        assert_eq!(
            short_date_time(at("2026-07-01T08:00:00Z"), zurich, Lang::It),
            "mer 1 lug 2026, 10:00"
        );
        assert!(time_zone("Mars/Olympus").is_none());
    }

    #[test]
    fn due_dates_say_how_far_away_they_are() {
        let now = at("2026-12-02T10:00:00Z");
        let tz = DEFAULT_TIME_ZONE;
        assert_eq!(relative_due(at("2026-12-05T20:00:00Z"), now, tz, Lang::En), "in 3 days");
        assert_eq!(
            relative_due(at("2026-11-30T20:00:00Z"), now, tz, Lang::Fr),
            "2 jours de retard"
        );
        assert_eq!(
            relative_due(at("2026-12-01T12:00:00Z"), now, tz, Lang::De),
            "1 Tag überfällig"
        );
        assert_eq!(
            relative_due(at("2026-12-02T22:59:00Z"), now, tz, Lang::It),
            "scade oggi"
        );
        assert_eq!(
            relative_due(at("2026-12-03T09:00:00Z"), now, tz, Lang::De),
            "morgen fällig"
        );
    }

    #[test]
    fn local_appointments_keep_their_time() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(
            local_to_utc(d, 9, 30, DEFAULT_TIME_ZONE),
            Some(at("2026-12-04T08:30:00Z"))
        );
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(local_to_utc(spring, 2, 30, DEFAULT_TIME_ZONE), None, "the skipped hour");
    }
}
