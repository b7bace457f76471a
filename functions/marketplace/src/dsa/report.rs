//! The transparency report (DSA Art. 15 and 24(1)), in the sections of the Commission's
//! harmonised templates (Implementing Regulation (EU) 2024/2835): notices received, by
//! category, content type and source (trusted flaggers apart), and the actions taken on them
//! by ground, how many automated, the median time to decide; the platform's own-initiative
//! actions; complaints, their outcomes, the median time to resolve them and the reversals;
//! suspensions for misuse (Art. 23).
//! Notices and complaints count in the period they were received; own-initiative actions in
//! the period they were taken.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::complaint::{Complaint, ComplaintStatus};
use super::misuse::Misuser;
use super::notice::{Action, ContentType, Notice, NoticeStatus};
use super::removal::Ground;
use super::statement::{Source, Statement};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyReport {
    pub from: Date,
    pub to: Date,
    pub notices: Notices,
    pub notice_actions: NoticeActions,
    pub own_initiative: OwnInitiative,
    pub complaints: Complaints,
    pub suspensions: Suspensions,
    /// The average monthly active recipients over the period's months (Art. 24(2)).
    pub active_recipients: super::recipients::PeriodRecipients,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notices {
    pub total: u64,
    pub by_category: BTreeMap<String, u64>,
    pub by_content_type: BTreeMap<String, u64>,
    pub by_source: BTreeMap<String, u64>,
    pub from_trusted_flaggers: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeActions {
    pub decided: u64,
    pub open: u64,
    pub by_action: BTreeMap<String, u64>,
    /// Restrictions on the law's grounds and on the terms'.
    pub restricted_illegal: u64,
    pub restricted_incompatible: u64,
    pub automated: u64,
    /// Median seconds from receipt to decision, over the decided notices.
    pub median_seconds_to_decision: Option<i64>,
    /// Median seconds for trusted flaggers' notices alone.
    pub median_seconds_to_decision_trusted: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnInitiative {
    pub total: u64,
    pub illegal: u64,
    pub incompatible: u64,
    pub by_category: BTreeMap<String, u64>,
    pub automated: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Complaints {
    pub received: u64,
    pub open: u64,
    pub founded: u64,
    pub unfounded: u64,
    pub reversed: u64,
    pub median_seconds_to_resolution: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suspensions {
    pub notifiers: u64,
    pub providers: u64,
}

/// The median of whole seconds, the mean of the middle two (rounded down) for an even count.
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]).div_euclid(2)),
    }
}

/// The report of `from` to `to` (inclusive days) from what the period received and did.
pub fn report(
    (from, to): (Date, Date),
    notices: &[Notice],
    complaints: &[Complaint],
    statements: &[Statement],
    suspensions: &[Misuser],
) -> TransparencyReport {
    let mut n = Notices::default();
    let mut a = NoticeActions::default();
    let (mut all, mut trusted) = (Vec::new(), Vec::new());
    for notice in notices {
        let grounds = notice.grounds();
        n.total += 1;
        *n.by_category.entry(grounds.category.to_owned()).or_default() += 1;
        *n.by_content_type.entry(notice.content_type.as_str().to_owned()).or_default() += 1;
        *n.by_source.entry(notice.source.as_str().to_owned()).or_default() += 1;
        let is_trusted = notice.source == Source::TrustedFlagger;
        n.from_trusted_flaggers += u64::from(is_trusted);
        let Some(decision) = notice.decision.as_ref().filter(|_| notice.status == NoticeStatus::Decided) else {
            a.open += 1;
            continue;
        };
        a.decided += 1;
        a.automated += u64::from(decision.automated);
        *a.by_action.entry(decision.action.as_str().to_owned()).or_default() += 1;
        if decision.action != Action::Keep {
            match grounds.ground {
                Ground::Illegal { .. } => a.restricted_illegal += 1,
                Ground::Incompatible { .. } => a.restricted_incompatible += 1,
            }
        }
        let seconds = decision.decided_at.duration_since(notice.received_at).as_secs();
        all.push(seconds);
        if is_trusted {
            trusted.push(seconds);
        }
    }
    a.median_seconds_to_decision = median(all);
    a.median_seconds_to_decision_trusted = median(trusted);
    for kind in [ContentType::Review, ContentType::Offer] {
        n.by_content_type.entry(kind.as_str().to_owned()).or_default();
    }

    let mut own = OwnInitiative::default();
    for s in statements.iter().filter(|s| s.source_type == Source::Voluntary.as_str()) {
        own.total += 1;
        match s.decision_ground.as_str() {
            "DECISION_GROUND_ILLEGAL_CONTENT" => own.illegal += 1,
            _ => own.incompatible += 1,
        }
        *own.by_category.entry(s.category.clone()).or_default() += 1;
        own.automated += u64::from(s.automated_decision != "AUTOMATED_DECISION_NOT_AUTOMATED");
    }

    let mut c = Complaints::default();
    let mut handling = Vec::new();
    for complaint in complaints {
        c.received += 1;
        match (&complaint.resolution, complaint.status) {
            (Some(r), ComplaintStatus::Resolved) => {
                if r.founded {
                    c.founded += 1;
                } else {
                    c.unfounded += 1;
                }
                c.reversed += u64::from(r.reversed);
                handling.push(r.resolved_at.duration_since(complaint.received_at).as_secs());
            }
            _ => c.open += 1,
        }
    }
    c.median_seconds_to_resolution = median(handling);

    let suspensions = Suspensions {
        notifiers: suspensions.iter().filter(|m| **m == Misuser::Notifier).count() as u64,
        providers: suspensions.iter().filter(|m| **m == Misuser::Provider).count() as u64,
    };
    TransparencyReport {
        from,
        to,
        notices: n,
        notice_actions: a,
        own_initiative: own,
        complaints: c,
        suspensions,
        active_recipients: Default::default(),
    }
}

