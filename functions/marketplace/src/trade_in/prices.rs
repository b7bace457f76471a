//! Buyback prices: what each refurbisher pays for a product in a condition grade, until a
//! date. A refurbisher replaces its whole list at once; the offer a customer gets is the best
//! price valid now among every active refurbisher's lists.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::condition::Grade;
use crate::Error;
use crate::money::{Money, MoneyInput};
use crate::offer::amount;
use crate::validation::Violations;

/// Prices one list holds at most (one item is about 80 bytes at rest: the list is one item).
pub const MAX_PRICES: usize = 500;
/// How far ahead a list may be valid.
pub const MAX_VALIDITY: SignedDuration = SignedDuration::from_hours(24 * 366);

/// One price of a refurbisher's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub product_id: String,
    pub grade: Grade,
    #[serde(with = "crate::money::at_rest")]
    pub price: Money,
}

/// A refurbisher's buyback prices, all in one currency, valid until `valid_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceList {
    pub refurbisher_id: String,
    pub valid_until: Timestamp,
    pub items: Vec<Price>,
    pub updated_at: Timestamp,
}

/// `PUT /sellers/{id}/trade-in-prices`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceListInput {
    pub valid_until: String,
    pub items: Vec<PriceInput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceInput {
    pub product_id: String,
    pub grade: Grade,
    pub price: MoneyInput,
}

impl PriceListInput {
    /// The list, checked: a validity in the future and within a year, at most [`MAX_PRICES`]
    /// prices, one per product and grade, each above zero, all in the currency of the first.
    /// `known` says whether a product exists in the catalogue.
    pub fn validate(
        self,
        refurbisher_id: &str,
        known: impl Fn(&str) -> bool,
        now: Timestamp,
    ) -> Result<PriceList, Error> {
        let mut v = Violations::new();
        let valid_until: Option<Timestamp> = v.parse("validUntil", self.valid_until.parse::<Timestamp>());
        if let Some(until) = valid_until {
            v.check(until > now, "validUntil", "must be in the future");
            v.check(
                now.checked_add(MAX_VALIDITY).is_ok_and(|limit| until <= limit),
                "validUntil",
                "must be within a year",
            );
        }
        v.check(self.items.len() <= MAX_PRICES, "items", &format!("must hold at most {MAX_PRICES} prices"));
        let mut seen = BTreeSet::new();
        let mut currency = None;
        let mut items = Vec::new();
        for (i, item) in self.items.into_iter().enumerate().take(MAX_PRICES) {
            let field = format!("items[{i}]");
            if !known(&item.product_id) {
                v.add(format!("{field}.productId"), "is not a product of the catalogue");
            }
            if !seen.insert((item.product_id.clone(), item.grade)) {
                v.add(format!("{field}.grade"), "is priced twice for this product");
            }
            let Some(price) = amount(&mut v, &format!("{field}.price"), &item.price, currency, 1) else { continue };
            currency.get_or_insert(price.currency);
            items.push(Price { product_id: item.product_id, grade: item.grade, price });
        }
        v.finish(|| PriceList {
            refurbisher_id: refurbisher_id.to_owned(),
            valid_until: valid_until.expect("a missing validity was recorded as a violation"),
            items,
            updated_at: now,
        })
    }
}

/// The offer a customer gets: a refurbisher and its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Best {
    pub refurbisher_id: String,
    pub price: Money,
}

