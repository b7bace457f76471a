//! The DSA's records on the table: statements of reasons (Art. 17) and the notices to the
//! buyers of offers removed as illegal (Art. 32).
//!
//! - A statement is written in the transaction of the restriction it explains (the offer's
//!   removal, the seller's status change, each chunk of the cascade to its offers), so there
//!   is exactly one per restricted item. Its `puid` names the decision and the item.
//! - Statements wait on gsi2 `STATEMENTS#UNMAILED` until their mail is claimed; gsi1
//!   `STATEMENTS` lists them all, oldest first, for submission in batches.
//! - A paid order leaves a `SALE` under each of its offers (kept seven months); the removal of
//!   an offer as illegal lists it on gsi2 `BUYER_NOTICES#DUE` in the same transaction. The
//!   mail job tells each buyer once: a claim per offer and buyer, written before the mail.
//! - Every mail is claimed (`attribute_not_exists`) before it is sent and released only when
//!   the mail service says it was not sent, so a retry never mails twice; a crash between the
//!   claim and the send loses that mail rather than risking a second.

use jiff::{SignedDuration, Timestamp};
use marketplace::dsa::Statement;
use marketplace::offer::RemovalReason;
use marketplace::order::Order;
use ports::{Condition, Cursor, Index, Item, Key, Query, SortKey, Table, TableError, TxOp, Update, Value};
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
    pub created_at: Timestamp,
}

/// The outcome of claiming a mail.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// Ours: send it, then mark it sent (or release it).
    Taken,
    /// Claimed before.
    Before,
}

fn claim_item(key: &Key, token: &str, now: Timestamp) -> Item {
    let mut item = key.to_item();
    item.insert("kind".into(), Value::from("mail_claim"));
    item.insert("state".into(), Value::from("claimed"));
    item.insert("claim".into(), Value::from(token));
    item.insert("claimedAt".into(), record::timestamp(now));
    item
}

fn sent(key: &Key, token: &str, now: Timestamp) -> TxOp {
    TxOp::Update {
        key: key.clone(),
        update: Update::new().set("state", "sent").set("sentAt", record::timestamp(now)),
        condition: Some(Condition::equals("claim", token)),
    }
}

pub struct Dsa<'a> {
    table: &'a dyn Table,
}

fn mail_key(puid: &str) -> Key {
    Key::new(keys::statement_of_reasons(puid).pk, "MAIL")
}

fn unmailed_sk(stored: &StoredStatement) -> String {
    format!("{}#{}", keys::sortable(stored.created_at), stored.statement.puid)
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

    /// The write of a new statement, to go in the transaction of its restriction.
    pub fn record(stored: &StoredStatement) -> Result<TxOp, TableError> {
        let mut item =
            record::item(stored, &keys::statement_of_reasons(&stored.statement.puid), "statement_of_reasons")?;
        item.insert("gsi1pk".into(), Value::from(keys::STATEMENTS_PK));
        item.insert("gsi1sk".into(), Value::from(unmailed_sk(stored)));
        item.insert("gsi2pk".into(), Value::from(keys::STATEMENTS_UNMAILED_PK));
        item.insert("gsi2sk".into(), Value::from(unmailed_sk(stored)));
        Ok(TxOp::Put { item, condition: Some(Condition::NotExists) })
    }

    pub async fn statement(&self, puid: &str) -> Result<Option<StoredStatement>, TableError> {
        self.table.get(&keys::statement_of_reasons(puid)).await?.as_ref().map(record::entity).transpose()
    }

    /// A page of every statement, oldest first.
    pub async fn statements(
        &self,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<StoredStatement>, Option<Cursor>), TableError> {
        record::page(self.table.query(Query::new(Index::Gsi1, keys::STATEMENTS_PK).limit(limit).cursor(cursor)).await?)
    }

    /// Statements whose mail was not claimed yet, oldest first.
    pub async fn unmailed(&self, limit: u32) -> Result<Vec<StoredStatement>, TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::STATEMENTS_UNMAILED_PK).limit(limit)).await?;
        Ok(record::page(page)?.0)
    }

    /// Whether a statement waits for its mail (the local runner's probe).
    pub async fn any_unmailed(&self) -> Result<bool, TableError> {
        Ok(record::earliest_due(self.table, keys::STATEMENTS_UNMAILED_PK).await?.is_some())
    }

    /// Claims the mail of a statement under `token` and takes it off the unmailed list.
    pub async fn claim_statement_mail(
        &self,
        stored: &StoredStatement,
        token: &str,
        now: Timestamp,
    ) -> Result<Claimed, TableError> {
        let puid = &stored.statement.puid;
        let ops = vec![
            TxOp::Put { item: claim_item(&mail_key(puid), token, now), condition: Some(Condition::NotExists) },
            TxOp::Update {
                key: keys::statement_of_reasons(puid),
                update: Update::new().remove("gsi2pk").remove("gsi2sk"),
                condition: Some(Condition::Exists),
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(Claimed::Taken),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => {
                // Claimed by an earlier run that did not take it off the list: do it now.
                let update = Update::new().remove("gsi2pk").remove("gsi2sk");
                self.table.update(&keys::statement_of_reasons(puid), update, None).await?;
                Ok(Claimed::Before)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn statement_mailed(&self, puid: &str, token: &str, now: Timestamp) -> Result<(), TableError> {
        self.table.transact(vec![sent(&mail_key(puid), token, now)]).await
    }

    /// Gives up the claim (the mail was certainly not sent) and puts the statement back on
    /// the unmailed list.
    pub async fn release_statement_mail(&self, stored: &StoredStatement, token: &str) -> Result<(), TableError> {
        let puid = &stored.statement.puid;
        let ops = vec![
            TxOp::Delete { key: mail_key(puid), condition: Some(Condition::equals("claim", token)) },
            TxOp::Update {
                key: keys::statement_of_reasons(puid),
                update: Update::new().set("gsi2pk", keys::STATEMENTS_UNMAILED_PK).set("gsi2sk", unmailed_sk(stored)),
                condition: Some(Condition::Exists),
            },
        ];
        self.table.transact(ops).await
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

    /// Claims the one notice of `buyer` about `offer_id`.
    pub async fn claim_buyer_notice(
        &self,
        offer_id: &str,
        buyer: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<Claimed, TableError> {
        let item = claim_item(&keys::buyer_told(offer_id, buyer), token, now);
        match self.table.put(item, Some(Condition::NotExists)).await {
            Ok(()) => Ok(Claimed::Taken),
            Err(TableError::ConditionFailed) => Ok(Claimed::Before),
            Err(e) => Err(e),
        }
    }

    pub async fn buyer_notice_sent(
        &self,
        offer_id: &str,
        buyer: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<(), TableError> {
        self.table.transact(vec![sent(&keys::buyer_told(offer_id, buyer), token, now)]).await
    }

    pub async fn release_buyer_notice(&self, offer_id: &str, buyer: &str, token: &str) -> Result<(), TableError> {
        let key = keys::buyer_told(offer_id, buyer);
        self.table.delete(&key, Some(Condition::equals("claim", token))).await
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
