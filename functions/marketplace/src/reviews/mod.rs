//! Reviews (R-REV-WHO, R-REV-WHAT, R-REV-EDIT, R-REV-DELETE, R-REV-PUBLISH, R-REV-RANK): who
//! may review what, what a review holds, when it must be published, how long it can be
//! changed, and the seller's one reply. A review is of one line of a delivered order, by the
//! order's buyer; it is published whatever its rating, without moderation, by its `publish_by`
//! deadline (one business day of the order's market, [`calendar`]); automated [`checks`] only
//! attach flags. Ratings are kept by [`aggregate`], ordered by [`relevance`]; invitations to
//! review are decided by [`invitations`].

pub mod aggregate;
pub mod calendar;
pub mod checks;
pub mod invitations;
pub mod relevance;
pub mod removal;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::catalog::Category;
use crate::order::{Order, PartStatus};
use crate::validation::{Violations, text};
use checks::Flag;

/// The longest comment, in characters.
pub const COMMENT_MAX: usize = 2000;
/// The longest seller reply, in characters.
pub const REPLY_MAX: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Waiting for publication, at the latest at `publish_by`.
    Submitted,
    Published,
    /// Deleted by its author: gone from every list and rating, its text erased.
    Deleted,
    /// Hidden on a notice's decision (DSA Art. 16): gone from every list and rating, its text
    /// kept so that a founded complaint (Art. 20) can publish it again.
    Removed,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Published => "published",
            Self::Deleted => "deleted",
            Self::Removed => "removed",
        }
    }
}

/// The sub-ratings of R-REV-WHAT, each 1 to 5 when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubRating {
    ValueForMoney,
    Delivery,
    PackagingAndCleanliness,
    OverallPerformance,
    CosmeticAspect,
}

impl SubRating {
    pub const ALL: [SubRating; 5] = [
        Self::ValueForMoney,
        Self::Delivery,
        Self::PackagingAndCleanliness,
        Self::OverallPerformance,
        Self::CosmeticAspect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValueForMoney => "valueForMoney",
            Self::Delivery => "delivery",
            Self::PackagingAndCleanliness => "packagingAndCleanliness",
            Self::OverallPerformance => "overallPerformance",
            Self::CosmeticAspect => "cosmeticAspect",
        }
    }
}

/// The sub-ratings of a review (`T` = `u8`, each 1 to 5 when given), or as an author sends them
/// (`SubRatings<i64>`, any whole number, checked against 1 to 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubRatings<T = u8> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_for_money: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packaging_and_cleanliness: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall_performance: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosmetic_aspect: Option<T>,
}

/// Sub-ratings as sent.
pub type SubRatingsInput = SubRatings<i64>;

impl<T: Copy> SubRatings<T> {
    pub fn get(&self, which: SubRating) -> Option<T> {
        match which {
            SubRating::ValueForMoney => self.value_for_money,
            SubRating::Delivery => self.delivery,
            SubRating::PackagingAndCleanliness => self.packaging_and_cleanliness,
            SubRating::OverallPerformance => self.overall_performance,
            SubRating::CosmeticAspect => self.cosmetic_aspect,
        }
    }

    pub fn is_empty(&self) -> bool {
        SubRating::ALL.iter().all(|w| self.get(*w).is_none())
    }

    /// Each sub-rating given, through `f`.
    pub fn map<U>(&self, mut f: impl FnMut(SubRating, T) -> Option<U>) -> SubRatings<U> {
        let mut one = |which| self.get(which).and_then(|value| f(which, value));
        SubRatings {
            value_for_money: one(SubRating::ValueForMoney),
            delivery: one(SubRating::Delivery),
            packaging_and_cleanliness: one(SubRating::PackagingAndCleanliness),
            overall_performance: one(SubRating::OverallPerformance),
            cosmetic_aspect: one(SubRating::CosmeticAspect),
        }
    }
}

