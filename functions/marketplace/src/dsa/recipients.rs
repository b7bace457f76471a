//! Monthly active recipients in the Union (DSA Art. 24(2)): who counts, how a person is
//! counted once, and the six-month average.
//!
//! - A recipient is a signed-in account (`sub`) or, for a visitor who is not signed in, the
//!   pseudonymous device id the web client sends. Both are hashed with a secret salt before
//!   anything is kept, so no stored key is an identifier.
//! - Known bots and crawlers (by user agent) and visitors outside the Union do not count; a
//!   visitor whose country is unknown does.
//! - A device seen together with an account in the same request is that account's: for the
//!   month, the device does not count on its own, whatever the order in which the requests
//!   arrive. A month's count is therefore the accounts active in it plus the devices active in
//!   it that were never seen with an account in it.
//! - [`Month`] decides, event by event, what storage must record: each identity's first
//!   activity of the month (one conditional write), a device's first link to an account, and
//!   the change to the month's count (+1, or −1 when a device counted alone turns out to be an
//!   account's). Redelivered and reordered events change nothing more; a recipient already
//!   counted this month asks for nothing.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The Member States (Art. 24(2) counts recipients in the Union; the EEA's three others do not).
pub const UNION: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The threshold of a very large online platform (Art. 33(1)).
pub const VLOP_THRESHOLD: u64 = 45_000_000;

/// Words in a user agent that name a bot, crawler or scraper (matched case-insensitively):
/// the generic ones and the named crawlers that avoid them.
pub const BOT_MARKERS: [&str; 24] = [
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scrapy",
    "python-requests",
    "go-http-client",
    "headlesschrome",
    "phantomjs",
    "facebookexternalhit",
    "bingpreview",
    "mediapartners-google",
    "google-inspectiontool",
    "lighthouse",
    "pingdom",
    "uptimerobot",
    "statuscake",
    "ia_archiver",
    "wget",
    "libwww",
    "httpclient",
    "okhttp",
    "curl/",
    "feedfetcher",
];

/// Whether a user agent is a known bot or crawler. No user agent at all is not a browser either.
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent.map(str::to_ascii_lowercase) else { return true };
    agent.trim().is_empty() || BOT_MARKERS.iter().any(|m| agent.contains(m))
}

/// Whether a request's country is in the Union. A request whose country is unknown (no
/// geolocation header in front of the API) counts: over-counting errs on the side of the
/// obligations, under-counting would not.
pub fn in_union(country: Option<&str>) -> bool {
    country.map(str::trim).filter(|c| !c.is_empty()).is_none_or(|c| UNION.contains(&c.to_ascii_uppercase().as_str()))
}

/// An identifier keyed with the secret salt: the first 128 bits of HMAC-SHA256, base64url.
/// Without the salt, no one can tell whose it is or test a guess; 128 bits leave no collision
/// to fear among a few hundred million identities.
pub fn pseudonym(salt: &[u8], identifier: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt).expect("HMAC takes a key of any length");
    mac.update(identifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
}

/// The partitions a month's identities are spread over, so no partition takes every new
/// recipient's write (each takes a thirty-second, far under DynamoDB's per-partition limit
/// at thousands of new recipients a second).
pub const SHARDS: u32 = 32;

/// The shard of a pseudonym (FNV-1a, so it is the same in every process).
pub fn shard(pseudonym: &str) -> u32 {
    let hash = pseudonym.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash % SHARDS
}

/// One request as the recipient counting sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub at: Timestamp,
    /// The signed-in account, if any.
    pub account: Option<String>,
    /// The pseudonymous device id (`X-Device-Id`), if any.
    pub device: Option<String>,
    /// `CloudFront-Viewer-Country`.
    pub country: Option<String>,
    pub user_agent: Option<String>,
}

/// A counted identity, hashed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Identity {
    Account(String),
    Device(String),
}

/// What one activity means for its month, before storage: the month, the identity it counts
/// for, and the device it links to that identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub identity: Identity,
    /// A device seen with the account: hashed.
    pub linked_device: Option<String>,
}

/// An activity as counting takes it, `None` when it does not count (a bot, outside the Union,
/// no identity). `hash` keys an identifier with the secret salt.
pub fn counted(activity: &Activity, hash: impl Fn(&str) -> String) -> Option<Counted> {
    if is_bot(activity.user_agent.as_deref()) || !in_union(activity.country.as_deref()) {
        return None;
    }
    let month = activity.at.strftime("%Y-%m").to_string();
    let device = activity.device.as_deref().filter(|d| !d.trim().is_empty()).map(|d| hash(&format!("device:{d}")));
    match activity.account.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(account) => Some(Counted {
            month,
            identity: Identity::Account(hash(&format!("account:{account}"))),
            linked_device: device,
        }),
        None => device.map(|d| Counted { month, identity: Identity::Device(d), linked_device: None }),
    }
}

