//! Quotes (R-FEE, R-INSURE): what a cart costs before the buyer commits. Every amount is
//! computed here, once, in integer minor units; an order later charges exactly these amounts.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::money::{Currency, Money};
use crate::offer::{Offer, PaymentMethod, parse_payment_method};
use crate::seller::SellerStatus;
use crate::validation::{Violations, is_country};

pub const MAX_LINES: usize = 20;
pub const MAX_QUANTITY: u32 = 10;

/// The service fee buyers pay, by the cart's items total incl. VAT (shipping and insurance
/// excluded). `bands` are (upper bound, exclusive, fee) in ascending order; `above` applies
/// from the last bound up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    pub currency: Currency,
    pub bands: Vec<(i64, i64)>,
    pub above: i64,
}

impl FeeSchedule {
    /// R-FEE's default EUR schedule.
    pub fn default_eur() -> Self {
        FeeSchedule {
            currency: Currency::EUR,
            bands: vec![
                (5_000, 49),
                (10_000, 99),
                (20_000, 199),
                (30_000, 299),
                (40_000, 399),
                (50_000, 499),
                (57_500, 599),
                (65_000, 699),
            ],
            above: 799,
        }
    }

    pub fn fee(&self, items_total: Money) -> Money {
        let fee =
            self.bands.iter().find(|(bound, _)| items_total.amount_minor < *bound).map_or(self.above, |(_, fee)| *fee);
        Money::new(fee, self.currency)
    }
}

/// Breakage-and-theft insurance (R-INSURE): a premium per unit by the device's unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuranceTable {
    pub currency: Currency,
    pub bands: Vec<(i64, i64)>,
    pub above: i64,
}

impl InsuranceTable {
    pub fn default_eur() -> Self {
        InsuranceTable {
            currency: Currency::EUR,
            bands: vec![(15_000, 1_999), (30_000, 2_999), (50_000, 3_999), (80_000, 5_999), (120_000, 7_999)],
            above: 9_999,
        }
    }

    pub fn premium(&self, unit_price: Money) -> Money {
        let premium =
            self.bands.iter().find(|(bound, _)| unit_price.amount_minor < *bound).map_or(self.above, |(_, p)| *p);
        Money::new(premium, self.currency)
    }
}

/// Everything a quote is priced with: configuration per market and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    pub fee_schedules: Vec<FeeSchedule>,
    pub insurance: Vec<InsuranceTable>,
    pub quote_minutes: i64,
    /// Carrier days (fewest, most) within the seller's country, and across a border.
    pub domestic_shipping_days: (i64, i64),
    pub cross_border_shipping_days: (i64, i64),
}

impl Default for Pricing {
    fn default() -> Self {
        Pricing {
            fee_schedules: vec![FeeSchedule::default_eur()],
            insurance: vec![InsuranceTable::default_eur()],
            quote_minutes: 15,
            domestic_shipping_days: (1, 3),
            cross_border_shipping_days: (2, 5),
        }
    }
}

/// A cart as a buyer submits it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCart {
    pub lines: Vec<NewCartLine>,
    pub payment_method: String,
    pub shipping_country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCartLine {
    pub offer_id: String,
    pub quantity: i64,
    #[serde(default)]
    pub insurance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    pub payment_method: PaymentMethod,
    pub shipping_country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub offer_id: String,
    pub quantity: u32,
    pub insurance: bool,
}

impl NewCart {
    /// The cart's shape: 1 to 20 distinct offers, 1 to 10 units each, a known payment method
    /// and a served country.
    pub fn validate(self) -> Result<Cart, Error> {
        let mut v = Violations::new();
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            v.add("lines", format!("must hold 1 to {MAX_LINES} offers"));
        }
        let mut lines: Vec<CartLine> = Vec::new();
        for (i, line) in self.lines.into_iter().enumerate() {
            let quantity = u32::try_from(line.quantity).ok().filter(|q| (1..=MAX_QUANTITY).contains(q));
            if quantity.is_none() {
                v.add(format!("lines[{i}].quantity"), format!("must be between 1 and {MAX_QUANTITY}"));
            }
            if lines.iter().any(|l| l.offer_id == line.offer_id) {
                v.add(format!("lines[{i}].offerId"), "is in the cart twice; raise its quantity instead");
            }
            lines.push(CartLine {
                offer_id: line.offer_id,
                quantity: quantity.unwrap_or(0),
                insurance: line.insurance,
            });
        }
        let payment_method = v.parse("paymentMethod", parse_payment_method(&self.payment_method));
        let shipping_country = self.shipping_country.trim().to_ascii_uppercase();
        v.check(
            is_country(&shipping_country),
            "shippingCountry",
            "must be an ISO 3166-1 alpha-2 code of a market served",
        );
        v.finish(|| Cart {
            lines,
            payment_method: payment_method.expect("an unknown payment method was recorded as a violation"),
            shipping_country,
        })
    }
}

