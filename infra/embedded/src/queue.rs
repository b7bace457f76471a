use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use ports::queue::{MAX_BATCH, check_send};
use ports::{Clock, Message, Queue, QueueError};

/// How long a FIFO queue remembers a deduplication id, as SQS does.
const DEDUP_WINDOW: SignedDuration = SignedDuration::from_mins(5);

struct Stored {
    id: String,
    body: String,
    visible_at: Timestamp,
    receive_count: u32,
    receipt: Option<String>,
}

struct QueueState {
    /// After this many receives a message goes to the dead-letter list instead (SQS redrive).
    max_receives: u32,
    messages: VecDeque<Stored>,
    dead_letters: Vec<Message>,
    seen_dedup_ids: BTreeMap<String, Timestamp>,
}

/// In-process queues with SQS semantics: delays, visibility timeouts, redelivery of what is
/// not deleted, receive counts, a dead-letter list, and deduplication on FIFO queues. Time is
/// read from the clock, so moving the clock makes delayed messages due.
pub struct MemoryQueue {
    clock: Arc<dyn Clock>,
    queues: Mutex<BTreeMap<String, QueueState>>,
}

impl MemoryQueue {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, queues: Mutex::new(BTreeMap::new()) }
    }

    /// Declares a queue whose messages move to its dead-letter list after `max_receives`.
    pub fn declare(&self, queue: &str, max_receives: u32) {
        self.lock().entry(queue.to_owned()).or_insert_with(|| QueueState {
            max_receives: max_receives.max(1),
            messages: VecDeque::new(),
            dead_letters: Vec::new(),
            seen_dedup_ids: BTreeMap::new(),
        });
    }

    /// Messages that exhausted their receives, oldest first.
    pub fn dead_letters(&self, queue: &str) -> Vec<Message> {
        self.lock().get(queue).map(|q| q.dead_letters.clone()).unwrap_or_default()
    }

    /// Messages waiting or in flight.
    pub fn depth(&self, queue: &str) -> usize {
        self.lock().get(queue).map_or(0, |q| q.messages.len())
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, QueueState>> {
        self.queues.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn send(&self, queue: &str, body: &str, delay: Duration, dedup_id: Option<&str>) -> Result<(), QueueError> {
        check_send(body, delay, queue, dedup_id)?;
        let now = self.clock.now();
        let mut queues = self.lock();
        let state = queues.get_mut(queue).ok_or_else(|| QueueError::UnknownQueue(queue.to_owned()))?;
        if let Some(dedup_id) = dedup_id.filter(|_| queue.ends_with(".fifo")) {
            state.seen_dedup_ids.retain(|_, at| now.duration_since(*at) < DEDUP_WINDOW);
            if state.seen_dedup_ids.contains_key(dedup_id) {
                return Ok(());
            }
            state.seen_dedup_ids.insert(dedup_id.to_owned(), now);
        }
        state.messages.push_back(Stored {
            id: ulid::Ulid::generate().to_string(),
            body: body.to_owned(),
            visible_at: now.saturating_add(signed(delay)).unwrap_or(Timestamp::MAX),
            receive_count: 0,
            receipt: None,
        });
        Ok(())
    }

    async fn receive(&self, queue: &str, max: u32, visibility: Duration) -> Result<Vec<Message>, QueueError> {
        let now = self.clock.now();
        let hidden_until = now.saturating_add(signed(visibility)).unwrap_or(Timestamp::MAX);
        let mut queues = self.lock();
        let state = queues.get_mut(queue).ok_or_else(|| QueueError::UnknownQueue(queue.to_owned()))?;
        let mut batch = Vec::new();
        let mut kept = VecDeque::with_capacity(state.messages.len());
        while let Some(mut stored) = state.messages.pop_front() {
            let due = stored.visible_at <= now;
            if due && stored.receive_count >= state.max_receives {
                state.dead_letters.push(Message {
                    id: stored.id,
                    body: stored.body,
                    receipt: String::new(),
                    receive_count: stored.receive_count,
                });
                continue;
            }
            if due && batch.len() < max.clamp(1, MAX_BATCH) as usize {
                stored.receive_count += 1;
                stored.visible_at = hidden_until;
                let receipt = ulid::Ulid::generate().to_string();
                stored.receipt = Some(receipt.clone());
                batch.push(Message {
                    id: stored.id.clone(),
                    body: stored.body.clone(),
                    receipt,
                    receive_count: stored.receive_count,
                });
            }
            kept.push_back(stored);
        }
        state.messages = kept;
        Ok(batch)
    }

    async fn delete(&self, queue: &str, receipt: &str) -> Result<(), QueueError> {
        let mut queues = self.lock();
        let state = queues.get_mut(queue).ok_or_else(|| QueueError::UnknownQueue(queue.to_owned()))?;
        // As in SQS, deleting with a stale receipt is not an error.
        state.messages.retain(|m| m.receipt.as_deref() != Some(receipt));
        Ok(())
    }
}