/// The line a function reports for a counted request (`{"activity": "recipient", …}`), the
/// form in which the log subscription delivers it: the month and hashed identifiers only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub activity: String,
    pub month: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// The `activity` of a recipient line (the log subscription's filter matches it).
pub const LINE_KIND: &str = "recipient";

impl Line {
    pub fn of(counted: &Counted) -> Line {
        let (account, device) = match &counted.identity {
            Identity::Account(a) => (Some(a.clone()), counted.linked_device.clone()),
            Identity::Device(d) => (None, Some(d.clone())),
        };
        Line { activity: LINE_KIND.into(), month: counted.month.clone(), account, device }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a line of strings serializes")
    }

    /// A line read back, `None` when it is not a well-formed recipient line (another log
    /// line, or one damaged on the way): a month `YYYY-MM` and pseudonyms of 22 characters.
    pub fn parse(text: &str) -> Option<Counted> {
        let line: Line = serde_json::from_str(text).ok()?;
        let month_ok = line.month.len() == 7 && first_day(&line.month).is_some();
        let well_formed =
            |p: &String| p.len() == 22 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if line.activity != LINE_KIND || !month_ok || !line.account.iter().chain(&line.device).all(well_formed) {
            return None;
        }
        match (line.account, line.device) {
            (Some(account), device) => {
                Some(Counted { month: line.month, identity: Identity::Account(account), linked_device: device })
            }
            (None, Some(device)) => {
                Some(Counted { month: line.month, identity: Identity::Device(device), linked_device: None })
            }
            (None, None) => None,
        }
    }
}

/// What storage must record for one counted activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// The identity's first activity of the month: one conditional write.
    pub first_seen: Option<Identity>,
    /// The device's first link to an account this month.
    pub link: Option<(String, String)>,
    /// The change to the month's count.
    pub delta: i64,
}

/// One month's counting state, as storage keeps it: the identities seen and the devices
/// linked to an account.
#[derive(Debug, Clone, Default)]
pub struct Month {
    seen: BTreeSet<Identity>,
    linked: BTreeMap<String, String>,
    count: i64,
}

impl Month {
    pub fn count(&self) -> i64 {
        self.count
    }

    /// Applies one counted activity of this month.
    pub fn apply(&mut self, counted: &Counted) -> Effects {
        let mut effects = Effects::default();
        match &counted.identity {
            Identity::Account(account) => {
                if self.seen.insert(counted.identity.clone()) {
                    effects.first_seen = Some(counted.identity.clone());
                    effects.delta += 1;
                }
                if let Some(device) = &counted.linked_device
                    && !self.linked.contains_key(device)
                {
                    self.linked.insert(device.clone(), account.clone());
                    effects.link = Some((device.clone(), account.clone()));
                    // The device counted alone before: it was this account all along.
                    if self.seen.contains(&Identity::Device(device.clone())) {
                        effects.delta -= 1;
                    }
                }
            }
            Identity::Device(device) => {
                let id = Identity::Device(device.clone());
                if !self.seen.contains(&id) {
                    self.seen.insert(id.clone());
                    effects.first_seen = Some(id);
                    // An account's device adds no one.
                    if !self.linked.contains_key(device) {
                        effects.delta += 1;
                    }
                }
            }
        }
        self.count += effects.delta;
        effects
    }
}

/// The published figure: the last six complete months before `now`, their average, and
/// whether it reaches the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub months: Vec<MonthCount>,
    /// Rounded half up to a whole recipient.
    pub average: u64,
    pub vlop_threshold: u64,
    pub is_vlop: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthCount {
    pub month: String,
    pub unique_recipients: u64,
}

/// The first day of a month written `YYYY-MM`.
pub fn first_day(month: &str) -> Option<jiff::civil::Date> {
    format!("{month}-01").parse().ok()
}

