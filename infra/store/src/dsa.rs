//! The DSA's records on the table: statements of reasons (Art. 17) and the notices to the
//! buyers of offers removed as illegal (Art. 32).
//!
//! - A statement is written in the transaction of the restriction it explains (the offer's
//!   removal, the seller's status change, each chunk of the cascade to its offers), so there
//!   is exactly one per restricted item. Its `puid` names the decision and the item.
//! - Its mail to the seller is queued in the same transaction (`Mails`); gsi1 `STATEMENTS`
//!   lists the statements, oldest first, for submission in batches.
//! - A paid order leaves a `SALE` under each of its offers (kept seven months); the removal of
//!   an offer as illegal lists it on gsi2 `BUYER_NOTICES#DUE` in the same transaction. The
//!   `notifications` job queues one mail per offer and buyer, under an id naming both, so a
//!   buyer is told once however often it runs.

use jiff::{SignedDuration, Timestamp};
use marketplace::dsa::Statement;
use marketplace::dsa::notice::ContentType;
use marketplace::offer::RemovalReason;
use marketplace::order::Order;
use ports::{Condition, Cursor, Index, Query, SortKey, Table, TableError, TxOp, Value};
use serde::{Deserialize, Serialize};

use crate::{keys, record};

/// How long a sale is kept for Art. 32: six months and a margin.
const SALE_KEPT: SignedDuration = SignedDuration::from_hours(24 * 214);

/// A statement as stored: the statement itself and who it is mailed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredStatement {
    pub statement: Statement,
    /// The seller the decision concerns: its trader e-mail receives the statement.
    pub seller_id: String,
    /// The restricted item, for a complaint about the decision (statements recorded before
    /// complaints have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<About>,
    pub created_at: Timestamp,
}

/// What a statement's decision restricted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct About {
    /// `None` for an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    pub id: String,
    /// The notice it decided, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<String>,
}

pub struct Dsa<'a> {
    table: &'a dyn Table,
}

/// An offer removed as illegal whose buyers are being told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuyerNotices {
    pub offer_id: String,
    pub product_id: String,
    pub seller_id: String,
    pub reason: RemovalReason,
    pub removed_at: Timestamp,
}

/// A buyer of an offer: the order that bought it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sale {
    pub order_id: String,
    pub buyer: String,
    pub paid_at: Timestamp,
}

