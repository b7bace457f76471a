//! Offer ranking by quality and price (R-RANK; DSA Art. 27, P2B Regulation Art. 5): the score of
//! each offer of a product from exactly the published main parameters — its price with
//! shipping, the buyers' ratings of the product and of the seller, the seller's processing
//! quality (defective, wrong and worse-than-graded products per delivered unit) and its late
//! deliveries — and, apart from the score, whether the offer accepts the payment method the
//! buyer intends to use. Nothing a seller can pay for enters it. Every factor is explained in the
//! ranked offer, and the factors add up to the score.
//!
//! In plain words (the published parameters are generated from the same [`RankingTerms`]):
//! - **Price**: the cheapest offer gets the whole price weight, a dearer one the share its price
//!   is of the cheapest (twice the price, half the points).
//! - **Ratings**: the average rating (1–5 stars) of the product and of the seller, each smoothed
//!   towards a prior so that a few ratings move it little, scaled from 0 (1 star) to the weight
//!   (5 stars).
//! - **Processing quality and late deliveries**: each rate per delivered unit, smoothed towards
//!   a prior, costs its weight times the rate relative to the worst rate counted (`rate_cap`).
//! - **Payment method**: offers that accept the buyer's method come first; the score orders
//!   each group.
//! - Ties: the lower price, then the offer id.

pub mod published;
pub mod quality;

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use quality::Quality;

/// A rating's counters: how many ratings and their sum (stars 1 to 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratings {
    pub count: i64,
    pub sum: i64,
}

/// What the ranking knows of one offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferFacts {
    pub offer_id: String,
    /// Price with shipping, in minor units of the listing's currency.
    pub price_minor: i64,
    pub product: Ratings,
    pub seller: Ratings,
    pub quality: Quality,
    pub accepts_payment_method: bool,
}

/// The weights and priors of the ranking: configuration, published as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RankingTerms {
    pub weights: Points,
    /// The average a rating is smoothed towards, and how many ratings it counts for.
    pub rating_prior: Decimal,
    pub rating_prior_weight: i64,
    /// The rates the processing-quality and lateness rates are smoothed towards, and how many
    /// delivered units they count for.
    pub rate_priors: quality::Rates,
    pub rate_prior_units: i64,
    /// A rate that costs a factor its whole weight; higher rates cost no more.
    pub rate_cap: Decimal,
    /// The rolling window of the processing-quality rates and late deliveries, in days.
    pub window_days: u32,
}

/// Points per parameter: what each is worth at most (the weights), or what one offer earned
/// (its factors, negative for the rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Points {
    pub price: Decimal,
    pub product_rating: Decimal,
    pub seller_rating: Decimal,
    pub defective: Decimal,
    pub wrong_item: Decimal,
    pub cosmetic: Decimal,
    pub late: Decimal,
}

impl Points {
    pub fn all(&self) -> [Decimal; 7] {
        [self.price, self.product_rating, self.seller_rating, self.defective, self.wrong_item, self.cosmetic, self.late]
    }

    pub fn sum(&self) -> Decimal {
        self.all().iter().sum()
    }
}

impl Default for RankingTerms {
    fn default() -> Self {
        let d = |n: i64, scale: u32| Decimal::new(n, scale);
        RankingTerms {
            // Price weighs most, but no more than quality and ratings together: a price cut
            // alone does not win.
            weights: Points {
                price: d(40, 0),
                product_rating: d(10, 0),
                seller_rating: d(20, 0),
                defective: d(12, 0),
                wrong_item: d(8, 0),
                cosmetic: d(5, 0),
                late: d(5, 0),
            },
            rating_prior: d(40, 1),
            rating_prior_weight: 5,
            rate_priors: quality::Rates { defective: d(2, 2), wrong_item: d(1, 2), cosmetic: d(1, 2), late: d(5, 2) },
            rate_prior_units: 20,
            rate_cap: d(20, 2),
            window_days: 90,
        }
    }
}