/// The seller's one public reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    pub text: String,
    pub replied_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub id: String,
    pub order_id: String,
    pub offer_id: String,
    pub product_id: String,
    pub seller_id: String,
    /// The author: the order's buyer.
    pub buyer: String,
    /// The order's shipping country, whose calendar sets the deadline.
    pub market: String,
    pub rating: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "SubRatings::is_empty")]
    pub sub_ratings: SubRatings,
    pub status: ReviewStatus,
    pub submitted_at: Timestamp,
    pub publish_by: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<Timestamp>,
    /// When the buyer received the line: the purchase experience the review is about.
    pub experience_date: Timestamp,
    pub edited: bool,
    /// Counts the review's changes, for conditional writes.
    pub version: u32,
    /// Hints for moderators; never shown to the public and never blocking.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
}

/// What the author sends to submit or edit: in an edit, what is left out stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewInput {
    #[serde(default)]
    pub rating: Option<i64>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub sub_ratings: Option<SubRatingsInput>,
}

/// The review rules a deployment sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewTerms {
    /// Categories whose reviews take sub-ratings.
    pub sub_rating_categories: Vec<Category>,
    /// Days after receipt during which the author may edit (R-REV-EDIT).
    pub edit_days: i64,
    /// Names whose mention flags a review for moderators.
    pub competitors: Vec<String>,
}

impl Default for ReviewTerms {
    fn default() -> Self {
        ReviewTerms {
            sub_rating_categories: vec![
                Category::Smartphones,
                Category::Tablets,
                Category::Laptops,
                Category::Desktops,
                Category::Consoles,
                Category::Wearables,
                Category::Cameras,
            ],
            edit_days: 30,
            competitors: Vec::new(),
        }
    }
}

impl ReviewTerms {
    pub fn from_json(json: &str) -> Result<ReviewTerms, String> {
        let terms: ReviewTerms = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if !(1..=365).contains(&terms.edit_days) {
            return Err("editDays must be 1 to 365".into());
        }
        Ok(terms)
    }

    /// Whether reviews of a product of `category` take sub-ratings (none for an unknown one).
    pub fn takes_sub_ratings(&self, category: Option<Category>) -> bool {
        category.is_some_and(|c| self.sub_rating_categories.contains(&c))
    }
}

fn rating(v: &mut Violations, value: Option<i64>, field: &str) -> Option<u8> {
    let value = value?;
    match u8::try_from(value) {
        Ok(r @ 1..=5) => Some(r),
        _ => {
            v.add(field, "must be a whole number from 1 to 5");
            None
        }
    }
}

fn comment(v: &mut Violations, value: Option<&str>) -> Option<String> {
    let value = value?;
    if value.trim().is_empty() {
        return None;
    }
    Some(text(v, "comment", value, COMMENT_MAX))
}

fn sub_ratings(v: &mut Violations, input: Option<SubRatingsInput>, allowed: bool) -> SubRatings {
    let Some(input) = input else { return SubRatings::default() };
    if !allowed && !input.is_empty() {
        v.add("subRatings", "this product's category takes no sub-ratings");
        return SubRatings::default();
    }
    input.map(|which, value| rating(v, Some(value), &format!("subRatings.{}", which.as_str())))
}

/// What a submission is about, as the caller found it.
pub struct Submission<'a> {
    pub id: String,
    pub buyer: &'a str,
    pub order: &'a Order,
    pub offer_id: &'a str,
    /// The product's category, when the product is known.
    pub category: Option<Category>,
    /// When the order's market says the review must be published.
    pub publish_by: &'a dyn Fn(Timestamp) -> Timestamp,
    pub now: Timestamp,
}

