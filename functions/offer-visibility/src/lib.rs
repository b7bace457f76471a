//! Brings a seller's offers in line with the seller's status after an admin decision
//! (R-SELLER, R-REMOVE): out of the product listings while the seller is suspended or
//! pending, back in on reinstatement, removed with the reason `seller_removed` when the
//! seller is removed. The seller's current state decides, not the message, so duplicated,
//! late or reordered messages change nothing they should not.

use ports::{Message, Ports};
use store::events::SellerStatusChanged;
use store::{Offers, Sellers};

/// Handles a batch; returns the ids of the messages to retry.
pub async fn handle(ports: &Ports, batch: Vec<Message>) -> Vec<String> {
    let mut failed = Vec::new();
    for message in batch {
        if let Err(error) = handle_one(ports, &message).await {
            tracing::warn!(message_id = %message.id, receive_count = message.receive_count, %error, "will retry");
            failed.push(message.id);
        }
    }
    failed
}

async fn handle_one(ports: &Ports, message: &Message) -> Result<(), String> {
    // A message that cannot be read will never succeed: failing it sends it to the
    // dead-letter queue after its retries, where the alarm shows it.
    let event: SellerStatusChanged =
        serde_json::from_str(&message.body).map_err(|e| format!("unreadable message: {e}"))?;
    let seller = Sellers::new(ports.table.as_ref()).get(&event.seller_id).await.map_err(|e| e.to_string())?;
    let Some(seller) = seller else {
        tracing::warn!(seller_id = %event.seller_id, "no such seller; nothing to do");
        return Ok(());
    };
    let changed =
        Offers::new(ports.table.as_ref()).follow_seller(&seller, ports.clock.now()).await.map_err(|e| e.to_string())?;
    tracing::info!(seller_id = %seller.id, status = seller.status.as_str(), offers_changed = changed, "offers follow their seller");
    Ok(())
}
