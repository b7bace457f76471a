//! The published review policy (R-REV-DISCLOSE: UCPD Art. 7(6) as amended by Directive
//! 2019/2161; French Code de la consommation D111-17 and D111-18), generated from the same
//! terms, calendars and relevance rules the code applies, so the two cannot disagree.

use axum::Json;
use marketplace::reviews::relevance::{LENGTH_CAP, SUBSTANTIVE_CHARS};
use marketplace::reviews::removal::ReviewRemovalReason;
use serde::Serialize;

use crate::{calendars, terms};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    verification: &'static str,
    compensation: &'static str,
    publication: Publication,
    retention: &'static str,
    ranking: Ranking,
    sub_ratings: SubRatingsPolicy,
    editing: Editing,
    removal: Removal,
    contact: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Publication {
    maximum_delay_business_days: u32,
    moderated_before_publication: bool,
    how: &'static str,
    /// The markets whose public holidays are not business days; elsewhere, weekends only.
    markets_with_holidays: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Ranking {
    default: &'static str,
    sort_orders: [&'static str; 4],
    relevance: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubRatingsPolicy {
    names: [&'static str; 5],
    categories: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Editing {
    edit_days_after_receipt: i64,
    deletion: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Removal {
    grounds: Vec<Ground>,
    author_told_why: &'static str,
}

#[derive(Serialize)]
struct Ground {
    code: &'static str,
    description: &'static str,
}

pub fn policy() -> Policy {
    let terms = terms();
    Policy {
        verification: "Only the buyer of a delivered order line can review it, once per line, from the order or from \
            the invitation sent about a week after delivery. Every review shows that it is a verified purchase, the date \
            of the purchase experience (the delivery) and whether it was edited.",
        compensation: "No compensation of any kind is given for a review, and no review is asked for in exchange for \
            anything. The invitation to review goes to every order once its last part is delivered (unless the order \
            was cancelled or refunded in full), whatever else happened with it: help requests, partial refunds or \
            ratings elsewhere change nothing.",
        publication: Publication {
            maximum_delay_business_days: 1,
            moderated_before_publication: false,
            how: "Every review is published, positive or negative, without moderation, at the latest one business day \
                after it is submitted (or edited), on the business days of the order's country. Automated checks may \
                flag a review for a moderator to look at; they never hold it back.",
            markets_with_holidays: calendars().countries.keys().cloned().collect(),
        },
        retention: "Reviews stay on the product's page as long as the product is offered by a seller on the \
            marketplace; they leave the page while it is not, and come back when it is. A deleted review is gone at \
            once.",
        ranking: Ranking {
            default: "relevance",
            sort_orders: ["relevance", "newest", "highest", "lowest"],
            relevance: format!(
                "Reviews with a comment of at least {SUBSTANTIVE_CHARS} characters come first, so a substantive review \
                 is never ranked below one without content, whatever their ratings. Criticism (1-2 stars), neutral \
                 reviews (3) and praise (4-5) are then interleaved in proportion to their numbers, so the top of the \
                 list reflects the product's ratings; among reviews of the same rating, the longer comment comes first \
                 (counted up to {LENGTH_CAP} characters), then the newest. Readers can instead sort by date (newest \
                 first), or by rating, highest or lowest first."
            ),
        },
        sub_ratings: SubRatingsPolicy {
            names: ["valueForMoney", "delivery", "packagingAndCleanliness", "overallPerformance", "cosmeticAspect"],
            categories: terms.sub_rating_categories.iter().map(|c| c.as_str().to_owned()).collect(),
        },
        editing: Editing {
            edit_days_after_receipt: terms.edit_days,
            deletion: "The author can delete their review at any time; it disappears at once from every list and \
                rating.",
        },
        removal: Removal {
            grounds: ReviewRemovalReason::ALL
                .iter()
                .map(|r| Ground { code: r.as_str(), description: r.plain() })
                .collect(),
            author_told_why: "A published review can be removed only on one of these grounds, on a notice anyone \
                can send (POST /notices); its author is then told which ground applied and why, and may complain \
                about the decision for six months.",
        },
        contact: "Reviews show no contact details of their authors, and the date of the purchase experience is shown \
            as a day, not a time.",
    }
}

pub async fn show() -> Json<Policy> {
    Json(policy())
}
