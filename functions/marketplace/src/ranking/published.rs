//! What the ranking publishes (DSA Art. 27, P2B Regulation Art. 5): its main parameters, their
//! weights and why, in plain words, generated from the very [`RankingTerms`] the ranking
//! uses, so the page and the order of offers cannot disagree; and a seller's own standing, with
//! what each parameter costs it against a flawless seller.

use rust_decimal::Decimal;
use serde::Serialize;

use super::quality::{Quality, Rates};
use super::{OfferFacts, Points, RankingTerms, Ratings, factors};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// The name of the parameter's factor in each ranked offer's `ranking.factors`.
    pub name: &'static str,
    /// Points at most (price, ratings) or at most lost (the rates).
    pub weight: Decimal,
    /// The weight's share of all the weights, in per cent.
    pub share_percent: Decimal,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub summary: &'static str,
    pub parameters: Vec<Parameter>,
    pub payment_method: &'static str,
    pub ties: &'static str,
    pub why_these_weights: &'static str,
    pub not_for_sale: &'static str,
    pub window_days: u32,
    pub terms: RankingTerms,
}

fn percent(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() { Decimal::ZERO } else { (part * Decimal::from(100) / whole).round_dp(1) }
}

/// The published parameters of `terms`.
pub fn parameters(terms: &RankingTerms) -> Published {
    let w = &terms.weights;
    let total = w.sum();
    let prior_stars = terms.rating_prior;
    let ratings_prior = terms.rating_prior_weight;
    let units = terms.rate_prior_units;
    let window = terms.window_days;
    let cap = (terms.rate_cap * Decimal::from(100)).normalize();
    let p = &terms.rate_priors;
    let pct = |r: Decimal| (r * Decimal::from(100)).normalize();
    let rate_text = |what: &str, prior: Decimal| {
        format!(
            "The share of the seller's units delivered in the last {window} days that {what}. A rate of \
             {cap} % or more costs the whole weight, lower rates cost in proportion. The rate is \
             smoothed as if {units} more units had been delivered at {} %, so a seller with few \
             orders is neither perfect nor doomed.",
            pct(prior)
        )
    };
    let rating_text = |whose: &str| {
        format!(
            "The average of all the ratings buyers gave {whose} after receiving their order, from 1 star \
             (no points) to 5 stars (the whole weight), counted as if {ratings_prior} more ratings of \
             {prior_stars} stars had been given, so a few ratings move it little."
        )
    };
    let parameter = |name, weight: Decimal, explanation: String| Parameter {
        name,
        weight,
        share_percent: percent(weight, total),
        explanation,
    };
    Published {
        summary: "Offers of a product are ranked by their ratio of quality to price: each offer earns points \
                  for its price and its ratings and loses points for its seller's processing faults and \
                  late deliveries; the offer with the most points comes first. Every offer in a list shows \
                  its score and the points of each parameter.",
        parameters: vec![
            parameter(
                "price",
                w.price,
                "The price with shipping. The cheapest offer gets the whole weight; a dearer one the share \
                 the cheapest price is of its own (twice the price, half the points)."
                    .into(),
            ),
            parameter("productRating", w.product_rating, rating_text("the product")),
            parameter("sellerRating", w.seller_rating, rating_text("the seller")),
            parameter("defective", w.defective, rate_text("buyers reported as defective", p.defective)),
            parameter(
                "wrongItem",
                w.wrong_item,
                rate_text("buyers reported as the wrong product or missing an accessory", p.wrong_item),
            ),
            parameter(
                "cosmetic",
                w.cosmetic,
                rate_text("buyers reported in a worse cosmetic condition than their grade", p.cosmetic),
            ),
            parameter("late", w.late, rate_text("arrived after the latest delivery date promised at checkout", p.late)),
        ],
        payment_method: "When a buyer names the payment method they intend to use, the offers that accept it \
                         come first, each group in the order of its points.",
        ties: "Equal points: the lower price first, then the older offer.",
        why_these_weights: "Price matters most to buyers of refurbished devices, so it weighs most; but quality \
                            and ratings together weigh more, so that a lower price alone does not put an offer \
                            first when its seller sends defective or late products. Defects weigh most among \
                            the faults because they cost buyers most.",
        not_for_sale: "Nothing a seller can pay for enters the ranking: no fee, commission or advertising \
                       changes an offer's place.",
        window_days: window,
        terms: terms.clone(),
    }
}

