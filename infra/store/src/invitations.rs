//! Invitations to review (R-REV-INVITE) on the table: the due list the hourly job sweeps, and
//! each order's claim on its one invitation.
//!
//! - The due entry (`ORDER#id` / `INVITATION_DUE`, gsi2 `INVITATIONS#DUE`) is written in the
//!   transaction of the order change that makes the invitation datable — the last part
//!   delivered, cancelled or refunded in full ([`Invitations::follow`]) — sorted by the time
//!   the delay counts from (the last delivery). The job applies its own delay when it reads
//!   (`since <= now - after_days`), so a change of the delay applies to every order waiting.
//! - The claim (`ORDER#id` / `INVITATION`) is written `attribute_not_exists` before the mail
//!   is sent, in one transaction with the removal of the due entry and a check that the order
//!   is as the decision read it. A failed send releases it and puts the entry back.

use jiff::{SignedDuration, Timestamp};
use marketplace::order::Order;
use marketplace::reviews::invitations::ready_since;
use ports::{Condition, Cursor, Index, Item, Query, SortKey, Table, TableError, TxOp, Update, Value};

use crate::{keys, record};

pub struct Invitations<'a> {
    table: &'a dyn Table,
}

/// The outcome of claiming an order's invitation.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Ours: send the mail, then mark it sent (or release the claim).
    Taken,
    /// Claimed before (by a run that sent it, is sending it or crashed meanwhile).
    Before,
    /// The order changed since it was read: decide again.
    OrderChanged,
}

fn entry_item(order_id: &str, since: Timestamp) -> Item {
    let mut item = keys::invitation_due(order_id).to_item();
    item.insert("kind".into(), Value::from("invitation_due"));
    item.insert("orderId".into(), Value::from(order_id));
    item.insert("gsi2pk".into(), Value::from(keys::INVITATIONS_DUE_PK));
    item.insert("gsi2sk".into(), Value::from(format!("{}#{order_id}", keys::sortable(since))));
    item
}

fn entry(order_id: &str, since: Timestamp) -> TxOp {
    TxOp::Put { item: entry_item(order_id, since), condition: None }
}

impl<'a> Invitations<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// The due entry to write with a change from `before` to `after`, when the change makes
    /// the order's invitation datable (every part delivered or out, one delivered at least).
    pub fn follow(before: &Order, after: &Order) -> Option<TxOp> {
        match (ready_since(before), ready_since(after)) {
            (None, Some(since)) => Some(entry(&after.id, since)),
            _ => None,
        }
    }

    /// Puts the order back on the due list, counting from `since`.
    pub async fn schedule(&self, order_id: &str, since: Timestamp) -> Result<(), TableError> {
        self.table.put(entry_item(order_id, since), None).await
    }

    /// Takes the order off the due list: decided.
    pub async fn clear(&self, order_id: &str) -> Result<(), TableError> {
        self.table.delete(&keys::invitation_due(order_id), None).await
    }

    /// Takes an invited order off the due list, unless its claim was released meanwhile (a
    /// failed send puts the order back on the list: that entry must stay).
    pub async fn clear_invited(&self, order_id: &str) -> Result<(), TableError> {
        let ops = vec![
            TxOp::Check { key: keys::invitation(order_id), condition: Condition::Exists },
            TxOp::Delete { key: keys::invitation_due(order_id), condition: None },
        ];
        match self.table.transact(ops).await {
            Err(TableError::TransactionCanceled { .. }) => Ok(()),
            other => other,
        }
    }

    /// A page of the orders on the due list whose delay, counted from their entry's time,
    /// ends by `now`, the oldest first.
    pub async fn due(
        &self,
        now: Timestamp,
        after_days: u32,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<String>, Option<Cursor>), TableError> {
        let delay = SignedDuration::from_hours(24 * i64::from(after_days));
        let cutoff = now.checked_sub(delay).unwrap_or(Timestamp::MIN);
        let query = Query::new(Index::Gsi2, keys::INVITATIONS_DUE_PK)
            .sort(SortKey::Between("0".into(), format!("{}~", keys::sortable(cutoff))))
            .limit(limit)
            .cursor(cursor);
        let page = self.table.query(query).await?;
        let ids =
            page.items.iter().filter_map(|i| i.get("orderId").and_then(Value::as_str).map(str::to_owned)).collect();
        Ok((ids, page.next))
    }

    /// The earliest time on the due list (`None`: empty); the job's delay comes on top.
    pub async fn earliest(&self) -> Result<Option<Timestamp>, TableError> {
        record::earliest_due(self.table, keys::INVITATIONS_DUE_PK).await
    }

    /// Whether the order's invitation was claimed (and so sent, or lost to a crash).
    pub async fn claimed(&self, order_id: &str) -> Result<bool, TableError> {
        Ok(self.table.get(&keys::invitation(order_id)).await?.is_some())
    }

    /// Claims the order's invitation under `token`, takes it off the due list and checks the
    /// order is still as read, all at once.
    pub async fn claim(&self, order: &Order, token: &str, now: Timestamp) -> Result<Claim, TableError> {
        let mut item = keys::invitation(&order.id).to_item();
        item.insert("kind".into(), Value::from("invitation"));
        item.insert("orderId".into(), Value::from(order.id.as_str()));
        item.insert("state".into(), Value::from("claimed"));
        item.insert("claim".into(), Value::from(token));
        item.insert("claimedAt".into(), record::timestamp(now));
        let ops = vec![
            TxOp::Put { item, condition: Some(Condition::NotExists) },
            TxOp::Delete { key: keys::invitation_due(&order.id), condition: None },
            TxOp::Check { key: keys::order(&order.id), condition: Condition::equals("version", order.version) },
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(Claim::Taken),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Ok(Claim::Before),
            Err(TableError::TransactionCanceled { .. }) => Ok(Claim::OrderChanged),
            Err(e) => Err(e),
        }
    }

    /// Records that the mail of the claim `token` went out.
    pub async fn sent(&self, order_id: &str, token: &str, now: Timestamp) -> Result<(), TableError> {
        let update = Update::new().set("state", "sent").set("sentAt", record::timestamp(now));
        self.table.update(&keys::invitation(order_id), update, Some(Condition::equals("claim", token))).await?;
        Ok(())
    }

    /// Gives up the claim `token` (its mail was not sent) and puts the order back on the due
    /// list, counting from `since`, for a later run.
    pub async fn release(&self, order_id: &str, token: &str, since: Timestamp) -> Result<(), TableError> {
        let ops = vec![
            TxOp::Delete { key: keys::invitation(order_id), condition: Some(Condition::equals("claim", token)) },
            entry(order_id, since),
        ];
        self.table.transact(ops).await
    }
}