/// The highest price for `product_id` in `grade` among the lists still valid at `now`; between
/// equal prices, the refurbisher whose id sorts first, so the same lists give the same offer.
pub fn best_offer<'a>(
    lists: impl IntoIterator<Item = &'a PriceList>,
    product_id: &str,
    grade: Grade,
    now: Timestamp,
) -> Option<Best> {
    lists
        .into_iter()
        .filter(|list| list.valid_until > now)
        .filter_map(|list| {
            let price = list.items.iter().find(|p| p.product_id == product_id && p.grade == grade)?;
            Some(Best { refurbisher_id: list.refurbisher_id.clone(), price: price.price })
        })
        .max_by(|a, b| {
            a.price.amount_minor.cmp(&b.price.amount_minor).then_with(|| b.refurbisher_id.cmp(&a.refurbisher_id))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn now() -> Timestamp {
        "2026-12-01T10:00:00Z".parse().expect("a time")
    }

    fn list(refurbisher: &str, until_days: i64, prices: &[(&str, Grade, i64)]) -> PriceList {
        PriceList {
            refurbisher_id: refurbisher.into(),
            valid_until: now().checked_add(SignedDuration::from_hours(24 * until_days)).expect("a time"),
            items: prices
                .iter()
                .map(|(p, g, minor)| Price {
                    product_id: (*p).into(),
                    grade: *g,
                    price: Money::new(*minor, Currency::EUR),
                })
                .collect(),
            updated_at: now(),
        }
    }

    #[test]
    fn the_highest_valid_price_wins_and_ties_go_to_the_first_id() {
        let lists = [
            list("sel_b", 10, &[("prd_1", Grade::Good, 20_000), ("prd_1", Grade::Mint, 30_000)]),
            list("sel_a", 10, &[("prd_1", Grade::Good, 20_000)]),
            list("sel_c", 10, &[("prd_1", Grade::Fair, 25_000)]),
            list("sel_d", -1, &[("prd_1", Grade::Good, 90_000)]),
        ];
        let best = best_offer(&lists, "prd_1", Grade::Good, now()).expect("an offer");
        assert_eq!(
            (best.refurbisher_id.as_str(), best.price.amount_minor),
            ("sel_a", 20_000),
            "a tie, then the expired list ignored"
        );
        let reversed: Vec<PriceList> = lists.iter().rev().cloned().collect();
        assert_eq!(best_offer(&reversed, "prd_1", Grade::Good, now()), Some(best), "whatever the order of the lists");
        assert_eq!(best_offer(&lists, "prd_1", Grade::Mint, now()).map(|b| b.refurbisher_id), Some("sel_b".into()));
        assert_eq!(best_offer(&lists, "prd_1", Grade::Damaged, now()), None, "no one buys it in that grade");
        assert_eq!(best_offer(&lists, "prd_2", Grade::Good, now()), None);
        // A list valid until exactly now has ended.
        let ending = [list("sel_e", 0, &[("prd_1", Grade::Good, 99_000)])];
        assert_eq!(best_offer(&ending, "prd_1", Grade::Good, now()), None);
    }

    fn input(json: serde_json::Value) -> Result<PriceList, Error> {
        let input: PriceListInput = serde_json::from_value(json).expect("the shape");
        input.validate("sel_a", |p| p.starts_with("prd_"), now())
    }

    fn fields(result: Result<PriceList, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(v)) => v.errors().iter().map(|e| e.field.clone()).collect(),
            other => panic!("refused expected: {other:?}"),
        }
    }

    #[test]
    fn a_list_is_checked_whole() {
        let ok = input(serde_json::json!({"validUntil": "2027-01-31T23:00:00Z", "items": [
            {"productId": "prd_1", "grade": "good", "price": {"amount": "210.00", "currency": "EUR"}}]}))
        .expect("a list");
        assert_eq!(ok.items[0].price, Money::new(21_000, Currency::EUR));
        let bad = fields(input(serde_json::json!({"validUntil": "2026-11-30T00:00:00Z", "items": [
            {"productId": "prd_1", "grade": "good", "price": {"amount": "210.00", "currency": "EUR"}},
            {"productId": "prd_1", "grade": "good", "price": {"amount": "0.00", "currency": "EUR"}},
            {"productId": "nope", "grade": "mint", "price": {"amount": "10.00", "currency": "GBP"}}]})));
        assert_eq!(
            bad,
            ["validUntil", "items[1].grade", "items[1].price.amount", "items[2].productId", "items[2].price.currency"]
        );
        assert_eq!(
            fields(input(serde_json::json!({"validUntil": "2028-12-01T00:00:00Z", "items": []}))),
            ["validUntil"]
        );
        let many: Vec<serde_json::Value> = (0..=MAX_PRICES)
            .map(|i| serde_json::json!({"productId": format!("prd_{i}"), "grade": "good", "price": {"amount": "1.00", "currency": "EUR"}}))
            .collect();
        assert_eq!(fields(input(serde_json::json!({"validUntil": "2027-01-01T00:00:00Z", "items": many}))), ["items"]);
    }
}
