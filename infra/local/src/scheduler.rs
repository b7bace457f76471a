//! The template's schedules on the runner's clock. `rate(…)` and `cron(…)` expressions fire
//! on time (a cron in UTC, as EventBridge Scheduler's default); a cron using `L`, `W` or `#`
//! is listed and runs on demand only. Any schedule runs at once with
//! `POST /_local/schedules/{name}/run`. When the runs happen is the timeline's business.

use jiff::{SignedDuration, Timestamp};

use crate::functions::{Job, Probe};
use crate::template::Schedule;

pub struct Scheduled {
    pub schedule: Schedule,
    pub job: Job,
    /// For a `rate()` job: when its next run finds work.
    probe: Option<Probe>,
    when: When,
}

enum When {
    Rate(SignedDuration),
    Cron(Cron),
    OnDemand,
}

/// An EventBridge cron expression: minutes, hours, day of month, month, day of week (1 is
/// Sunday) and year, each `*`, `?`, a number, a range, a list or a step (`*/15`, `6/10`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    fields: [Vec<bool>; 6],
}

const FIELD_RANGES: [(u32, u32); 6] = [(0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199)];

fn field(text: &str, (low, high): (u32, u32)) -> Option<Vec<bool>> {
    let mut allowed = vec![false; (high + 1) as usize];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" | "?" => (low, high),
            _ => match range.split_once('-') {
                Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                None => {
                    let n = range.parse().ok()?;
                    (n, if part.contains('/') { high } else { n })
                }
            },
        };
        if from < low || to > high || from > to {
            return None;
        }
        for value in (from..=to).step_by(step as usize) {
            allowed[value as usize] = true;
        }
    }
    Some(allowed)
}

impl Cron {
    /// `cron(0 3 6,16,26 * ? *)` → the cron; anything else → `None`.
    pub fn parse(expression: &str) -> Option<Cron> {
        let inner = expression.strip_prefix("cron(")?.strip_suffix(')')?;
        let parts: Vec<&str> = inner.split_whitespace().collect();
        if parts.len() != 6 {
            return None;
        }
        let mut fields: [Vec<bool>; 6] = Default::default();
        for (i, part) in parts.iter().enumerate() {
            fields[i] = field(part, FIELD_RANGES[i])?;
        }
        Some(Cron { fields })
    }

    fn matches_day(&self, date: jiff::civil::Date) -> bool {
        let dow = u32::from(date.weekday().to_sunday_one_offset().unsigned_abs());
        let f = &self.fields;
        f[2][date.day() as usize]
            && f[3][date.month() as usize]
            && f[4][dow as usize]
            && usize::try_from(date.year()).is_ok_and(|y| f[5].get(y).copied().unwrap_or(false))
    }

