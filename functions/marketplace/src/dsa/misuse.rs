//! Measures against misuse (DSA Art. 23): a notifier whose notices are repeatedly manifestly
//! unfounded, and an account that repeatedly provides manifestly illegal content, are first
//! warned, then suspended — from sending notices, or from publishing — for a period.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The threshold and the period (`MARKETPLACE_MISUSE`, JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MisuseTerms {
    /// Manifestly unfounded notices, or manifestly illegal items, that lead to a suspension;
    /// the one before it brings the warning.
    pub threshold: u32,
    pub suspension_days: i64,
}

impl Default for MisuseTerms {
    fn default() -> Self {
        MisuseTerms { threshold: 3, suspension_days: 30 }
    }
}

impl MisuseTerms {
    pub fn from_json(json: &str) -> Result<MisuseTerms, String> {
        let terms: MisuseTerms = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if !(2..=100).contains(&terms.threshold) {
            return Err("threshold is 2 to 100: a warning must come before a suspension".into());
        }
        if !(1..=365).contains(&terms.suspension_days) {
            return Err("suspensionDays is 1 to 365: a suspension is for a reasonable period".into());
        }
        Ok(terms)
    }
}

/// Who misused the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Misuser {
    /// Sent manifestly unfounded notices: suspended from sending notices.
    Notifier,
    /// Provided manifestly illegal content: suspended from publishing reviews or offers.
    Provider,
}

/// One party's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Misuse {
    /// Counted since the last suspension.
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warned_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_until: Option<Timestamp>,
    pub suspensions: u32,
    pub version: u32,
}

/// What one more case brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Counted,
    Warned,
    Suspended { until: Timestamp },
}

impl Misuse {
    pub fn is_suspended(&self, now: Timestamp) -> bool {
        self.suspended_until.is_some_and(|until| now < until)
    }

    /// One more manifestly unfounded notice or manifestly illegal item at `now`.
    pub fn record(&self, terms: &MisuseTerms, now: Timestamp) -> (Misuse, Step) {
        let count = self.count + 1;
        let mut next = Misuse { count, version: self.version + 1, ..self.clone() };
        let step = if count >= terms.threshold && self.warned_at.is_some() {
            let until = now.checked_add(SignedDuration::from_hours(24 * terms.suspension_days)).unwrap_or(now);
            next = Misuse {
                count: 0,
                warned_at: None,
                suspended_until: Some(until),
                suspensions: self.suspensions + 1,
                version: next.version,
            };
            Step::Suspended { until }
        } else if count + 1 >= terms.threshold && self.warned_at.is_none() {
            next.warned_at = Some(now);
            Step::Warned
        } else {
            Step::Counted
        };
        (next, step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_comes_before_every_suspension() {
        let terms = MisuseTerms::default();
        let now = Timestamp::UNIX_EPOCH;
        let mut m = Misuse::default();
        let mut steps = Vec::new();
        for _ in 0..6 {
            let (next, step) = m.record(&terms, now);
            steps.push(step);
            m = next;
        }
        let until = now.checked_add(SignedDuration::from_hours(24 * 30)).expect("time");
        assert_eq!(
            steps,
            [
                Step::Counted,
                Step::Warned,
                Step::Suspended { until },
                Step::Counted,
                Step::Warned,
                Step::Suspended { until }
            ]
        );
        assert_eq!(m.suspensions, 2);
        assert!(m.is_suspended(now) && !m.is_suspended(until));
    }

    #[test]
    fn terms_keep_the_warning_and_a_bounded_period() {
        assert!(MisuseTerms::from_json(r#"{"threshold":1,"suspensionDays":30}"#).is_err());
        assert!(MisuseTerms::from_json(r#"{"threshold":3,"suspensionDays":0}"#).is_err());
        assert_eq!(
            MisuseTerms::from_json(r#"{"threshold":2,"suspensionDays":7}"#),
            Ok(MisuseTerms { threshold: 2, suspension_days: 7 })
        );
        let terms = MisuseTerms { threshold: 2, suspension_days: 7 };
        let (m, step) = Misuse::default().record(&terms, Timestamp::UNIX_EPOCH);
        assert_eq!(step, Step::Warned);
        assert!(matches!(m.record(&terms, Timestamp::UNIX_EPOCH).1, Step::Suspended { .. }));
    }
}
