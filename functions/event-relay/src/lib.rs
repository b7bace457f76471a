//! The outbox relay: every change of an order writes its event in the same transaction, and
//! sends it at once; what could not be sent then (a queue outage, a crash between the write
//! and the send) waits in the outbox, and this schedule sends it. An event may so be sent
//! twice; consumers read the order's current state and do not mind.

use ports::Ports;
use serde::Serialize;
use store::events::outbox;

/// Events sent per run; the next run takes the rest.
pub const BATCH: u32 = 100;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Relayed {
    pub sent: usize,
}

pub async fn relay(ports: &Ports) -> Result<Relayed, String> {
    let sent = outbox::relay(ports.queue.as_ref(), ports.table.as_ref(), BATCH).await.map_err(|e| e.to_string())?;
    if sent > 0 {
        tracing::info!(sent, "outbox events relayed");
    }
    Ok(Relayed { sent })
}

/// Whether a run would find events to send (the local runner asks, to skip idle runs).
pub async fn waiting(ports: &Ports) -> Result<bool, String> {
    outbox::waiting(ports.table.as_ref()).await.map_err(|e| e.to_string())
}
