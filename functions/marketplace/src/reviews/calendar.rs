//! Business days per market, for the review-publication deadline (R-REV-PUBLISH: at most one
//! business day passes between a review's submission and its publication).
//!
//! A market is the order's shipping country (ISO 3166-1 alpha-2). Its [`Calendar`] says which
//! days are business days there: not a weekend day, not a public holiday. Holidays are either
//! on a fixed date (with an optional move when the date is a Sunday) or a fixed number of days
//! from Easter Sunday, which [`easter_sunday`] computes. Calendars are data: a deployment can
//! override or add countries as JSON ([`Calendars::from_json`]); countries not configured get
//! the fallback calendar, weekends only in UTC.
//!
//! ## The deadline
//!
//! [`Calendar::publish_by`] counts business *days* on the market's local wall clock:
//!
//! - submitted on a business day: the same local wall-clock time on the next business day
//!   (Friday 20:00 is due Monday 20:00);
//! - submitted on any other day: the start of the day after the next business day (Saturday
//!   10:00 is due when Monday ends, Tuesday 00:00).
//!
//! This is "24 hours of time that falls on business days" except when one of the business days
//! involved has 23 or 25 hours because the clocks change on it; then the deadline still keeps
//! to the wall clock (up to one hour less or more of business time). A wall-clock time that
//! does not exist on the due day (skipped when the clocks go forward) moves forward by the gap,
//! 02:30 to 03:30; one that exists twice (when they go back) is its first occurrence; both
//! make exactly 24 hours of business time. In the six shipped markets the clocks change on
//! Sundays, never on a business day, so there the two readings agree. A deadline past the end
//! of representable time saturates at [`Timestamp::MAX`].
//!
//! ## The shipped calendars
//!
//! National public holidays only, Saturday and Sunday as the weekend, current rules (holiday
//! laws of past years are not modelled). Regional holidays are left out: a deployment that
//! wants them configures them per country.
//!
//! | country | zone | fixed | from Easter |
//! | --- | --- | --- | --- |
//! | NL | Europe/Amsterdam | 1 Jan, King's Day 27 Apr (26 Apr when the 27th is a Sunday), Liberation Day 5 May, 25 and 26 Dec | Easter Monday, Ascension, Whit Monday |
//! | FR | Europe/Paris | 1 Jan, 1 May, 8 May, 14 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec | Easter Monday, Ascension, Whit Monday |
//! | DE | Europe/Berlin | 1 Jan, 1 May, 3 Oct, 25 and 26 Dec | Good Friday, Easter Monday, Ascension, Whit Monday |
//! | BE | Europe/Brussels | 1 Jan, 1 May, 21 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec | Easter Monday, Ascension, Whit Monday |
//! | ES | Europe/Madrid | 1 Jan, 6 Jan, 1 May, 15 Aug, 12 Oct, 1 Nov, 6 Dec, 8 Dec, 25 Dec | Good Friday |
//! | IT | Europe/Rome | 1 Jan, 6 Jan, 25 Apr, 1 May, 2 Jun, 15 Aug, 4 Oct (from 2026, L. 151/2025), 1 Nov, 8 Dec, 25 and 26 Dec | Easter Monday |
//!
//! Left out as regional: in FR, Good Friday and 26 Dec (Alsace-Moselle); in DE, Epiphany,
//! Corpus Christi, Assumption, Reformation Day, All Saints' and the rest that only some Länder
//! keep; in BE, the communities' days (11 Jul, 27 Sep, 15 Nov); in ES, Holy Thursday, Easter
//! Monday, the communities' own days and the Monday a community moves a Sunday holiday to;
//! in IT, the patron saints' days of cities. NL Liberation Day is listed every year, as the
//! Algemene termijnenwet does, although many employers give it off only every fifth year.
//! The King's Day move is the one Sunday rule the shipped calendars need; [`FixedHoliday`]
//! models it generically (`ifSunday`: days to move a date that falls on a Sunday).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize, Serializer};

/// How far from Easter Sunday a configured holiday may lie, in days.
pub const MAX_EASTER_OFFSET: i16 = 100;

/// How many days [`Calendar::next_business_day`] looks ahead before giving up on a calendar
/// without business days (only a misconfigured one, listing nearly every date as a holiday).
const MAX_SEARCH_DAYS: usize = 400;

/// A public holiday on the same date every year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixedHoliday {
    /// 1–12.
    pub month: i8,
    /// 1–31, valid for the month (29 February is a holiday in leap years only).
    pub day: i8,
    pub name: String,
    /// When the date falls on a Sunday, the holiday is that many days later (earlier when
    /// negative) instead: -1 for NL King's Day. Within ±6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_sunday: Option<i8>,
}

impl FixedHoliday {
    fn new(month: i8, day: i8, name: &str) -> FixedHoliday {
        FixedHoliday { month, day, name: name.to_owned(), if_sunday: None }
    }

    /// The day it is observed on in `year`, if it exists that year.
    fn observed(&self, year: i16) -> Option<Date> {
        let date = Date::new(year, self.month, self.day).ok()?;
        match self.if_sunday {
            Some(shift) if date.weekday() == Weekday::Sunday => date.checked_add(shift.days()).ok(),
            _ => Some(date),
        }
    }
}

