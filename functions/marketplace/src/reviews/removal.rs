//! The grounds on which a published review can be removed (R-REV-REMOVE), as a notice names
//! them, and what each is in the terms of the DSA: illegal content, or incompatible with the
//! review policy, with the Transparency Database's category and keyword.

use serde::{Deserialize, Serialize};

use crate::dsa::removal::{Ground, Grounds};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewRemovalReason {
    Advertising,
    DuplicateOrMultipleAccounts,
    OffTopic,
    OtherProduct,
    PromotesCompetitor,
    Inconsistent,
    Offensive,
    FalseOrBySeller,
    IllegalContent,
    ThirdPartyRights,
    IdentityTheft,
    PersonalData,
    IncitesHatred,
}

impl ReviewRemovalReason {
    pub const ALL: [ReviewRemovalReason; 13] = [
        Self::Advertising,
        Self::DuplicateOrMultipleAccounts,
        Self::OffTopic,
        Self::OtherProduct,
        Self::PromotesCompetitor,
        Self::Inconsistent,
        Self::Offensive,
        Self::FalseOrBySeller,
        Self::IllegalContent,
        Self::ThirdPartyRights,
        Self::IdentityTheft,
        Self::PersonalData,
        Self::IncitesHatred,
    ];

    pub fn as_str(self) -> &'static str {
        use ReviewRemovalReason::*;
        match self {
            Advertising => "advertising",
            DuplicateOrMultipleAccounts => "duplicate_or_multiple_accounts",
            OffTopic => "off_topic",
            OtherProduct => "other_product",
            PromotesCompetitor => "promotes_competitor",
            Inconsistent => "inconsistent",
            Offensive => "offensive",
            FalseOrBySeller => "false_or_by_seller",
            IllegalContent => "illegal_content",
            ThirdPartyRights => "third_party_rights",
            IdentityTheft => "identity_theft",
            PersonalData => "personal_data",
            IncitesHatred => "incites_hatred",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// In plain words, for the published policy and mails: "it is advertising".
    pub fn plain(self) -> &'static str {
        use ReviewRemovalReason::*;
        match self {
            Advertising => "it is advertising",
            DuplicateOrMultipleAccounts => "it was published several times, or from several accounts",
            OffTopic => "it is off-topic, or about the buying experience rather than the product",
            OtherProduct => "it is about another product",
            PromotesCompetitor => "it pushes buying from a competitor",
            Inconsistent => "it is inconsistent",
            Offensive => {
                "it is political or social, insulting, obscene, offensive, sexually explicit, defamatory or a personal \
                 attack"
            }
            FalseOrBySeller => "it is false or misleading, or written by a seller",
            IllegalContent => "it is illegal or refers to illegal content",
            ThirdPartyRights => "it is protected by third-party rights",
            IdentityTheft => "it was published through identity theft",
            PersonalData => "it contains personal data or confidential information",
            IncitesHatred => "it incites hatred, discrimination or violence",
        }
    }

    /// The DSA ground, category and keyword. The law's grounds are those that name the law:
    /// illegal content, third parties' rights, personal data, identity theft, incitement; the
    /// rest are the review policy's.
    pub fn grounds(self) -> Grounds {
        use ReviewRemovalReason::*;
        let policy = |category, keyword| Grounds {
            ground: Ground::Incompatible { terms_ground: "Review policy: removal grounds (R-REV-REMOVE)" },
            category,
            keyword,
            plain: self.plain(),
        };
        let law = |legal_ground, category, keyword| Grounds {
            ground: Ground::Illegal { legal_ground },
            category,
            keyword,
            plain: self.plain(),
        };
        match self {
            Advertising => policy("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", Some("KEYWORD_HIDDEN_ADVERTISEMENT")),
            DuplicateOrMultipleAccounts | FalseOrBySeller => {
                policy("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", Some("KEYWORD_INAUTHENTIC_USER_REVIEWS"))
            }
            OffTopic | OtherProduct | Inconsistent => policy("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", None),
            PromotesCompetitor => policy("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", Some("KEYWORD_HIDDEN_ADVERTISEMENT")),
            Offensive => policy("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", Some("KEYWORD_DEFAMATION")),
            IllegalContent => law(
                "Content illegal under Union or national law",
                "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                Some("KEYWORD_VIOLATION_EU_LAW"),
            ),
            ThirdPartyRights => law(
                "Infringement of intellectual property rights (Directive 2004/48/EC)",
                "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
                Some("KEYWORD_COPYRIGHT_INFRINGEMENT"),
            ),
            IdentityTheft => law(
                "Identity theft and impersonation under national criminal law",
                "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                Some("KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING"),
            ),
            PersonalData => law(
                "Processing of personal data without a lawful basis (Regulation (EU) 2016/679, Art. 6)",
                "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
                Some("KEYWORD_MISSING_PROCESSING_GROUND"),
            ),
            IncitesHatred => law(
                "Incitement to hatred or violence (Framework Decision 2008/913/JHA)",
                "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                Some("KEYWORD_INCITEMENT_VIOLENCE_HATRED"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_only_those() {
        for reason in ReviewRemovalReason::ALL {
            assert_eq!(ReviewRemovalReason::parse(reason.as_str()), Some(reason));
            let json = serde_json::to_value(reason).expect("json");
            assert_eq!(json, reason.as_str());
        }
        assert_eq!(ReviewRemovalReason::parse("bitcoin"), None);
        assert_eq!(ReviewRemovalReason::parse("Advertising"), None);
    }

    #[test]
    fn the_law_grounds_name_a_law_and_the_policy_ones_the_policy() {
        let law = [
            ReviewRemovalReason::IllegalContent,
            ReviewRemovalReason::ThirdPartyRights,
            ReviewRemovalReason::IdentityTheft,
            ReviewRemovalReason::PersonalData,
            ReviewRemovalReason::IncitesHatred,
        ];
        for reason in ReviewRemovalReason::ALL {
            let g = reason.grounds();
            assert_eq!(matches!(g.ground, Ground::Illegal { .. }), law.contains(&reason), "{reason:?}");
            assert!(g.category.starts_with("STATEMENT_CATEGORY_"));
            assert!(g.keyword.is_none_or(|k| k.starts_with("KEYWORD_") && k != "KEYWORD_OTHER"));
        }
    }
}
