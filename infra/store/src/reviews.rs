//! Reviews on the table. A review is one item; a claim on its order line makes it the line's
//! only one (written in the same transaction, so a second submission fails atomically). A
//! published review is copied into one sorted list per sort order of its product (newest,
//! highest, lowest, and the relevance list of its tier and rating) and into its seller's list,
//! so a page is one query; the product's and the seller's rating counters move in the same
//! transaction as the review, so a rating always equals its published reviews. Every change
//! is conditional on the review's version: a redelivered publication, a late edit or a
//! concurrent delete change nothing twice.

use base64::Engine;
use marketplace::reviews::aggregate::Tally;
use marketplace::reviews::relevance::{self, Counts, Slot, TIERS};
use marketplace::reviews::{Review, ReviewStatus};
use ports::{Condition, Cursor, Index, Item, Key, Query, Table, TableError, TxOp, Update, Value};
use serde::{Deserialize, Serialize};

use crate::keys::sortable;
use crate::{keys, record};

/// The queue that carries submitted and edited reviews to publication.
pub const PUBLICATION_QUEUE: &str = "review-publication";

/// The sort orders of a product's reviews (R-REV-RANK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSort {
    Relevance,
    Newest,
    Highest,
    Lowest,
}

/// The outcome of a submission.
#[derive(Debug, PartialEq, Eq)]
pub enum Submitted {
    Created,
    /// The line already has its review.
    AlreadyReviewed,
}

pub struct Reviews<'a> {
    table: &'a dyn Table,
}

fn review_item(review: &Review) -> Result<Item, TableError> {
    let mut item = record::item(review, &keys::review(&review.id), "review")?;
    // The author's list holds every review not deleted; the due list those not yet published.
    if review.status != ReviewStatus::Deleted {
        item.insert("gsi1pk".into(), Value::from(keys::buyer_reviews_pk(&review.buyer)));
        item.insert("gsi1sk".into(), Value::from(format!("{}#{}", sortable(review.submitted_at), review.id)));
    }
    if review.status == ReviewStatus::Submitted {
        item.insert("gsi2pk".into(), Value::from(keys::REVIEWS_PENDING_PK));
        item.insert("gsi2sk".into(), Value::from(format!("{}#{}", sortable(review.publish_by), review.id)));
    }
    Ok(item)
}

/// The lists a published review appears in, with its sort key in each.
fn listings(review: &Review) -> Vec<Key> {
    let published = review.published_at.unwrap_or(review.submitted_at);
    let at = sortable(published);
    // Lowest first with the newest first among equals: the time inverted.
    let inverted = format!("{:020}", i128::from(i64::MAX) - i128::from(published.as_microsecond()));
    let slot = Slot { tier: relevance::tier(review.comment.as_deref()), rating: review.rating };
    let length = relevance::length(review.comment.as_deref());
    let product = |list: &str, sk: String| Key::new(keys::product_reviews_pk(&review.product_id, list), sk);
    vec![
        product("newest", format!("{at}#{}", review.id)),
        product("highest", format!("{}#{at}#{}", review.rating, review.id)),
        product("lowest", format!("{}#{inverted}#{}", review.rating, review.id)),
        product(&relevance_list(slot), format!("{length:04}#{at}#{}", review.id)),
        Key::new(keys::seller_reviews_pk(&review.seller_id), format!("{at}#{}", review.id)),
    ]
}

fn relevance_list(slot: Slot) -> String {
    format!("relevance{}", slot.index())
}

fn listing_puts(review: &Review) -> Result<Vec<TxOp>, TableError> {
    listings(review)
        .iter()
        .map(|key| Ok(TxOp::Put { item: record::item(review, key, "review_listing")?, condition: None }))
        .collect()
}

fn listing_deletes(review: &Review) -> Vec<TxOp> {
    listings(review).into_iter().map(|key| TxOp::Delete { key, condition: None }).collect()
}

/// The counter updates that take `before` (when published) out of the product's and seller's
/// ratings and put `after` (when published) in: one update per rating, none when nothing
/// changes (a reply).
fn rating_updates(before: Option<&Review>, after: Option<&Review>) -> Vec<TxOp> {
    let mut deltas: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for (review, sign) in [(before, -1), (after, 1)] {
        for (name, delta) in review.map(|r| Tally::contribution(r, sign)).unwrap_or_default() {
            *deltas.entry(name).or_default() += delta;
        }
    }
    deltas.retain(|_, delta| *delta != 0);
    let Some(review) = after.or(before) else { return Vec::new() };
    if deltas.is_empty() {
        return Vec::new();
    }
    let update = deltas.iter().fold(Update::new(), |update, (name, delta)| update.add(name, *delta));
    [keys::product_rating(&review.product_id), keys::seller_rating(&review.seller_id)]
        .into_iter()
        .map(|key| TxOp::Update { key, update: update.clone(), condition: None })
        .collect()
}

/// The write of `after` in place of `before`, unless the review changed meanwhile.
fn replace(before: &Review, after: &Review) -> Result<TxOp, TableError> {
    Ok(TxOp::Put {
        item: review_item(after)?,
        condition: Some(Condition::equals("version", i64::from(before.version))),
    })
}