impl<'a> Dsa<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// The writes of a new statement, to go in the transaction of its restriction: the
    /// statement, and its mail to the seller at `seller_email`.
    pub fn record(stored: &StoredStatement, seller_email: &str) -> Result<Vec<TxOp>, TableError> {
        let puid = &stored.statement.puid;
        let (subject, body) = marketplace::dsa::mail::statement_mail(&stored.statement);
        let mail = ports::Mail { to: seller_email.to_owned(), subject, body };
        Ok(vec![Self::put(stored)?, crate::Mails::queue(&format!("sor-{puid}"), &mail, stored.created_at)])
    }

    /// The write of a new statement alone, for a decision whose mail says more (a notice's).
    pub fn put(stored: &StoredStatement) -> Result<TxOp, TableError> {
        let puid = &stored.statement.puid;
        let mut item = record::item(stored, &keys::statement_of_reasons(puid), "statement_of_reasons")?;
        item.insert("gsi1pk".into(), Value::from(keys::STATEMENTS_PK));
        item.insert("gsi1sk".into(), Value::from(format!("{}#{puid}", keys::sortable(stored.created_at))));
        Ok(TxOp::Put { item, condition: Some(Condition::NotExists) })
    }

    pub async fn statement(&self, puid: &str) -> Result<Option<StoredStatement>, TableError> {
        self.table.get(&keys::statement_of_reasons(puid)).await?.as_ref().map(record::entity).transpose()
    }

    /// Every statement recorded from `from` to before `to`, oldest first.
    pub async fn statements_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<StoredStatement>, TableError> {
        let query = Query::new(Index::Gsi1, keys::STATEMENTS_PK)
            .sort(SortKey::Between(keys::sortable(from), keys::sortable(to)));
        record::all(self.table, query).await
    }

    /// A page of every statement, oldest first.
    pub async fn statements(
        &self,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<StoredStatement>, Option<Cursor>), TableError> {
        record::page(self.table.query(Query::new(Index::Gsi1, keys::STATEMENTS_PK).limit(limit).cursor(cursor)).await?)
    }

    /// The writes that record a paid order's sales under each of its offers.
    pub fn sales(order: &Order, paid_at: Timestamp) -> Vec<TxOp> {
        let ttl = paid_at.checked_add(SALE_KEPT).unwrap_or(paid_at).as_second();
        order
            .lines
            .iter()
            .map(|line| {
                let mut item = keys::sale(&line.offer_id, paid_at, &order.id).to_item();
                item.insert("kind".into(), Value::from("sale"));
                item.insert("orderId".into(), Value::from(order.id.as_str()));
                item.insert("buyer".into(), Value::from(order.buyer.as_str()));
                item.insert("paidAt".into(), record::timestamp(paid_at));
                item.insert("ttl".into(), Value::N(ttl));
                TxOp::Put { item, condition: None }
            })
            .collect()
    }

    /// A page of an offer's sales paid at or after `since`, oldest first.
    pub async fn sales_since(
        &self,
        offer_id: &str,
        since: Timestamp,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Sale>, Option<Cursor>), TableError> {
        let from = format!("{}{}", keys::sales_prefix(), keys::sortable(since));
        let query = Query::new(Index::Table, format!("OFFER#{offer_id}"))
            .sort(SortKey::Between(from, format!("{}~", keys::sales_prefix())))
            .limit(limit)
            .cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// The write that lists an offer's buyers to be told, with its removal as illegal.
    pub fn notify_buyers(notices: &BuyerNotices) -> Result<TxOp, TableError> {
        let mut item = record::item(notices, &keys::buyer_notices_due(&notices.offer_id), "buyer_notices")?;
        item.insert("gsi2pk".into(), Value::from(keys::BUYER_NOTICES_DUE_PK));
        item.insert(
            "gsi2sk".into(),
            Value::from(format!("{}#{}", keys::sortable(notices.removed_at), notices.offer_id)),
        );
        Ok(TxOp::Put { item, condition: None })
    }

    /// Offers whose buyers are still to be told, oldest removal first.
    pub async fn buyer_notices_due(&self, limit: u32) -> Result<Vec<BuyerNotices>, TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::BUYER_NOTICES_DUE_PK).limit(limit)).await?;
        Ok(record::page(page)?.0)
    }

    pub async fn any_buyer_notices_due(&self) -> Result<bool, TableError> {
        Ok(record::earliest_due(self.table, keys::BUYER_NOTICES_DUE_PK).await?.is_some())
    }

    /// Every buyer of the offer was told (or shown the notice): off the list.
    pub async fn buyers_told(&self, offer_id: &str) -> Result<(), TableError> {
        self.table.delete(&keys::buyer_notices_due(offer_id), None).await
    }

    /// Shows the notice on the product page, for buyers the platform cannot mail.
    pub async fn show_on_product(
        &self,
        product_id: &str,
        offer_id: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<(), TableError> {
        let mut item = keys::product_notice(product_id, offer_id).to_item();
        item.insert("kind".into(), Value::from("product_notice"));
        item.insert("offerId".into(), Value::from(offer_id));
        item.insert("text".into(), Value::from(text));
        item.insert("shownFrom".into(), record::timestamp(now));
        self.table.put(item, None).await
    }

    /// The notices a product page shows.
    pub async fn product_notices(&self, product_id: &str) -> Result<Vec<String>, TableError> {
        let query =
            Query::new(Index::Table, format!("PRODUCT#{product_id}")).sort(SortKey::BeginsWith("NOTICE#".into()));
        let page = self.table.query(query).await?;
        Ok(page.items.iter().filter_map(|i| i.get("text").and_then(Value::as_str).map(str::to_owned)).collect())
    }
}