impl TransparencyReport {
    /// One `section,metric,value` row per figure, for spreadsheets.
    pub fn to_csv(&self) -> String {
        let mut rows = vec!["section,metric,value".to_owned()];
        let mut row = |section: &str, metric: &str, value: String| rows.push(format!("{section},{metric},{value}"));
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        row("period", "from", self.from.to_string());
        row("period", "to", self.to.to_string());
        let n = &self.notices;
        row("notices", "total", n.total.to_string());
        row("notices", "from_trusted_flaggers", n.from_trusted_flaggers.to_string());
        for (k, v) in &n.by_category {
            row("notices_by_category", k, v.to_string());
        }
        for (k, v) in &n.by_content_type {
            row("notices_by_content_type", k, v.to_string());
        }
        for (k, v) in &n.by_source {
            row("notices_by_source", k, v.to_string());
        }
        let a = &self.notice_actions;
        row("notice_actions", "decided", a.decided.to_string());
        row("notice_actions", "open", a.open.to_string());
        for (k, v) in &a.by_action {
            row("notice_actions_by_action", k, v.to_string());
        }
        row("notice_actions", "restricted_illegal", a.restricted_illegal.to_string());
        row("notice_actions", "restricted_incompatible", a.restricted_incompatible.to_string());
        row("notice_actions", "automated", a.automated.to_string());
        row("notice_actions", "median_seconds_to_decision", opt(a.median_seconds_to_decision));
        row("notice_actions", "median_seconds_to_decision_trusted", opt(a.median_seconds_to_decision_trusted));
        let o = &self.own_initiative;
        row("own_initiative", "total", o.total.to_string());
        row("own_initiative", "illegal", o.illegal.to_string());
        row("own_initiative", "incompatible", o.incompatible.to_string());
        row("own_initiative", "automated", o.automated.to_string());
        for (k, v) in &o.by_category {
            row("own_initiative_by_category", k, v.to_string());
        }
        let c = &self.complaints;
        row("complaints", "received", c.received.to_string());
        row("complaints", "open", c.open.to_string());
        row("complaints", "founded", c.founded.to_string());
        row("complaints", "unfounded", c.unfounded.to_string());
        row("complaints", "reversed", c.reversed.to_string());
        row("complaints", "median_seconds_to_resolution", opt(c.median_seconds_to_resolution));
        row("suspensions", "notifiers", self.suspensions.notifiers.to_string());
        row("suspensions", "providers", self.suspensions.providers.to_string());
        let r = &self.active_recipients;
        for m in &r.months {
            row("active_recipients_by_month", &m.month, m.unique_recipients.to_string());
        }
        row("active_recipients", "average_monthly", r.average.map(|a| a.to_string()).unwrap_or_default());
        rows.join("\n") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![30, 10, 20]), Some(20));
        assert_eq!(median(vec![40, 10, 20, 30]), Some(25));
        assert_eq!(median(vec![1, 2]), Some(1), "rounded down");
    }

    #[test]
    fn an_empty_period_reports_zeros_and_no_median() {
        let d: Date = "2026-01-01".parse().expect("date");
        let r = report((d, d), &[], &[], &[], &[]);
        assert_eq!((r.notices.total, r.complaints.received, r.notice_actions.median_seconds_to_decision), (0, 0, None));
        assert_eq!(r.notices.by_content_type.get("review"), Some(&0));
        let csv = r.to_csv();
        assert!(csv.starts_with("section,metric,value\n"));
        assert!(csv.contains("suspensions,providers,0\n"));
        assert!(csv.lines().all(|l| l.split(',').count() == 3), "{csv}");
    }
}