/// A new review of one line of the buyer's own delivered order. The caller checks the order is
/// the buyer's (a stranger learns nothing: 404); one review per line is storage's to enforce.
pub fn submit(input: &ReviewInput, s: Submission<'_>, terms: &ReviewTerms) -> Result<Review, Error> {
    let Some(line) = s.order.lines.iter().find(|l| l.offer_id == s.offer_id) else {
        let mut v = Violations::new();
        v.add("offerId", "is not a line of this order");
        return Err(v.into());
    };
    let part = s.order.part(&line.seller_id);
    let delivered_at = match part {
        Some(p) if p.status == PartStatus::Delivered => p.delivered_at,
        _ => None,
    };
    let Some(delivered_at) = delivered_at else {
        return Err(Error::conflict("not_delivered", "a line can be reviewed once it is delivered"));
    };
    let mut v = Violations::new();
    let stars = rating(&mut v, input.rating, "rating");
    v.check(input.rating.is_some(), "rating", "is required");
    let comment = comment(&mut v, input.comment.as_deref());
    let sub_ratings = sub_ratings(&mut v, input.sub_ratings, terms.takes_sub_ratings(s.category));
    let stars = v.finish(|| stars)?.unwrap_or(1);
    Ok(Review {
        id: s.id,
        order_id: s.order.id.clone(),
        offer_id: line.offer_id.clone(),
        product_id: line.product_id.clone(),
        seller_id: line.seller_id.clone(),
        buyer: s.buyer.to_owned(),
        market: s.order.shipping_country.clone(),
        rating: stars,
        comment,
        sub_ratings,
        status: ReviewStatus::Submitted,
        submitted_at: s.now,
        publish_by: (s.publish_by)(s.now),
        published_at: None,
        experience_date: delivered_at,
        edited: false,
        version: 1,
        flags: Vec::new(),
        reply: None,
    })
}

impl Review {
    /// The last moment the author may edit: the end of the `edit_days`-th day after receipt
    /// (UTC), so an edit on day 30 is in time whatever its hour.
    pub fn edit_until(&self, terms: &ReviewTerms) -> Timestamp {
        let day = self.experience_date.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let last = day.checked_add(jiff::Span::new().days(terms.edit_days + 1)).unwrap_or(day);
        last.to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .unwrap_or(self.experience_date)
            .checked_sub(SignedDuration::from_nanos(1))
            .unwrap_or(self.experience_date)
    }

    /// The author's edit: what it sends replaces what was there, and the review goes through
    /// publication again, by a new deadline.
    pub fn edit(
        &self,
        input: &ReviewInput,
        category: Option<Category>,
        publish_by: Timestamp,
        now: Timestamp,
        terms: &ReviewTerms,
    ) -> Result<Review, Error> {
        if self.status == ReviewStatus::Deleted {
            return Err(Error::conflict("review_deleted", "a deleted review cannot be edited"));
        }
        // Editing would publish it again around the decision; a complaint is the way back.
        if self.status == ReviewStatus::Removed {
            return Err(Error::conflict(
                "review_removed",
                "a removed review cannot be edited; complain about the decision",
            ));
        }
        if now > self.edit_until(terms) {
            return Err(Error::conflict(
                "edit_window_closed",
                format!("a review can be edited until {} days after receipt", terms.edit_days),
            ));
        }
        let mut v = Violations::new();
        let stars = rating(&mut v, input.rating, "rating");
        let comment = input.comment.as_deref().map(|c| comment(&mut v, Some(c)));
        let subs = input.sub_ratings.map(|s| sub_ratings(&mut v, Some(s), terms.takes_sub_ratings(category)));
        v.check(
            input.rating.is_some() || input.comment.is_some() || input.sub_ratings.is_some(),
            "body",
            "give the rating, the comment or the sub-ratings to change",
        );
        v.finish(|| ())?;
        Ok(Review {
            rating: stars.unwrap_or(self.rating),
            comment: comment.unwrap_or_else(|| self.comment.clone()),
            sub_ratings: subs.unwrap_or(self.sub_ratings),
            status: ReviewStatus::Submitted,
            submitted_at: now,
            publish_by,
            edited: true,
            version: self.version + 1,
            flags: Vec::new(),
            ..self.clone()
        })
    }