impl RankingTerms {
    pub fn from_json(json: &str) -> Result<RankingTerms, String> {
        let terms: RankingTerms = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if terms.weights.all().iter().any(|w| w.is_sign_negative() || *w > Decimal::from(1000)) {
            return Err("weights are 0 to 1000 points".into());
        }
        if !(Decimal::ONE..=Decimal::from(5)).contains(&terms.rating_prior)
            || !(0..=1000).contains(&terms.rating_prior_weight)
        {
            return Err("ratingPrior is 1 to 5 stars, ratingPriorWeight 0 to 1000 ratings".into());
        }
        if terms.rate_cap <= Decimal::ZERO
            || terms.rate_cap > Decimal::ONE
            || !(0..=100_000).contains(&terms.rate_prior_units)
        {
            return Err("rateCap is above 0 and at most 1; ratePriorUnits 0 to 100000".into());
        }
        if !terms.rate_priors.all().iter().all(|r| (Decimal::ZERO..=Decimal::ONE).contains(r)) {
            return Err("rate priors are 0 to 1".into());
        }
        if !(7..=365).contains(&terms.window_days) {
            return Err("windowDays is 7 to 365".into());
        }
        Ok(terms)
    }
}

/// A ranked offer: its score, the points of each parameter, and whether it accepts the buyer's
/// payment method (which orders the groups before the score does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ranked {
    pub offer_id: String,
    pub score: Decimal,
    pub factors: Points,
    pub accepts_payment_method: bool,
    #[serde(skip)]
    price_minor: i64,
}

/// Points to two decimals, half away from zero, as they are shown.
fn points(value: Decimal) -> Decimal {
    let mut points = value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    points.rescale(2);
    points
}

/// A smoothed average rating, scaled to 0 (1 star) … 1 (5 stars).
fn rating_share(ratings: Ratings, terms: &RankingTerms) -> Decimal {
    let weight = Decimal::from(terms.rating_prior_weight.max(0));
    let count = Decimal::from(ratings.count.max(0));
    let sum = Decimal::from(ratings.sum.max(0));
    let total = count + weight;
    if total.is_zero() {
        return Decimal::ZERO;
    }
    let average = (sum + terms.rating_prior * weight) / total;
    ((average - Decimal::ONE) / Decimal::from(4)).clamp(Decimal::ZERO, Decimal::ONE)
}

/// A rate's cost as a share of its weight: the smoothed rate relative to the cap.
fn rate_share(rate: Decimal, terms: &RankingTerms) -> Decimal {
    (rate / terms.rate_cap).clamp(Decimal::ZERO, Decimal::ONE)
}

/// The factors of one offer, among offers whose cheapest costs `cheapest_minor`.
pub fn factors(offer: &OfferFacts, cheapest_minor: i64, terms: &RankingTerms) -> Points {
    let w = &terms.weights;
    let price_share = if offer.price_minor <= 0 {
        Decimal::ONE
    } else {
        (Decimal::from(cheapest_minor.max(0)) / Decimal::from(offer.price_minor)).clamp(Decimal::ZERO, Decimal::ONE)
    };
    let rates = offer.quality.smoothed(&terms.rate_priors, terms.rate_prior_units);
    Points {
        price: points(w.price * price_share),
        product_rating: points(w.product_rating * rating_share(offer.product, terms)),
        seller_rating: points(w.seller_rating * rating_share(offer.seller, terms)),
        defective: -points(w.defective * rate_share(rates.defective, terms)),
        wrong_item: -points(w.wrong_item * rate_share(rates.wrong_item, terms)),
        cosmetic: -points(w.cosmetic * rate_share(rates.cosmetic, terms)),
        late: -points(w.late * rate_share(rates.late, terms)),
    }
}