    /// The first matching minute after `after`, within ten years.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let tz = jiff::tz::TimeZone::UTC;
        let start = after.to_zoned_datetime(tz.clone()).datetime();
        let mut day = start.date();
        for _ in 0..3660 {
            if self.matches_day(day) {
                for hour in (0..24u32).filter(|h| self.fields[1][*h as usize]) {
                    for minute in (0..60u32).filter(|m| self.fields[0][*m as usize]) {
                        let at = day.at(hour as i8, minute as i8, 0, 0);
                        if at > start {
                            return at.to_zoned_datetime(tz.clone()).ok().map(|z| z.timestamp());
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
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
    pub fn new(schedule: Schedule, job: Job, probe: Option<Probe>) -> Self {
        let when = match (period(&schedule.expression), Cron::parse(&schedule.expression)) {
            (Some(period), _) => When::Rate(period),
            (None, Some(cron)) => When::Cron(cron),
            (None, None) => When::OnDemand,
        };
        Scheduled { schedule, job, probe, when }
    }

    pub async fn run(&self) -> Result<String, String> {
        let outcome = (self.job)().await;
        match &outcome {
            Ok(report) => tracing::info!(schedule = %self.schedule.name, report, "schedule ran"),
            Err(error) => tracing::warn!(schedule = %self.schedule.name, error, "schedule failed"),
        }
        outcome
    }

    /// The first time the schedule fires after `after`. A rate fires on the multiples of its
    /// period since the Unix epoch (every hour on the hour), so runs do not depend on when the
    /// runner started; a cron on its matching minutes.
    pub fn following(&self, after: Timestamp) -> Option<Timestamp> {
        match &self.when {
            When::Rate(period) => {
                let step = period.as_secs();
                let next = after.as_second().div_euclid(step).checked_add(1)?.checked_mul(step)?;
                Timestamp::from_second(next).ok()
            }
            When::Cron(cron) => cron.next_after(after),
            When::OnDemand => None,
        }
    }

    /// The first time after `after` at which a run would find work: the next firing for a
    /// cron (a cron always runs), the first firing at or after the probe's answer for a
    /// probed rate (none while its due list is empty).
    pub async fn next_with_work(&self, after: Timestamp) -> Option<Timestamp> {
        let next = self.following(after)?;
        let (When::Rate(_), Some(probe)) = (&self.when, &self.probe) else { return Some(next) };
        match probe().await {
            Ok(Some(due)) if due <= next => Some(next),
            Ok(Some(due)) => self.following(due.checked_sub(SignedDuration::from_nanos(1)).ok()?),
            Ok(None) => None,
            // The probe could not tell: run as EventBridge would.
            Err(error) => {
                tracing::warn!(schedule = %self.schedule.name, error, "could not tell when work is due");
                Some(next)
            }
        }
    }
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

    fn scheduled(expression: &str, probe: Option<Probe>) -> Scheduled {
        let job: Job = std::sync::Arc::new(|| Box::pin(async { Ok(String::new()) }));
        Scheduled::new(Schedule { name: "job".into(), expression: expression.into() }, job, probe)
    }

    fn probe(answer: Option<&'static str>) -> Option<Probe> {
        Some(std::sync::Arc::new(move || Box::pin(async move { Ok(answer.map(|a| a.parse().expect("a time"))) })))
    }

    #[tokio::test]
    async fn rates_fire_on_multiples_of_their_period_and_skip_to_their_work() {
        let at = |s: &str| s.parse::<Timestamp>().expect("a timestamp");
        let hourly = scheduled("rate(1 hour)", None);
        assert_eq!(hourly.following(at("2026-11-27T09:30:00Z")), Some(at("2026-11-27T10:00:00Z")));
        assert_eq!(hourly.following(at("2026-11-27T10:00:00Z")), Some(at("2026-11-27T11:00:00Z")));
        let after = at("2026-11-20T09:30:00Z");
        assert_eq!(hourly.next_with_work(after).await, Some(at("2026-11-20T10:00:00Z")), "no probe: every firing");
        let release = scheduled("rate(1 hour)", probe(Some("2026-11-27T09:30:00.5Z")));
        assert_eq!(release.next_with_work(after).await, Some(at("2026-11-27T10:00:00Z")), "the first firing after");
        let on_the_hour = scheduled("rate(1 hour)", probe(Some("2026-11-27T10:00:00Z")));
        assert_eq!(on_the_hour.next_with_work(after).await, Some(at("2026-11-27T10:00:00Z")), "at the due time");
        let overdue = scheduled("rate(1 hour)", probe(Some("2026-11-01T00:00:00Z")));
        assert_eq!(overdue.next_with_work(after).await, Some(at("2026-11-20T10:00:00Z")), "the next firing");
        assert_eq!(scheduled("rate(1 hour)", probe(None)).next_with_work(after).await, None, "nothing waits");
        let fees = scheduled("cron(5 0 1 * ? *)", probe(None));
        assert_eq!(fees.next_with_work(after).await, Some(at("2026-12-01T00:05:00Z")), "a cron always runs");
        assert_eq!(scheduled("cron(0 3 L * ? *)", None).following(after), None, "on demand only");
    }

    #[test]
    fn crons() {
        let at = |s: &str| s.parse::<Timestamp>().expect("a timestamp");
        let payouts = Cron::parse("cron(0 3 6,16,26 * ? *)").expect("a cron");
        assert_eq!(payouts.next_after(at("2026-11-27T10:00:00Z")), Some(at("2026-12-06T03:00:00Z")));
        assert_eq!(payouts.next_after(at("2026-12-06T03:00:00Z")), Some(at("2026-12-16T03:00:00Z")));
        let fees = Cron::parse("cron(5 0 1 * ? *)").expect("a cron");
        assert_eq!(fees.next_after(at("2026-12-31T23:59:00Z")), Some(at("2027-01-01T00:05:00Z")));
        let weekdays = Cron::parse("cron(*/30 9-10 ? * 2-6 *)").expect("a cron");
        // 2026-11-28 is a Saturday: the next weekday is Monday the 30th.
        assert_eq!(weekdays.next_after(at("2026-11-27T10:45:00Z")), Some(at("2026-11-30T09:00:00Z")));
        for unsupported in
            ["cron(0 3 L * ? *)", "cron(0 3 * * 2#1 *)", "cron(0 3 * *)", "cron(61 3 * * ? *)", "rate(1 day)"]
        {
            assert_eq!(Cron::parse(unsupported), None, "{unsupported}");
        }
    }
}
