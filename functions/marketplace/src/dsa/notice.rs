//! Notice and action (DSA Art. 16), with trusted flaggers' notices first (Art. 22): anyone,
//! signed in or not, reports a review or an offer on one of its enumerated grounds, with the
//! exact content id, a reasoned explanation, a name, an e-mail and a statement of good faith.
//! A person (never an automated rule) decides: keep it, remove it, or disable it. A review or
//! offer reported stays as it is until then.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::removal::Grounds;
use super::statement::{Restriction, Source};
use crate::Error;
use crate::offer::RemovalReason;
use crate::reviews::removal::ReviewRemovalReason;
use crate::validation::{Violations, is_email, text};

/// The longest explanation a notifier or a moderator writes.
pub const EXPLANATION_MAX: usize = 2000;
/// The longest notifier name.
pub const NAME_MAX: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    Review,
    Offer,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Review => "review",
            ContentType::Offer => "offer",
        }
    }

    /// The grounds a notice about this content may name.
    pub fn reasons(self) -> Vec<&'static str> {
        match self {
            ContentType::Review => ReviewRemovalReason::ALL.iter().map(|r| r.as_str()).collect(),
            ContentType::Offer => RemovalReason::GROUNDS.iter().map(|r| r.as_str()).collect(),
        }
    }

    /// What `reason` means for this content, `None` when it is not one of its grounds.
    pub fn grounds(self, reason: &str) -> Option<Grounds> {
        match self {
            ContentType::Review => ReviewRemovalReason::parse(reason).map(ReviewRemovalReason::grounds),
            ContentType::Offer => RemovalReason::ground(reason).map(super::removal::grounds),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifier {
    pub name: String,
    pub email: String,
}

/// Who provided the content: a review's author, or an offer's seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Author {
    Buyer { sub: String },
    Seller { seller_id: String },
}

impl Author {
    /// The provider as misuse records name it (Art. 23).
    pub fn identity(&self) -> String {
        match self {
            Author::Buyer { sub } => format!("buyer:{sub}"),
            Author::Seller { seller_id } => format!("seller:{seller_id}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    Open,
    Decided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Keep,
    Remove,
    Restrict,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Remove => "remove",
            Action::Restrict => "restrict",
        }
    }

    /// The restriction the action imposes, `None` for keep.
    pub fn restriction(self) -> Option<Restriction> {
        match self {
            Action::Keep => None,
            Action::Remove => Some(Restriction::ContentRemoved),
            Action::Restrict => Some(Restriction::ContentDisabled),
        }
    }
}

/// A notice as anyone sends it: enumerations as text so that a bad one is a named 422.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoticeInput {
    pub content_type: Option<String>,
    pub content_id: Option<String>,
    pub reason: Option<String>,
    pub explanation: Option<String>,
    pub notifier: Option<NotifierInput>,
    pub good_faith: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierInput {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A notice's validated content, before it is about stored content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub content_type: ContentType,
    pub content_id: String,
    pub reason: String,
    pub explanation: String,
    pub notifier: Notifier,
}

/// Whether an id is one the platform issues: `prefix_` and letters or digits.
fn is_content_id(id: &str) -> bool {
    (3..=64).contains(&id.len()) && id.contains('_') && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl NoticeInput {
    pub fn validate(self) -> Result<NewNotice, Error> {
        let mut v = Violations::new();
        let content_type = match self.content_type.as_deref() {
            Some("review") => Some(ContentType::Review),
            Some("offer") => Some(ContentType::Offer),
            _ => {
                v.add("contentType", "must be review or offer");
                None
            }
        };
        let content_id = self.content_id.unwrap_or_default();
        v.check(is_content_id(&content_id), "contentId", "must be the id of the review or offer, e.g. rev_01…");
        let reason = self.reason.unwrap_or_default();
        if let Some(ct) = content_type
            && ct.grounds(&reason).is_none()
        {
            v.add("reason", format!("must be one of {}", ct.reasons().join(", ")));
        }
        let explanation = match self.explanation.as_deref() {
            None => {
                v.add("explanation", "is required: why the content is illegal or against the terms");
                String::new()
            }
            Some(e) => text(&mut v, "explanation", e, EXPLANATION_MAX),
        };
        let notifier = self.notifier.unwrap_or(NotifierInput { name: None, email: None });
        let name = text(&mut v, "notifier.name", notifier.name.as_deref().unwrap_or(""), NAME_MAX);
        let email = notifier.email.unwrap_or_default().trim().to_owned();
        v.check(is_email(&email), "notifier.email", "must be an e-mail address: receipt and decision are sent to it");
        v.check(
            self.good_faith == Some(true),
            "goodFaith",
            "must be true: a bona fide statement that the notice is accurate and complete (Art. 16(2)(d))",
        );
        v.finish(|| NewNotice {
            content_type: content_type.expect("an unknown content type was recorded"),
            content_id,
            reason,
            explanation,
            notifier: Notifier { name, email },
        })
    }
}

/// A decision as an admin sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionInput {
    pub action: Option<String>,
    pub explanation: Option<String>,
    /// The notice was manifestly unfounded (counts towards the notifier's misuse, Art. 23).
    #[serde(default)]
    pub manifestly_unfounded: bool,
    /// The content was manifestly illegal (counts towards its provider's misuse, Art. 23).
    #[serde(default)]
    pub manifestly_illegal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub action: Action,
    pub explanation: String,
    pub decided_at: Timestamp,
    /// Always false: a person decides every notice.
    pub automated: bool,
    pub manifestly_unfounded: bool,
    pub manifestly_illegal: bool,
    /// The statement of reasons of a restriction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// When a founded complaint reversed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversed_at: Option<Timestamp>,
}

impl DecisionInput {
    pub fn validate(self, now: Timestamp) -> Result<Decision, Error> {
        let mut v = Violations::new();
        let action = match self.action.as_deref() {
            Some("keep") => Some(Action::Keep),
            Some("remove") => Some(Action::Remove),
            Some("restrict") => Some(Action::Restrict),
            _ => {
                v.add("action", "must be keep, remove or restrict");
                None
            }
        };
        let explanation = match self.explanation.as_deref() {
            None => {
                v.add("explanation", "is required: the facts and why they lead to this decision");
                String::new()
            }
            Some(e) => text(&mut v, "explanation", e, EXPLANATION_MAX),
        };
        if action == Some(Action::Keep) && self.manifestly_illegal {
            v.add("manifestlyIllegal", "content kept is not manifestly illegal");
        }
        if matches!(action, Some(Action::Remove | Action::Restrict)) && self.manifestly_unfounded {
            v.add("manifestlyUnfounded", "a notice acted on is not unfounded");
        }
        v.finish(|| Decision {
            action: action.expect("an unknown action was recorded"),
            explanation,
            decided_at: now,
            automated: false,
            manifestly_unfounded: self.manifestly_unfounded,
            manifestly_illegal: self.manifestly_illegal,
            statement: None,
            reversed_at: None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub id: String,
    pub content_type: ContentType,
    pub content_id: String,
    pub reason: String,
    pub explanation: String,
    pub notifier: Notifier,
    /// The notifier's account when signed in: it may then follow and complain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifier_account: Option<String>,
    pub source: Source,
    /// The trusted flagger the notifier's account belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_flagger: Option<String>,
    pub author: Author,
    pub status: NoticeStatus,
    pub received_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    pub version: u32,
}

impl Notice {
    /// A new notice about content provided by `author`.
    pub fn receive(
        id: String,
        new: NewNotice,
        author: Author,
        account: Option<String>,
        trusted_flagger: Option<String>,
        now: Timestamp,
    ) -> Notice {
        Notice {
            id,
            content_type: new.content_type,
            content_id: new.content_id,
            reason: new.reason,
            explanation: new.explanation,
            notifier: new.notifier,
            notifier_account: account,
            source: if trusted_flagger.is_some() { Source::TrustedFlagger } else { Source::Notice },
            trusted_flagger,
            author,
            status: NoticeStatus::Open,
            received_at: now,
            decision: None,
            version: 1,
        }
    }

    pub fn grounds(&self) -> Grounds {
        // Validated on receipt; a reason no longer known reads as the terms' own.
        self.content_type
            .grounds(&self.reason)
            .unwrap_or_else(|| super::removal::grounds(RemovalReason::SellerTermsBreach))
    }

    /// The notice with `decision`; only an open notice is decided.
    pub fn decide(&self, decision: Decision) -> Result<Notice, Error> {
        if self.status != NoticeStatus::Open {
            return Err(Error::conflict(
                "notice_decided",
                "the notice was decided; a complaint is the way to contest it",
            ));
        }
        Ok(Notice {
            status: NoticeStatus::Decided,
            decision: Some(decision),
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The decision reversed at `now` on a founded complaint.
    pub fn reverse(&self, now: Timestamp) -> Result<Notice, Error> {
        let Some(decision) = &self.decision else {
            return Err(Error::conflict("notice_open", "the notice is not decided"));
        };
        if decision.reversed_at.is_some() {
            return Err(Error::conflict("already_reversed", "the decision was reversed before"));
        }
        let decision = Decision { reversed_at: Some(now), ..decision.clone() };
        Ok(Notice { decision: Some(decision), version: self.version + 1, ..self.clone() })
    }

    /// Its place in the moderators' queue: trusted flaggers' notices first (Art. 22(1)).
    pub fn priority(&self) -> u8 {
        match self.source {
            Source::TrustedFlagger => 0,
            _ => 1,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn input(content_type: &str, reason: &str) -> NoticeInput {
        NoticeInput {
            content_type: Some(content_type.into()),
            content_id: Some("rev_01abc".into()),
            reason: Some(reason.into()),
            explanation: Some("It shows the seller's home address and phone number.".into()),
            notifier: Some(NotifierInput { name: Some("Ada Martin".into()), email: Some("ada@example.org".into()) }),
            good_faith: Some(true),
        }
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::Invalid(v) => v.errors().iter().map(|e| e.field.clone()).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_notice_names_a_ground_of_its_content_type() {
        assert!(input("review", "personal_data").validate().is_ok());
        assert!(input("offer", "health_safety_environment").validate().is_ok());
        assert_eq!(fields(input("review", "not_repackaged").validate().expect_err("offer ground")), ["reason"]);
        assert_eq!(fields(input("offer", "personal_data").validate().expect_err("review ground")), ["reason"]);
        assert_eq!(fields(input("offer", "seller_removed").validate().expect_err("not a notice ground")), ["reason"]);
        assert_eq!(fields(input("photo", "personal_data").validate().expect_err("type")), ["contentType"]);
    }

    #[test]
    fn good_faith_name_email_and_an_exact_id_are_required() {
        let mut i = input("review", "offensive");
        i.good_faith = Some(false);
        i.notifier = Some(NotifierInput { name: Some(" ".into()), email: Some("not-an-address".into()) });
        i.content_id = Some("../rev_1".into());
        i.explanation = None;
        let mut got = fields(i.validate().expect_err("refused"));
        got.sort();
        assert_eq!(got, ["contentId", "explanation", "goodFaith", "notifier.email", "notifier.name"]);
        let mut i = input("review", "offensive");
        i.good_faith = None;
        i.notifier = None;
        assert_eq!(fields(i.validate().expect_err("refused")), ["notifier.name", "notifier.email", "goodFaith"]);
    }

    fn notice() -> Notice {
        let new = input("review", "personal_data").validate().expect("valid");
        let at: Timestamp = "2026-12-01T09:00:00Z".parse().expect("time");
        Notice::receive("ntc_1".into(), new, Author::Buyer { sub: "b1".into() }, None, None, at)
    }

    fn decision(action: &str, unfounded: bool, illegal: bool) -> Result<Decision, Error> {
        let at: Timestamp = "2026-12-02T09:00:00Z".parse().expect("time");
        DecisionInput {
            action: Some(action.into()),
            explanation: Some("Checked.".into()),
            manifestly_unfounded: unfounded,
            manifestly_illegal: illegal,
        }
        .validate(at)
    }

    #[test]
    fn a_notice_is_decided_once_by_a_person_and_reversed_once() {
        let n = notice();
        assert_eq!(n.source, Source::Notice);
        let decided = n.decide(decision("remove", false, true).expect("valid")).expect("open");
        let d = decided.decision.as_ref().expect("decided");
        assert!(!d.automated);
        assert_eq!(d.action.restriction(), Some(Restriction::ContentRemoved));
        assert!(matches!(decided.decide(decision("keep", false, false).expect("valid")), Err(Error::Conflict { .. })));
        let at: Timestamp = "2026-12-03T09:00:00Z".parse().expect("time");
        let reversed = decided.reverse(at).expect("reversible");
        assert!(matches!(reversed.reverse(at), Err(Error::Conflict { code: "already_reversed", .. })));
        assert!(matches!(n.reverse(at), Err(Error::Conflict { code: "notice_open", .. })));
    }

    #[test]
    fn the_misuse_flags_fit_the_action() {
        assert!(decision("keep", true, false).is_ok());
        assert!(decision("remove", false, true).is_ok());
        assert_eq!(fields(decision("keep", false, true).expect_err("kept yet illegal")), ["manifestlyIllegal"]);
        assert_eq!(fields(decision("restrict", true, false).expect_err("acted on")), ["manifestlyUnfounded"]);
        assert_eq!(fields(decision("ban", false, false).expect_err("unknown")), ["action"]);
    }

    #[test]
    fn trusted_flaggers_come_first() {
        let new = input("offer", "prohibited_trade").validate().expect("valid");
        let at = Timestamp::UNIX_EPOCH;
        let trusted = Notice::receive(
            "ntc_2".into(),
            new,
            Author::Seller { seller_id: "sel_1".into() },
            None,
            Some("tf_1".into()),
            at,
        );
        assert_eq!(trusted.source, Source::TrustedFlagger);
        assert!(trusted.priority() < notice().priority());
    }
}
