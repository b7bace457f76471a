//! An admin's removal of an offer, or suspension or removal of a seller (R-REMOVE): one of the
//! enumerated grounds and a free-text explanation, and what each ground means in the terms of
//! the DSA (illegal content or incompatible with the terms; the Transparency Database's
//! category and keyword).

use serde::Deserialize;

use crate::Error;
use crate::offer::RemovalReason;
use crate::validation::{Violations, text};

/// The longest explanation: the Transparency Database takes 2000 characters.
pub const EXPLANATION_MAX: usize = 2000;

/// A decision's ground and explanation, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub reason: RemovalReason,
    pub explanation: String,
}

/// A removal as an admin submits it: the ground arrives as text so that an unknown one is a
/// named 422.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovalInput {
    pub reason: Option<String>,
    pub explanation: Option<String>,
}

impl RemovalInput {
    pub fn validate(self) -> Result<Removal, Error> {
        let mut v = Violations::new();
        let names = || RemovalReason::GROUNDS.map(RemovalReason::as_str).join(", ");
        let reason = match self.reason.as_deref() {
            None => {
                v.add("reason", format!("is required: one of {}", names()));
                None
            }
            Some(name) => {
                let found = RemovalReason::ground(name);
                if found.is_none() {
                    v.add("reason", format!("must be one of {}", names()));
                }
                found
            }
        };
        let explanation = match self.explanation.as_deref() {
            None => {
                v.add("explanation", "is required: the facts and why they lead to this decision");
                String::new()
            }
            Some(e) => text(&mut v, "explanation", e, EXPLANATION_MAX),
        };
        v.finish(|| Removal { reason: reason.expect("a missing or unknown reason was recorded"), explanation })
    }
}

/// The DSA's two grounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    Illegal { legal_ground: &'static str },
    Incompatible { terms_ground: &'static str },
}

/// What a decision's reason is in the Transparency Database's terms, and in plain words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grounds {
    pub ground: Ground,
    pub category: &'static str,
    pub keyword: Option<&'static str>,
    pub plain: &'static str,
}

impl Grounds {
    pub fn is_illegality(&self) -> bool {
        matches!(self.ground, Ground::Illegal { .. })
    }
}

/// [`classify`] with the plain words.
pub fn grounds(reason: RemovalReason) -> Grounds {
    let (ground, category, keyword) = classify(reason);
    Grounds { ground, category, keyword, plain: plain(reason) }
}

/// What a removal ground is in the Transparency Database's terms: the ground, the category
/// and the keyword that specifies it (none for the terms' own grounds: `KEYWORD_OTHER` would
/// call for a free-text specification that says no more than the ground).
pub fn classify(reason: RemovalReason) -> (Ground, &'static str, Option<&'static str>) {
    use RemovalReason::*;
    match reason {
        IllegalContent => (
            Ground::Illegal {
                legal_ground: "Non-compliance of the product or its offer with Union or national law on consumer \
                               protection and product compliance",
            },
            "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
            Some("KEYWORD_VIOLATION_EU_LAW"),
        ),
        ProhibitedTrade => (
            Ground::Illegal {
                legal_ground: "Trade in the product is prohibited or unlawful under Union or national law",
            },
            "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
            Some("KEYWORD_PROHIBITED_PRODUCTS"),
        ),
        HealthSafetyEnvironment => (
            Ground::Illegal {
                legal_ground: "The product endangers health, safety or the environment (Regulation (EU) 2023/988 on \
                               general product safety)",
            },
            "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
            Some("KEYWORD_UNSAFE_PRODUCTS"),
        ),
        SellerTermsBreach => (
            Ground::Incompatible { terms_ground: "Seller terms and quality charter" },
            "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            None,
        ),
        NotRepackaged => (
            Ground::Incompatible {
                terms_ground: "Quality charter: refurbished products are shipped repackaged, cleaned and complete",
            },
            "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            None,
        ),
        // A removed seller's offers carry the seller's own ground; on its own this is the terms.
        SellerRemoved => (
            Ground::Incompatible { terms_ground: "Seller terms: the seller's account was terminated" },
            "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            None,
        ),
    }
}

/// In plain words, for mails and pages.
pub fn plain(reason: RemovalReason) -> &'static str {
    use RemovalReason::*;
    match reason {
        IllegalContent => "the product or its offer does not comply with the law",
        SellerTermsBreach => "the offer breaches the seller terms or the quality charter",
        ProhibitedTrade => "trade in the product is prohibited or unlawful",
        HealthSafetyEnvironment => "the product is a danger to health, safety or the environment",
        NotRepackaged => "the product is not repackaged as the quality charter requires",
        SellerRemoved => "its seller's account was terminated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(reason: Option<&str>, explanation: Option<&str>) -> RemovalInput {
        RemovalInput { reason: reason.map(str::to_owned), explanation: explanation.map(str::to_owned) }
    }

    #[test]
    fn only_the_enumerated_grounds_with_an_explanation() {
        let ok = input(Some("prohibited_trade"), Some("  Sold with a counterfeit charger. ")).validate();
        assert_eq!(
            ok.expect("valid"),
            Removal { reason: RemovalReason::ProhibitedTrade, explanation: "Sold with a counterfeit charger.".into() }
        );
        for (reason, explanation, field) in [
            (Some("bitcoin"), Some("x"), "reason"),
            (Some("seller_removed"), Some("x"), "reason"),
            (None, Some("x"), "reason"),
            (Some("not_repackaged"), None, "explanation"),
            (Some("not_repackaged"), Some("  "), "explanation"),
        ] {
            let err = input(reason, explanation).validate().expect_err("refused");
            assert!(format!("{err:?}").contains(field), "{reason:?} {explanation:?}: {err:?}");
        }
        let long = "x".repeat(EXPLANATION_MAX + 1);
        assert!(input(Some("not_repackaged"), Some(&long)).validate().is_err());
    }

    #[test]
    fn the_illegality_grounds_are_the_law_ones() {
        for reason in RemovalReason::GROUNDS {
            let (ground, _, _) = classify(reason);
            assert_eq!(reason.is_illegality(), matches!(ground, Ground::Illegal { .. }), "{reason:?}");
        }
    }
}
