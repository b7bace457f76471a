//! Internal complaints (DSA Art. 20): the notifier or the provider of the content complains
//! about a decision, free and electronically, for six months after being told of it; a person
//! (never an automated rule) resolves it, and a founded complaint reverses the decision.

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use super::notice::{ContentType, EXPLANATION_MAX};
use crate::Error;
use crate::validation::{Violations, text};

/// How long after being told of a decision one may complain about it (Art. 20(1)).
pub const WINDOW_MONTHS: i64 = 6;

/// The last moment to complain about a decision told at `told_at`: six calendar months on.
pub fn open_until(told_at: Timestamp) -> Timestamp {
    let zoned = told_at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    zoned.checked_add(WINDOW_MONTHS.months()).map(|z| z.timestamp()).unwrap_or(told_at)
}

/// Refuses a complaint sent after the window closed.
pub fn within_window(told_at: Timestamp, now: Timestamp) -> Result<(), Error> {
    if now > open_until(told_at) {
        return Err(Error::conflict(
            "complaint_window_closed",
            format!("complaints about this decision could be made until {}", open_until(told_at)),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComplaintInput {
    /// A notice id, or the `puid` of a statement of reasons.
    pub decision_of: Option<String>,
    pub explanation: Option<String>,
}

impl ComplaintInput {
    /// The decision complained about and why.
    pub fn validate(self) -> Result<(String, String), Error> {
        let mut v = Violations::new();
        let of = self.decision_of.unwrap_or_default();
        let well_formed = (3..=500).contains(&of.len())
            && of.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && (of.starts_with("ntc_") || of.starts_with("sor_"));
        v.check(well_formed, "decisionOf", "must be a notice id (ntc_…) or a statement of reasons (sor_…)");
        let explanation = match self.explanation.as_deref() {
            None => {
                v.add("explanation", "is required: why the decision is wrong");
                String::new()
            }
            Some(e) => text(&mut v, "explanation", e, EXPLANATION_MAX),
        };
        v.finish(|| (of, explanation))
    }
}

/// Who complains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complainant {
    Notifier,
    /// The author of the review, the seller of the offer or of the account.
    Provider,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Open,
    Resolved,
}

/// What a complaint is about: the content, or an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decided {
    /// The notice whose decision it is, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<String>,
    /// The statement of reasons of the restriction, if any (a kept notice has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The content, `None` for an account decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    pub subject_id: String,
    pub decided_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub founded: bool,
    pub explanation: String,
    pub resolved_at: Timestamp,
    /// Whether the decision was reversed: a founded complaint about a decision that can be.
    pub reversed: bool,
    /// Always false: a person resolves every complaint (Art. 20(6)).
    pub automated: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolutionInput {
    pub founded: Option<bool>,
    pub explanation: Option<String>,
}

impl ResolutionInput {
    pub fn validate(self) -> Result<(bool, String), Error> {
        let mut v = Violations::new();
        v.check(self.founded.is_some(), "founded", "is required: true reverses the decision");
        let explanation = match self.explanation.as_deref() {
            None => {
                v.add("explanation", "is required: the complainant is told why");
                String::new()
            }
            Some(e) => text(&mut v, "explanation", e, EXPLANATION_MAX),
        };
        v.finish(|| (self.founded.unwrap_or(false), explanation))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Complaint {
    pub id: String,
    /// As the complainant named it.
    pub decision_of: String,
    pub decided: Decided,
    pub complainant: Complainant,
    /// The complainant's account.
    pub account: String,
    pub explanation: String,
    /// Where the outcome is sent: personal data, kept for that alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    pub status: ComplaintStatus,
    pub received_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    pub version: u32,
}

impl Complaint {
    /// Resolved by an admin; `reversible` says whether a founded complaint can undo the decision
    /// here (content can; an account is reinstated through its own route).
    pub fn resolve(
        &self,
        founded: bool,
        explanation: String,
        reversible: bool,
        now: Timestamp,
    ) -> Result<Complaint, Error> {
        if self.status != ComplaintStatus::Open {
            return Err(Error::conflict("complaint_resolved", "the complaint was resolved before"));
        }
        let resolution =
            Resolution { founded, explanation, resolved_at: now, reversed: founded && reversible, automated: false };
        Ok(Complaint {
            status: ComplaintStatus::Resolved,
            resolution: Some(resolution),
            version: self.version + 1,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    #[test]
    fn the_window_is_six_calendar_months() {
        let told = at("2026-08-31T10:00:00Z");
        assert_eq!(open_until(told), at("2027-02-28T10:00:00Z"), "the end of a shorter month");
        assert!(within_window(told, at("2027-02-28T10:00:00Z")).is_ok());
        assert!(matches!(
            within_window(told, at("2027-02-28T10:00:01Z")),
            Err(Error::Conflict { code: "complaint_window_closed", .. })
        ));
    }

    #[test]
    fn a_complaint_names_a_decision_and_says_why() {
        let ok =
            ComplaintInput { decision_of: Some("ntc_01x".into()), explanation: Some("It is my own photo.".into()) };
        assert_eq!(ok.validate().expect("valid").0, "ntc_01x");
        for of in ["", "ord_1", "ntc_1/../x", "sor_ x"] {
            let bad = ComplaintInput { decision_of: Some(of.into()), explanation: Some("x".into()) };
            assert!(bad.validate().is_err(), "{of}");
        }
        assert!(ComplaintInput { decision_of: Some("sor_x_1".into()), explanation: None }.validate().is_err());
    }

    #[test]
    fn a_complaint_is_resolved_once_and_reverses_only_when_founded() {
        let c = Complaint {
            id: "cmp_1".into(),
            decision_of: "ntc_1".into(),
            decided: Decided {
                notice_id: Some("ntc_1".into()),
                statement: None,
                content_type: Some(ContentType::Review),
                subject_id: "rev_1".into(),
                decided_at: at("2026-12-01T00:00:00Z"),
            },
            complainant: Complainant::Provider,
            account: "b1".into(),
            explanation: "x".into(),
            reply_to: None,
            status: ComplaintStatus::Open,
            received_at: at("2026-12-02T00:00:00Z"),
            resolution: None,
            version: 1,
        };
        let now = at("2026-12-03T00:00:00Z");
        let founded = c.resolve(true, "Right.".into(), true, now).expect("open");
        assert!(founded.resolution.as_ref().is_some_and(|r| r.reversed && !r.automated));
        assert!(c.resolve(false, "No.".into(), true, now).expect("open").resolution.is_some_and(|r| !r.reversed));
        assert!(c.resolve(true, "Right.".into(), false, now).expect("open").resolution.is_some_and(|r| !r.reversed));
        assert!(founded.resolve(true, "again".into(), true, now).is_err());
        let missing = ResolutionInput { founded: None, explanation: None }.validate().expect_err("refused");
        assert!(format!("{missing:?}").contains("founded") && format!("{missing:?}").contains("explanation"));
    }
}
