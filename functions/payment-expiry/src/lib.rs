//! The payment sweep (R-PAY): an order whose payment never came — no webhook before its
//! payment was due — is cancelled and its stock released, as a failed payment would be.
//! Safe to run late, twice or concurrently: each cancellation is conditional on the order
//! still awaiting payment.

use ports::Ports;
use serde::Serialize;
use store::Orders;
use store::events::OrderEvent;

/// Orders handled per run; the next run takes the rest.
pub const BATCH: u32 = 100;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    pub cancelled: usize,
}

pub async fn sweep(ports: &Ports) -> Result<Swept, String> {
    let now = ports.clock.now();
    let orders = Orders::new(ports.table.as_ref());
    let overdue = orders.payments_overdue(now, BATCH).await.map_err(|e| e.to_string())?;
    let mut cancelled = 0;
    for order_id in overdue {
        let Some(order) = orders.get(&order_id).await.map_err(|e| e.to_string())? else { continue };
        match orders.cancel_unpaid(&order, now, vec![]).await {
            Ok(Some(_)) => {
                cancelled += 1;
                store::events::announce(ports.queue.as_ref(), &OrderEvent::new("order.cancelled", &order.id, None))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            // Paid or cancelled meanwhile: only the marker is left to clear.
            Ok(None) => {
                ports.table.transact(vec![Orders::clear_payment_due(&order)]).await.map_err(|e| e.to_string())?;
            }
            Err(e) => tracing::warn!(order_id = %order.id, error = %e, "will retry at the next run"),
        }
    }
    tracing::info!(cancelled, "payment sweep done");
    Ok(Swept { cancelled })
}