/// A public holiday a fixed number of days from Easter Sunday (Gregorian).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EasterHoliday {
    /// Days after Easter Sunday, negative before it: Good Friday -2, Easter Monday 1,
    /// Ascension 39, Whit Monday 50. Within ±[`MAX_EASTER_OFFSET`].
    pub days_after_easter: i16,
    pub name: String,
}

impl EasterHoliday {
    fn new(days_after_easter: i16, name: &str) -> EasterHoliday {
        EasterHoliday { days_after_easter, name: name.to_owned() }
    }

    /// The day it falls on for the Easter of `year` (which may be in a neighbouring year).
    fn observed(&self, year: i16) -> Option<Date> {
        easter_sunday(year)?.checked_add(self.days_after_easter.days()).ok()
    }
}

/// One market's business days: its local time zone, weekend and public holidays.
///
/// As JSON (camelCase), e.g. `{"timeZone": "Europe/Lisbon", "weekend": ["saturday", "sunday"],
/// "fixedHolidays": [{"month": 4, "day": 25, "name": "Freedom Day"}], "easterHolidays":
/// [{"daysAfterEaster": -2, "name": "Good Friday"}]}`; `weekend` defaults to Saturday and
/// Sunday, the holiday lists to none. Deserialising validates (see [`Calendars::from_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "CalendarConfig")]
pub struct Calendar {
    /// An IANA time zone: local dates and times are read in it.
    #[serde(serialize_with = "jiff::fmt::serde::tz::required::serialize")]
    pub time_zone: TimeZone,
    /// The days of the week that are never business days.
    #[serde(serialize_with = "serialize_weekdays")]
    pub weekend: Vec<Weekday>,
    pub fixed_holidays: Vec<FixedHoliday>,
    pub easter_holidays: Vec<EasterHoliday>,
}

impl Calendar {
    /// Saturday and Sunday off, no holidays.
    pub fn weekends_only(time_zone: TimeZone) -> Calendar {
        Calendar {
            time_zone,
            weekend: vec![Weekday::Saturday, Weekday::Sunday],
            fixed_holidays: Vec::new(),
            easter_holidays: Vec::new(),
        }
    }

    /// The public holidays that fall in `year`, by date (a date with two holidays is listed
    /// twice). Includes those on a weekend day.
    pub fn holidays(&self, year: i16) -> Vec<(Date, String)> {
        let mut found: Vec<(Date, String)> = neighbouring_years(year)
            .flat_map(|rule_year| {
                let fixed = self.fixed_holidays.iter().filter_map(move |h| Some((h.observed(rule_year)?, &h.name)));
                let easter = self.easter_holidays.iter().filter_map(move |h| Some((h.observed(rule_year)?, &h.name)));
                fixed.chain(easter)
            })
            .filter(|(date, _)| date.year() == year)
            .map(|(date, name)| (date, name.clone()))
            .collect();
        found.sort();
        found
    }

    /// Whether `date` is a public holiday.
    pub fn is_holiday(&self, date: Date) -> bool {
        // A rule of a neighbouring year can land in this one: a holiday moved off a Sunday
        // across New Year, or one far enough from Easter.
        neighbouring_years(date.year()).any(|rule_year| {
            self.fixed_holidays.iter().any(|h| h.observed(rule_year) == Some(date))
                || self.easter_holidays.iter().any(|h| h.observed(rule_year) == Some(date))
        })
    }

    /// Whether `date` (a local date of the market) is a business day: neither a weekend day
    /// nor a public holiday.
    pub fn is_business_day(&self, date: Date) -> bool {
        !self.weekend.contains(&date.weekday()) && !self.is_holiday(date)
    }

    /// The first business day after `date`. `None` past the end of representable dates, or
    /// for a calendar without a business day in the 400 days after `date`.
    pub fn next_business_day(&self, date: Date) -> Option<Date> {
        let mut day = date;
        for _ in 0..MAX_SEARCH_DAYS {
            day = day.tomorrow().ok()?;
            if self.is_business_day(day) {
                return Some(day);
            }
        }
        None
    }

    /// When a review submitted at `submitted_at` must be published at the latest: one business
    /// day later, counted on the local wall clock (see the module documentation).
    pub fn publish_by(&self, submitted_at: Timestamp) -> Timestamp {
        let local = submitted_at.to_zoned_datetime(self.time_zone.clone());
        let day = local.date();
        let Some(next) = self.next_business_day(day) else {
            return Timestamp::MAX;
        };
        let due = if self.is_business_day(day) {
            // `to_zoned_datetime` resolves a time skipped on that day to the one after the gap
            // and a repeated time to its first occurrence.
            next.to_datetime(local.time()).to_zoned_datetime(self.time_zone.clone())
        } else {
            next.tomorrow().and_then(|end| end.to_zoned_datetime(self.time_zone.clone()))
        };
        due.map_or(Timestamp::MAX, |due| due.timestamp())
    }
}

/// `year` and the years either side, as far as dates go.
fn neighbouring_years(year: i16) -> impl Iterator<Item = i16> {
    let (min, max) = (Date::MIN.year(), Date::MAX.year());
    (year.saturating_sub(1)..=year.saturating_add(1)).filter(move |y| (min..=max).contains(y))
}