    /// Published, with the flags the checks found; `None` when there is nothing to publish
    /// (already published, or deleted), so a redelivered message changes nothing.
    pub fn publish(&self, flags: Vec<Flag>, now: Timestamp) -> Option<Review> {
        (self.status == ReviewStatus::Submitted).then(|| Review {
            status: ReviewStatus::Published,
            published_at: Some(now),
            flags,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// Whether it was published after its deadline (a fault to log and count).
    pub fn published_late(&self) -> bool {
        self.published_at.is_some_and(|at| at > self.publish_by)
    }

    /// Hidden on a decision: only a published review can be.
    pub fn hide(&self) -> Result<Review, Error> {
        if self.status != ReviewStatus::Published {
            return Err(Error::conflict("review_not_published", "only a published review can be removed"));
        }
        Ok(Review { status: ReviewStatus::Removed, version: self.version + 1, ..self.clone() })
    }

    /// Published again when the decision that hid it is reversed; a review its author deleted
    /// meanwhile stays deleted.
    pub fn reinstate(&self) -> Option<Review> {
        (self.status == ReviewStatus::Removed).then(|| Review {
            status: ReviewStatus::Published,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// Deleted by its author: its text, sub-ratings, flags and reply erased; the star rating
    /// stays only on the deleted record, so the line stays reviewed once. It is in no list and
    /// no rating.
    pub fn delete(&self) -> Result<Review, Error> {
        if self.status == ReviewStatus::Deleted {
            return Err(Error::conflict("review_deleted", "the review is already deleted"));
        }
        Ok(Review {
            status: ReviewStatus::Deleted,
            comment: None,
            sub_ratings: SubRatings::default(),
            flags: Vec::new(),
            reply: None,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The seller's one public reply to a published review. It changes nothing else.
    pub fn reply(&self, text_sent: &str, now: Timestamp) -> Result<Review, Error> {
        if self.status != ReviewStatus::Published {
            return Err(Error::conflict("review_not_published", "only a published review takes a reply"));
        }
        if self.reply.is_some() {
            return Err(Error::conflict("already_replied", "a review takes one reply"));
        }
        let mut v = Violations::new();
        let reply_text = text(&mut v, "text", text_sent, REPLY_MAX);
        v.finish(|| ())?;
        Ok(Review {
            reply: Some(Reply { text: reply_text, replied_at: now }),
            version: self.version + 1,
            ..self.clone()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::order::tests::{delivered as delivered_order, paid};

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    /// A published review of the given rating and comment.
    pub(crate) fn published(rating: u8, comment: Option<&str>) -> Review {
        let order = delivered_order(at("2026-11-20T10:00:00Z"));
        let input =
            ReviewInput { rating: Some(i64::from(rating)), comment: comment.map(str::to_owned), sub_ratings: None };
        let review = submit(&input, submission(&order, at("2026-11-21T10:00:00Z")), &ReviewTerms::default())
            .expect("a valid review");
        review.publish(Vec::new(), at("2026-11-21T11:00:00Z")).expect("published")
    }

    fn next_day(at: Timestamp) -> Timestamp {
        at.checked_add(SignedDuration::from_hours(24)).expect("a time")
    }

    fn submission(order: &Order, now: Timestamp) -> Submission<'_> {
        Submission {
            id: "rev_1".into(),
            buyer: &order.buyer,
            order,
            offer_id: &order.lines[0].offer_id,
            category: Some(Category::Smartphones),
            publish_by: &next_day,
            now,
        }
    }

    fn input(rating: i64, comment: &str) -> ReviewInput {
        ReviewInput { rating: Some(rating), comment: Some(comment.into()), sub_ratings: None }
    }

    #[test]
    fn a_delivered_line_is_reviewed_with_a_deadline() {
        let order = delivered_order(at("2026-11-20T10:00:00Z"));
        let review = submit(
            &input(2, "  Screen has a dead pixel  "),
            submission(&order, at("2026-11-21T10:00:00Z")),
            &ReviewTerms::default(),
        )
        .expect("valid");
        assert_eq!((review.status, review.rating), (ReviewStatus::Submitted, 2));
        assert_eq!(review.comment.as_deref(), Some("Screen has a dead pixel"));
        assert_eq!(review.publish_by, at("2026-11-22T10:00:00Z"));
        assert_eq!(review.experience_date, at("2026-11-20T10:00:00Z"));
        assert_eq!((review.product_id.as_str(), review.market.as_str()), (order.lines[0].product_id.as_str(), "FR"));
    }

    #[test]
    fn bad_ratings_comments_and_lines_are_refused() {
        let order = delivered_order(at("2026-11-20T10:00:00Z"));
        let now = at("2026-11-21T10:00:00Z");
        let terms = ReviewTerms::default();
        for (bad, field) in [
            (input(0, "ok"), "rating"),
            (input(6, "ok"), "rating"),
            (ReviewInput { rating: None, ..input(1, "no rating") }, "rating"),
            (input(5, &"x".repeat(COMMENT_MAX + 1)), "comment"),
            (input(5, "bell\u{7}"), "comment"),
            (
                ReviewInput {
                    sub_ratings: Some(SubRatingsInput { delivery: Some(9), ..Default::default() }),
                    ..input(5, "")
                },
                "subRatings.delivery",
            ),
        ] {
            match submit(&bad, submission(&order, now), &terms) {
                Err(Error::Invalid(v)) => assert_eq!(v.errors()[0].field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let mut other_line = submission(&order, now);
        other_line.offer_id = "off_not_in_order";
        assert!(matches!(submit(&input(5, ""), other_line, &terms), Err(Error::Invalid(_))));
        let mut monitor = submission(&order, now);
        monitor.category = Some(Category::Monitors);
        let with_subs = ReviewInput {
            sub_ratings: Some(SubRatingsInput { delivery: Some(4), ..Default::default() }),
            ..input(5, "")
        };
        assert!(matches!(submit(&with_subs, monitor, &terms), Err(Error::Invalid(_))), "monitors take none");
        let undelivered = paid();
        assert!(matches!(
            submit(&input(5, ""), submission(&undelivered, now), &terms),
            Err(Error::Conflict { code: "not_delivered", .. })
        ));
    }

    #[test]
    fn edits_until_the_thirtieth_day_after_receipt() {
        let review = published(3, Some("fine"));
        let terms = ReviewTerms::default();
        let day30 = at("2026-12-20T23:00:00Z");
        let edited = review
            .edit(&input(4, "better after an update"), Some(Category::Smartphones), next_day(day30), day30, &terms)
            .expect("day 30");
        assert_eq!(
            (edited.status, edited.rating, edited.edited, edited.version),
            (ReviewStatus::Submitted, 4, true, review.version + 1)
        );
        let day31 = at("2026-12-21T00:00:01Z");
        assert!(matches!(
            review.edit(&input(4, "late"), Some(Category::Smartphones), next_day(day31), day31, &terms),
            Err(Error::Conflict { code: "edit_window_closed", .. })
        ));
        let nothing = ReviewInput::default();
        assert!(matches!(
            review.edit(&nothing, Some(Category::Smartphones), day30, day30, &terms),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn publication_happens_once_and_deletion_erases() {
        let review = published(1, Some("Broke after a week"));
        assert_eq!(review.publish(Vec::new(), at("2026-11-22T00:00:00Z")), None, "already published");
        assert!(!review.published_late());
        let replied = review.reply("Sorry, we sent a replacement", at("2026-11-23T00:00:00Z")).expect("a reply");
        assert!(matches!(
            replied.reply("again", at("2026-11-23T00:00:00Z")),
            Err(Error::Conflict { code: "already_replied", .. })
        ));
        assert_eq!(
            (replied.rating, replied.comment.clone()),
            (review.rating, review.comment.clone()),
            "a reply alters nothing"
        );
        let deleted = replied.delete().expect("deleted");
        assert_eq!(
            (deleted.status, deleted.comment.clone(), deleted.reply.clone()),
            (ReviewStatus::Deleted, None, None)
        );
        assert!(deleted.delete().is_err());
        assert!(deleted.publish(Vec::new(), at("2026-11-24T00:00:00Z")).is_none(), "never published again");
    }
}
