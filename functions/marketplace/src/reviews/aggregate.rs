//! A product's or a seller's rating (R-REV-RANK, R-RANK): counts kept up to date by adding
//! each published review's contribution and taking it away when the review is edited or
//! deleted, never by reading the reviews. The counters are what storage adds atomically with
//! the review's own change, so the rating always equals its published reviews.

use rust_decimal::Decimal;
use serde::Serialize;

use super::relevance::{self, Counts, Slot, TIERS};
use super::{Review, SubRating, SubRatings};

/// The counters of an aggregate, by name, as storage keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: i64,
    pub sum: i64,
    /// Reviews per rating, 1 to 5.
    pub distribution: [i64; 5],
    /// Per sub-rating: how many reviews gave it and their sum.
    pub sub_counts: [i64; 5],
    pub sub_sums: [i64; 5],
    /// Published reviews per relevance list (tier, rating).
    pub relevance: [i64; TIERS * 5],
}

impl Tally {
    /// The counters a published review adds (`sign` 1) or takes away (`sign` -1), by name.
    pub fn contribution(review: &Review, sign: i64) -> Vec<(String, i64)> {
        let rating = usize::from(review.rating.clamp(1, 5));
        let mut out = vec![
            ("count".to_owned(), sign),
            ("sum".to_owned(), sign * i64::from(review.rating)),
            (format!("r{rating}"), sign),
        ];
        for (which, value) in review.sub_ratings.given() {
            out.push((format!("sub_{}_count", which.as_str()), sign));
            out.push((format!("sub_{}_sum", which.as_str()), sign * i64::from(value)));
        }
        let slot = Slot { tier: relevance::tier(review.comment.as_deref()), rating: review.rating.clamp(1, 5) };
        out.push((format!("rel{}", slot.index()), sign));
        out
    }

    /// The tally from named counters (missing ones are zero).
    pub fn from_counters(get: impl Fn(&str) -> i64) -> Tally {
        let mut tally = Tally { count: get("count"), sum: get("sum"), ..Tally::default() };
        for (i, slot) in tally.distribution.iter_mut().enumerate() {
            *slot = get(&format!("r{}", i + 1));
        }
        for (i, which) in SubRating::ALL.iter().enumerate() {
            tally.sub_counts[i] = get(&format!("sub_{}_count", which.as_str()));
            tally.sub_sums[i] = get(&format!("sub_{}_sum", which.as_str()));
        }
        for (i, slot) in tally.relevance.iter_mut().enumerate() {
            *slot = get(&format!("rel{i}"));
        }
        tally
    }

    /// The relevance lists' sizes, for planning a page.
    pub fn relevance_counts(&self) -> Counts {
        self.relevance.map(|c| u64::try_from(c).unwrap_or(0))
    }

    pub fn rating(&self) -> Rating {
        let average = |sum: i64, count: i64| {
            (count > 0).then(|| (Decimal::from(sum) / Decimal::from(count)).round_dp(2).normalize())
        };
        let mut sub_ratings = SubRatingAverages::default();
        for (i, which) in SubRating::ALL.iter().enumerate() {
            if let Some(avg) = average(self.sub_sums[i], self.sub_counts[i]) {
                sub_ratings.set(*which, avg);
            }
        }
        Rating {
            count: self.count.max(0),
            average: average(self.sum, self.count),
            distribution: Distribution {
                one: self.distribution[0],
                two: self.distribution[1],
                three: self.distribution[2],
                four: self.distribution[3],
                five: self.distribution[4],
            },
            sub_ratings,
        }
    }
}

/// A rating as shown: how many reviews, their average (two decimals, as a string; null without
/// reviews), how many of each star, and the sub-ratings' averages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    pub count: i64,
    pub average: Option<Decimal>,
    pub distribution: Distribution,
    pub sub_ratings: SubRatingAverages,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Distribution {
    #[serde(rename = "1")]
    pub one: i64,
    #[serde(rename = "2")]
    pub two: i64,
    #[serde(rename = "3")]
    pub three: i64,
    #[serde(rename = "4")]
    pub four: i64,
    #[serde(rename = "5")]
    pub five: i64,
}

/// The average of each sub-rating that reviews gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubRatingAverages {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_for_money: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packaging_and_cleanliness: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overall_performance: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosmetic_aspect: Option<Decimal>,
}

impl SubRatingAverages {
    fn set(&mut self, which: SubRating, value: Decimal) {
        let slot = match which {
            SubRating::ValueForMoney => &mut self.value_for_money,
            SubRating::Delivery => &mut self.delivery,
            SubRating::PackagingAndCleanliness => &mut self.packaging_and_cleanliness,
            SubRating::OverallPerformance => &mut self.overall_performance,
            SubRating::CosmeticAspect => &mut self.cosmetic_aspect,
        };
        *slot = Some(value);
    }
}

impl SubRatings {
    /// The sub-ratings given, with their values.
    pub fn given(&self) -> Vec<(SubRating, u8)> {
        SubRating::ALL.iter().filter_map(|which| self.get(*which).map(|v| (*which, v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reviews::tests::published;

    fn apply(tally: &mut std::collections::BTreeMap<String, i64>, review: &Review, sign: i64) {
        for (name, delta) in Tally::contribution(review, sign) {
            *tally.entry(name).or_default() += delta;
        }
    }

    #[test]
    fn contributions_add_up_and_come_off_again() {
        let mut counters = std::collections::BTreeMap::new();
        let good = published(5, Some("Works like new, battery at 92 %, no scratches at all."));
        let bad = published(1, Some("Arrived with a cracked camera lens."));
        let mut with_subs = published(4, None);
        with_subs.sub_ratings.delivery = Some(3);
        for review in [&good, &bad, &with_subs] {
            apply(&mut counters, review, 1);
        }
        let read = |c: &std::collections::BTreeMap<String, i64>| {
            Tally::from_counters(|name| c.get(name).copied().unwrap_or(0)).rating()
        };
        let rating = read(&counters);
        assert_eq!((rating.count, rating.average.map(|a| a.to_string())), (3, Some("3.33".to_owned())));
        assert_eq!((rating.distribution.one, rating.distribution.four, rating.distribution.five), (1, 1, 1));
        assert_eq!(rating.sub_ratings.delivery.map(|d| d.to_string()), Some("3".to_owned()));
        apply(&mut counters, &bad, -1);
        let rating = read(&counters);
        assert_eq!((rating.count, rating.average.map(|a| a.to_string())), (2, Some("4.5".to_owned())));
        apply(&mut counters, &good, -1);
        apply(&mut counters, &with_subs, -1);
        let rating = read(&counters);
        assert_eq!((rating.count, rating.average), (0, None));
        assert!(counters.values().all(|v| *v == 0), "{counters:?}");
    }
}