/// Easter Sunday of the Gregorian `year`, by the anonymous Gregorian computus
/// (Meeus–Jones–Butcher). `None` outside the dates jiff represents (years -9999 to 9999).
pub fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    // The year's place in the 19-year Metonic cycle of the moon's phases.
    let golden = y.rem_euclid(19);
    let (century, year_of_century) = (y.div_euclid(100), y.rem_euclid(100));
    // Leap days the Gregorian reform skips (solar correction)...
    let (skipped_leaps, century_in_cycle) = (century.div_euclid(4), century.rem_euclid(4));
    // ...and the lunar correction, 8 days in 2,500 years.
    let lunar = (century - (century + 8).div_euclid(25) + 1).div_euclid(3);
    // Days from 21 March to the paschal full moon (the epact's complement).
    let full_moon = (19 * golden + century - skipped_leaps - lunar + 15).rem_euclid(30);
    let (leaps_of_century, year_in_cycle) = (year_of_century.div_euclid(4), year_of_century.rem_euclid(4));
    // Days from the full moon to the Sunday after it.
    let to_sunday = (32 + 2 * century_in_cycle + 2 * leaps_of_century - full_moon - year_in_cycle).rem_euclid(7);
    // The two exceptions that would put Easter after 25 April.
    let correction = (golden + 11 * full_moon + 22 * to_sunday).div_euclid(451);
    let days = full_moon + to_sunday - 7 * correction + 114;
    let (month, day) = (days.div_euclid(31), days.rem_euclid(31) + 1);
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// The calendars of all markets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calendars {
    /// By upper-case ISO 3166-1 alpha-2 code.
    pub countries: BTreeMap<String, Calendar>,
    /// For countries not in `countries`.
    pub fallback: Calendar,
}

/// The calendars as configured: each country given replaces the default one or is added.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CalendarsConfig {
    #[serde(default)]
    countries: BTreeMap<String, Calendar>,
    fallback: Option<Calendar>,
}

impl Calendars {
    /// The default calendars with the configured ones laid over them, e.g.
    /// `{"countries": {"PT": {"timeZone": "Europe/Lisbon", "fixedHolidays": [...]}},
    /// "fallback": {"timeZone": "UTC"}}`; both keys optional. A country given replaces its
    /// default calendar whole. Refused: unknown keys, a country code that is not two letters,
    /// a time zone not in the IANA database, a month or day that does not exist, an `ifSunday`
    /// beyond ±6, an Easter offset beyond ±100 days, an unknown weekday or a weekend of all seven.
    pub fn from_json(json: &str) -> Result<Calendars, String> {
        let config: CalendarsConfig = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut calendars = Calendars::default();
        for (code, calendar) in config.countries {
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!("{code:?} is not an ISO 3166-1 alpha-2 country code"));
            }
            calendars.countries.insert(code.to_ascii_uppercase(), calendar);
        }
        if let Some(fallback) = config.fallback {
            calendars.fallback = fallback;
        }
        Ok(calendars)
    }

    /// The calendar of the country `code` (ISO 3166-1 alpha-2, any case), or the fallback.
    pub fn for_country(&self, code: &str) -> &Calendar {
        self.countries.get(&code.to_ascii_uppercase()).unwrap_or(&self.fallback)
    }
}

impl Default for Calendars {
    /// NL, FR, DE, BE, ES and IT with their national holidays; weekends only in UTC elsewhere.
    fn default() -> Self {
        const NEW_YEAR: (i8, i8, &str) = (1, 1, "New Year's Day");
        const LABOUR: (i8, i8, &str) = (5, 1, "Labour Day");
        const CHRISTMAS: (i8, i8, &str) = (12, 25, "Christmas Day");
        const EASTER_MONDAY: (i16, &str) = (1, "Easter Monday");
        const ASCENSION: (i16, &str) = (39, "Ascension Day");
        const WHIT_MONDAY: (i16, &str) = (50, "Whit Monday");
        const GOOD_FRIDAY: (i16, &str) = (-2, "Good Friday");
        let market = |zone: &str, fixed: &[(i8, i8, &str)], easter: &[(i16, &str)]| Calendar {
            fixed_holidays: fixed.iter().map(|&(month, day, name)| FixedHoliday::new(month, day, name)).collect(),
            easter_holidays: easter.iter().map(|&(offset, name)| EasterHoliday::new(offset, name)).collect(),
            ..Calendar::weekends_only(
                time_zone(zone).expect("the six markets' zones are in jiff's bundled time zone database"),
            )
        };
        let mut nl = market(
            "Europe/Amsterdam",
            &[NEW_YEAR, (5, 5, "Liberation Day"), CHRISTMAS, (12, 26, "Second Day of Christmas")],
            &[EASTER_MONDAY, ASCENSION, WHIT_MONDAY],
        );
        nl.fixed_holidays.insert(1, FixedHoliday { if_sunday: Some(-1), ..FixedHoliday::new(4, 27, "King's Day") });
        let fr = market(
            "Europe/Paris",
            &[
                NEW_YEAR,
                LABOUR,
                (5, 8, "Victory in Europe Day"),
                (7, 14, "Bastille Day"),
                (8, 15, "Assumption Day"),
                (11, 1, "All Saints' Day"),
                (11, 11, "Armistice Day"),
                CHRISTMAS,
            ],
            &[EASTER_MONDAY, ASCENSION, WHIT_MONDAY],
        );
        let de = market(
            "Europe/Berlin",
            &[NEW_YEAR, LABOUR, (10, 3, "German Unity Day"), CHRISTMAS, (12, 26, "Second Day of Christmas")],
            &[GOOD_FRIDAY, EASTER_MONDAY, ASCENSION, WHIT_MONDAY],
        );
        let be = market(
            "Europe/Brussels",
            &[
                NEW_YEAR,
                LABOUR,
                (7, 21, "Belgian National Day"),
                (8, 15, "Assumption Day"),
                (11, 1, "All Saints' Day"),
                (11, 11, "Armistice Day"),
                CHRISTMAS,
            ],
            &[EASTER_MONDAY, ASCENSION, WHIT_MONDAY],
        );
        let es = market(
            "Europe/Madrid",
            &[
                NEW_YEAR,
                (1, 6, "Epiphany"),
                LABOUR,
                (8, 15, "Assumption Day"),
                (10, 12, "National Day of Spain"),
                (11, 1, "All Saints' Day"),
                (12, 6, "Constitution Day"),
                (12, 8, "Immaculate Conception"),
                CHRISTMAS,
            ],
            &[GOOD_FRIDAY],
        );
        let it = market(
            "Europe/Rome",
            &[
                NEW_YEAR,
                (1, 6, "Epiphany"),
                (4, 25, "Liberation Day"),
                LABOUR,
                (6, 2, "Republic Day"),
                (8, 15, "Assumption Day"),
                (10, 4, "Saint Francis of Assisi"),
                (11, 1, "All Saints' Day"),
                (12, 8, "Immaculate Conception"),
                CHRISTMAS,
                (12, 26, "Saint Stephen's Day"),
            ],
            &[EASTER_MONDAY],
        );
        let countries = [("NL", nl), ("FR", fr), ("DE", de), ("BE", be), ("ES", es), ("IT", it)]
            .into_iter()
            .map(|(code, calendar)| (code.to_owned(), calendar))
            .collect();
        Calendars { countries, fallback: Calendar::weekends_only(TimeZone::UTC) }
    }
}

