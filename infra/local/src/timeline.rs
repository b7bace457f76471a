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

use edge::Problem;
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

/// Firings one pass runs at most: far more than a year of the template's schedules with work,
/// so only a job that finds work at every firing and never finishes it reaches the bound.
pub const MAX_RUNS: usize = 20_000;

/// How far behind the clock the background ticker can be (it looks once a second).
const TICK_LAG: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

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

    /// One delivery pass in turn with the schedules, so a message a run sends is handled at
    /// that run's time (the background delivery loop uses this).
    pub async fn deliver_in_turn(&self) -> usize {
        let _turn = self.decided.lock().await;
        self.deliver().await
    }

    /// Runs one schedule now, in turn with the others (`POST /_local/schedules/{name}/run`).
    pub async fn run_now(&self, name: &str) -> Option<Result<String, String>> {
        let job = self.jobs.iter().find(|j| j.schedule.name == name)?;
        let _turn = self.decided.lock().await;
        Some(job.run().await)
    }

    /// Runs, in order, every firing up to the clock's time that has not been decided yet, at
    /// the clock's time (a second late at most, as EventBridge can be): the clock never goes
    /// back under a request. Returns how many ran. The first call only starts the schedules.
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
        match self.replay(marks, now, false).await {
            Ok(ran) => ran,
            Err(ran) => {
                tracing::warn!(ran, "a schedule found work at every firing: the rest is left for later");
                ran
            }
        }
    }

    /// Moves the clock to the time `target` gives for the clock's time now, running every
    /// firing on the way, each with the clock standing at its own time. Returns how many ran.
    /// A move that would never end (a job finding work at every firing, [`MAX_RUNS`]) stops
    /// with the clock at its last run and says so.
    pub async fn move_to(
        &self,
        target: impl FnOnce(Timestamp) -> Result<Timestamp, Problem>,
    ) -> Result<usize, Problem> {
        let mut decided = self.decided.lock().await;
        let from = self.clock.now();
        let to = target(from)?;
        // Firings the background ticker has not reached yet (it looks once a second) are still
        // to come; after a clock set by hand, time starts anew from here.
        let lagging = |mark: &Timestamp| from.duration_since(*mark) <= TICK_LAG;
        let marks: Vec<Timestamp> = match decided.as_ref() {
            Some(marks) => marks.iter().map(|m| if lagging(m) { (*m).min(from) } else { from.min(to) }).collect(),
            None => vec![from.min(to); self.jobs.len()],
        };
        let marks = decided.insert(marks);
        if to <= from {
            for mark in marks.iter_mut() {
                *mark = to;
            }
            self.clock.set(to);
            return Ok(0);
        }
        // What was sent before the move is handled at the time it was sent.
        self.drain(DRAIN_PASSES).await;
        let replayed = self.replay(marks, to, true).await;
        self.clock.resume();
        match replayed {
            Ok(ran) => {
                self.clock.set(to);
                Ok(ran)
            }
            Err(ran) => Err(Problem::conflict(
                "schedule_stuck",
                format!(
                    "a schedule found work at every firing: the clock stopped at {} after {ran} runs",
                    self.clock.now()
                ),
            )),
        }
    }

    /// Runs every firing with work up to `to` in order; `stand` puts the clock at each
    /// firing's time. `Err` with the runs made when [`MAX_RUNS`] is reached (the marks then
    /// stay at the last run).
    async fn replay(&self, marks: &mut [Timestamp], to: Timestamp, stand: bool) -> Result<usize, usize> {
        let mut ran = 0;
        loop {
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
            if ran == MAX_RUNS {
                return Err(ran);
            }
            if stand {
                // The run and the deliveries after it see the firing's own time, to the instant.
                self.clock.hold(at);
            }
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
        for mark in marks.iter_mut() {
            *mark = to;
        }
        Ok(ran)
    }
}
