//! Schedules on the runner's clock. `rate(…)` expressions fire on time; a `cron(…)`
//! expression is listed and runs on demand only (no job uses one yet). Any schedule runs at
//! once with `POST /_local/schedules/{name}/run`.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use crate::functions::Job;
use crate::template::Schedule;

pub struct Scheduled {
    pub schedule: Schedule,
    pub job: Job,
    period: Option<SignedDuration>,
    next: Mutex<Option<Timestamp>>,
}

/// `rate(5 minutes)` → 5 minutes; anything else → `None`.
pub fn period(expression: &str) -> Option<SignedDuration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (value, unit) = inner.trim().split_once(' ')?;
    let value: i64 = value.parse().ok().filter(|v| *v > 0)?;
    let seconds = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    Some(SignedDuration::from_secs(value * seconds))
}

impl Scheduled {
    pub fn new(schedule: Schedule, job: Job) -> Self {
        let period = period(&schedule.expression);
        Scheduled { schedule, job, period, next: Mutex::new(None) }
    }

    pub async fn run(&self) -> Result<String, String> {
        let outcome = (self.job)().await;
        match &outcome {
            Ok(report) => tracing::info!(schedule = %self.schedule.name, report, "schedule ran"),
            Err(error) => tracing::warn!(schedule = %self.schedule.name, error, "schedule failed"),
        }
        outcome
    }

    /// Whether the schedule is due at `now`; the first check only starts the clock. After a
    /// jump of the clock a rate runs once, not once per missed period.
    fn due(&self, now: Timestamp) -> bool {
        let Some(period) = self.period else { return false };
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        match *next {
            Some(at) if now < at => false,
            Some(_) => {
                *next = now.checked_add(period).ok();
                true
            }
            None => {
                *next = now.checked_add(period).ok();
                false
            }
        }
    }
}

pub async fn run_due(jobs: &[Scheduled], now: Timestamp) -> usize {
    let mut ran = 0;
    for job in jobs.iter().filter(|j| j.due(now)) {
        let _ = job.run().await;
        ran += 1;
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(period("rate(5 minutes)"), Some(SignedDuration::from_mins(5)));
        assert_eq!(period("rate(1 day)"), Some(SignedDuration::from_hours(24)));
        assert_eq!(period("rate(0 minutes)"), None);
        assert_eq!(period("cron(0 3 1 * ? *)"), None);
    }
}
