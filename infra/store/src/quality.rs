//! Sellers' standing for the ranking (R-RANK) on the table.
//!
//! - Processing-quality counts are written in the transaction of the change they count: a
//!   part's delivery ([`SellerQuality::follow`]) or a help request ([`SellerQuality::help`]).
//!   A retried request fails that change's own condition and counts nothing, so no event can
//!   count twice; a help request counts once per order line and reason (its claim).
//! - Each count goes to the seller's running totals (`q_…` on its `RATING` item, beside the
//!   review counters) and to the day's bucket (`QUALITY#<day>`). The daily sweep
//!   ([`SellerQuality::expire`]) takes each bucket that left the window off the totals and
//!   deletes it, in one transaction conditional on the bucket as read, so a read never scans
//!   a seller's history and a re-run subtracts nothing twice.
//! - The `RATING` item also carries the seller's status, written with every change of the
//!   seller: the ranked listing reads one item per seller.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use marketplace::help::HelpRequest;
use marketplace::order::Order;
use marketplace::ranking::quality::{self, Event};
use marketplace::ranking::{Quality, Ratings};
use marketplace::seller::SellerStatus;
use ports::{Condition, Index, Item, Key, Query, SortKey, Table, TableError, TxOp, Update, Value};

use crate::keys;

/// The counters' names on the seller's `RATING` item and on its day buckets.
const PREFIX: &str = "q_";
const NAMES: [&str; 5] = ["delivered", "defective", "wrongItem", "cosmetic", "late"];

pub struct SellerQuality<'a> {
    table: &'a dyn Table,
}

/// What the ranking knows of a seller: its status, its rating and its quality in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// `None` for a seller whose status was never written here (treated as not active).
    pub status: Option<SellerStatus>,
    pub ratings: Ratings,
    pub quality: Quality,
}

fn number(item: &Item, name: &str) -> i64 {
    item.get(name).and_then(Value::as_n).unwrap_or(0)
}

fn standing(item: &Item) -> Standing {
    let status = item
        .get("sellerStatus")
        .and_then(Value::as_str)
        .and_then(|s| SellerStatus::ALL.into_iter().find(|x| x.as_str() == s));
    Standing {
        status,
        ratings: Ratings { count: number(item, "count"), sum: number(item, "sum") },
        quality: Quality::from_counters(|name| number(item, &format!("{PREFIX}{name}"))),
    }
}

/// The writes that count `event` for `seller_id` on `day`.
pub fn count(seller_id: &str, day: Date, event: &Event) -> Vec<TxOp> {
    let counters = event.counters();
    if counters.is_empty() {
        return Vec::new();
    }
    let bucket = Update::new()
        .set("kind", "quality_day")
        .set("sellerId", seller_id)
        .set("day", day.to_string())
        .set("gsi2pk", keys::QUALITY_DAYS_PK)
        .set("gsi2sk", format!("{day}#{seller_id}"));
    let totals = Update::new().set("kind", "rating");
    let (bucket, totals) = counters.iter().fold((bucket, totals), |(b, t), (name, by)| {
        let name = format!("{PREFIX}{name}");
        (b.add(&name, *by), t.add(&name, *by))
    });
    vec![
        TxOp::Update { key: keys::seller_quality_day(seller_id, day), update: bucket, condition: None },
        TxOp::Update { key: keys::seller_rating(seller_id), update: totals, condition: None },
    ]
}

