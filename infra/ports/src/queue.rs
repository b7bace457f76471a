use std::time::Duration;

use async_trait::async_trait;

/// One delivery of a message. `receipt` identifies this delivery for deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub body: String,
    pub receipt: String,
    /// How many times the message has been handed out, this delivery included.
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    #[error("unknown queue: {0}")]
    UnknownQueue(String),
    #[error("invalid message: {0}")]
    Invalid(String),
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

/// Work between functions (SQS). Queues are named as in the template (`OrderEvents`); a FIFO
/// queue's name ends in `.fifo`.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends a message. `delay` postpones delivery (standard queues, up to 15 minutes);
    /// `dedup_id` drops a repeat of the same id within five minutes (FIFO queues).
    async fn send(&self, queue: &str, body: &str, delay: Duration, dedup_id: Option<&str>) -> Result<(), QueueError>;
    /// Takes up to `max` visible messages and hides them for `visibility`.
    async fn receive(&self, queue: &str, max: u32, visibility: Duration) -> Result<Vec<Message>, QueueError>;
    /// Acknowledges a delivery; a message not deleted reappears after its visibility timeout.
    async fn delete(&self, queue: &str, receipt: &str) -> Result<(), QueueError>;
}

/// SQS limits this port keeps on every adapter.
pub const MAX_DELAY: Duration = Duration::from_secs(900);
pub const MAX_BATCH: u32 = 10;
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn check_send(body: &str, delay: Duration, queue: &str, dedup_id: Option<&str>) -> Result<(), QueueError> {
    if body.is_empty() || body.len() > MAX_BODY_BYTES {
        return Err(QueueError::Invalid("a message body is 1 byte to 256 KiB".into()));
    }
    if delay > MAX_DELAY {
        return Err(QueueError::Invalid("a delay is at most 15 minutes".into()));
    }
    if queue.ends_with(".fifo") && !delay.is_zero() {
        return Err(QueueError::Invalid("FIFO queues take no per-message delay".into()));
    }
    if dedup_id.is_some_and(|id| id.is_empty() || id.len() > 128) {
        return Err(QueueError::Invalid("a deduplication id is 1 to 128 characters".into()));
    }
    Ok(())
}