/// The instant the month after `month` (`YYYY-MM`) starts, UTC.
pub fn month_end(month: &str) -> Option<Timestamp> {
    let next = first_day(month)?.checked_add(jiff::Span::new().months(1)).ok()?;
    next.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// The first instant of `now`'s month (UTC).
pub fn month_start(now: Timestamp) -> Timestamp {
    let first = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().first_of_month();
    first.to_zoned_datetime(jiff::tz::TimeZone::UTC).map_or(now, |z| z.timestamp())
}

/// The six complete months before `now`, oldest first (`YYYY-MM`).
pub fn last_six_months(now: Timestamp) -> Vec<String> {
    months_before(now, 6)
}

/// The `back` complete months before `now`, oldest first (`YYYY-MM`).
pub fn months_before(now: Timestamp, back: u8) -> Vec<String> {
    let first = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().first_of_month();
    (1..=i64::from(back))
        .rev()
        .filter_map(|b| first.checked_sub(jiff::Span::new().months(b)).ok())
        .map(|d| d.strftime("%Y-%m").to_string())
        .collect()
}

/// The report from each closed month's count. The last complete month may not be closed yet
/// (its late lines are still awaited): the six months then end with the one before it. A
/// month before the service had no recipient.
pub fn report(counts: &BTreeMap<String, u64>, now: Timestamp) -> Report {
    let mut window = last_six_months(now);
    if window.last().is_some_and(|last| !counts.contains_key(last)) {
        window = last_six_months(month_start(now) - jiff::SignedDuration::from_secs(1));
    }
    let months: Vec<MonthCount> = window
        .into_iter()
        .map(|month| MonthCount { unique_recipients: counts.get(&month).copied().unwrap_or(0), month })
        .collect();
    let total: u64 = months.iter().map(|m| m.unique_recipients).sum();
    let n = months.len().max(1) as u64;
    let average = (total + n / 2) / n;
    Report { months, average, vlop_threshold: VLOP_THRESHOLD, is_vlop: average >= VLOP_THRESHOLD }
}

/// The active recipients of a report's period (Art. 15 and 24(1)): each closed month lying
/// wholly in it, and their average (none without one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodRecipients {
    pub months: Vec<MonthCount>,
    pub average: Option<u64>,
}

