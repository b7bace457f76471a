//! The relevance order of a product's reviews (R-REV-RANK), in plain words:
//!
//! 1. Reviews with something to say come first: a comment of at least
//!    [`SUBSTANTIVE_CHARS`] characters is *substantive*; a rating alone or a few words is not.
//!    So a substantive negative review never ranks below a near-empty positive one.
//! 2. Within each of those two tiers, the reviews of each rating (1 to 5 stars) are ordered by
//!    the length of their comment (longer first, counted up to [`LENGTH_CAP`] characters),
//!    then the newest first, then by id.
//! 3. Criticism (1–2 stars), neutral reviews (3) and praise (4–5) are interleaved in
//!    proportion to how many reviews of the tier each side has, and within a side its ratings
//!    likewise, so any first page reflects the product's rating distribution: with 80
//!    five-star and 20 one-star substantive reviews, one review in five near the top is a
//!    one-star one. The k-th review (from 0) of a side (or rating) with `c` reviews takes the
//!    place `(k + ½) / c`; places are taken in increasing order, a tie going to the lower
//!    side (or rating). A side with a tenth of the tier's reviews thus shows within its first
//!    six places.
//!
//! The rating thus decides how often each rating appears, never whether criticism is shown.
//! The order is a pure function of the reviews, and a page can be planned from the counts
//! alone ([`plan`]), so a page is read from one sorted list per (tier, rating) without ever
//! reading the whole product's reviews.

use std::cmp::Ordering;

/// A comment of at least this many characters makes a review substantive.
pub const SUBSTANTIVE_CHARS: usize = 30;
/// Length counts up to this many characters: beyond, a longer text is no more relevant.
pub const LENGTH_CAP: usize = 1000;

/// The tiers, most relevant first.
pub const TIERS: usize = 2;

/// The tier of a comment: 0 substantive, 1 not.
pub fn tier(comment: Option<&str>) -> usize {
    if length(comment) >= SUBSTANTIVE_CHARS { 0 } else { 1 }
}

/// The comment's length as relevance counts it.
pub fn length(comment: Option<&str>) -> usize {
    comment.map_or(0, |c| c.trim().chars().count()).min(LENGTH_CAP)
}

/// One list the page is drawn from: a tier and a rating (1 to 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    pub tier: usize,
    pub rating: u8,
}

impl Slot {
    pub fn all() -> impl Iterator<Item = Slot> {
        (0..TIERS).flat_map(|tier| (1..=5u8).map(move |rating| Slot { tier, rating }))
    }

    pub fn index(self) -> usize {
        self.tier * 5 + usize::from(self.rating - 1)
    }
}

/// How many reviews each (tier, rating) list holds, or has given to earlier pages.
pub type Counts = [u64; TIERS * 5];

/// The lists the next `n` places come from, in order, after `taken` reviews of each list went
/// to earlier pages, when the lists hold `counts`.
pub fn plan(counts: &Counts, taken: &Counts, n: usize) -> Vec<Slot> {
    let mut taken = *taken;
    let mut order = Vec::with_capacity(n);
    let sum = |list: &Counts, tier: usize, ratings: &[u8]| -> u64 {
        ratings.iter().map(|r| list[Slot { tier, rating: *r }.index()]).sum()
    };
    for tier in 0..TIERS {
        while order.len() < n {
            // The side whose next place comes first, then its rating whose next place does;
            // a tie goes to the lower.
            let side = SIDES.iter().filter(|ratings| sum(&taken, tier, ratings) < sum(counts, tier, ratings)).min_by(
                |a, b| {
                    place(sum(&taken, tier, a), sum(counts, tier, a))
                        .cmp(&place(sum(&taken, tier, b), sum(counts, tier, b)))
                },
            );
            let Some(side) = side else { break };
            let slot = side
                .iter()
                .map(|rating| Slot { tier, rating: *rating })
                .filter(|s| taken[s.index()] < counts[s.index()])
                .min_by(|a, b| {
                    place(taken[a.index()], counts[a.index()]).cmp(&place(taken[b.index()], counts[b.index()]))
                });
            let Some(slot) = slot else { break };
            taken[slot.index()] += 1;
            order.push(slot);
        }
    }
    order
}

/// The sides of the ratings: criticism (1–2 stars), neutral (3), praise (4–5).
const SIDES: [&[u8]; 3] = [&[1, 2], &[3], &[4, 5]];

/// `(k + ½) / c` as an exact fraction, compared by cross-multiplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    numerator: u128,
    denominator: u128,
}

fn place(k: u64, c: u64) -> Place {
    Place { numerator: 2 * u128::from(k) + 1, denominator: 2 * u128::from(c.max(1)) }
}

impl PartialOrd for Place {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Place {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.numerator * other.denominator).cmp(&(other.numerator * self.denominator))
    }
}

/// What relevance needs of a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub id: String,
    pub rating: u8,
    pub comment_chars: usize,
    /// When it was published, in microseconds: the newer first among equals.
    pub published_micros: i64,
}

/// The order within one (tier, rating) list: longer first, then newer, then the later id (as
/// the stored list, read backwards, gives it).
pub fn within_list(a: &Ranked, b: &Ranked) -> Ordering {
    b.comment_chars
        .min(LENGTH_CAP)
        .cmp(&a.comment_chars.min(LENGTH_CAP))
        .then(b.published_micros.cmp(&a.published_micros))
        .then(b.id.cmp(&a.id))
}