/// A time zone by IANA name, from the database bundled into the binary first, so that the rules
/// read the same zone data on every machine without touching the file system, and from the
/// system's database otherwise.
fn time_zone(name: &str) -> Result<TimeZone, String> {
    static BUNDLED: OnceLock<TimeZoneDatabase> = OnceLock::new();
    BUNDLED
        .get_or_init(TimeZoneDatabase::bundled)
        .get(name)
        .or_else(|_| jiff::tz::db().get(name))
        .map_err(|_| format!("unknown time zone {name:?}"))
}

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
    (Weekday::Sunday, "sunday"),
];

fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAYS[usize::from(day.to_monday_zero_offset().unsigned_abs())].1
}

fn serialize_weekdays<S: Serializer>(days: &[Weekday], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(days.iter().map(|&day| weekday_name(day)))
}

/// A calendar as configured, before it is checked.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CalendarConfig {
    time_zone: String,
    #[serde(default = "default_weekend")]
    weekend: Vec<String>,
    #[serde(default)]
    fixed_holidays: Vec<FixedHoliday>,
    #[serde(default)]
    easter_holidays: Vec<EasterHoliday>,
}

fn default_weekend() -> Vec<String> {
    vec!["saturday".into(), "sunday".into()]
}

impl TryFrom<CalendarConfig> for Calendar {
    type Error = String;

    fn try_from(config: CalendarConfig) -> Result<Calendar, String> {
        let time_zone = time_zone(&config.time_zone)?;
        let mut weekend = Vec::new();
        for name in &config.weekend {
            let day = WEEKDAYS
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(name))
                .map(|&(day, _)| day)
                .ok_or_else(|| format!("{name:?} is not a day of the week"))?;
            if !weekend.contains(&day) {
                weekend.push(day);
            }
        }
        weekend.sort_by_key(|day| day.to_monday_one_offset());
        if weekend.len() == WEEKDAYS.len() {
            return Err("a weekend of all seven days leaves no business day".into());
        }
        for holiday in &config.fixed_holidays {
            // 2000 is a leap year: 29 February is a valid (leap-year-only) holiday.
            if Date::new(2000, holiday.month, holiday.day).is_err() {
                return Err(format!("{}: no day {} in month {}", holiday.name, holiday.day, holiday.month));
            }
            if holiday.if_sunday.is_some_and(|shift| !(-6..=6).contains(&shift)) {
                return Err(format!("{}: ifSunday must be within ±6 days", holiday.name));
            }
        }
        for holiday in &config.easter_holidays {
            if !(-MAX_EASTER_OFFSET..=MAX_EASTER_OFFSET).contains(&holiday.days_after_easter) {
                return Err(format!("{}: daysAfterEaster must be within ±{MAX_EASTER_OFFSET}", holiday.name));
            }
        }
        Ok(Calendar {
            time_zone,
            weekend,
            fixed_holidays: config.fixed_holidays,
            easter_holidays: config.easter_holidays,
        })
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use jiff::ZonedDateTime;
    use proptest::prelude::*;

    use super::*;

    const MARKETS: [&str; 6] = ["NL", "FR", "DE", "BE", "ES", "IT"];

    /// A moment written with its zone, e.g. `2026-07-13T10:00[Europe/Paris]`.
    fn at(s: &str) -> Timestamp {
        s.parse::<ZonedDateTime>().expect("a zoned date-time").timestamp()
    }

