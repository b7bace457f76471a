//! Monthly active recipients in the Union (DSA Art. 24(2)): who counts, how a person is
//! counted once, and the six-month average.
//!
//! - A recipient is a signed-in account (`sub`) or, for a visitor who is not signed in, the
//!   pseudonymous device id the web client sends. Both are hashed with a secret salt before
//!   anything is kept, so no stored key is an identifier.
//! - Known bots and crawlers (by user agent) and visitors outside the Union do not count.
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

use jiff::Timestamp;
use serde::Serialize;

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

pub fn in_union(country: Option<&str>) -> bool {
    country.is_some_and(|c| UNION.contains(&c.trim().to_ascii_uppercase().as_str()))
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

/// The six complete months before `now`, oldest first (`YYYY-MM`).
pub fn last_six_months(now: Timestamp) -> Vec<String> {
    let date = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let first = date.first_of_month();
    (1..=6)
        .rev()
        .filter_map(|back| first.checked_sub(jiff::Span::new().months(back)).ok())
        .map(|d| d.strftime("%Y-%m").to_string())
        .collect()
}

/// The report from each month's count (a month with no count had no recipient).
pub fn report(counts: &BTreeMap<String, u64>, now: Timestamp) -> Report {
    let months: Vec<MonthCount> = last_six_months(now)
        .into_iter()
        .map(|month| MonthCount { unique_recipients: counts.get(&month).copied().unwrap_or(0), month })
        .collect();
    let total: u64 = months.iter().map(|m| m.unique_recipients).sum();
    let n = months.len().max(1) as u64;
    let average = (total + n / 2) / n;
    Report { months, average, vlop_threshold: VLOP_THRESHOLD, is_vlop: average >= VLOP_THRESHOLD }
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
