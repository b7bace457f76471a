//! The monthly active recipients (DSA Art. 24(2)) at the scale the threshold is about: tens of
//! millions of identities a month, bursts of thousands of new ones a second.
//!
//! - `AMAR#<month>#<shard>` / `A#<pseudonym>` or `D#<pseudonym>`: an account or a device
//!   active in the month, written once, by a conditional put (a repeat fails the condition and
//!   writes nothing). A device seen with an account is put with `linked`: it is that
//!   account's. The 32 shards keep every partition far under its write limit; no item is
//!   updated for every recipient, so there is no hot key.
//! - Once the month is over (and a day of late lines with it), [`Recipients::close_due`]
//!   counts each shard on DynamoDB's side — every identity minus the linked devices — and
//!   keeps the count in `AMAR` / `MONTH#<month>`, for good. The identities expire 100 days
//!   after their month.
//! - `AMAR` / `PUBLISHED#<key>` records each publication of the report.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use marketplace::dsa::publication;
use marketplace::dsa::recipients::{self, Identity, SHARDS, month_end};
use ports::{Blob, Condition, Index, Item, Key, Ports, Query, SortKey, Table, TableError, Value};

/// Late lines a month's count waits for after the month ends (a log subscription delivers
/// within minutes; redeliveries after a failed batch within hours).
pub const GRACE: SignedDuration = SignedDuration::from_hours(24);

/// How long a month's identities are kept after it ends: time to count it again if need be.
const IDENTITIES_KEPT: SignedDuration = SignedDuration::from_hours(24 * 100);

/// Where the published reports are kept: `<prefix>/<publication>/active-recipients.{json,csv,svg}`.
pub const PUBLICATION_PREFIX: &str = "dsa/active-recipients";

/// Months looked at for closing: the six of the report and the one before.
const MONTHS_BACK: u8 = 7;

const PK: &str = "AMAR";

pub struct Recipients<'a> {
    table: &'a dyn Table,
}

fn shard_pk(month: &str, shard: u32) -> String {
    format!("{PK}#{month}#{shard:02}")
}

fn identity_key(month: &str, identity: &Identity) -> Key {
    let (prefix, pseudonym) = match identity {
        Identity::Account(a) => ("A", a),
        Identity::Device(d) => ("D", d),
    };
    Key::new(shard_pk(month, recipients::shard(pseudonym)), format!("{prefix}#{pseudonym}"))
}

fn identity_item(month: &str, identity: &Identity, linked: bool) -> Item {
    let mut item = identity_key(month, identity).to_item();
    let expires = month_end(month).and_then(|end| end.checked_add(IDENTITIES_KEPT).ok());
    if let Some(expires) = expires {
        item.insert("ttl".into(), Value::N(expires.as_second()));
    }
    if linked {
        item.insert("linked".into(), Value::Bool(true));
    }
    item
}