/// A relevance page's position: per list, how many reviews earlier pages took, where it goes
/// on, and whether it is exhausted.
#[derive(Debug, Default, Serialize, Deserialize)]
struct RelevanceCursor {
    taken: Vec<u64>,
    next: Vec<Option<String>>,
    done: Vec<bool>,
}

/// More reviews than any list holds: a cursor claiming more is not one this list gave.
const MAX_TAKEN: u64 = 1 << 40;

impl<'a> Reviews<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Review>, TableError> {
        self.table.get(&keys::review(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Stores a new review with the claim on its line, atomically.
    pub async fn submit(&self, review: &Review) -> Result<Submitted, TableError> {
        let mut claim = keys::review_claim(&review.order_id, &review.offer_id).to_item();
        claim.insert("kind".into(), Value::from("review_claim"));
        claim.insert("reviewId".into(), Value::from(review.id.as_str()));
        let ops = vec![
            TxOp::Put { item: claim, condition: Some(Condition::NotExists) },
            TxOp::Put { item: review_item(review)?, condition: Some(Condition::NotExists) },
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(Submitted::Created),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Ok(Submitted::AlreadyReviewed),
            Err(e) => Err(e),
        }
    }

    /// The review of one order line, if its buyer wrote one.
    pub async fn of_line(&self, order_id: &str, offer_id: &str) -> Result<Option<Review>, TableError> {
        let claim = self.table.get(&keys::review_claim(order_id, offer_id)).await?;
        match claim.as_ref().and_then(|c| c.get("reviewId")).and_then(Value::as_str) {
            Some(id) => self.get(id).await,
            None => Ok(None),
        }
    }

    /// Which of these order lines (order id, offer id) already have a review: batched reads of
    /// their claims.
    pub async fn claimed(&self, lines: &[(&str, &str)]) -> Result<Vec<(String, String)>, TableError> {
        let keys: Vec<Key> = lines.iter().map(|(order, offer)| keys::review_claim(order, offer)).collect();
        let mut claimed = Vec::new();
        for chunk in keys.chunks(100) {
            for item in self.table.get_many(chunk).await? {
                let Some(key) = Key::of(&item) else { continue };
                let order = key.pk.trim_start_matches("ORDER#").to_owned();
                claimed.push((order, key.sk.trim_start_matches("REVIEW#").to_owned()));
            }
        }
        Ok(claimed)
    }

    /// Replaces `before` with `after`, moving the review in or out of its lists and ratings as
    /// its publication changes. `Err(ConditionFailed)` when the review changed meanwhile.
    pub async fn change(&self, before: &Review, after: &Review) -> Result<(), TableError> {
        self.change_with(before, after, Vec::new()).await
    }

    /// [`Reviews::change`] with `also` in the same transaction (the review's own write first).
    pub async fn change_with(&self, before: &Review, after: &Review, also: Vec<TxOp>) -> Result<(), TableError> {
        let was = before.status == ReviewStatus::Published;
        let is = after.status == ReviewStatus::Published;
        let mut ops = vec![replace(before, after)?];
        if was {
            ops.extend(listing_deletes(before));
        }
        if is {
            ops.extend(listing_puts(after)?);
        }
        ops.extend(rating_updates(was.then_some(before), is.then_some(after)));
        ops.extend(also);
        match self.table.transact(dedupe(ops)).await {
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Err(TableError::ConditionFailed),
            other => other,
        }
    }

    /// The first author of a text (by its fingerprint), recording `buyer` as its author when
    /// it is new.
    pub async fn first_author_of(&self, fingerprint: &str, buyer: &str) -> Result<String, TableError> {
        let key = keys::review_text(fingerprint);
        let mut item = key.to_item();
        item.insert("kind".into(), Value::from("review_text"));
        item.insert("buyer".into(), Value::from(buyer));
        match self.table.put(item, Some(Condition::NotExists)).await {
            Ok(()) => Ok(buyer.to_owned()),
            Err(TableError::ConditionFailed) => {
                let existing = self.table.get(&key).await?;
                Ok(existing.and_then(|i| i.get("buyer").and_then(Value::as_str).map(str::to_owned)).unwrap_or_default())
            }
            Err(e) => Err(e),
        }
    }

    /// Reviews still waiting for publication whose deadline is before `until`, earliest first.
    pub async fn pending(&self, until: jiff::Timestamp, limit: u32) -> Result<Vec<Review>, TableError> {
        let query = Query::new(Index::Gsi2, keys::REVIEWS_PENDING_PK)
            .sort(ports::SortKey::Between("0".into(), format!("{}~", sortable(until))))
            .limit(limit);
        Ok(record::page(self.table.query(query).await?)?.0)
    }

    /// A page of the author's reviews in every state but deleted, newest first.
    pub async fn of_buyer(
        &self,
        buyer: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Review>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi1, keys::buyer_reviews_pk(buyer)).descending().limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// A page of a seller's published reviews, newest first.
    pub async fn of_seller(
        &self,
        seller_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Review>, Option<Cursor>), TableError> {
        let query =
            Query::new(Index::Table, keys::seller_reviews_pk(seller_id)).descending().limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// A product's or a seller's rating.
    pub async fn tally(&self, key: &Key) -> Result<Tally, TableError> {
        let item = self.table.get(key).await?.unwrap_or_default();
        Ok(Tally::from_counters(|name| item.get(name).and_then(Value::as_n).unwrap_or(0)))
    }

    pub async fn product_tally(&self, product_id: &str) -> Result<Tally, TableError> {
        self.tally(&keys::product_rating(product_id)).await
    }

    pub async fn seller_tally(&self, seller_id: &str) -> Result<Tally, TableError> {
        self.tally(&keys::seller_rating(seller_id)).await
    }

    /// A page of a product's published reviews in `sort` order. Relevance is planned from the
    /// product's counts (`tally`) and read from the few lists the page draws on.
    pub async fn of_product(
        &self,
        product_id: &str,
        sort: ReviewSort,
        tally: &Tally,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Review>, Option<Cursor>), TableError> {
        let list = |name: &str| Query::new(Index::Table, keys::product_reviews_pk(product_id, name));
        let query = match sort {
            ReviewSort::Newest => list("newest").descending(),
            ReviewSort::Highest => list("highest").descending(),
            ReviewSort::Lowest => list("lowest"),
            ReviewSort::Relevance => return self.by_relevance(product_id, tally, limit, cursor).await,
        };
        record::page(self.table.query(query.limit(limit).cursor(cursor)).await?)
    }

    async fn by_relevance(
        &self,
        product_id: &str,
        tally: &Tally,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Review>, Option<Cursor>), TableError> {
        let lists = TIERS * 5;
        let mut position = match cursor {
            None => RelevanceCursor { taken: vec![0; lists], next: vec![None; lists], done: vec![false; lists] },
            Some(c) => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c.0.as_bytes())
                .ok()
                .and_then(|bytes| serde_json::from_slice::<RelevanceCursor>(&bytes).ok())
                .filter(|p| p.taken.len() == lists && p.next.len() == lists && p.done.len() == lists)
                .filter(|p| p.taken.iter().all(|t| *t <= MAX_TAKEN))
                .ok_or(TableError::InvalidCursor)?,
        };
        let counts = tally.relevance_counts();
        let mut page = Vec::new();
        // A list can turn out shorter than its counter said (a review deleted from the part an
        // earlier page read): it is marked done and the places left are planned again.
        for _ in 0..=lists {
            let places = (limit as usize).saturating_sub(page.len());
            let mut sizes: Counts = [0; TIERS * 5];
            let mut taken: Counts = [0; TIERS * 5];
            for i in 0..lists {
                taken[i] = position.taken[i];
                sizes[i] = if position.done[i] { taken[i] } else { counts[i].max(taken[i]) };
            }
            let plan = relevance::plan(&sizes, &taken, places);
            if plan.is_empty() {
                break;
            }
            let mut wanted = vec![0u32; lists];
            for slot in &plan {
                wanted[slot.index()] += 1;
            }
            // The lists the plan draws on, read at once.
            let reads = Slot::all().filter(|slot| wanted[slot.index()] > 0).map(|slot| {
                let i = slot.index();
                let query = Query::new(Index::Table, keys::product_reviews_pk(product_id, &relevance_list(slot)))
                    .descending()
                    .limit(wanted[i])
                    .cursor(position.next[i].clone().map(Cursor));
                async move { Ok::<_, TableError>((i, record::page::<Review>(self.table.query(query).await?)?)) }
            });
            let mut drawn: Vec<std::collections::VecDeque<Review>> = vec![Default::default(); lists];
            let mut short = false;
            for (i, (reviews, next)) in futures_util::future::try_join_all(reads).await? {
                position.taken[i] += reviews.len() as u64;
                position.done[i] = next.is_none();
                short |= reviews.len() < wanted[i] as usize;
                position.next[i] = next.map(|c| c.0);
                drawn[i] = reviews.into();
            }
            page.extend(plan.iter().filter_map(|slot| drawn[slot.index()].pop_front()));
            if !short {
                break;
            }
        }
        let more = (0..lists).any(|i| !position.done[i] && counts[i] > position.taken[i]);
        let next = more
            .then(|| serde_json::to_vec(&position).ok())
            .flatten()
            .map(|bytes| Cursor(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)));
        Ok((page, next))
    }
}

/// One write per key: when a review stays in a list under the same key, its delete and put
/// become the put alone (a transaction may touch an item once).
fn dedupe(ops: Vec<TxOp>) -> Vec<TxOp> {
    let mut out: Vec<TxOp> = Vec::with_capacity(ops.len());
    for op in ops {
        let key = op.key();
        match out.iter().position(|o| key.is_some() && o.key() == key && matches!(o, TxOp::Delete { .. })) {
            Some(existing) => out[existing] = op,
            None => out.push(op),
        }
    }
    out
}