/// The whole relevance order of `reviews` (the definition [`plan`] pages through).
pub fn rank(reviews: &[Ranked]) -> Vec<Ranked> {
    let mut lists: Vec<Vec<Ranked>> = vec![Vec::new(); TIERS * 5];
    let mut counts: Counts = [0; TIERS * 5];
    for review in reviews {
        let slot = slot_of(review);
        lists[slot.index()].push(review.clone());
        counts[slot.index()] += 1;
    }
    for list in &mut lists {
        list.sort_by(within_list);
    }
    let mut next = [0usize; TIERS * 5];
    plan(&counts, &[0; TIERS * 5], reviews.len())
        .into_iter()
        .map(|slot| {
            let i = slot.index();
            next[i] += 1;
            lists[i][next[i] - 1].clone()
        })
        .collect()
}

fn slot_of(review: &Ranked) -> Slot {
    let tier = usize::from(review.comment_chars < SUBSTANTIVE_CHARS);
    Slot { tier, rating: review.rating.clamp(1, 5) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn review(id: usize, rating: u8, chars: usize, micros: i64) -> Ranked {
        Ranked { id: format!("rev_{id:04}"), rating, comment_chars: chars, published_micros: micros }
    }

    #[test]
    fn a_substantive_review_outranks_near_empty_ones_whatever_the_ratings() {
        let mut reviews: Vec<Ranked> = (0..20).map(|i| review(i, 5, 3, i as i64)).collect();
        reviews.push(review(99, 1, 200, 0));
        let order = rank(&reviews);
        assert_eq!(order[0].id, "rev_0099", "the only substantive review, a one-star one, comes first");
    }

    #[test]
    fn at_equal_rating_the_longer_review_comes_first() {
        let order = rank(&[review(1, 4, 40, 10), review(2, 4, 400, 5), review(3, 4, 400, 7)]);
        let ids: Vec<&str> = order.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["rev_0003", "rev_0002", "rev_0001"], "longer first, then the newer of equals");
    }

    #[test]
    fn ratings_are_interleaved_in_proportion() {
        let mut reviews: Vec<Ranked> = (0..8).map(|i| review(i, 5, 100, i as i64)).collect();
        reviews.extend((10..12).map(|i| review(i, 1, 100, i as i64)));
        let ratings: Vec<u8> = rank(&reviews).iter().map(|r| r.rating).collect();
        // Places: one-star 0.25, 0.75; five-star 0.0625, 0.1875, 0.3125, …
        assert_eq!(ratings, [5, 5, 1, 5, 5, 5, 5, 1, 5, 5]);
    }

    #[test]
    fn a_plan_stops_when_the_lists_are_exhausted() {
        let mut counts = [0; TIERS * 5];
        counts[Slot { tier: 0, rating: 3 }.index()] = 2;
        counts[Slot { tier: 1, rating: 5 }.index()] = 1;
        let slots = plan(&counts, &[0; TIERS * 5], 10);
        assert_eq!(slots, [Slot { tier: 0, rating: 3 }, Slot { tier: 0, rating: 3 }, Slot { tier: 1, rating: 5 }]);
    }

    fn reviews() -> impl Strategy<Value = Vec<Ranked>> {
        prop::collection::vec((1u8..=5, prop_oneof![0usize..30, 30usize..1500], 0i64..1_000), 1..60).prop_map(|v| {
            v.into_iter().enumerate().map(|(i, (rating, chars, micros))| review(i, rating, chars, micros)).collect()
        })
    }

    proptest! {
        /// Fairness between positive and negative reviews, and pages that add up.
        #[test]
        fn relevance_is_fair_and_pages_add_up(reviews in reviews(), page in 1usize..12) {
            let order = rank(&reviews);
            prop_assert_eq!(order.len(), reviews.len());
            // No substantive review ranks below a near-empty one, whatever their ratings.
            let first_near_empty = order.iter().position(|r| r.comment_chars < SUBSTANTIVE_CHARS);
            if let Some(first) = first_near_empty {
                prop_assert!(order[first..].iter().all(|r| r.comment_chars < SUBSTANTIVE_CHARS));
            }
            // At equal rating and tier, the longer comment ranks first.
            for (i, a) in order.iter().enumerate() {
                for b in &order[i + 1..] {
                    if slot_of(a) == slot_of(b) {
                        prop_assert_ne!(within_list(a, b), Ordering::Greater);
                    }
                }
            }
            // Mixed substantive ratings show both on the first page of ten.
            let substantive: Vec<&Ranked> = order.iter().filter(|r| r.comment_chars >= SUBSTANTIVE_CHARS).collect();
            let positive = substantive.iter().filter(|r| r.rating >= 4).count();
            let negative = substantive.iter().filter(|r| r.rating <= 2).count();
            if positive > 0 && negative > 0 {
                let first_page = &order[..order.len().min(10)];
                // A side with a tenth of the substantive reviews shows within the first ten.
                let share = |n: usize| n as f64 / substantive.len() as f64;
                if share(negative) >= 0.1 {
                    prop_assert!(first_page.iter().any(|r| r.rating <= 2), "criticism on the first page");
                }
                if share(positive) >= 0.1 {
                    prop_assert!(first_page.iter().any(|r| r.rating >= 4), "praise on the first page");
                }
            }
            // Paging with plan gives the same order as the whole, whatever the page size.
            let mut counts: Counts = [0; TIERS * 5];
            for r in &reviews {
                counts[slot_of(r).index()] += 1;
            }
            let mut taken: Counts = [0; TIERS * 5];
            let mut paged = Vec::new();
            loop {
                let slots = plan(&counts, &taken, page);
                if slots.is_empty() { break }
                for slot in slots {
                    taken[slot.index()] += 1;
                    paged.push(slot);
                }
            }
            let whole: Vec<Slot> = order.iter().map(slot_of).collect();
            prop_assert_eq!(paged, whole);
        }
    }
}
