//! Offers of refurbished devices (R-OFFER): a seller's price, shipping fee, stock, grade,
//! warranty and accepted payment methods for one product.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::catalog::Category;
use crate::money::{Currency, Money, MoneyInput};
use crate::seller::SellerStatus;
use crate::validation::Violations;

pub const MIN_WARRANTY_MONTHS: u32 = 12;
pub const MAX_WARRANTY_MONTHS: u32 = 120;
pub const MAX_STOCK: u32 = 10_000;
pub const MAX_HANDLING_DAYS: u32 = 10;
/// The highest price or shipping fee accepted, in minor units (100 000.00).
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000;

/// Cosmetic condition, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Premium,
    Excellent,
    VeryGood,
    Good,
    Fair,
}

impl Grade {
    pub const ALL: [Grade; 5] = [Self::Premium, Self::Excellent, Self::VeryGood, Self::Good, Self::Fair];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Premium => "premium",
            Self::Excellent => "excellent",
            Self::VeryGood => "very_good",
            Self::Good => "good",
            Self::Fair => "fair",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Paypal,
    Klarna,
    ApplePay,
    GooglePay,
    BankTransfer,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 6] =
        [Self::Card, Self::Paypal, Self::Klarna, Self::ApplePay, Self::GooglePay, Self::BankTransfer];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Paypal => "paypal",
            Self::Klarna => "klarna",
            Self::ApplePay => "apple_pay",
            Self::GooglePay => "google_pay",
            Self::BankTransfer => "bank_transfer",
        }
    }
}

fn parse_named<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, value: &str) -> Result<T, String> {
    all.iter().copied().find(|t| name(*t) == value).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|t| name(*t)).collect();
        format!("must be one of {}", names.join(", "))
    })
}

pub fn parse_grade(value: &str) -> Result<Grade, String> {
    parse_named(&Grade::ALL, Grade::as_str, value)
}

pub fn parse_payment_method(value: &str) -> Result<PaymentMethod, String> {
    parse_named(&PaymentMethod::ALL, PaymentMethod::as_str, value)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Active,
    /// Withdrawn by its seller.
    Withdrawn,
    /// Removed by the platform (R-REMOVE).
    Removed,
}

/// Why the platform removed an offer (R-REMOVE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    IllegalContent,
    SellerTermsBreach,
    ProhibitedTrade,
    HealthSafetyEnvironment,
    NotRepackaged,
    SellerRemoved,
}