/// A seller's standing as the seller sees it: its counts and smoothed rates in the window, and
/// the points each costs an offer of it compared with a flawless seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerStanding {
    pub window_days: u32,
    pub counts: Quality,
    pub rates: Rates,
    pub rating: RatingView,
    /// Points of the seller's parameters in each of its offers (negative for the rates).
    pub points: SellerPoints,
    /// Points lost against a flawless seller with 5-star ratings only.
    pub points_lost: SellerPoints,
    pub total_points_lost: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingView {
    pub count: i64,
    /// The average of the seller's ratings (two decimals), `None` without any.
    pub average: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerPoints {
    pub seller_rating: Decimal,
    pub defective: Decimal,
    pub wrong_item: Decimal,
    pub cosmetic: Decimal,
    pub late: Decimal,
}

impl From<Points> for SellerPoints {
    fn from(p: Points) -> Self {
        SellerPoints {
            seller_rating: p.seller_rating,
            defective: p.defective,
            wrong_item: p.wrong_item,
            cosmetic: p.cosmetic,
            late: p.late,
        }
    }
}

/// The standing of a seller with `ratings` and `quality`, under `terms`.
pub fn standing(ratings: Ratings, quality: Quality, terms: &RankingTerms) -> SellerStanding {
    let facts = |seller: Ratings, quality: Quality| OfferFacts {
        offer_id: String::new(),
        price_minor: 1,
        product: Ratings::default(),
        seller,
        quality,
        accepts_payment_method: true,
    };
    let points = SellerPoints::from(factors(&facts(ratings, quality), 1, terms));
    let w = &terms.weights;
    let lost = SellerPoints {
        seller_rating: w.seller_rating - points.seller_rating,
        defective: -points.defective,
        wrong_item: -points.wrong_item,
        cosmetic: -points.cosmetic,
        late: -points.late,
    };
    let average = (ratings.count > 0).then(|| (Decimal::from(ratings.sum) / Decimal::from(ratings.count)).round_dp(2));
    SellerStanding {
        window_days: terms.window_days,
        counts: quality,
        rates: quality.smoothed(&terms.rate_priors, terms.rate_prior_units),
        rating: RatingView { count: ratings.count, average },
        points,
        points_lost: lost,
        total_points_lost: lost.seller_rating + lost.defective + lost.wrong_item + lost.cosmetic + lost.late,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_weights_are_the_ranking_s() {
        let mut terms = RankingTerms::default();
        terms.weights.price = Decimal::from(55);
        terms.window_days = 60;
        let published = parameters(&terms);
        let names: Vec<&str> = published.parameters.iter().map(|p| p.name).collect();
        // The names are the factors' as ranked offers show them.
        let factors = serde_json::to_value(terms.weights).expect("json");
        let factor_names: Vec<&str> = factors.as_object().expect("an object").keys().map(String::as_str).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        let mut expected = factor_names.clone();
        expected.sort_unstable();
        assert_eq!(sorted, expected);
        assert_eq!(published.parameters[0].weight, Decimal::from(55));
        let shares: Decimal = published.parameters.iter().map(|p| p.share_percent).sum();
        assert!((shares - Decimal::from(100)).abs() <= Decimal::new(5, 1), "{shares}");
        assert!(published.parameters[3].explanation.contains("last 60 days"));
        assert_eq!(published.window_days, 60);
    }

    #[test]
    fn a_seller_sees_what_its_faults_cost() {
        let terms = RankingTerms::default();
        let good = standing(Ratings { count: 100, sum: 500 }, Quality { delivered: 500, ..Quality::default() }, &terms);
        let bad = standing(
            Ratings { count: 100, sum: 200 },
            Quality { delivered: 100, defective: 30, late: 30, ..Quality::default() },
            &terms,
        );
        assert!(bad.total_points_lost > good.total_points_lost);
        assert_eq!(bad.points_lost.defective, terms.weights.defective, "a 30 % defect rate costs the whole weight");
        assert_eq!(bad.rating.average, Some(Decimal::from(2)));
        assert_eq!(standing(Ratings::default(), Quality::default(), &terms).rating.average, None);
    }
}