impl<'a> Recipients<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// Records the identity's activity in the month: `true` for its first, `false` when it
    /// was there already (the condition failed and nothing was written).
    pub async fn first_seen(&self, month: &str, identity: &Identity) -> Result<bool, TableError> {
        match self.table.put(identity_item(month, identity, false), Some(Condition::NotExists)).await {
            Ok(()) => Ok(true),
            Err(TableError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records that the device was an account's in the month (so it never counts alone).
    pub async fn link(&self, month: &str, device: &str) -> Result<(), TableError> {
        self.table.put(identity_item(month, &Identity::Device(device.to_owned()), true), None).await
    }

    /// The month's unique recipients as recorded: accounts, and devices never an account's.
    pub async fn count(&self, month: &str) -> Result<u64, TableError> {
        // The shards at once: each is read in pages of 1 MB on the table's side.
        let shards = (0..SHARDS).map(|shard| async move {
            let query = Query::new(Index::Table, shard_pk(month, shard));
            let all = self.table.count(query.clone(), None).await?;
            let linked = self.table.count(query, Some(Condition::equals("linked", true))).await?;
            Ok::<u64, TableError>(all.saturating_sub(linked))
        });
        Ok(futures_util::future::try_join_all(shards).await?.into_iter().sum())
    }

    /// Every closed month's count.
    pub async fn closed(&self) -> Result<BTreeMap<String, u64>, TableError> {
        let mut counts = BTreeMap::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(
                    Query::new(Index::Table, PK)
                        .sort(SortKey::BeginsWith("MONTH#".into()))
                        .limit(ports::MAX_PAGE)
                        .cursor(cursor),
                )
                .await?;
            for item in &page.items {
                if let (Some(Value::S(month)), Some(Value::N(n))) = (item.get("month"), item.get("uniqueRecipients")) {
                    counts.insert(month.clone(), u64::try_from(*n).unwrap_or(0));
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(counts),
            }
        }
    }

    /// The months over (a [`GRACE`] ago) and not closed yet, oldest first.
    pub async fn due(&self, now: Timestamp) -> Result<Vec<String>, TableError> {
        let closed = self.closed().await?;
        Ok(recipients::months_before(now, MONTHS_BACK)
            .into_iter()
            .filter(|m| !closed.contains_key(m))
            .filter(|m| month_end(m).and_then(|end| end.checked_add(GRACE).ok()).is_some_and(|t| t <= now))
            .collect())
    }

    /// When a month was or will be due for closing: the earliest due one's end and grace, or
    /// else the current month's.
    pub async fn next_due(&self, now: Timestamp) -> Result<Option<Timestamp>, TableError> {
        let month = match self.due(now).await?.into_iter().next() {
            Some(month) => month,
            None => now.strftime("%Y-%m").to_string(),
        };
        Ok(month_end(&month).and_then(|end| end.checked_add(GRACE).ok()))
    }

    /// Counts and closes every due month; a month closed by another run keeps its count.
    /// Returns the months this run closed.
    pub async fn close_due(&self, now: Timestamp) -> Result<Vec<(String, u64)>, TableError> {
        let mut closed = Vec::new();
        for month in self.due(now).await? {
            let count = self.count(&month).await?;
            let mut item = Key::new(PK, format!("MONTH#{month}")).to_item();
            item.insert("month".into(), Value::from(month.as_str()));
            item.insert("uniqueRecipients".into(), Value::N(i64::try_from(count).unwrap_or(i64::MAX)));
            item.insert("closedAt".into(), Value::from(crate::keys::sortable(now)));
            match self.table.put(item, Some(Condition::NotExists)).await {
                Ok(()) => closed.push((month, count)),
                Err(TableError::ConditionFailed) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(closed)
    }

    /// Records a publication under `key` once: `false` when it was recorded before.
    pub async fn published(&self, key: &str, at: Timestamp, documents: &[String]) -> Result<bool, TableError> {
        let mut item = Key::new(PK, format!("PUBLISHED#{key}")).to_item();
        item.insert("publishedAt".into(), Value::from(crate::keys::sortable(at)));
        item.insert("documents".into(), Value::L(documents.iter().map(|d| Value::from(d.as_str())).collect()));
        match self.table.put(item, Some(Condition::NotExists)).await {
            Ok(()) => Ok(true),
            Err(TableError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether a publication was recorded under `key`.
    pub async fn was_published(&self, key: &str) -> Result<bool, TableError> {
        Ok(self.table.get(&Key::new(PK, format!("PUBLISHED#{key}"))).await?.is_some())
    }
}

/// The half-yearly publication due at `now` (Art. 24(2): at least once every six months):
/// `YYYY-02` from 2 February, once January is closed, and `YYYY-08` from 2 August.
pub fn scheduled_publication(now: Timestamp) -> String {
    let date = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let after = |month: i8| (date.month(), date.day()) >= (month, 2);
    match (after(2), after(8)) {
        (_, true) => format!("{:04}-08", date.year()),
        (true, false) => format!("{:04}-02", date.year()),
        _ => format!("{:04}-08", date.year() - 1),
    }
}

/// When the publication `key` (`YYYY-02` or `YYYY-08`) falls due: the 2nd of its month.
pub fn publication_due_at(key: &str) -> Option<Timestamp> {
    let day: jiff::civil::Date = format!("{key}-02").parse().ok()?;
    day.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// The half-yearly publication after `key`: the one due some six months later.
pub fn following_publication(key: &str) -> Option<String> {
    let later = publication_due_at(key)?.checked_add(SignedDuration::from_hours(24 * 200)).ok()?;
    Some(scheduled_publication(later))
}

/// Publishes the report as it stands at `now` under `publication` (JSON, CSV, the chart),
/// and records it. The documents are written before the record, so a crash in between
/// publishes the same documents again on the next run.
pub async fn publish(ports: &Ports, publication: &str, now: Timestamp) -> Result<Published, String> {
    let counts = Recipients::new(ports.table.as_ref()).closed().await.map_err(|e| e.to_string())?;
    let report = recipients::report(&counts, now);
    let json = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
    let documents = [
        ("json", "application/json", json),
        ("csv", "text/csv; charset=utf-8", publication::to_csv(&report).into_bytes()),
        ("svg", "image/svg+xml", publication::chart_svg(&report).into_bytes()),
    ];
    let mut keys = Vec::new();
    for (extension, content_type, bytes) in documents {
        let key = format!("{PUBLICATION_PREFIX}/{publication}/active-recipients.{extension}");
        ports.blobs.put(&key, Blob { bytes, content_type: content_type.into() }).await.map_err(|e| e.to_string())?;
        keys.push(key);
    }
    Recipients::new(ports.table.as_ref()).published(publication, now, &keys).await.map_err(|e| e.to_string())?;
    Ok(Published { publication: publication.to_owned(), documents: keys, report })
}

/// A publication's documents and the report they hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub publication: String,
    pub documents: Vec<String>,
    pub report: recipients::Report,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publication_is_due_every_six_months() {
        let at = |s: &str| s.parse::<Timestamp>().expect("a time");
        assert_eq!(scheduled_publication(at("2027-02-01T23:59:59Z")), "2026-08");
        assert_eq!(scheduled_publication(at("2027-02-02T00:00:00Z")), "2027-02");
        assert_eq!(scheduled_publication(at("2027-08-01T12:00:00Z")), "2027-02");
        assert_eq!(scheduled_publication(at("2027-08-02T00:00:00Z")), "2027-08");
        assert_eq!(scheduled_publication(at("2027-12-31T00:00:00Z")), "2027-08");
        assert_eq!(publication_due_at("2027-08"), Some(at("2027-08-02T00:00:00Z")));
        assert_eq!(following_publication("2027-02").as_deref(), Some("2027-08"));
        assert_eq!(following_publication("2027-08").as_deref(), Some("2028-02"));
    }
}
