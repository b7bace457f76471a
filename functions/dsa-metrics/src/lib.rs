//! `dsa-metrics`: the monthly active recipients in the Union (DSA Art. 24(2)).
//!
//! - [`Counter::count`] takes the recipient lines the HTTP functions wrote (delivered by the
//!   log subscription in AWS, by the runner's queue locally) and records each identity's first
//!   activity of the month with one conditional put, and each device's link to an account
//!   with one put. A line this container has recorded before costs nothing; one recorded by
//!   another container fails its condition and changes nothing. A failed write fails the
//!   batch, which is delivered again: every write is idempotent.
//! - [`run`], daily: closes each month once its grace is over (counted on the table's side),
//!   and publishes the report to S3 when a half-year's publication is due.

use std::collections::HashSet;
use std::sync::Mutex;

use marketplace::dsa::recipients::{Counted, Identity, Line};
use ports::{Ports, Table, TableError};
use serde::Serialize;
use store::Recipients;
use store::recipients::{following_publication, publication_due_at, publish, scheduled_publication};

/// Identities a container remembers having recorded (about 100 bytes each); forgetting them
/// all when full costs one failed conditional put each.
const REMEMBERED: usize = 200_000;

/// Writes in flight at once.
const PARALLEL_WRITES: usize = 32;

/// What one batch of lines did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub lines: usize,
    /// Lines that were not recipient lines (other log lines, damaged ones).
    pub skipped: usize,
    /// Identities recorded for the first time this month.
    pub new: usize,
    /// Identities already recorded (by another container or an earlier delivery).
    pub repeats: usize,
    /// Devices linked to an account.
    pub links: usize,
    /// Identities that needed no write: recorded before by this container, met earlier in
    /// the batch, or a device whose link in the batch records it.
    pub remembered: usize,
}

/// The counting of one container, with what it remembers between batches.
#[derive(Default)]
pub struct Counter {
    remembered: Mutex<HashSet<String>>,
}

enum Write {
    First(String, Identity),
    Link(String, String),
}

impl Write {
    fn memo(&self) -> String {
        match self {
            Write::First(month, Identity::Account(a)) => format!("{month}A{a}"),
            Write::First(month, Identity::Device(d)) => format!("{month}D{d}"),
            Write::Link(month, d) => format!("{month}L{d}"),
        }
    }

    /// For a link, the memo of the device's own first activity, which the link records too.
    fn device_memo(&self) -> Option<String> {
        match self {
            Write::Link(month, d) => Some(format!("{month}D{d}")),
            Write::First(..) => None,
        }
    }
}

impl Counter {
    fn knows(&self, memo: &str) -> bool {
        self.remembered.lock().unwrap_or_else(|p| p.into_inner()).contains(memo)
    }

    fn remember(&self, memo: String) {
        let mut remembered = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
        if remembered.len() >= REMEMBERED {
            remembered.clear();
        }
        remembered.insert(memo);
    }

    /// Records a batch of lines.
    pub async fn count<I, S>(&self, table: &dyn Table, lines: I) -> Result<Tally, TableError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut tally = Tally::default();
        let mut writes: Vec<Write> = Vec::new();
        let mut in_batch: HashSet<String> = HashSet::new();
        for line in lines {
            tally.lines += 1;
            let Some(Counted { month, identity, linked_device }) = Line::parse(line.as_ref()) else {
                tally.skipped += 1;
                continue;
            };
            let link = linked_device.map(|d| Write::Link(month.clone(), d));
            for write in std::iter::once(Write::First(month.clone(), identity)).chain(link) {
                let memo = write.memo();
                if self.knows(&memo) || !in_batch.insert(memo) {
                    tally.remembered += 1;
                } else {
                    writes.push(write);
                }
            }
        }
        // A device linked in this batch is recorded by its link: its own first put would only
        // race the link and fail.
        let linked: HashSet<String> = writes.iter().filter_map(Write::device_memo).collect();
        let before = writes.len();
        writes
            .retain(|write| !matches!(write, Write::First(_, Identity::Device(_))) || !linked.contains(&write.memo()));
        tally.remembered += before - writes.len();
        let recipients = Recipients::new(table);
        for chunk in writes.chunks(PARALLEL_WRITES) {
            let done = futures_util::future::try_join_all(chunk.iter().map(|write| async {
                match write {
                    Write::First(month, identity) => recipients.first_seen(month, identity).await.map(Some),
                    Write::Link(month, device) => recipients.link(month, device).await.map(|()| None),
                }
            }))
            .await?;
            for (write, outcome) in chunk.iter().zip(done) {
                match outcome {
                    Some(true) => tally.new += 1,
                    Some(false) => tally.repeats += 1,
                    None => tally.links += 1,
                }
                self.remember(write.memo());
                if let Some(device) = write.device_memo() {
                    self.remember(device);
                }
            }
        }
        Ok(tally)
    }
}

/// The lines of a CloudWatch Logs subscription's event; `None` for any other event (the daily
/// schedule's).
pub fn subscription_lines(event: &serde_json::Value) -> Result<Option<Vec<String>>, serde_json::Error> {
    if event.get("awslogs").is_none() {
        return Ok(None);
    }
    // The event type decodes its gzip and base64 only from text, not from a parsed value.
    let logs: aws_lambda_events::cloudwatch_logs::LogsEvent = serde_json::from_str(&event.to_string())?;
    Ok(Some(logs.aws_logs.data.log_events.into_iter().map(|e| e.message).collect()))
}

/// What a daily run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The months closed, with their unique recipients.
    pub closed: Vec<(String, u64)>,
    /// The publication made, if one was due.
    pub published: Option<String>,
}

/// Closes the months that are due, then publishes the half-year's report if it is due and
/// not published yet.
pub async fn run(ports: &Ports) -> Result<Run, String> {
    let now = ports.clock.now();
    let recipients = Recipients::new(ports.table.as_ref());
    let closed = recipients.close_due(now).await.map_err(|e| e.to_string())?;
    for (month, count) in &closed {
        tracing::info!(month = %month, unique_recipients = count, "month closed");
    }
    let due = scheduled_publication(now);
    let published = if recipients.was_published(&due).await.map_err(|e| e.to_string())? {
        None
    } else {
        let published = publish(ports, &due, now).await?;
        tracing::info!(publication = %due, average = published.report.average, "active recipients published");
        Some(due)
    };
    Ok(Run { closed, published })
}

/// When a run next finds work, the time each piece of it fell due: a month to close, or the
/// half-year's publication.
pub async fn next_due(ports: &Ports) -> Result<Option<jiff::Timestamp>, String> {
    let now = ports.clock.now();
    let recipients = Recipients::new(ports.table.as_ref());
    let close = recipients.next_due(now).await.map_err(|e| e.to_string())?;
    let key = scheduled_publication(now);
    let publication = if recipients.was_published(&key).await.map_err(|e| e.to_string())? {
        following_publication(&key).and_then(|next| publication_due_at(&next))
    } else {
        publication_due_at(&key)
    };
    Ok([close, publication].into_iter().flatten().min())
}
