//! A statement of reasons (DSA Art. 17) in the Transparency Database's format: field names and
//! values are the database's own, so a batch of stored statements is submitted as it is. One
//! statement per restricted item: an offer removed or hidden, an account suspended or
//! terminated. It holds no personal data: ids, the product, the grounds and the facts.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::removal::{Ground, Grounds, Removal};
use crate::catalog::Product;
use crate::offer::{Offer, RemovalReason};
use crate::reviews::Review;
use crate::seller::Seller;

/// The EEA: the Union's 27 and Iceland, Liechtenstein and Norway, where the marketplace
/// serves buyers.
pub const EEA: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
];

/// What a decision restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// The offer is removed for good.
    OfferRemoved,
    /// The offer is hidden while its seller is suspended.
    OfferDisabled,
    AccountSuspended,
    AccountTerminated,
    /// A review or offer removed on a notice.
    ContentRemoved,
    /// A review or offer disabled (hidden, kept) on a notice.
    ContentDisabled,
}

/// What started the decision (the database's `source_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The platform's own initiative.
    Voluntary,
    /// A notice under Art. 16.
    Notice,
    /// A notice from a trusted flagger (Art. 22).
    TrustedFlagger,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Voluntary => "SOURCE_VOLUNTARY",
            Source::Notice => "SOURCE_ARTICLE_16",
            Source::TrustedFlagger => "SOURCE_TRUSTED_FLAGGER",
        }
    }
}

