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
            amount_minor: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of strings serialises")
    }

    /// A deduplication id: the same event about the same thing is the same message.
    pub fn dedup_id(&self) -> String {
        [Some(self.kind.as_str()), Some(self.order_id.as_str()), self.seller_id.as_deref(), self.refund_id.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Sends an order event on the order-events queue.
pub async fn announce(queue: &dyn ports::Queue, event: &OrderEvent) -> Result<(), ports::QueueError> {
    queue.send(ORDER_EVENTS, &event.to_json(), std::time::Duration::ZERO, Some(&event.dedup_id())).await
}