/// What the quote needs to know of an offer's seller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerFacts {
    pub status: SellerStatus,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryWindow {
    pub earliest: Date,
    pub latest: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLine {
    pub offer_id: String,
    pub seller_id: String,
    pub product_id: String,
    pub quantity: u32,
    #[serde(with = "crate::money::at_rest")]
    pub unit_price: Money,
    #[serde(with = "crate::money::at_rest")]
    pub shipping_fee: Money,
    /// The premium for all the line's units; zero without insurance.
    #[serde(with = "crate::money::at_rest")]
    pub insurance_premium: Money,
    /// The offer as it was quoted: an order goes through only while it is unchanged.
    pub offer_version: Timestamp,
    pub warranty_months: u32,
    pub delivery: DeliveryWindow,
}

impl QuoteLine {
    pub fn items_amount(&self) -> Money {
        Money::new(self.unit_price.amount_minor * i64::from(self.quantity), self.unit_price.currency)
    }
}

/// What a cart costs, part by part: computed once for a quote, and copied as they are into
/// the order that charges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    #[serde(with = "crate::money::at_rest")]
    pub items_total: Money,
    #[serde(with = "crate::money::at_rest")]
    pub shipping_total: Money,
    #[serde(with = "crate::money::at_rest")]
    pub service_fee: Money,
    #[serde(with = "crate::money::at_rest")]
    pub insurance_total: Money,
    #[serde(with = "crate::money::at_rest")]
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub id: String,
    pub buyer: String,
    pub lines: Vec<QuoteLine>,
    pub currency: Currency,
    #[serde(flatten)]
    pub totals: Totals,
    pub payment_method: PaymentMethod,
    pub shipping_country: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Quote {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now >= self.expires_at
    }
}

fn add_days(now: Timestamp, days: i64) -> Date {
    now.saturating_add(SignedDuration::from_hours(24 * days))
        .unwrap_or(Timestamp::MAX)
        .to_zoned_datetime(TimeZone::UTC)
        .date()
}

