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