impl RemovalReason {
    /// The grounds an admin may give (a removed seller's offers carry `SellerRemoved`).
    pub const GROUNDS: [RemovalReason; 5] = [
        Self::IllegalContent,
        Self::SellerTermsBreach,
        Self::ProhibitedTrade,
        Self::HealthSafetyEnvironment,
        Self::NotRepackaged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IllegalContent => "illegal_content",
            Self::SellerTermsBreach => "seller_terms_breach",
            Self::ProhibitedTrade => "prohibited_trade",
            Self::HealthSafetyEnvironment => "health_safety_environment",
            Self::NotRepackaged => "not_repackaged",
            Self::SellerRemoved => "seller_removed",
        }
    }

    /// Whether the ground is the product's illegality (not a breach of the platform's own
    /// terms): its buyers are then told (DSA Art. 32).
    /// The ground an admin or a notice names, `None` when it is not one of [`Self::GROUNDS`].
    pub fn ground(name: &str) -> Option<RemovalReason> {
        Self::GROUNDS.into_iter().find(|r| r.as_str() == name)
    }

    pub fn is_illegality(self) -> bool {
        matches!(self, Self::IllegalContent | Self::ProhibitedTrade | Self::HealthSafetyEnvironment)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub id: String,
    pub seller_id: String,
    pub product_id: String,
    pub category: Category,
    pub grade: Grade,
    #[serde(with = "crate::money::at_rest")]
    pub price: Money,
    #[serde(with = "crate::money::at_rest")]
    pub shipping_fee: Money,
    pub stock: u32,
    pub warranty_months: u32,
    pub handling_days: u32,
    pub payment_methods: Vec<PaymentMethod>,
    pub status: OfferStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_reason: Option<RemovalReason>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Offer {
    /// Buyers see and buy only active offers with stock, from active sellers.
    pub fn is_listable(&self, seller: SellerStatus) -> bool {
        self.status == OfferStatus::Active && self.stock > 0 && seller == SellerStatus::Active
    }

    pub fn withdraw(&self, now: Timestamp) -> Offer {
        match self.status {
            OfferStatus::Active => Offer { status: OfferStatus::Withdrawn, updated_at: now, ..self.clone() },
            _ => self.clone(),
        }
    }

    pub fn remove(&self, reason: RemovalReason, now: Timestamp) -> Offer {
        match self.status {
            OfferStatus::Removed => self.clone(),
            _ => Offer { status: OfferStatus::Removed, removal_reason: Some(reason), updated_at: now, ..self.clone() },
        }
    }

    /// Back on sale when the decision that removed it is reversed (DSA Art. 20); an offer that
    /// left with its seller's account follows the account.
    pub fn reinstate(&self, now: Timestamp) -> Option<Offer> {
        let follows_account = self.removal_reason == Some(RemovalReason::SellerRemoved);
        (self.status == OfferStatus::Removed && !follows_account).then(|| Offer {
            status: OfferStatus::Active,
            removal_reason: None,
            updated_at: now,
            ..self.clone()
        })
    }

    /// Applies a seller's change. Only an active offer can change; the currency stays.
    pub fn apply(&self, patch: OfferPatch, now: Timestamp) -> Result<Offer, Error> {
        if self.status != OfferStatus::Active {
            return Err(Error::conflict("offer_not_active", "a withdrawn or removed offer cannot be changed"));
        }
        let mut v = Violations::new();
        let currency = self.price.currency;
        let price = patch.price.and_then(|p| amount(&mut v, "price", &p, Some(currency), 1));
        let shipping_fee = patch.shipping_fee.and_then(|p| amount(&mut v, "shippingFee", &p, Some(currency), 0));
        let stock = patch.stock.and_then(|s| stock(&mut v, s));
        let warranty_months = patch.warranty_months.and_then(|w| warranty(&mut v, w));
        let handling_days = patch.handling_days.and_then(|d| handling_days(&mut v, d));
        let payment_methods = patch.payment_methods.as_deref().and_then(|m| payment_methods(&mut v, m));
        let grade = patch.grade.as_deref().and_then(|g| v.parse("grade", parse_grade(g)));
        v.finish(|| Offer {
            price: price.unwrap_or(self.price),
            shipping_fee: shipping_fee.unwrap_or(self.shipping_fee),
            stock: stock.unwrap_or(self.stock),
            warranty_months: warranty_months.unwrap_or(self.warranty_months),
            handling_days: handling_days.unwrap_or(self.handling_days),
            payment_methods: payment_methods.unwrap_or_else(|| self.payment_methods.clone()),
            grade: grade.unwrap_or(self.grade),
            updated_at: now,
            ..self.clone()
        })
    }
}

/// An offer as a seller submits it: enumerations arrive as text so that each bad value is
/// named in a 422 rather than refused as malformed JSON.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOffer {
    pub product_id: String,
    pub grade: String,
    pub price: MoneyInput,
    pub shipping_fee: MoneyInput,
    pub stock: i64,
    pub warranty_months: i64,
    #[serde(default = "default_handling_days")]
    pub handling_days: i64,
    pub payment_methods: Vec<String>,
}