/// Prices `cart` against the current offers (`None`: no such offer) and their sellers.
/// Refuses, naming the line, anything a buyer cannot buy right now.
pub fn price(
    pricing: &Pricing,
    id: String,
    buyer: String,
    cart: &Cart,
    offers: &[Option<(Offer, SellerFacts)>],
    now: Timestamp,
) -> Result<Quote, Error> {
    let mut v = Violations::new();
    let mut lines = Vec::new();
    let mut currency = None;
    for (i, (line, found)) in cart.lines.iter().zip(offers).enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let Some((offer, seller)) = found.as_ref().filter(|(o, s)| o.is_listable(s.status)) else {
            v.add(field("offerId"), "is not available");
            continue;
        };
        if line.quantity > offer.stock {
            v.add(field("quantity"), format!("only {} in stock", offer.stock));
        }
        if !offer.payment_methods.contains(&cart.payment_method) {
            v.add("paymentMethod", format!("is not accepted for offer {}", offer.id));
        }
        match currency {
            None => currency = Some(offer.price.currency),
            Some(c) if c != offer.price.currency => {
                v.add(field("offerId"), format!("is priced in {}, the cart in {c}", offer.price.currency))
            }
            _ => {}
        }
        let insurance_premium = if line.insurance {
            match pricing.insurance.iter().find(|t| t.currency == offer.price.currency) {
                Some(table) => {
                    Money::new(table.premium(offer.price).amount_minor * i64::from(line.quantity), offer.price.currency)
                }
                None => {
                    v.add(field("insurance"), format!("is not offered in {}", offer.price.currency));
                    Money::zero(offer.price.currency)
                }
            }
        } else {
            Money::zero(offer.price.currency)
        };
        let (fewest, most) = if seller.country == cart.shipping_country {
            pricing.domestic_shipping_days
        } else {
            pricing.cross_border_shipping_days
        };
        let handling = i64::from(offer.handling_days);
        lines.push(QuoteLine {
            offer_id: offer.id.clone(),
            seller_id: offer.seller_id.clone(),
            product_id: offer.product_id.clone(),
            quantity: line.quantity,
            unit_price: offer.price,
            shipping_fee: offer.shipping_fee,
            insurance_premium,
            offer_version: offer.updated_at,
            warranty_months: offer.warranty_months,
            delivery: DeliveryWindow {
                earliest: add_days(now, handling + fewest),
                latest: add_days(now, handling + most),
            },
        });
    }
    let currency = currency.unwrap_or(Currency::EUR);
    let schedule = pricing.fee_schedules.iter().find(|s| s.currency == currency);
    if schedule.is_none() && !lines.is_empty() {
        v.add("lines", format!("no service fee is configured for {currency}"));
    }
    v.finish(|| ())?;
    let sum =
        |amount: fn(&QuoteLine) -> Money| Money::new(lines.iter().map(|l| amount(l).amount_minor).sum(), currency);
    let items_total = sum(QuoteLine::items_amount);
    let shipping_total = sum(|l| l.shipping_fee);
    let insurance_total = sum(|l| l.insurance_premium);
    let service_fee = schedule.expect("a missing schedule was refused above").fee(items_total);
    let total = Money::new(
        items_total.amount_minor
            + shipping_total.amount_minor
            + insurance_total.amount_minor
            + service_fee.amount_minor,
        currency,
    );
    Ok(Quote {
        id,
        buyer,
        lines,
        currency,
        totals: Totals { items_total, shipping_total, service_fee, insurance_total, total },
        payment_method: cart.payment_method,
        shipping_country: cart.shipping_country.clone(),
        created_at: now,
        expires_at: now.saturating_add(SignedDuration::from_mins(pricing.quote_minutes)).unwrap_or(Timestamp::MAX),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::Category;
    use crate::offer::{Grade, OfferStatus};
    use proptest::prelude::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    #[test]
    fn service_fee_at_every_boundary() {
        let schedule = FeeSchedule::default_eur();
        let cases = [
            (0, 49),
            (4_999, 49),
            (5_000, 99),
            (9_999, 99),
            (10_000, 199),
            (19_999, 199),
            (20_000, 299),
            (29_999, 299),
            (30_000, 399),
            (39_999, 399),
            (40_000, 499),
            (49_999, 499),
            (50_000, 599),
            (57_499, 599),
            (57_500, 699),
            (64_999, 699),
            (65_000, 799),
            (10_000_000, 799),
        ];
        for (items_total, fee) in cases {
            assert_eq!(schedule.fee(eur(items_total)), eur(fee), "items total {items_total}");
        }
    }

    pub fn offer(id: &str, price: i64, shipping: i64, stock: u32) -> Offer {
        Offer {
            id: id.into(),
            seller_id: format!("sel_{id}"),
            product_id: "prd_1".into(),
            category: Category::Smartphones,
            grade: Grade::Good,
            price: eur(price),
            shipping_fee: eur(shipping),
            stock,
            warranty_months: 12,
            handling_days: 2,
            payment_methods: vec![PaymentMethod::Card],
            status: OfferStatus::Active,
            removal_reason: None,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn facts(country: &str) -> SellerFacts {
        SellerFacts { status: SellerStatus::Active, country: country.into() }
    }

    fn cart(lines: &[(&str, u32, bool)]) -> Cart {
        Cart {
            lines: lines
                .iter()
                .map(|(id, q, i)| CartLine { offer_id: (*id).into(), quantity: *q, insurance: *i })
                .collect(),
            payment_method: PaymentMethod::Card,
            shipping_country: "FR".into(),
        }
    }

    fn quote(cart: &Cart, offers: &[Option<(Offer, SellerFacts)>]) -> Result<Quote, Error> {
        let now: Timestamp = "2026-11-27T10:00:00Z".parse().expect("a time");
        price(&Pricing::default(), "qt_1".into(), "buyer".into(), cart, offers, now)
    }

    #[test]
    fn worked_example_two_sellers() {
        // A 249.00 phone + 4.99 shipping and an 89.00 tablet + free shipping: items 338.00 → fee 3.99.
        let offers =
            [Some((offer("phone", 24_900, 499, 3), facts("FR"))), Some((offer("tablet", 8_900, 0, 1), facts("DE")))];
        let q = quote(&cart(&[("phone", 1, false), ("tablet", 1, true)]), &offers).expect("a quote");
        assert_eq!(q.totals.items_total, eur(33_800));
        assert_eq!(q.totals.shipping_total, eur(499));
        assert_eq!(q.totals.service_fee, eur(399));
        assert_eq!(q.totals.insurance_total, eur(1_999));
        assert_eq!(q.totals.total, eur(33_800 + 499 + 399 + 1_999));
        assert_eq!(q.lines[1].seller_id, "sel_tablet");
        assert_eq!(
            q.lines[0].delivery,
            DeliveryWindow {
                earliest: "2026-11-30".parse().expect("date"),
                latest: "2026-12-02".parse().expect("date")
            }
        );
        assert_eq!(q.lines[1].delivery.latest, "2026-12-04".parse().expect("date"), "cross-border takes longer");
        assert_eq!(q.expires_at, "2026-11-27T10:15:00Z".parse().expect("time"));
    }

    #[test]
    fn refuses_what_cannot_be_bought() {
        let withdrawn = Offer { status: OfferStatus::Withdrawn, ..offer("b", 1_000, 0, 5) };
        let suspended =
            (offer("c", 1_000, 0, 5), SellerFacts { status: SellerStatus::Suspended, country: "FR".into() });
        let offers =
            [Some((offer("a", 1_000, 0, 2), facts("FR"))), Some((withdrawn, facts("FR"))), Some(suspended), None];
        let Err(Error::Invalid(v)) =
            quote(&cart(&[("a", 3, false), ("b", 1, false), ("c", 1, false), ("d", 1, false)]), &offers)
        else {
            panic!("expected violations")
        };
        let fields: Vec<&str> = v.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["lines[0].quantity", "lines[1].offerId", "lines[2].offerId", "lines[3].offerId"]);
        let paypal = Cart { payment_method: PaymentMethod::Paypal, ..cart(&[("a", 1, false)]) };
        assert!(matches!(quote(&paypal, &offers[..1]), Err(Error::Invalid(_))));
    }

    #[test]
    fn cart_shape() {
        let line = |offer: &str, quantity| NewCartLine { offer_id: offer.into(), quantity, insurance: false };
        let bad = NewCart {
            lines: vec![line("a", 0), line("a", 11)],
            payment_method: "cash".into(),
            shipping_country: "US".into(),
        };
        let Err(Error::Invalid(v)) = bad.validate() else { panic!("expected violations") };
        let fields: Vec<&str> = v.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["lines[0].quantity", "lines[1].quantity", "lines[1].offerId", "paymentMethod", "shippingCountry"]
        );
        let empty = NewCart { lines: vec![], payment_method: "card".into(), shipping_country: "fr".into() };
        assert!(empty.validate().is_err());
    }

    proptest! {
        #[test]
        fn fee_follows_the_schedule(total in 0_i64..1_000_000) {
            let fee = FeeSchedule::default_eur().fee(eur(total)).amount_minor;
            prop_assert!((49..=799).contains(&fee));
            let expected = match total {
                t if t < 5_000 => 49,
                t if t < 10_000 => 99,
                t if t < 20_000 => 199,
                t if t < 30_000 => 299,
                t if t < 40_000 => 399,
                t if t < 50_000 => 499,
                t if t < 57_500 => 599,
                t if t < 65_000 => 699,
                _ => 799,
            };
            prop_assert_eq!(fee, expected);
        }

        #[test]
        fn totals_are_the_sum_of_their_parts(
            lines in prop::collection::vec((1_i64..10_000_000, 0_i64..50_000, 1_u32..=10, any::<bool>()), 1..=20)
        ) {
            let offers: Vec<_> = lines.iter().enumerate()
                .map(|(i, (price, shipping, _, _))| Some((offer(&format!("o{i}"), *price, *shipping, 10), facts("FR"))))
                .collect();
            let spec: Vec<(String, u32, bool)> = lines.iter().enumerate().map(|(i, (_, _, q, ins))| (format!("o{i}"), *q, *ins)).collect();
            let spec_ref: Vec<(&str, u32, bool)> = spec.iter().map(|(id, q, i)| (id.as_str(), *q, *i)).collect();
            let q = quote(&cart(&spec_ref), &offers).expect("a quote");
            let items: i64 = lines.iter().map(|(p, _, qty, _)| p * i64::from(*qty)).sum();
            let shipping: i64 = lines.iter().map(|(_, s, _, _)| s).sum();
            let insurance: i64 = q.lines.iter().map(|l| l.insurance_premium.amount_minor).sum();
            prop_assert_eq!(q.totals.items_total.amount_minor, items);
            prop_assert_eq!(q.totals.shipping_total.amount_minor, shipping);
            prop_assert_eq!(q.totals.insurance_total.amount_minor, insurance);
            prop_assert_eq!(q.totals.service_fee, FeeSchedule::default_eur().fee(eur(items)));
            prop_assert_eq!(q.totals.total.amount_minor, items + shipping + insurance + q.totals.service_fee.amount_minor);
            for (line, (price, _, qty, insured)) in q.lines.iter().zip(&lines) {
                let expected = if *insured { InsuranceTable::default_eur().premium(eur(*price)).amount_minor * i64::from(*qty) } else { 0 };
                prop_assert_eq!(line.insurance_premium.amount_minor, expected);
            }
        }
    }
}