    fn date(s: &str) -> Date {
        s.parse().expect("a date")
    }

    fn calendar(code: &str) -> Calendar {
        Calendars::default().for_country(code).clone()
    }

    #[test]
    fn easter_sunday_2026_to_2030() {
        let known = ["2026-04-05", "2027-03-28", "2028-04-16", "2029-04-01", "2030-04-21"];
        for (year, expected) in (2026..).zip(known) {
            assert_eq!(easter_sunday(year), Some(date(expected)), "{year}");
        }
        // The extremes and the algorithm's two exceptions (1954 and 1981 would otherwise be 25 and 26 April).
        assert_eq!(easter_sunday(1818), Some(date("1818-03-22")));
        assert_eq!(easter_sunday(2285), Some(date("2285-03-22")));
        assert_eq!(easter_sunday(1943), Some(date("1943-04-25")));
        assert_eq!(easter_sunday(2038), Some(date("2038-04-25")));
        assert_eq!(easter_sunday(1954), Some(date("1954-04-18")));
        assert_eq!(easter_sunday(1981), Some(date("1981-04-19")));
        assert_eq!(easter_sunday(2000), Some(date("2000-04-23")));
        assert!(easter_sunday(9999).is_some());
        assert!(easter_sunday(-9999).is_some());
        for year in 1583..=9999 {
            let easter = easter_sunday(year).expect("in range");
            assert_eq!(easter.weekday(), Weekday::Sunday, "{year}");
            assert!(date(&format!("{year:04}-03-22")) <= easter && easter <= date(&format!("{year:04}-04-25")));
        }
    }

    #[test]
    fn easter_based_holidays_2026_to_2030_per_country() {
        // Year, Good Friday, Easter Monday, Ascension, Whit Monday.
        let known = [
            ("2026-04-03", "2026-04-06", "2026-05-14", "2026-05-25"),
            ("2027-03-26", "2027-03-29", "2027-05-06", "2027-05-17"),
            ("2028-04-14", "2028-04-17", "2028-05-25", "2028-06-05"),
            ("2029-03-30", "2029-04-02", "2029-05-10", "2029-05-21"),
            ("2030-04-19", "2030-04-22", "2030-05-30", "2030-06-10"),
        ];
        // Which of them each country keeps.
        let kept = [
            ("NL", [false, true, true, true]),
            ("FR", [false, true, true, true]),
            ("DE", [true, true, true, true]),
            ("BE", [false, true, true, true]),
            ("ES", [true, false, false, false]),
            ("IT", [false, true, false, false]),
        ];
        for (code, kept) in kept {
            let calendar = calendar(code);
            for (good_friday, easter_monday, ascension, whit_monday) in known {
                for (day, kept) in [good_friday, easter_monday, ascension, whit_monday].into_iter().zip(kept) {
                    let day = date(day);
                    assert_eq!(calendar.is_holiday(day), kept, "{code} {day}");
                    assert_eq!(calendar.is_business_day(day), !kept, "{code} {day}");
                    let listed = calendar.holidays(day.year()).iter().any(|(d, _)| *d == day);
                    assert_eq!(listed, kept, "{code} {day} listed");
                }
            }
        }
    }

    #[test]
    fn good_friday_is_a_holiday_in_de_and_es_but_not_in_fr() {
        let good_friday = date("2026-04-03");
        assert!(!calendar("DE").is_business_day(good_friday));
        assert!(!calendar("ES").is_business_day(good_friday));
        assert!(calendar("FR").is_business_day(good_friday));
        let names: Vec<_> = calendar("DE").holidays(2026).into_iter().map(|(_, name)| name).collect();
        assert!(names.contains(&"Good Friday".to_owned()));
    }

    #[test]
    fn a_review_submitted_on_a_friday_evening_is_due_on_monday_evening() {
        let nl = calendar("NL");
        assert_eq!(nl.publish_by(at("2026-06-12T20:00[Europe/Amsterdam]")), at("2026-06-15T20:00[Europe/Amsterdam]"));
        // A weekday is due the next day, same time.
        assert_eq!(nl.publish_by(at("2026-06-09T08:15[Europe/Amsterdam]")), at("2026-06-10T08:15[Europe/Amsterdam]"));
    }

    #[test]
    fn a_review_submitted_on_a_saturday_is_due_when_monday_ends() {
        let be = calendar("BE");
        assert_eq!(be.publish_by(at("2026-06-13T10:00[Europe/Brussels]")), at("2026-06-16T00:00[Europe/Brussels]"));
        assert_eq!(be.publish_by(at("2026-06-14T23:59[Europe/Brussels]")), at("2026-06-16T00:00[Europe/Brussels]"));
    }