pub fn over_period(counts: &BTreeMap<String, u64>, from: jiff::civil::Date, to: jiff::civil::Date) -> PeriodRecipients {
    let months: Vec<MonthCount> = counts
        .iter()
        .filter(|(month, _)| first_day(month).is_some_and(|first| first >= from && first.last_of_month() <= to))
        .map(|(month, n)| MonthCount { month: month.clone(), unique_recipients: *n })
        .collect();
    let n = months.len() as u64;
    let average = (n > 0).then(|| (months.iter().map(|m| m.unique_recipients).sum::<u64>() + n / 2) / n);
    PeriodRecipients { months, average }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a time")
    }

    fn hash(s: &str) -> String {
        format!("h({s})")
    }

    fn activity(day: &str, account: Option<&str>, device: Option<&str>) -> Activity {
        Activity {
            at: at(day),
            account: account.map(str::to_owned),
            device: device.map(str::to_owned),
            country: Some("FR".into()),
            user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1".into()),
        }
    }

    #[test]
    fn bots_the_world_outside_and_the_nameless_do_not_count() {
        assert!(is_bot(Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")));
        assert!(is_bot(Some("facebookexternalhit/1.1")));
        assert!(is_bot(None));
        assert!(!is_bot(Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36")));
        let mut a = activity("2026-11-03T10:00:00Z", Some("ana"), None);
        assert!(counted(&a, hash).is_some());
        a.country = Some("CH".into());
        assert!(counted(&a, hash).is_none(), "Switzerland is not in the Union");
        a.country = Some("NO".into());
        assert!(counted(&a, hash).is_none(), "the EEA's others are not either");
        a.country = None;
        assert!(counted(&a, hash).is_some(), "whereabouts unknown: counted, to err on the safe side");
        assert!(counted(&activity("2026-11-03T10:00:00Z", None, None), hash).is_none());
        let c = counted(&activity("2026-11-03T10:00:00Z", Some("ana"), Some("d1")), hash).expect("counts");
        assert_eq!(c.identity, Identity::Account("h(account:ana)".into()));
        assert_eq!(c.linked_device.as_deref(), Some("h(device:d1)"), "hashed, never kept as sent");
    }

    #[test]
    fn a_device_that_turns_out_to_be_an_account_s_is_counted_once_either_way() {
        let browse = counted(&activity("2026-11-03T10:00:00Z", None, Some("d1")), hash).expect("counts");
        let sign_in = counted(&activity("2026-11-05T10:00:00Z", Some("ana"), Some("d1")), hash).expect("counts");
        let mut forward = Month::default();
        assert_eq!(forward.apply(&browse).delta, 1);
        assert_eq!(forward.apply(&sign_in).delta, 0, "+1 for the account, −1 for its device");
        assert_eq!(forward.count(), 1);
        let mut backward = Month::default();
        assert_eq!(backward.apply(&sign_in).delta, 1);
        assert_eq!(backward.apply(&browse).delta, 0, "the account's device adds no one");
        assert_eq!(backward.count(), 1);
        // Already counted: nothing to write at all.
        assert_eq!(backward.apply(&sign_in), Effects::default());
        assert_eq!(backward.apply(&browse), Effects::default());
    }

    #[test]
    fn the_report_is_the_six_complete_months_before_now() {
        assert_eq!(
            last_six_months(at("2026-12-01T00:00:00Z")),
            ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
        );
        assert_eq!(last_six_months(at("2026-03-15T12:00:00Z"))[0], "2025-09");
        let counts: BTreeMap<String, u64> =
            [("2026-06", 10), ("2026-07", 11), ("2026-11", 45_000_000), ("2026-12", 99)]
                .into_iter()
                .map(|(m, c)| (m.to_owned(), c))
                .collect();
        let report = report(&counts, at("2026-12-10T00:00:00Z"));
        assert_eq!(report.months.len(), 6);
        assert_eq!(report.months[2], MonthCount { month: "2026-08".into(), unique_recipients: 0 });
        assert_eq!(report.average, (10 + 11 + 45_000_000 + 3) / 6, "rounded half up, December not complete");
        assert!(!report.is_vlop);
    }

    #[test]
    fn a_line_carries_pseudonyms_only_and_reads_back_as_it_was_counted() {
        let salt = b"a secret salt";
        let hash = |s: &str| pseudonym(salt, s);
        assert_eq!(hash("account:ana"), pseudonym(salt, "account:ana"), "the same in every process");
        assert_ne!(hash("account:ana"), pseudonym(b"another salt", "account:ana"));
        assert_eq!(hash("account:ana").len(), 22);
        let counted = counted(&activity("2026-11-03T10:00:00Z", Some("ana"), Some("d1")), hash).expect("counts");
        let line = Line::of(&counted).to_json();
        assert!(line.starts_with(r#"{"activity":"recipient","month":"2026-11","account":""#), "{line}");
        assert!(!line.contains("ana") && !line.contains("d1"), "no identifier as sent: {line}");
        assert_eq!(Line::parse(&line), Some(counted));
        for junk in [
            r#"{"level":"INFO","fields":{"message":"served"}}"#,
            r#"{"activity":"recipient","month":"2026-13","device":"AAAAAAAAAAAAAAAAAAAAAA"}"#,
            r#"{"activity":"recipient","month":"2026-11","device":"too-short"}"#,
            r#"{"activity":"recipient","month":"2026-11"}"#,
            r#"{"activity":"recipient","month":"2026-11","device":"AAAAAAAAAAAAAAAAAAAAAA","ip":"1.2.3.4"}"#,
            "not json",
        ] {
            assert_eq!(Line::parse(junk), None, "{junk}");
        }
        assert!(
            Line::parse(r#"{"activity":"recipient","month":"2026-11","device":"AAAAAAAAAAAAAAAAAAAAAA"}"#).is_some()
        );
    }

    #[test]
    fn shards_spread_pseudonyms_evenly() {
        let mut counts = [0u32; SHARDS as usize];
        for i in 0..32_000 {
            counts[shard(&pseudonym(b"salt", &format!("device:{i}"))) as usize] += 1;
        }
        assert!(counts.iter().all(|c| (800..1200).contains(c)), "{counts:?}");
    }

    #[test]
    fn a_month_not_closed_yet_shifts_the_window_back_by_one() {
        let counts: BTreeMap<String, u64> = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
            .iter()
            .map(|m| (m.to_string(), 6))
            .collect();
        let report = report(&counts, at("2026-12-01T10:00:00Z"));
        assert_eq!(report.months.first().map(|m| m.month.as_str()), Some("2026-05"));
        assert_eq!(report.months.last().map(|m| m.month.as_str()), Some("2026-10"), "November is not closed yet");
        assert_eq!(report.average, 6);
        assert_eq!(month_start(at("2026-12-31T23:59:59Z")), at("2026-12-01T00:00:00Z"));
        assert_eq!(month_end("2026-12"), Some(at("2027-01-01T00:00:00Z")));
        assert_eq!(month_end("2027-02"), Some(at("2027-03-01T00:00:00Z")));
        assert_eq!(month_end("2027-13"), None);
    }

    #[test]
    fn a_period_averages_its_whole_closed_months() {
        let counts: BTreeMap<String, u64> =
            [("2026-06", 10), ("2026-07", 20), ("2026-08", 31)].into_iter().map(|(m, c)| (m.to_owned(), c)).collect();
        let date = |s: &str| s.parse::<jiff::civil::Date>().expect("a date");
        let h = over_period(&counts, date("2026-06-01"), date("2026-08-31"));
        assert_eq!(h.months.len(), 3);
        assert_eq!(h.average, Some(20), "61 / 3 rounded");
        let partial = over_period(&counts, date("2026-06-02"), date("2026-08-30"));
        assert_eq!(partial.months.iter().map(|m| m.month.as_str()).collect::<Vec<_>>(), ["2026-07"]);
        assert_eq!(over_period(&counts, date("2025-01-01"), date("2025-12-31")), PeriodRecipients::default());
    }

    /// A synthetic population: accounts with several devices, anonymous devices, bots and
    /// visitors from outside the Union, active on random days of three months.
    fn population() -> impl Strategy<Value = Vec<(Activity, bool)>> {
        let one = (0u8..3, 1u8..29, prop::option::of(0u8..6), prop::option::of(0u8..10), 0u8..10, any::<bool>());
        prop::collection::vec(one, 1..120).prop_map(|events| {
            events
                .into_iter()
                .map(|(month, day, account, device, kind, duplicate)| {
                    let at: Timestamp = format!("2026-{:02}-{day:02}T12:00:00Z", 9 + month).parse().expect("a time");
                    let (country, agent) = match kind {
                        0 => ("FR", "Googlebot/2.1"),
                        1 => ("US", "Mozilla/5.0 Firefox/133.0"),
                        _ => (["FR", "DE", "nl", "IT"][usize::from(kind % 4)], "Mozilla/5.0 Firefox/133.0"),
                    };
                    let activity = Activity {
                        at,
                        account: account.map(|a| format!("acct-{a}")),
                        device: device.map(|d| format!("dev-{d}")),
                        country: Some(country.into()),
                        user_agent: Some(agent.into()),
                    };
                    (activity, duplicate)
                })
                .collect()
        })
    }

    /// The count by definition: per month, the accounts active in it plus the devices active
    /// in it never seen with an account in it.
    fn brute_force(events: &[Activity]) -> BTreeMap<String, i64> {
        let mut accounts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut devices: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut linked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for e in events {
            if is_bot(e.user_agent.as_deref()) || !in_union(e.country.as_deref()) {
                continue;
            }
            let month = e.at.strftime("%Y-%m").to_string();
            match (&e.account, &e.device) {
                (Some(a), d) => {
                    accounts.entry(month.clone()).or_default().insert(a.clone());
                    if let Some(d) = d {
                        linked.entry(month).or_default().insert(d.clone());
                    }
                }
                (None, Some(d)) => {
                    devices.entry(month).or_default().insert(d.clone());
                }
                (None, None) => {}
            }
        }
        let months: BTreeSet<&String> = accounts.keys().chain(devices.keys()).collect();
        months
            .into_iter()
            .map(|m| {
                let a = accounts.get(m).map_or(0, BTreeSet::len);
                let empty = BTreeSet::new();
                let l = linked.get(m).unwrap_or(&empty);
                let d = devices.get(m).map_or(0, |ds| ds.iter().filter(|d| !l.contains(*d)).count());
                (m.clone(), (a + d) as i64)
            })
            .collect()
    }

    proptest! {
        #[test]
        fn monthly_counts_match_a_brute_force_count_whatever_the_order_and_redelivery(
            events in population(),
            seed in any::<u64>(),
        ) {
            // Redelivered (duplicated) and reordered (shuffled by the seed).
            let mut delivered: Vec<&Activity> = Vec::new();
            for (activity, duplicate) in &events {
                delivered.push(activity);
                if *duplicate {
                    delivered.push(activity);
                }
            }
            let mut rng = fastrand::Rng::with_seed(seed);
            rng.shuffle(&mut delivered);
            let mut months: BTreeMap<String, Month> = BTreeMap::new();
            for activity in delivered {
                if let Some(counted) = counted(activity, hash) {
                    months.entry(counted.month.clone()).or_default().apply(&counted);
                }
            }
            let counts: BTreeMap<String, i64> = months.iter().map(|(m, s)| (m.clone(), s.count())).collect();
            let expected: BTreeMap<String, i64> = brute_force(&events.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>());
            prop_assert_eq!(&counts, &expected);
            // The six-month average over the same counts.
            let as_u64: BTreeMap<String, u64> = counts.iter().map(|(m, c)| (m.clone(), *c as u64)).collect();
            let report = report(&as_u64, at("2027-03-01T00:00:00Z"));
            let total: i64 = expected.values().sum();
            prop_assert_eq!(report.average, (total as u64 + 3) / 6);
        }
    }
}
