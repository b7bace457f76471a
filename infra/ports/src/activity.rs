//! Where each request's recipient is reported (DSA Art. 24(2)) without the request waiting on
//! anything remote. In Lambda it is one JSON line on stdout, which a CloudWatch Logs
//! subscription delivers to `dsa-metrics`; the local runner has no log service, so it emulates
//! the subscription with a queue of its own, worked by the same function.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::Queue;

/// The queue through which the local runner delivers the activity lines.
pub const ACTIVITY_QUEUE: &str = "ActivityLog";

/// The reported lines: each already holds only hashed identifiers.
#[async_trait]
pub trait ActivityLog: Send + Sync {
    async fn report(&self, line: &str);
}

/// One line on stdout, next to the request logs: a write to the log pipe, nothing awaited.
pub struct StdoutActivity;

#[async_trait]
impl ActivityLog for StdoutActivity {
    async fn report(&self, line: &str) {
        let mut out = std::io::stdout().lock();
        // A lost line loses one count at most; the request must not fail for it.
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n"));
    }
}

/// The local runner's subscription: the line onto [`ACTIVITY_QUEUE`].
pub struct QueuedActivity(pub Arc<dyn Queue>);

#[async_trait]
impl ActivityLog for QueuedActivity {
    async fn report(&self, line: &str) {
        let _ = self.0.send(ACTIVITY_QUEUE, line, Duration::ZERO, None).await;
    }
}
