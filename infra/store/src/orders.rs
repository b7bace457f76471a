use jiff::Timestamp;
use marketplace::order::{Order, OrderStatus};
use ports::{Condition, Cursor, Index, Item, Key, Query, SortKey, Table, TableError, TxOp, Update, Value};

use crate::{keys, record};

pub struct Orders<'a> {
    table: &'a dyn Table,
}

/// The outcome of placing an order.
#[derive(Debug)]
pub enum Placed {
    Created,
    /// The quote was ordered before: here is that order.
    Exists(Box<Order>),
    /// An offer changed, ran short or its seller stopped selling since the quote: nothing
    /// was written.
    Stale,
}

fn sortable(at: Timestamp, id: &str) -> String {
    format!("{}#{id}", keys::sortable(at))
}

fn order_item(order: &Order) -> Result<Item, TableError> {
    let mut item = record::item(order, &keys::order(&order.id), "order")?;
    item.insert("gsi1pk".into(), Value::from(keys::buyer_orders_pk(&order.buyer)));
    item.insert("gsi1sk".into(), Value::from(sortable(order.created_at, &order.id)));
    item.insert("gsi2pk".into(), Value::from(keys::month_orders_pk(&order.created_at.strftime("%Y-%m").to_string())));
    item.insert("gsi2sk".into(), Value::from(sortable(order.created_at, &order.id)));
    Ok(item)
}

fn unchanged(order: &Order) -> Condition {
    Condition::equals("version", order.version)
}