fn day_of(at: Timestamp) -> Date {
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// The write that records a seller's status where the ranking reads it.
pub fn status(seller_id: &str, status: SellerStatus) -> TxOp {
    TxOp::Update {
        key: keys::seller_rating(seller_id),
        update: Update::new().set("kind", "rating").set("sellerStatus", status.as_str()),
        condition: None,
    }
}

impl<'a> SellerQuality<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// The writes to go with a change of an order from `before` to `after`: the deliveries it
    /// makes, counted on the day they happened.
    pub fn follow(before: &Order, after: &Order) -> Vec<TxOp> {
        let deliveries = quality::deliveries(before, after);
        deliveries
            .iter()
            .flat_map(|(seller, event)| {
                let at = after.part(seller).and_then(|p| p.delivered_at).unwrap_or(Timestamp::UNIX_EPOCH);
                count(seller, day_of(at), event)
            })
            .collect()
    }

    /// The writes to go with a new help request: its claim and its counts, unless its reason
    /// does not count or the line was counted for that reason before.
    pub async fn help(&self, request: &HelpRequest) -> Result<Vec<TxOp>, TableError> {
        let Some(event) = quality::help(request) else { return Ok(Vec::new()) };
        let claim = keys::help_counted(&request.order_id, &request.offer_id, request.reason.as_str());
        if self.table.get(&claim).await?.is_some() {
            return Ok(Vec::new());
        }
        let mut item = claim.to_item();
        item.insert("kind".into(), Value::from("help_counted"));
        item.insert("helpId".into(), Value::from(request.id.as_str()));
        let mut ops = vec![TxOp::Put { item, condition: Some(Condition::NotExists) }];
        ops.extend(count(&request.seller_id, day_of(request.created_at), &event));
        Ok(ops)
    }

    /// Slides the window: every day bucket before `first_day` (the window's first day) is
    /// taken off its seller's totals and deleted, up to `limit` buckets. Returns how many.
    pub async fn expire(&self, first_day: Date, limit: u32) -> Result<usize, TableError> {
        let last = first_day.yesterday().map_err(|e| TableError::InvalidRequest(e.to_string()))?;
        let query = Query::new(Index::Gsi2, keys::QUALITY_DAYS_PK)
            .sort(SortKey::Between("0".into(), format!("{last}#~")))
            .limit(limit);
        let page = self.table.query(query).await?;
        let mut expired = 0;
        for bucket in &page.items {
            let Some(key) = Key::of(bucket) else { continue };
            let Some(seller) = bucket.get("sellerId").and_then(Value::as_str) else { continue };
            // The counters the bucket holds (a day counts only what happened on it).
            let counted: Vec<(String, i64)> = NAMES
                .iter()
                .map(|n| format!("{PREFIX}{n}"))
                .filter_map(|n| bucket.get(&n).and_then(Value::as_n).map(|v| (n, v)))
                .collect();
            let as_read = Condition::And(counted.iter().map(|(n, v)| Condition::equals(n, *v)).collect());
            let back = counted.iter().fold(Update::new(), |u, (n, v)| u.add(n, -v));
            let ops = vec![
                TxOp::Delete { key, condition: Some(as_read) },
                TxOp::Update { key: keys::seller_rating(seller), update: back, condition: None },
            ];
            match self.table.transact(ops).await {
                Ok(()) => expired += 1,
                // Gone or changed since read: the next run reads it again.
                Err(TableError::TransactionCanceled { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(expired)
    }

    /// The oldest day still counted (`None`: no bucket), for the local runner's probe.
    pub async fn oldest_day(&self) -> Result<Option<Date>, TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::QUALITY_DAYS_PK).limit(1)).await?;
        let sk = page.items.first().and_then(|i| i.get("gsi2sk")).and_then(Value::as_str).map(str::to_owned);
        Ok(sk.and_then(|sk| sk.split('#').next().and_then(|d| d.parse().ok())))
    }

    /// One seller's standing.
    pub async fn of(&self, seller_id: &str) -> Result<Standing, TableError> {
        Ok(self.table.get(&keys::seller_rating(seller_id)).await?.as_ref().map(standing).unwrap_or_default())
    }

    /// A product's rating and the standing of each of `seller_ids`, in as few batched reads as
    /// DynamoDB allows (100 keys each).
    pub async fn for_ranking(
        &self,
        product_id: &str,
        seller_ids: &[&str],
    ) -> Result<(Ratings, HashMap<String, Standing>), TableError> {
        let mut keys = vec![keys::product_rating(product_id)];
        keys.extend(seller_ids.iter().map(|id| keys::seller_rating(id)));
        let mut items = Vec::new();
        for chunk in keys.chunks(100) {
            items.extend(self.table.get_many(chunk).await?);
        }
        let product_key = keys::product_rating(product_id);
        let mut product = Ratings::default();
        let mut sellers = HashMap::new();
        for item in &items {
            if Key::of(item).as_ref() == Some(&product_key) {
                product = Ratings { count: number(item, "count"), sum: number(item, "sum") };
            } else if let Some(id) = item.get("pk").and_then(Value::as_str).and_then(|pk| pk.strip_prefix("SELLER#")) {
                sellers.insert(id.to_owned(), standing(item));
            }
        }
        Ok((product, sellers))
    }
}
