//! The runner's time: queue deliveries and schedules, on the movable clock. Time passes here as
//! it does in AWS: when the clock moves forward, past several schedule times, every firing in
//! between happens in order across all schedules, each with the clock standing at its own time,
//! and the queue messages a run sends are delivered before the next firing. So a payout run
//! on the 26th sees only what was released by the 26th, and a month's fee is charged before the
//! payouts of the 6th. A `rate()` schedule skips the firings its probe says would find nothing
//! (no hold ends, no payment falls due), which keeps a month's move to a few dozen runs. A move
//! backwards fires nothing.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use ports::{Clock, MovableClock, Queue};
use tokio::sync::Mutex;

use crate::functions::Worker;
use crate::scheduler::Scheduled;

pub struct Delivery {
    pub queue: String,
    pub batch_size: u32,
    pub visibility: Duration,
    pub worker: Worker,
}

pub struct Timeline {
    clock: Arc<MovableClock>,
    queue: Arc<dyn Queue>,
    deliveries: Vec<Delivery>,
    pub jobs: Vec<Scheduled>,
    /// Up to when each schedule's firings are decided (ran, or skipped as idle), in the order
    /// of `jobs`; set at the first look at the clock. One pass at a time.
    decided: Mutex<Option<Vec<Timestamp>>>,
}

/// Firings one pass runs at most: far more than a year of the template's schedules, so only a
/// job that finds work at every firing and never finishes it reaches the bound.
const MAX_RUNS: usize = 100_000;

/// Delivery passes after each run: enough for an event to cascade through every worker.
const DRAIN_PASSES: usize = 20;

impl Timeline {
    pub fn new(
        clock: Arc<MovableClock>,
        queue: Arc<dyn Queue>,
        deliveries: Vec<Delivery>,
        jobs: Vec<Scheduled>,
    ) -> Self {
        Timeline { clock, queue, deliveries, jobs, decided: Mutex::new(None) }
    }

    /// One pass over every queue subscription: receives a batch, hands it to the worker,
    /// deletes what succeeded. What failed comes back after the visibility timeout, and goes
    /// to the dead-letter list after the queue's redrive limit. Returns the messages handled.
    pub async fn deliver(&self) -> usize {
        let mut handled = 0;
        for delivery in &self.deliveries {
            let batch = match self.queue.receive(&delivery.queue, delivery.batch_size, delivery.visibility).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(queue = %delivery.queue, error = %e, "could not receive");
                    continue;
                }
            };
            if batch.is_empty() {
                continue;
            }
            handled += batch.len();
            let receipts: Vec<(String, String)> = batch.iter().map(|m| (m.id.clone(), m.receipt.clone())).collect();
            let failed = (delivery.worker)(batch).await;
            for (id, receipt) in receipts.into_iter().filter(|(id, _)| !failed.contains(id)) {
                if let Err(e) = self.queue.delete(&delivery.queue, &receipt).await {
                    tracing::warn!(queue = %delivery.queue, message_id = %id, error = %e, "could not delete");
                }
            }
        }
        handled
    }

    /// Delivers until every queue is quiet (or `max_passes` is reached).
    pub async fn drain(&self, max_passes: usize) -> usize {
        let mut total = 0;
        for _ in 0..max_passes {
            let handled = self.deliver().await;
            if handled == 0 {
                break;
            }
            total += handled;
        }
        total
    }

    /// Runs, in order, every firing up to the clock's time that has not been decided yet.
    /// Returns how many ran. The first call only starts the schedules.
    pub async fn catch_up(&self) -> usize {
        let mut decided = self.decided.lock().await;
        let now = self.clock.now();
        let Some(marks) = decided.as_mut() else {
            *decided = Some(vec![now; self.jobs.len()]);
            return 0;
        };
        // The clock was set back: what lies ahead of it is undecided again.
        for mark in marks.iter_mut() {
            *mark = (*mark).min(now);
        }
        let ran = self.replay(marks, now).await;
        if ran > 0 {
            // The runs stood the clock at their own times; it resumes where it was.
            self.clock.set(self.clock.now().max(now));
        }
        ran
    }

    /// Moves the clock to `to`, running every firing between its time now and `to` on the way.
    /// Returns how many ran.
    pub async fn move_to(&self, to: Timestamp) -> usize {
        let mut decided = self.decided.lock().await;
        let from = self.clock.now();
        let marks = decided.insert(vec![from.min(to); self.jobs.len()]);
        if to <= from {
            self.clock.set(to);
            return 0;
        }
        // What was sent before the move is handled at the time it was sent.
        self.drain(DRAIN_PASSES).await;
        let ran = self.replay(marks, to).await;
        self.clock.set(to);
        ran
    }

    async fn replay(&self, marks: &mut [Timestamp], to: Timestamp) -> usize {
        let mut ran = 0;
        while ran < MAX_RUNS {
            // The earliest firing with work, the template's order breaking ties.
            let mut first: Option<(Timestamp, usize)> = None;
            for (i, job) in self.jobs.iter().enumerate() {
                // The probe is only asked once a firing is due by `to`.
                if job.following(marks[i]).is_none_or(|at| at > to) {
                    continue;
                }
                if let Some(at) = job.next_with_work(marks[i]).await.filter(|at| *at <= to)
                    && first.is_none_or(|(earliest, _)| at < earliest)
                {
                    first = Some((at, i));
                }
            }
            let Some((at, i)) = first else { break };
            self.clock.set(at);
            let _ = self.jobs[i].run().await;
            self.drain(DRAIN_PASSES).await;
            ran += 1;
            // Every schedule was idle until now; time never goes back for the work this run
            // made. The others may still fire at this same time.
            let just_before = at.checked_sub(jiff::SignedDuration::from_nanos(1)).unwrap_or(at);
            for mark in marks.iter_mut() {
                *mark = (*mark).max(just_before);
            }
            marks[i] = at;
        }
        if ran == MAX_RUNS {
            tracing::warn!(ran, "a schedule found work at every firing: the rest of the move is skipped");
        }
        for mark in marks.iter_mut() {
            *mark = to;
        }
        ran
    }
}