fn default_handling_days() -> i64 {
    2
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferPatch {
    pub grade: Option<String>,
    pub price: Option<MoneyInput>,
    pub shipping_fee: Option<MoneyInput>,
    pub stock: Option<i64>,
    pub warranty_months: Option<i64>,
    pub handling_days: Option<i64>,
    pub payment_methods: Option<Vec<String>>,
}

impl OfferPatch {
    pub fn is_empty(&self) -> bool {
        *self == OfferPatch::default()
    }
}

impl NewOffer {
    /// Validates a new offer for `seller` on `category`'s product.
    pub fn validate(self, id: String, seller_id: String, category: Category, now: Timestamp) -> Result<Offer, Error> {
        let mut v = Violations::new();
        let price_value = amount(&mut v, "price", &self.price, None, 1);
        let shipping_fee = amount(&mut v, "shippingFee", &self.shipping_fee, price_value.map(|p| p.currency), 0);
        let stock = stock(&mut v, self.stock);
        let warranty_months = warranty(&mut v, self.warranty_months);
        let handling_days = handling_days(&mut v, self.handling_days);
        let payment_methods = payment_methods(&mut v, &self.payment_methods);
        let grade = v.parse("grade", parse_grade(&self.grade));
        v.finish(|| {
            let missing = "a missing value was recorded as a violation";
            Offer {
                id,
                seller_id,
                product_id: self.product_id,
                category,
                grade: grade.expect(missing),
                price: price_value.expect(missing),
                shipping_fee: shipping_fee.expect(missing),
                stock: stock.expect(missing),
                warranty_months: warranty_months.expect(missing),
                handling_days: handling_days.expect(missing),
                payment_methods: payment_methods.expect(missing),
                status: OfferStatus::Active,
                removal_reason: None,
                created_at: now,
                updated_at: now,
            }
        })
    }
}

/// An amount between `min_minor` and the maximum, in `currency` when one is imposed.
pub(crate) fn amount(
    v: &mut Violations,
    field: &str,
    input: &MoneyInput,
    currency: Option<Currency>,
    min_minor: i64,
) -> Option<Money> {
    let parsed: Option<Currency> = v.parse(&format!("{field}.currency"), input.currency.parse());
    let code = parsed?;
    if let Some(expected) = currency
        && expected != code
    {
        v.add(format!("{field}.currency"), format!("must be {expected}, the offer's currency"));
        return None;
    }
    let money = v.parse(&format!("{field}.amount"), Money::parse(&input.amount, code))?;
    if money.amount_minor < min_minor || money.amount_minor > MAX_AMOUNT_MINOR {
        let low = Money::new(min_minor, code).amount_string();
        let high = Money::new(MAX_AMOUNT_MINOR, code).amount_string();
        v.add(format!("{field}.amount"), format!("must be between {low} and {high}"));
        return None;
    }
    Some(money)
}

fn bounded(v: &mut Violations, field: &str, value: i64, min: u32, max: u32) -> Option<u32> {
    let ok = u32::try_from(value).ok().filter(|n| (min..=max).contains(n));
    if ok.is_none() {
        v.add(field, format!("must be between {min} and {max}"));
    }
    ok
}

fn stock(v: &mut Violations, value: i64) -> Option<u32> {
    bounded(v, "stock", value, 0, MAX_STOCK)
}

fn warranty(v: &mut Violations, value: i64) -> Option<u32> {
    bounded(v, "warrantyMonths", value, MIN_WARRANTY_MONTHS, MAX_WARRANTY_MONTHS)
}

fn handling_days(v: &mut Violations, value: i64) -> Option<u32> {
    bounded(v, "handlingDays", value, 0, MAX_HANDLING_DAYS)
}

fn payment_methods(v: &mut Violations, values: &[String]) -> Option<Vec<PaymentMethod>> {
    if values.is_empty() {
        v.add("paymentMethods", "must name at least one payment method");
        return None;
    }
    let mut methods = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let method = v.parse(&format!("paymentMethods[{i}]"), parse_payment_method(value))?;
        if methods.contains(&method) {
            v.add(format!("paymentMethods[{i}]"), "is listed twice");
            return None;
        }
        methods.push(method);
    }
    Some(methods)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid offer of `sel_1`, created at the epoch.
    pub(crate) fn offer() -> Offer {
        validate(new_offer()).expect("a valid offer")
    }

    fn eur(amount: &str) -> MoneyInput {
        MoneyInput { amount: amount.into(), currency: "EUR".into() }
    }

    fn new_offer() -> NewOffer {
        NewOffer {
            product_id: "prd_1".into(),
            grade: "excellent".into(),
            price: eur("249.00"),
            shipping_fee: eur("4.99"),
            stock: 5,
            warranty_months: 12,
            handling_days: 2,
            payment_methods: vec!["card".into(), "paypal".into()],
        }
    }

    fn validate(offer: NewOffer) -> Result<Offer, Error> {
        offer.validate("off_1".into(), "sel_1".into(), Category::Smartphones, Timestamp::UNIX_EPOCH)
    }

    fn bad_fields(offer: NewOffer) -> Vec<String> {
        match validate(offer) {
            Err(Error::Invalid(v)) => v.errors().iter().map(|e| e.field.clone()).collect(),
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_valid_offer() {
        let offer = validate(new_offer()).expect("valid offer");
        assert_eq!(offer.price, Money::new(24900, Currency::EUR));
        assert_eq!(offer.shipping_fee, Money::new(499, Currency::EUR));
        assert_eq!(offer.status, OfferStatus::Active);
        assert!(offer.is_listable(SellerStatus::Active));
    }

    #[test]
    fn warranty_of_at_least_twelve_months() {
        assert_eq!(bad_fields(NewOffer { warranty_months: 11, ..new_offer() }), ["warrantyMonths"]);
        assert!(validate(NewOffer { warranty_months: 12, ..new_offer() }).is_ok());
    }

    #[test]
    fn refuses_negative_zero_absurd_and_mixed_amounts() {
        assert_eq!(bad_fields(NewOffer { price: eur("-1.00"), ..new_offer() }), ["price.amount"]);
        assert_eq!(bad_fields(NewOffer { price: eur("0.00"), ..new_offer() }), ["price.amount"]);
        assert_eq!(bad_fields(NewOffer { price: eur("100000.01"), ..new_offer() }), ["price.amount"]);
        assert_eq!(bad_fields(NewOffer { price: eur("1.001"), ..new_offer() }), ["price.amount"]);
        assert_eq!(bad_fields(NewOffer { shipping_fee: eur("-0.01"), ..new_offer() }), ["shippingFee.amount"]);
        let gbp = MoneyInput { amount: "4.99".into(), currency: "GBP".into() };
        assert_eq!(bad_fields(NewOffer { shipping_fee: gbp, ..new_offer() }), ["shippingFee.currency"]);
        assert_eq!(bad_fields(NewOffer { stock: -1, ..new_offer() }), ["stock"]);
        assert_eq!(bad_fields(NewOffer { stock: 10_001, ..new_offer() }), ["stock"]);
        assert!(validate(NewOffer { shipping_fee: eur("0"), ..new_offer() }).is_ok());
    }

    #[test]
    fn names_every_bad_field_at_once() {
        let offer = NewOffer {
            grade: "like new".into(),
            stock: i64::MAX,
            warranty_months: 0,
            payment_methods: vec!["card".into(), "cash".into()],
            ..new_offer()
        };
        assert_eq!(bad_fields(offer), ["stock", "warrantyMonths", "paymentMethods[1]", "grade"]);
        assert_eq!(bad_fields(NewOffer { payment_methods: vec![], ..new_offer() }), ["paymentMethods"]);
        assert_eq!(
            bad_fields(NewOffer { payment_methods: vec!["card".into(), "card".into()], ..new_offer() }),
            ["paymentMethods[1]"]
        );
    }

    #[test]
    fn listable_only_when_active_in_stock_and_seller_active() {
        let offer = validate(new_offer()).expect("valid offer");
        for status in
            [SellerStatus::PendingVerification, SellerStatus::Suspended, SellerStatus::Removed, SellerStatus::Rejected]
        {
            assert!(!offer.is_listable(status));
        }
        assert!(!Offer { stock: 0, ..offer.clone() }.is_listable(SellerStatus::Active));
        assert!(!offer.withdraw(Timestamp::UNIX_EPOCH).is_listable(SellerStatus::Active));
    }

    #[test]
    fn patches_keep_currency_and_refuse_inactive_offers() {
        let offer = validate(new_offer()).expect("valid offer");
        let patch = OfferPatch { price: Some(eur("199.90")), stock: Some(0), ..OfferPatch::default() };
        let changed = offer.apply(patch, Timestamp::UNIX_EPOCH).expect("valid patch");
        assert_eq!((changed.price.amount_minor, changed.stock), (19990, 0));
        assert_eq!(changed.shipping_fee, offer.shipping_fee);
        let gbp = OfferPatch {
            price: Some(MoneyInput { amount: "1.00".into(), currency: "GBP".into() }),
            ..OfferPatch::default()
        };
        assert!(matches!(offer.apply(gbp, Timestamp::UNIX_EPOCH), Err(Error::Invalid(_))));
        let withdrawn = offer.withdraw(Timestamp::UNIX_EPOCH);
        assert!(matches!(withdrawn.apply(OfferPatch::default(), Timestamp::UNIX_EPOCH), Err(Error::Conflict { .. })));
    }

    #[test]
    fn stored_amounts_are_integer_minor_units() {
        let offer = validate(new_offer()).expect("valid offer");
        let stored = serde_json::to_value(&offer).expect("offer serialises");
        assert_eq!(stored["price"], serde_json::json!({"amountMinor": 24900, "currency": "EUR"}));
        assert_eq!(serde_json::from_value::<Offer>(stored).expect("offer reads back"), offer);
    }

    #[test]
    fn removal_records_its_reason_once() {
        let offer = validate(new_offer()).expect("valid offer");
        let removed = offer.remove(RemovalReason::SellerRemoved, Timestamp::UNIX_EPOCH);
        assert_eq!(
            (removed.status, removed.removal_reason),
            (OfferStatus::Removed, Some(RemovalReason::SellerRemoved))
        );
        assert_eq!(removed.remove(RemovalReason::NotRepackaged, Timestamp::UNIX_EPOCH), removed);
    }
}
