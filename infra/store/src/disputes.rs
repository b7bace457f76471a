//! Disputes (R-DISPUTE) on the table.
//!
//! - `DISPUTE#id` / `DISPUTE`: the case, on its buyer's list (gsi1 `BUYER#sub#DISPUTES`) and
//!   on the admins' list of its status (gsi2 `DISPUTES#<status>`, by the seller's answer
//!   deadline, so the overdue come first).
//! - `DISPUTE#id` / `SELLER#<sellerId>`: puts it on its seller's list (gsi1).
//! - `ORDER#id` / `DISPUTE#<offerId>`: the line's claim on its one live case, written
//!   `attribute_not_exists` with the case and deleted when the case is escalated or closed.
//!
//! Every change is conditional on the case's version and carries its mails (`Mails`).

use marketplace::disputes::{Dispute, DisputeStatus};
use ports::{Condition, Cursor, Index, Item, Query, Table, TableError, TxOp, Value};

use crate::{keys, record};

pub struct Disputes<'a> {
    table: &'a dyn Table,
}

/// The outcome of opening a case.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    Created,
    /// The line already has a live case.
    LineHasCase,
    /// This very case exists (a retried request).
    Exists,
}

fn dispute_item(dispute: &Dispute) -> Result<Item, TableError> {
    let mut item = record::item(dispute, &keys::dispute(&dispute.id), "dispute")?;
    let opened = format!("{}#{}", keys::sortable(dispute.opened_at), dispute.id);
    item.insert("gsi1pk".into(), Value::from(keys::buyer_disputes_pk(&dispute.buyer)));
    item.insert("gsi1sk".into(), Value::from(opened));
    item.insert("gsi2pk".into(), Value::from(keys::disputes_in_status_pk(dispute.status.as_str())));
    item.insert("gsi2sk".into(), Value::from(format!("{}#{}", keys::sortable(dispute.answer_by), dispute.id)));
    Ok(item)
}

fn seller_entry(dispute: &Dispute) -> Item {
    let mut item = keys::dispute_seller(&dispute.id, &dispute.seller_id).to_item();
    item.insert("kind".into(), Value::from("dispute_seller"));
    item.insert("disputeId".into(), Value::from(dispute.id.as_str()));
    item.insert("gsi1pk".into(), Value::from(keys::seller_disputes_pk(&dispute.seller_id)));
    item.insert("gsi1sk".into(), Value::from(format!("{}#{}", keys::sortable(dispute.opened_at), dispute.id)));
    item
}

impl<'a> Disputes<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Dispute>, TableError> {
        self.table.get(&keys::dispute(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Stores a new case with its claim on the line and `also`, atomically.
    pub async fn open(&self, dispute: &Dispute, also: Vec<TxOp>) -> Result<Opened, TableError> {
        let mut claim = keys::line_dispute(&dispute.order_id, &dispute.offer_id).to_item();
        claim.insert("kind".into(), Value::from("line_dispute"));
        claim.insert("disputeId".into(), Value::from(dispute.id.as_str()));
        let mut ops = vec![
            TxOp::Put { item: dispute_item(dispute)?, condition: Some(Condition::NotExists) },
            TxOp::Put { item: claim, condition: Some(Condition::NotExists) },
            TxOp::Put { item: seller_entry(dispute), condition: None },
        ];
        ops.extend(also);
        match self.table.transact(ops).await {
            Ok(()) => Ok(Opened::Created),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Ok(Opened::Exists),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&1) => Ok(Opened::LineHasCase),
            Err(e) => Err(e),
        }
    }

    /// Writes `after` over `before` with `also`, unless the case changed in between
    /// (`TransactionCanceled` with 0 among the failed). A case that leaves the line frees it.
    pub async fn change(&self, before: &Dispute, after: &Dispute, also: Vec<TxOp>) -> Result<(), TableError> {
        let mut ops = vec![TxOp::Put {
            item: dispute_item(after)?,
            condition: Some(Condition::equals("version", before.version)),
        }];
        if before.status.holds_the_line() && !after.status.holds_the_line() {
            ops.push(TxOp::Delete {
                key: keys::line_dispute(&after.order_id, &after.offer_id),
                condition: Some(Condition::equals("disputeId", after.id.as_str())),
            });
        }
        ops.extend(also);
        self.table.transact(ops).await
    }

    /// A page of a buyer's cases, newest first.
    pub async fn of_buyer(
        &self,
        sub: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Dispute>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi1, keys::buyer_disputes_pk(sub)).descending().limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// A page of a seller's cases, newest first.
    pub async fn of_seller(
        &self,
        seller_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Dispute>, Option<Cursor>), TableError> {
        let query =
            Query::new(Index::Gsi1, keys::seller_disputes_pk(seller_id)).descending().limit(limit).cursor(cursor);
        let page = self.table.query(query).await?;
        let ids: Vec<_> =
            page.items.iter().filter_map(|i| i.get("disputeId").and_then(Value::as_str)).map(keys::dispute).collect();
        let mut found: Vec<Dispute> =
            self.table.get_many(&ids).await?.iter().map(record::entity).collect::<Result<_, _>>()?;
        found.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        Ok((found, page.next))
    }

    /// A page of the cases in `status`, the seller's earliest answer deadline first.
    pub async fn in_status(
        &self,
        status: DisputeStatus,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Dispute>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi2, keys::disputes_in_status_pk(status.as_str())).limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }
}