/// The offers, best first: those accepting the buyer's payment method, then the others; within
/// each, the higher score, then the lower price, then the offer id.
pub fn rank(offers: &[OfferFacts], terms: &RankingTerms) -> Vec<Ranked> {
    let cheapest = offers.iter().map(|o| o.price_minor).filter(|p| *p > 0).min().unwrap_or(0);
    let mut ranked: Vec<Ranked> = offers
        .iter()
        .map(|offer| {
            let factors = factors(offer, cheapest, terms);
            Ranked {
                offer_id: offer.offer_id.clone(),
                score: factors.sum(),
                factors,
                accepts_payment_method: offer.accepts_payment_method,
                price_minor: offer.price_minor,
            }
        })
        .collect();
    ranked.sort_by(order);
    ranked
}

fn order(a: &Ranked, b: &Ranked) -> Ordering {
    b.accepts_payment_method
        .cmp(&a.accepts_payment_method)
        .then(b.score.cmp(&a.score))
        .then(a.price_minor.cmp(&b.price_minor))
        .then(a.offer_id.cmp(&b.offer_id))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn offer(id: &str, price_minor: i64) -> OfferFacts {
        OfferFacts {
            offer_id: id.into(),
            price_minor,
            product: Ratings { count: 10, sum: 42 },
            seller: Ratings { count: 30, sum: 130 },
            quality: Quality { delivered: 50, defective: 1, wrong_item: 0, cosmetic: 1, late: 2 },
            accepts_payment_method: true,
        }
    }

    fn ids(ranked: &[Ranked]) -> Vec<&str> {
        ranked.iter().map(|r| r.offer_id.as_str()).collect()
    }

    #[test]
    fn a_price_cut_alone_does_not_beat_a_reliable_seller() {
        let terms = RankingTerms::default();
        let mut cheap = offer("off_cheap", 30_000);
        cheap.quality = Quality { delivered: 40, defective: 6, wrong_item: 3, cosmetic: 2, late: 10 };
        cheap.seller = Ratings { count: 40, sum: 100 };
        let reliable = offer("off_reliable", 32_900);
        let ranked = rank(&[cheap, reliable], &terms);
        assert_eq!(ids(&ranked), ["off_reliable", "off_cheap"], "{ranked:#?}");
        for r in &ranked {
            assert_eq!(r.factors.sum(), r.score, "the factors add up to the score");
        }
        assert_eq!(ranked[1].factors.price, Decimal::from(40), "the cheapest gets the whole price weight");
    }

    #[test]
    fn a_new_seller_is_neither_perfect_nor_doomed() {
        let terms = RankingTerms::default();
        let mut new = offer("off_new", 30_000);
        new.seller = Ratings { count: 1, sum: 1 };
        new.quality = Quality { delivered: 2, defective: 1, ..Quality::default() };
        let f = factors(&new, 30_000, &terms);
        // One 1-star rating against a prior of 4 stars × 5: (1 + 20) / 6 = 3.5 stars.
        assert_eq!(f.seller_rating, Decimal::new(1250, 2));
        // One defect in 2 units against 2 % × 20: (1 + 0.4) / 22 ≈ 6.4 %, a third of the cap.
        assert_eq!(f.defective, Decimal::new(-382, 2));
    }

    #[test]
    fn the_payment_method_orders_the_groups() {
        let terms = RankingTerms::default();
        let mut best = offer("off_best", 20_000);
        best.accepts_payment_method = false;
        let worse = offer("off_worse", 40_000);
        assert_eq!(ids(&rank(&[best, worse], &terms)), ["off_worse", "off_best"]);
    }

    #[test]
    fn terms_are_checked() {
        assert!(RankingTerms::from_json(&serde_json::to_string(&RankingTerms::default()).expect("json")).is_ok());
        let mut bad = serde_json::to_value(RankingTerms::default()).expect("json");
        bad["weights"]["price"] = serde_json::json!("-1");
        assert!(RankingTerms::from_json(&bad.to_string()).is_err());
        let mut bad = serde_json::to_value(RankingTerms::default()).expect("json");
        bad["rateCap"] = serde_json::json!("0");
        assert!(RankingTerms::from_json(&bad.to_string()).is_err());
        assert!(RankingTerms::from_json(r#"{"weights": {}}"#).is_err());
    }

    fn facts() -> impl Strategy<Value = OfferFacts> {
        (
            1_000i64..200_000,
            (0i64..200, 0i64..200),
            (0i64..500, 0i64..500),
            (0i64..300, 0i64..40, 0i64..40, 0i64..40, 0i64..80),
            any::<bool>(),
        )
            .prop_map(|(price, (pc, ps), (sc, ss), (delivered, d, w, c, l), accepts)| OfferFacts {
                offer_id: "off_x".into(),
                price_minor: price,
                // Sums between one and five stars a rating.
                product: Ratings { count: pc, sum: pc + ps % (4 * pc + 1) },
                seller: Ratings { count: sc, sum: sc + ss % (4 * sc + 1) },
                quality: Quality { delivered, defective: d, wrong_item: w, cosmetic: c, late: l },
                accepts_payment_method: accepts,
            })
    }

    /// Whether `better` ranks at least as high as `worse` among the two.
    fn not_below(better: OfferFacts, worse: OfferFacts, terms: &RankingTerms) -> bool {
        let better = OfferFacts { offer_id: "off_b".into(), ..better };
        let worse = OfferFacts { offer_id: "off_a".into(), ..worse };
        let ranked = rank(&[worse, better], terms);
        let at = |id: &str| ranked.iter().position(|r| r.offer_id == id);
        // On an exact tie the lower id wins: only a strict loss counts.
        at("off_b") <= at("off_a") || ranked[0].score == ranked[1].score
    }

    proptest! {
        #[test]
        fn all_else_equal_each_parameter_only_helps_in_its_direction(base in facts(), delta in 1i64..50_000, more in 1i64..30) {
            let terms = RankingTerms::default();
            let cheaper = OfferFacts { price_minor: (base.price_minor - delta).max(1), ..base.clone() };
            prop_assert!(not_below(cheaper, base.clone(), &terms), "a cheaper offer never ranks below a dearer one");
            let better_rated = OfferFacts { seller: Ratings { count: base.seller.count + more, sum: base.seller.sum + 5 * more }, ..base.clone() };
            prop_assert!(not_below(better_rated, base.clone(), &terms), "a better-rated seller never below a worse-rated one");
            let q = base.quality;
            for worse in [
                Quality { defective: q.defective + more, ..q },
                Quality { wrong_item: q.wrong_item + more, ..q },
                Quality { cosmetic: q.cosmetic + more, ..q },
                Quality { late: q.late + more, ..q },
            ] {
                let worse = OfferFacts { quality: worse, ..base.clone() };
                prop_assert!(not_below(base.clone(), worse, &terms), "a higher defect, wrong-item, cosmetic or late rate never helps");
            }
            let accepts = OfferFacts { accepts_payment_method: true, ..base.clone() };
            let refuses = OfferFacts { accepts_payment_method: false, ..base.clone() };
            prop_assert!(not_below(accepts, refuses, &terms), "refusing the buyer's method never outranks accepting it");
        }

        #[test]
        fn scores_are_deterministic_and_their_factors_add_up(offers in prop::collection::vec(facts(), 1..20)) {
            let terms = RankingTerms::default();
            let offers: Vec<OfferFacts> = offers.into_iter().enumerate().map(|(i, o)| OfferFacts { offer_id: format!("off_{i:02}"), ..o }).collect();
            let first = rank(&offers, &terms);
            let mut reversed = offers.clone();
            reversed.reverse();
            prop_assert_eq!(&first, &rank(&reversed, &terms), "the same order whatever the input's order");
            for r in &first {
                prop_assert_eq!(r.factors.sum(), r.score);
                prop_assert!(r.factors.price >= Decimal::ZERO && r.factors.price <= terms.weights.price);
            }
        }
    }
}
