//! Messages between functions: the queues' names (as in `template.yaml`, without the stack
//! prefix) and their bodies.

use marketplace::seller::SellerStatus;
use serde::{Deserialize, Serialize};

/// Seller status decisions, for the `offer-visibility` worker.
pub const SELLER_EVENTS: &str = "seller-events";

/// A seller's status changed (or a decision was repeated). The worker reads the seller's
/// current state rather than trusting `status`, so late or reordered messages are harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", rename = "seller.status_changed")]
pub struct SellerStatusChanged {
    pub seller_id: String,
    pub status: SellerStatus,
}

impl SellerStatusChanged {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of strings serialises")
    }
}

/// Order life-cycle events, for settlement and notifications.
pub const ORDER_EVENTS: &str = "order-events";

/// Something happened to an order (or one seller's part of it). Consumers read the order's
/// current state; `kind` says what to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    /// For refunds: the refund's id and amount in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// What else the event is about (a help request's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
}

impl OrderEvent {
    pub fn new(kind: &str, order_id: &str, seller_id: Option<&str>) -> Self {
        OrderEvent {
            kind: kind.to_owned(),
            order_id: order_id.to_owned(),
            seller_id: seller_id.map(str::to_owned),
            refund_id: None,
            subject_id: None,
            amount_minor: None,
        }
    }

    /// The same event, about `subject` too.
    pub fn about(mut self, subject: &str) -> Self {
        self.subject_id = Some(subject.to_owned());
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of strings serialises")
    }

    /// A deduplication id: the same event about the same thing is the same message.
    pub fn dedup_id(&self) -> String {
        [
            Some(self.kind.as_str()),
            Some(self.order_id.as_str()),
            self.seller_id.as_deref(),
            self.refund_id.as_deref(),
            self.subject_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(":")
    }
}

/// The outbox: an event written in the same transaction as the change it announces, so the
/// change is never made without its event. `flush` sends it at once; the `event-relay`
/// schedule sends whatever a failed flush left behind. Consumers read the order's current
/// state and so do not mind receiving an event twice.
pub mod outbox {
    use jiff::Timestamp;
    use ports::{Index, Query, Queue, Table, TableError, TxOp, Value};

    use super::{ORDER_EVENTS, OrderEvent};

    const PK: &str = "OUTBOX";

    fn key(event: &OrderEvent) -> ports::Key {
        ports::Key::new(format!("OUTBOX#{}", event.dedup_id()), "EVENT")
    }

    /// The write that puts `event` in the outbox, for the transaction of its change.
    pub fn put(event: &OrderEvent, now: Timestamp) -> TxOp {
        let mut item = key(event).to_item();
        item.insert("kind".into(), Value::from("outbox_event"));
        item.insert("body".into(), Value::from(event.to_json()));
        item.insert("dedupId".into(), Value::from(event.dedup_id()));
        item.insert("gsi2pk".into(), Value::from(PK));
        item.insert("gsi2sk".into(), Value::from(format!("{}#{}", now.as_millisecond(), event.dedup_id())));
        TxOp::Put { item, condition: None }
    }

    /// Sends a committed event and clears it from the outbox. A failure is only logged: the
    /// relay sends it later.
    pub async fn flush(queue: &dyn Queue, table: &dyn Table, event: &OrderEvent) {
        let sent = queue.send(ORDER_EVENTS, &event.to_json(), std::time::Duration::ZERO, Some(&event.dedup_id())).await;
        let cleared = match sent {
            Ok(()) => table.delete(&key(event), None).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = cleared {
            tracing::warn!(event = %event.dedup_id(), %error, "event left in the outbox for the relay");
        }
    }

    /// Whether any event waits in the outbox for the relay.
    pub async fn waiting(table: &dyn Table) -> Result<bool, TableError> {
        Ok(!table.query(Query::new(Index::Gsi2, PK).limit(1)).await?.items.is_empty())
    }

    /// Sends up to `limit` events left in the outbox, oldest first; returns how many.
    pub async fn relay(queue: &dyn Queue, table: &dyn Table, limit: u32) -> Result<usize, TableError> {
        let page = table.query(Query::new(Index::Gsi2, PK).limit(limit)).await?;
        let mut sent = 0;
        for item in &page.items {
            let (Some(body), Some(dedup)) =
                (item.get("body").and_then(Value::as_str), item.get("dedupId").and_then(Value::as_str))
            else {
                continue;
            };
            if queue.send(ORDER_EVENTS, body, std::time::Duration::ZERO, Some(dedup)).await.is_err() {
                continue;
            }
            if let Some(key) = ports::Key::of(item) {
                table.delete(&key, None).await?;
            }
            sent += 1;
        }
        Ok(sent)
    }
}