impl<'a> Orders<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Order>, TableError> {
        self.table.get(&keys::order(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Places an order in one transaction: the order, an entry in each seller's list, the
    /// payment-due marker, each offer's stock taken (only while the offer is as quoted, active
    /// and has the units) and each seller checked active. All of it or nothing.
    pub async fn place(&self, order: &Order) -> Result<Placed, TableError> {
        let mut ops = vec![TxOp::Put { item: order_item(order)?, condition: Some(Condition::NotExists) }];
        for part in &order.parts {
            let key = keys::order_part(&order.id, &part.seller_id);
            let mut item = key.to_item();
            item.insert("kind".into(), Value::from("order_part"));
            item.insert("orderId".into(), Value::from(order.id.as_str()));
            item.insert("gsi1pk".into(), Value::from(keys::seller_orders_pk(&part.seller_id)));
            item.insert("gsi1sk".into(), Value::from(sortable(order.created_at, &order.id)));
            ops.push(TxOp::Put { item, condition: None });
        }
        let mut due = keys::payment_due(&order.id).to_item();
        due.insert("kind".into(), Value::from("payment_due"));
        due.insert("orderId".into(), Value::from(order.id.as_str()));
        due.insert("gsi2pk".into(), Value::from(keys::PAYMENTS_DUE_PK));
        due.insert("gsi2sk".into(), Value::from(sortable(order.payment_due, &order.id)));
        ops.push(TxOp::Put { item: due, condition: None });
        for line in &order.lines {
            ops.push(TxOp::Update {
                key: keys::offer(&line.offer_id),
                update: Update::new().add("stock", -i64::from(line.quantity)),
                condition: Some(Condition::And(vec![
                    Condition::Equals("updatedAt".into(), record::timestamp(line.offer_version)),
                    Condition::equals("status", "active"),
                    Condition::AtLeast("stock".into(), i64::from(line.quantity)),
                ])),
            });
        }
        for part in &order.parts {
            ops.push(TxOp::Check {
                key: keys::seller(&part.seller_id),
                condition: Condition::equals("status", "active"),
            });
        }
        match self.table.transact(ops).await {
            Ok(()) => Ok(Placed::Created),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => {
                let existing = self.get(&order.id).await?;
                Ok(existing.map_or(Placed::Stale, |o| Placed::Exists(Box::new(o))))
            }
            Err(TableError::TransactionCanceled { .. }) => Ok(Placed::Stale),
            Err(e) => Err(e),
        }
    }

    /// Writes `after` over `before` (unless the order changed in between:
    /// `TransactionCanceled` with 0 among the failed), together with `also`.
    pub async fn transition(&self, before: &Order, after: &Order, also: Vec<TxOp>) -> Result<(), TableError> {
        let mut ops = vec![TxOp::Put { item: order_item(after)?, condition: Some(unchanged(before)) }];
        ops.extend(also);
        self.table.transact(ops).await
    }

    /// Cancels an order whose payment failed or never came, gives its units back and clears
    /// its payment-due marker, with `also` in the same transaction. `Ok(None)` when the order
    /// no longer awaits payment.
    pub async fn cancel_unpaid(
        &self,
        order: &Order,
        now: Timestamp,
        also: Vec<TxOp>,
    ) -> Result<Option<Order>, TableError> {
        let Ok(after) = order.cancel_unpaid(now) else { return Ok(None) };
        let mut ops = Self::release_stock(order);
        ops.push(Self::clear_payment_due(order));
        ops.extend(also);
        self.transition(order, &after, ops).await?;
        Ok(Some(after))
    }

    /// The writes that give an unpaid or cancelled order's units back to their offers.
    pub fn release_stock(order: &Order) -> Vec<TxOp> {
        order
            .lines
            .iter()
            .map(|line| TxOp::Update {
                key: keys::offer(&line.offer_id),
                update: Update::new().add("stock", i64::from(line.quantity)),
                condition: Some(Condition::Exists),
            })
            .collect()
    }

    /// The writes that give one seller's units back.
    pub fn release_part_stock(order: &Order, seller_id: &str) -> Vec<TxOp> {
        Self::release_stock(order)
            .into_iter()
            .zip(&order.lines)
            .filter(|(_, line)| line.seller_id == seller_id)
            .map(|(op, _)| op)
            .collect()
    }

    /// Removes the payment-due marker: the order is paid or cancelled.
    pub fn clear_payment_due(order: &Order) -> TxOp {
        TxOp::Delete { key: keys::payment_due(&order.id), condition: None }
    }

    /// Records a provider event as processed; replaying it fails this write.
    pub fn provider_event(event_id: &str, now: Timestamp) -> TxOp {
        let mut item = keys::provider_event(event_id).to_item();
        item.insert("kind".into(), Value::from("provider_event"));
        item.insert("ttl".into(), Value::N(now.as_second() + 90 * 24 * 3600));
        TxOp::Put { item, condition: Some(Condition::NotExists) }
    }

    /// Orders awaiting payment whose payment was due before `now`, oldest first.
    pub async fn payments_overdue(&self, now: Timestamp, limit: u32) -> Result<Vec<String>, TableError> {
        let query = Query::new(Index::Gsi2, keys::PAYMENTS_DUE_PK)
            .sort(SortKey::Between("0".into(), sortable(now, "")))
            .limit(limit);
        let page = self.table.query(query).await?;
        Ok(page.items.iter().filter_map(|i| i.get("orderId").and_then(Value::as_str).map(str::to_owned)).collect())
    }

    /// When the next unpaid order's payment falls due (`None`: no order awaits payment).
    pub async fn next_payment_due(&self) -> Result<Option<Timestamp>, TableError> {
        record::earliest_due(self.table, keys::PAYMENTS_DUE_PK).await
    }

    async fn load(&self, ids: Vec<String>) -> Result<Vec<Order>, TableError> {
        let keys: Vec<Key> = ids.iter().map(|id| keys::order(id)).collect();
        self.table.get_many(&keys).await?.iter().map(record::entity).collect()
    }

    /// A page of a buyer's orders, newest first.
    pub async fn of_buyer(
        &self,
        sub: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Order>, Option<Cursor>), TableError> {
        let page = self
            .table
            .query(Query::new(Index::Gsi1, keys::buyer_orders_pk(sub)).descending().limit(limit).cursor(cursor))
            .await?;
        record::page(page)
    }

    /// A page of the orders holding a seller's lines, newest first.
    pub async fn of_seller(
        &self,
        seller_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Order>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi1, keys::seller_orders_pk(seller_id)).descending().limit(limit).cursor(cursor);
        let page = self.table.query(query).await?;
        let ids =
            page.items.iter().filter_map(|i| i.get("orderId").and_then(Value::as_str).map(str::to_owned)).collect();
        Ok((self.load(ids).await?, page.next))
    }

    /// A page of a month's orders (`2026-11`), newest first.
    pub async fn of_month(
        &self,
        month: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Order>, Option<Cursor>), TableError> {
        let page = self
            .table
            .query(Query::new(Index::Gsi2, keys::month_orders_pk(month)).descending().limit(limit).cursor(cursor))
            .await?;
        record::page(page)
    }
}

/// Whether an order is still waiting for its payment.
pub fn awaiting_payment(order: &Order) -> bool {
    order.status == OrderStatus::AwaitingPayment
}