    #[test]
    fn the_day_before_a_public_holiday_skips_it() {
        // FR: Monday 13 July 2026, Bastille Day on the Tuesday.
        let fr = calendar("FR");
        assert_eq!(fr.publish_by(at("2026-07-13T10:00[Europe/Paris]")), at("2026-07-15T10:00[Europe/Paris]"));
        // DE: the Wednesday before Ascension (14 May 2026) is due on the Friday.
        let de = calendar("DE");
        assert_eq!(de.publish_by(at("2026-05-13T15:30[Europe/Berlin]")), at("2026-05-15T15:30[Europe/Berlin]"));
        // DE: Maundy Thursday skips Good Friday, the weekend and Easter Monday.
        assert_eq!(de.publish_by(at("2026-04-02T12:00[Europe/Berlin]")), at("2026-04-07T12:00[Europe/Berlin]"));
        // Submitted on a holiday: the next business day's end.
        assert_eq!(fr.publish_by(at("2026-07-14T09:00[Europe/Paris]")), at("2026-07-16T00:00[Europe/Paris]"));
        // The deadline is kept in the market's zone, whatever the moment's own offset.
        assert_eq!(fr.publish_by(at("2026-07-13T08:00Z[UTC]")), at("2026-07-15T10:00+02:00[Europe/Paris]"));
    }

    #[test]
    fn christmas_on_a_weekend_moves_nothing() {
        // 25 and 26 December 2027 are a Saturday and a Sunday: no day in lieu.
        for code in MARKETS {
            let calendar = calendar(code);
            assert!(calendar.holidays(2027).iter().any(|(d, _)| *d == date("2027-12-25")), "{code}");
            assert!(calendar.is_business_day(date("2027-12-27")), "{code}");
        }
        let de = calendar("DE");
        assert_eq!(de.publish_by(at("2027-12-24T10:00[Europe/Berlin]")), at("2027-12-27T10:00[Europe/Berlin]"));
        // 2026: Christmas on a Friday, the second day on the Saturday.
        assert_eq!(de.publish_by(at("2026-12-24T10:00[Europe/Berlin]")), at("2026-12-28T10:00[Europe/Berlin]"));
        // New Year's Day 2028 is a Saturday; a review of Friday 31 December 2027 is due on Monday.
        let it = calendar("IT");
        assert_eq!(it.publish_by(at("2027-12-31T18:00[Europe/Rome]")), at("2028-01-03T18:00[Europe/Rome]"));
    }

    #[test]
    fn kings_day_moves_to_the_26th_when_the_27th_is_a_sunday() {
        let nl = calendar("NL");
        // 27 April 2025 was a Sunday; in 2026 it is a Monday.
        assert!(nl.holidays(2025).contains(&(date("2025-04-26"), "King's Day".to_owned())));
        assert!(!nl.is_holiday(date("2025-04-27")));
        assert!(nl.holidays(2026).contains(&(date("2026-04-27"), "King's Day".to_owned())));
        assert!(!nl.is_business_day(date("2026-04-27")));
        assert!(nl.is_business_day(date("2026-04-28")));
        assert_eq!(nl.publish_by(at("2026-04-24T09:00[Europe/Amsterdam]")), at("2026-04-28T09:00[Europe/Amsterdam]"));
        // A Sunday move across New Year lands in the right year.
        let mut custom = Calendar::weekends_only(TimeZone::UTC);
        custom.fixed_holidays.push(FixedHoliday { if_sunday: Some(-1), ..FixedHoliday::new(1, 1, "Moved") });
        // 1 January 2023 was a Sunday.
        assert!(custom.holidays(2022).contains(&(date("2022-12-31"), "Moved".to_owned())));
        assert!(custom.is_holiday(date("2022-12-31")));
        assert!(!custom.holidays(2023).iter().any(|(d, _)| d.year() != 2023));
    }

