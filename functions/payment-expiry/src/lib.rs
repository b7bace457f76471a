//! The payment sweep (R-PAY): an order whose payment never came — no webhook before its
//! payment was due — is cancelled and its stock released, as a failed payment would be.
//! Safe to run late, twice or concurrently: each cancellation is conditional on the order
//! still awaiting payment.

use ports::Ports;
use serde::Serialize;
use store::Orders;
use store::events::{OrderEvent, outbox};

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
    // One order's trouble never stops the others; what fails is retried at the next run.
    for order_id in overdue {
        let order = match orders.get(&order_id).await {
            Ok(order) => order,
            Err(e) => {
                tracing::warn!(order_id, error = %e, "will retry at the next run");
                continue;
            }
        };
        let Some(order) = order else {
            clear_marker(ports, &order_id).await;
            continue;
        };
        let event = OrderEvent::new("order.cancelled", &order.id, None);
        match orders.cancel_unpaid(&order, now, vec![outbox::put(&event, now)]).await {
            Ok(Some(_)) => {
                cancelled += 1;
                outbox::flush(ports.queue.as_ref(), ports.table.as_ref(), &event).await;
            }
            // Paid or cancelled meanwhile: only the marker is left to clear.
            Ok(None) => clear_marker(ports, &order_id).await,
            Err(e) => tracing::warn!(order_id, error = %e, "will retry at the next run"),
        }
    }
    tracing::info!(cancelled, "payment sweep done");
    Ok(Swept { cancelled })
}

/// When a run next finds an order to cancel (`None`: no order awaits payment). The local
/// runner asks, to skip sweeps that would find nothing when its clock jumps.
pub async fn next_due(ports: &Ports) -> Result<Option<jiff::Timestamp>, String> {
    let due = Orders::new(ports.table.as_ref()).next_payment_due().await.map_err(|e| e.to_string())?;
    // The sweep takes payments due strictly before its time.
    Ok(due.and_then(|at| at.checked_add(jiff::SignedDuration::from_nanos(1)).ok()))
}

async fn clear_marker(ports: &Ports, order_id: &str) {
    if let Err(e) = ports.table.delete(&store::keys::payment_due(order_id), None).await {
        tracing::warn!(order_id, error = %e, "will retry at the next run");
    }
}