/// The item a statement is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Offer { offer: &'a Offer, product: Option<&'a Product> },
    Account { seller: &'a Seller },
    Review { review: &'a Review },
}

/// A statement as the Transparency Database takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_visibility: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_provision: Option<String>,
    pub account_type: String,
    pub decision_ground: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illegal_content_legal_ground: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illegal_content_explanation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_ground: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_explanation: Option<String>,
    pub category: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_specification: Vec<String>,
    pub content_type: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<ContentId>,
    pub content_date: Date,
    pub application_date: Date,
    pub territorial_scope: Vec<String>,
    pub decision_facts: String,
    pub source_type: String,
    pub automated_detection: String,
    pub automated_decision: String,
    pub puid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentId {
    #[serde(rename = "EAN-13")]
    pub ean13: String,
}

/// The platform-unique id of the statement of `subject_id`'s restriction decided at
/// `decided_at`: the same decision about the same item is the same statement, whoever retries.
pub fn puid(subject_id: &str, decided_at: Timestamp) -> String {
    let id: String = subject_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    format!("sor_{id}_{}", decided_at.as_millisecond())
}

fn date(at: Timestamp) -> Date {
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// The facts, cut to the database's 5000 characters.
fn facts(text: String) -> String {
    text.chars().take(5000).collect()
}

impl Statement {
    /// The statement of `restriction` of `subject`, decided on the platform's own initiative
    /// at `decided_at` on `removal`'s ground.
    pub fn of(subject: Subject<'_>, restriction: Restriction, removal: &Removal, decided_at: Timestamp) -> Statement {
        let grounds = super::removal::grounds(removal.reason);
        Statement::decided(subject, restriction, &grounds, &removal.explanation, Source::Voluntary, decided_at)
    }

    /// The statement of `restriction` of `subject` on `grounds`, explained by `explanation`,
    /// started by `source` and decided (by a person) at `decided_at`.
    pub fn decided(
        subject: Subject<'_>,
        restriction: Restriction,
        grounds: &Grounds,
        explanation: &str,
        source: Source,
        decided_at: Timestamp,
    ) -> Statement {
        let explanation: String = explanation.chars().take(2000).collect();
        let what = match subject {
            Subject::Offer { offer, product } => {
                let device = product.map_or_else(|| offer.product_id.clone(), |p| format!("{} {}", p.brand, p.name));
                format!("Offer {} of a refurbished {device} ({} grade)", offer.id, grade_name(offer))
            }
            Subject::Account { seller } => format!("Professional seller account {}", seller.id),
            Subject::Review { review } => {
                format!("Review {} of a product bought on the marketplace ({}/5)", review.id, review.rating)
            }
        };
        let action = match restriction {
            Restriction::OfferRemoved | Restriction::ContentRemoved => "was removed from the marketplace",
            Restriction::OfferDisabled => "was hidden from buyers while its seller's account is suspended",
            Restriction::AccountSuspended => "was suspended: its offers are hidden and it cannot sell",
            Restriction::AccountTerminated => "was terminated: all its offers are removed",
            Restriction::ContentDisabled => "was disabled: it is hidden from the marketplace",
        };
        let cascade = match (subject, restriction) {
            (Subject::Offer { .. }, Restriction::OfferDisabled) => " because its seller's account was suspended",
            (Subject::Offer { offer, .. }, Restriction::OfferRemoved)
                if offer.removal_reason == Some(RemovalReason::SellerRemoved) =>
            {
                " because its seller's account was terminated"
            }
            _ => "",
        };
        let started = match source {
            Source::Voluntary => "",
            Source::Notice => " following a notice",
            Source::TrustedFlagger => " following a trusted flagger's notice",
        };
        let reason = grounds.plain;
        let decision_facts = facts(format!("{what} {action}{cascade}{started}. Ground: {reason}. {explanation}"));
        let (content_date, content_id) = match subject {
            Subject::Offer { offer, product } => (
                date(offer.created_at),
                product.and_then(|p| p.ean.clone()).filter(|e| e.len() == 13).map(|ean13| ContentId { ean13 }),
            ),
            Subject::Account { seller } => (date(seller.created_at), None),
            Subject::Review { review } => (date(review.submitted_at), None),
        };
        let (subject_id, account_type, content_type) = match subject {
            Subject::Offer { offer, .. } => (offer.id.as_str(), "ACCOUNT_TYPE_BUSINESS", "CONTENT_TYPE_PRODUCT"),
            Subject::Account { seller } => (seller.id.as_str(), "ACCOUNT_TYPE_BUSINESS", "CONTENT_TYPE_PRODUCT"),
            Subject::Review { review } => (review.id.as_str(), "ACCOUNT_TYPE_PRIVATE", "CONTENT_TYPE_TEXT"),
        };
        let visibility = |v: &str| Some(vec![v.to_owned()]);
        let (decision_visibility, decision_account, decision_provision) = match restriction {
            Restriction::OfferRemoved | Restriction::ContentRemoved => {
                (visibility("DECISION_VISIBILITY_CONTENT_REMOVED"), None, None)
            }
            Restriction::OfferDisabled | Restriction::ContentDisabled => {
                (visibility("DECISION_VISIBILITY_CONTENT_DISABLED"), None, None)
            }
            Restriction::AccountSuspended => (
                None,
                Some("DECISION_ACCOUNT_SUSPENDED".to_owned()),
                Some("DECISION_PROVISION_TOTAL_SUSPENSION".to_owned()),
            ),
            Restriction::AccountTerminated => (
                None,
                Some("DECISION_ACCOUNT_TERMINATED".to_owned()),
                Some("DECISION_PROVISION_TOTAL_TERMINATION".to_owned()),
            ),
        };
        let mut statement = Statement {
            decision_visibility,
            decision_account,
            decision_provision,
            account_type: account_type.into(),
            decision_ground: String::new(),
            illegal_content_legal_ground: None,
            illegal_content_explanation: None,
            incompatible_content_ground: None,
            incompatible_content_explanation: None,
            category: grounds.category.into(),
            category_specification: grounds.keyword.into_iter().map(str::to_owned).collect(),
            content_type: vec![content_type.into()],
            content_id,
            content_date,
            application_date: date(decided_at),
            territorial_scope: EEA.map(str::to_owned).to_vec(),
            decision_facts,
            source_type: source.as_str().into(),
            automated_detection: "No".into(),
            automated_decision: "AUTOMATED_DECISION_NOT_AUTOMATED".into(),
            puid: puid(subject_id, decided_at),
        };
        match grounds.ground {
            Ground::Illegal { legal_ground } => {
                statement.decision_ground = "DECISION_GROUND_ILLEGAL_CONTENT".into();
                statement.illegal_content_legal_ground = Some(legal_ground.into());
                statement.illegal_content_explanation = Some(explanation);
            }
            Ground::Incompatible { terms_ground } => {
                statement.decision_ground = "DECISION_GROUND_INCOMPATIBLE_CONTENT".into();
                statement.incompatible_content_ground = Some(terms_ground.into());
                statement.incompatible_content_explanation = Some(explanation);
            }
        }
        statement
    }
}

impl Statement {
    #[cfg(test)]
    fn illegal_content_ground_absent(&self) -> bool {
        self.illegal_content_legal_ground.is_none() && self.illegal_content_explanation.is_none()
    }
}

fn grade_name(offer: &Offer) -> String {
    serde_json::to_value(offer.grade).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seller::{Seller, StatusChange};

    fn seller() -> Seller {
        let trader = crate::seller::tests::application().validate().expect("valid");
        Seller::onboard("sel_1".into(), "owner".into(), trader, Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn each_restriction_says_what_it_did_on_which_ground_and_names_no_one() {
        let at: Timestamp = "2026-11-20T10:00:00Z".parse().expect("time");
        let offer = crate::offer::tests::offer();
        let seller = seller().change_status(StatusChange::Approve, None, at).expect("approved");
        let explanation = "Counterfeit charger in the box, photographed on receipt.";
        for reason in RemovalReason::GROUNDS {
            let removal = Removal { reason, explanation: explanation.into() };
            for (subject, restriction) in [
                (Subject::Offer { offer: &offer, product: None }, Restriction::OfferRemoved),
                (Subject::Offer { offer: &offer, product: None }, Restriction::OfferDisabled),
                (Subject::Account { seller: &seller }, Restriction::AccountSuspended),
                (Subject::Account { seller: &seller }, Restriction::AccountTerminated),
            ] {
                let s = Statement::of(subject, restriction, &removal, at);
                let offer_decision = matches!(restriction, Restriction::OfferRemoved | Restriction::OfferDisabled);
                assert_eq!(s.decision_visibility.is_some(), offer_decision, "{restriction:?}");
                assert_eq!(s.decision_account.is_some(), !offer_decision, "{restriction:?}");
                if reason.is_illegality() {
                    assert_eq!(s.decision_ground, "DECISION_GROUND_ILLEGAL_CONTENT");
                    assert!(s.illegal_content_legal_ground.is_some() && s.incompatible_content_ground.is_none());
                    assert_eq!(s.illegal_content_explanation.as_deref(), Some(explanation));
                } else {
                    assert_eq!(s.decision_ground, "DECISION_GROUND_INCOMPATIBLE_CONTENT");
                    assert!(s.incompatible_content_ground.is_some() && s.illegal_content_ground_absent());
                }
                assert_eq!(
                    (s.source_type.as_str(), s.automated_decision.as_str()),
                    ("SOURCE_VOLUNTARY", "AUTOMATED_DECISION_NOT_AUTOMATED")
                );
                assert_eq!(s.application_date, "2026-11-20".parse::<Date>().expect("date"));
                let json = serde_json::to_string(&s).expect("json");
                let t = &seller.trader;
                for personal in [&t.email, &t.phone, &t.payment_account.iban, &t.legal_name] {
                    assert!(!json.contains(personal.as_str()), "{personal} in {json}");
                }
            }
        }
    }

    #[test]
    fn puids_are_well_formed_and_name_their_decision() {
        let at: Timestamp = "2026-11-20T10:00:00.123Z".parse().expect("time");
        assert_eq!(puid("off_1A", at), "sor_off_1A_1795168800123");
        assert_ne!(puid("off_1A", at), puid("off_1B", at));
        assert_eq!(puid("off/../1", at), "sor_off1_1795168800123", "only the database's characters");
    }
}