    #[test]
    fn holidays_are_listed_by_date() {
        let it = calendar("IT").holidays(2026);
        assert_eq!(it.len(), 12);
        assert_eq!(it.first(), Some(&(date("2026-01-01"), "New Year's Day".to_owned())));
        assert!(it.contains(&(date("2026-10-04"), "Saint Francis of Assisi".to_owned())));
        assert!(it.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(calendar("FR").holidays(2026).len(), 11);
        assert_eq!(calendar("ES").holidays(2026).len(), 10);
    }

    #[test]
    fn a_dst_change_weekend_keeps_the_local_wall_clock() {
        // The clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
        let nl = calendar("NL");
        assert_eq!(
            nl.publish_by(at("2026-03-27T20:00+01:00[Europe/Amsterdam]")),
            at("2026-03-30T20:00+02:00[Europe/Amsterdam]")
        );
        assert_eq!(
            nl.publish_by(at("2026-03-28T10:00+01:00[Europe/Amsterdam]")),
            at("2026-03-31T00:00+02:00[Europe/Amsterdam]")
        );
        assert_eq!(
            nl.publish_by(at("2026-03-29T03:30+02:00[Europe/Amsterdam]")),
            at("2026-03-31T00:00+02:00[Europe/Amsterdam]")
        );
        assert_eq!(
            nl.publish_by(at("2026-10-23T20:00+02:00[Europe/Amsterdam]")),
            at("2026-10-26T20:00+01:00[Europe/Amsterdam]")
        );
        assert_eq!(
            nl.publish_by(at("2026-10-25T02:30+01:00[Europe/Amsterdam]")),
            at("2026-10-27T00:00+01:00[Europe/Amsterdam]")
        );
        // A market that works on weekends (Fridays off): the days of the change are business days.
        let mut fridays_off = nl.clone();
        fridays_off.weekend = vec![Weekday::Friday];
        // 02:30 does not exist on 29 March: 03:30 summer time, exactly 24 hours later.
        let submitted = at("2026-03-28T02:30+01:00[Europe/Amsterdam]");
        let due = fridays_off.publish_by(submitted);
        assert_eq!(due, at("2026-03-29T03:30+02:00[Europe/Amsterdam]"));
        assert_eq!(due.duration_since(submitted), SignedDuration::from_hours(24));
        // Submitted on the 23-hour Sunday itself: Monday, same wall clock, 23 hours later.
        let submitted = at("2026-03-29T01:30+01:00[Europe/Amsterdam]");
        let due = fridays_off.publish_by(submitted);
        assert_eq!(due, at("2026-03-30T01:30+02:00[Europe/Amsterdam]"));
        assert_eq!(due.duration_since(submitted), SignedDuration::from_hours(23));
        // 02:30 exists twice on 25 October: its first occurrence, exactly 24 hours later.
        let submitted = at("2026-10-24T02:30+02:00[Europe/Amsterdam]");
        let due = fridays_off.publish_by(submitted);
        assert_eq!(due, at("2026-10-25T02:30+02:00[Europe/Amsterdam]"));
        assert_eq!(due.duration_since(submitted), SignedDuration::from_hours(24));
        // Submitted on the 25-hour Sunday: Monday, same wall clock, 25 hours later.
        let submitted = at("2026-10-25T01:30+02:00[Europe/Amsterdam]");
        let due = fridays_off.publish_by(submitted);
        assert_eq!(due, at("2026-10-26T01:30+01:00[Europe/Amsterdam]"));
        assert_eq!(due.duration_since(submitted), SignedDuration::from_hours(25));
        // Submitted on a day off before the short Sunday: when that Sunday ends, 23 hours of it.
        let mut saturdays_off = nl.clone();
        saturdays_off.weekend = vec![Weekday::Saturday];
        let due = saturdays_off.publish_by(at("2026-03-28T12:00+01:00[Europe/Amsterdam]"));
        assert_eq!(due, at("2026-03-30T00:00+02:00[Europe/Amsterdam]"));
    }

    #[test]
    fn an_unknown_country_has_weekends_only_in_utc() {
        let calendars = Calendars::default();
        let us = calendars.for_country("US");
        assert_eq!(us, &calendars.fallback);
        assert_eq!(us.time_zone, TimeZone::UTC);
        assert!(us.holidays(2026).is_empty());
        assert!(us.is_business_day(date("2026-12-25")));
        assert!(!us.is_business_day(date("2026-12-26")));
        assert_eq!(us.publish_by(at("2026-12-24T23:00Z[UTC]")), at("2026-12-25T23:00Z[UTC]"));
        assert_eq!(us.publish_by(at("2026-12-25T23:00Z[UTC]")), at("2026-12-28T23:00Z[UTC]"));
        // Codes in any case.
        assert_eq!(calendars.for_country("fr"), calendars.for_country("FR"));
        assert_ne!(calendars.for_country("FR"), &calendars.fallback);
    }

    #[test]
    fn from_json_overrides_and_extends_countries() {
        let calendars = Calendars::from_json(
            r#"{
                "countries": {
                    "pt": {
                        "timeZone": "Europe/Lisbon",
                        "fixedHolidays": [{"month": 4, "day": 25, "name": "Freedom Day"}],
                        "easterHolidays": [{"daysAfterEaster": -2, "name": "Good Friday"}, {"daysAfterEaster": 60, "name": "Corpus Christi"}]
                    },
                    "FR": {
                        "timeZone": "Europe/Paris",
                        "weekend": ["Sunday"],
                        "fixedHolidays": [{"month": 12, "day": 26, "name": "Saint Stephen's Day"}]
                    }
                },
                "fallback": {"timeZone": "America/New_York", "weekend": ["friday", "saturday"]}
            }"#,
        )
        .expect("valid");
        let pt = calendars.for_country("PT");
        assert_eq!(pt.time_zone.iana_name(), Some("Europe/Lisbon"));
        assert_eq!(pt.weekend, [Weekday::Saturday, Weekday::Sunday]);
        assert!(pt.is_holiday(date("2026-04-03")) && pt.is_holiday(date("2026-06-04")));
        let fr = calendars.for_country("FR");
        assert_eq!(fr.holidays(2026), [(date("2026-12-26"), "Saint Stephen's Day".to_owned())]);
        assert!(fr.is_business_day(date("2026-07-14")) && fr.is_business_day(date("2026-07-18")));
        assert_eq!(calendars.for_country("DE"), Calendars::default().for_country("DE"), "others stay");
        assert!(calendars.for_country("US").is_business_day(date("2026-06-14")), "a Sunday in the fallback");
        assert_eq!(calendars.fallback.weekend, [Weekday::Friday, Weekday::Saturday]);
        // Nothing configured: the defaults; and the defaults round-trip through their JSON.
        assert_eq!(Calendars::from_json("{}"), Ok(Calendars::default()));
        let json = serde_json::to_string(&Calendars::default()).expect("serialisable");
        assert!(json.contains(r#""timeZone":"Europe/Amsterdam""#) && json.contains(r#""ifSunday":-1"#), "{json}");
        assert_eq!(Calendars::from_json(&json), Ok(Calendars::default()));
    }

    #[test]
    fn from_json_rejects_bad_input() {
        let country = |calendar: &str| format!(r#"{{"countries": {{"PT": {calendar}}}}}"#);
        let bad = [
            ("not json", "not json".to_owned()),
            ("unknown key", r#"{"markets": {}}"#.to_owned()),
            ("country code", r#"{"countries": {"PRT": {"timeZone": "UTC"}}}"#.to_owned()),
            ("country code", r#"{"countries": {"P1": {"timeZone": "UTC"}}}"#.to_owned()),
            ("time zone", country(r#"{"timeZone": "Europe/Atlantis"}"#)),
            ("time zone", country(r#"{"timeZone": "+01:00"}"#)),
            ("time zone", country("{}")),
            ("month", country(r#"{"timeZone": "UTC", "fixedHolidays": [{"month": 13, "day": 1, "name": "x"}]}"#)),
            ("day", country(r#"{"timeZone": "UTC", "fixedHolidays": [{"month": 4, "day": 31, "name": "x"}]}"#)),
            ("day", country(r#"{"timeZone": "UTC", "fixedHolidays": [{"month": 1, "day": 0, "name": "x"}]}"#)),
            (
                "ifSunday",
                country(
                    r#"{"timeZone": "UTC", "fixedHolidays": [{"month": 1, "day": 1, "name": "x", "ifSunday": 7}]}"#,
                ),
            ),
            ("offset", country(r#"{"timeZone": "UTC", "easterHolidays": [{"daysAfterEaster": 101, "name": "x"}]}"#)),
            ("offset", country(r#"{"timeZone": "UTC", "easterHolidays": [{"daysAfterEaster": -101, "name": "x"}]}"#)),
            ("weekday", country(r#"{"timeZone": "UTC", "weekend": ["caturday"]}"#)),
            (
                "weekend",
                country(
                    r#"{"timeZone": "UTC", "weekend": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}"#,
                ),
            ),
            ("unknown field", country(r#"{"timeZone": "UTC", "holidays": []}"#)),
        ];
        for (what, json) in bad {
            assert!(Calendars::from_json(&json).is_err(), "{what}: {json}");
        }
        let err = Calendars::from_json(&country(r#"{"timeZone": "Europe/Atlantis"}"#)).expect_err("unknown zone");
        assert!(err.contains("Europe/Atlantis"), "{err}");
        // 29 February and the extreme offsets are accepted.
        let edge = country(
            r#"{"timeZone": "UTC", "fixedHolidays": [{"month": 2, "day": 29, "name": "Leap"}],
                "easterHolidays": [{"daysAfterEaster": -100, "name": "a"}, {"daysAfterEaster": 100, "name": "b"}]}"#,
        );
        let pt = Calendars::from_json(&edge).expect("valid").for_country("PT").clone();
        assert!(pt.is_holiday(date("2028-02-29")));
        // No 29 February in 2027, and -100 days from Easter falls in the year before: from
        // Easter 2027 (28 March) on 18 December 2026, from Easter 2028 (16 April) on 7 January.
        assert_eq!(pt.holidays(2027), [(date("2027-07-06"), "b".to_owned())]);
        assert!(pt.holidays(2026).contains(&(date("2026-12-18"), "a".to_owned())));
        assert_eq!(pt.holidays(2028).first(), Some(&(date("2028-01-07"), "a".to_owned())));
        assert!(pt.is_holiday(date("2026-12-18")) && pt.is_holiday(date("2028-01-07")));
    }

    #[test]
    fn the_longest_run_without_business_days_is_four_days() {
        for code in MARKETS {
            let calendar = calendar(code);
            let (mut run, mut longest) = (0, 0);
            let mut day = date("2026-01-01");
            while day.year() <= 2060 {
                run = if calendar.is_business_day(day) { 0 } else { run + 1 };
                longest = longest.max(run);
                day = day.tomorrow().expect("in range");
            }
            assert!(longest <= 4, "{code}: {longest}");
        }
    }

    proptest! {
        /// Any moment of 2020–2060 in any market: the deadline is after the submission, on a
        /// business day (or the start of the day after one), and at most five days and an hour
        /// later (one business day after the longest run of four days without one).
        #[test]
        fn publish_by_is_one_business_day_later(
            seconds in 1_577_836_800i64..2_871_763_200,
            market in prop::sample::select(vec!["NL", "FR", "DE", "BE", "ES", "IT", "US"]),
        ) {
            let calendar = calendar(market);
            let submitted = Timestamp::from_second(seconds).expect("in range");
            let due = calendar.publish_by(submitted);
            prop_assert!(due > submitted);
            let zone = calendar.time_zone.clone();
            let (local, due_local) = (submitted.to_zoned_datetime(zone.clone()), due.to_zoned_datetime(zone));
            let next = calendar.next_business_day(local.date()).expect("a business day");
            if calendar.is_business_day(local.date()) {
                prop_assert_eq!(due_local.date(), next);
                prop_assert!(calendar.is_business_day(due_local.date()));
                prop_assert!(due.duration_since(submitted) >= SignedDuration::from_hours(23));
            } else {
                prop_assert_eq!(due_local.time(), jiff::civil::Time::midnight());
                prop_assert_eq!(due_local.date().yesterday().expect("in range"), next);
                prop_assert!(calendar.is_business_day(next));
            }
            prop_assert!(due.duration_since(submitted) <= SignedDuration::from_hours(5 * 24 + 1));
        }
    }
}
