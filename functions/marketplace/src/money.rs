//! Exact money: integer minor units with their currency at rest, decimal strings on the wire,
//! `rust_decimal` for rates, and one rounding rule (half away from zero) applied once.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The currencies the marketplace settles in, with their ISO 4217 minor digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    EUR,
    GBP,
    SEK,
    DKK,
    PLN,
    CZK,
    CHF,
}

impl Currency {
    pub const ALL: [Currency; 7] = [Self::EUR, Self::GBP, Self::SEK, Self::DKK, Self::PLN, Self::CZK, Self::CHF];

    pub fn code(self) -> &'static str {
        match self {
            Self::EUR => "EUR",
            Self::GBP => "GBP",
            Self::SEK => "SEK",
            Self::DKK => "DKK",
            Self::PLN => "PLN",
            Self::CZK => "CZK",
            Self::CHF => "CHF",
        }
    }

    pub fn minor_digits(self) -> u32 {
        2
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.code() == s).ok_or_else(|| {
            let codes: Vec<&str> = Self::ALL.iter().map(|c| c.code()).collect();
            format!("must be one of {}", codes.join(", "))
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money in minor units (cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

/// Why an amount string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("must be a decimal string such as \"249.00\"")]
    NotDecimal,
    #[error("must have at most {0} decimal places")]
    TooPrecise(u32),
    #[error("is too large")]
    TooLarge,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self { amount_minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// Parses a decimal string (`"249"`, `"249.9"`, `"249.00"`) exactly; never rounds.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, AmountError> {
        let well_formed = !amount.is_empty()
            && amount.trim() == amount
            && amount.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            && !amount.starts_with('.')
            && !amount.ends_with('.');
        if !well_formed {
            return Err(AmountError::NotDecimal);
        }
        let value = Decimal::from_str_exact(amount).map_err(|_| AmountError::NotDecimal)?;
        let digits = currency.minor_digits();
        if value.normalize().scale() > digits {
            return Err(AmountError::TooPrecise(digits));
        }
        let minor = value.checked_mul(Decimal::from(10_i64.pow(digits))).ok_or(AmountError::TooLarge)?;
        i64::try_from(minor.normalize()).map(|m| Self::new(m, currency)).map_err(|_| AmountError::TooLarge)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.amount_minor, self.currency.minor_digits())
    }

    /// The amount as the API writes it: always with the currency's minor digits.
    pub fn amount_string(self) -> String {
        self.to_decimal().to_string()
    }

    /// Rounds a derived decimal amount to minor units, half away from zero: the one rounding
    /// rule of the marketplace, applied once per derived amount.
    pub fn round(value: Decimal, currency: Currency) -> Option<Self> {
        let digits = currency.minor_digits();
        let rounded = value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
        let minor = rounded.checked_mul(Decimal::from(10_i64.pow(digits)))?;
        i64::try_from(minor).ok().map(|m| Self::new(m, currency))
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount_minor.checked_add(other.amount_minor))
            .flatten()
            .map(|m| Self::new(m, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

/// The wire shape: `{"amount": "249.00", "currency": "EUR"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    pub amount: String,
    pub currency: String,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyInput { amount: self.amount_string(), currency: self.currency.code().to_owned() }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let input = MoneyInput::deserialize(deserializer)?;
        let currency = input.currency.parse().map_err(serde::de::Error::custom)?;
        Money::parse(&input.amount, currency).map_err(serde::de::Error::custom)
    }
}

/// The shape at rest: `{"amountMinor": 24900, "currency": "EUR"}`, integer minor units. Use
/// with `#[serde(with = "money::at_rest")]` on stored fields.
pub mod at_rest {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Stored {
        amount_minor: i64,
        currency: Currency,
    }

    pub fn serialize<S: Serializer>(money: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        Stored { amount_minor: money.amount_minor, currency: money.currency }.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let stored = Stored::deserialize(deserializer)?;
        Ok(Money::new(stored.amount_minor, stored.currency))
    }

    /// The same for an optional amount.
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(money: &Option<Money>, serializer: S) -> Result<S::Ok, S::Error> {
            money.map(|m| Stored { amount_minor: m.amount_minor, currency: m.currency }).serialize(serializer)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Money>, D::Error> {
            Ok(Option::<Stored>::deserialize(deserializer)?.map(|s| Money::new(s.amount_minor, s.currency)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(Money::parse("249.00", Currency::EUR), Ok(Money::new(24900, Currency::EUR)));
        assert_eq!(Money::parse("249.9", Currency::EUR), Ok(Money::new(24990, Currency::EUR)));
        assert_eq!(Money::parse("249", Currency::EUR), Ok(Money::new(24900, Currency::EUR)));
        assert_eq!(Money::parse("0.01", Currency::EUR), Ok(Money::new(1, Currency::EUR)));
        assert_eq!(Money::parse("-1.50", Currency::EUR), Ok(Money::new(-150, Currency::EUR)));
        assert_eq!(Money::parse("1.005", Currency::EUR), Err(AmountError::TooPrecise(2)));
        assert_eq!(Money::parse("1.500", Currency::EUR), Ok(Money::new(150, Currency::EUR)));
        for bad in ["", " 1", "1e3", "1,00", ".5", "5.", "NaN", "0x10", "1.2.3"] {
            assert_eq!(Money::parse(bad, Currency::EUR), Err(AmountError::NotDecimal), "{bad:?}");
        }
        assert_eq!(Money::parse("99999999999999999999", Currency::EUR), Err(AmountError::TooLarge));
    }

    #[test]
    fn writes_minor_digits() {
        assert_eq!(Money::new(24900, Currency::EUR).amount_string(), "249.00");
        assert_eq!(Money::new(5, Currency::EUR).amount_string(), "0.05");
        assert_eq!(
            serde_json::to_value(Money::new(499, Currency::GBP)).ok(),
            Some(serde_json::json!({"amount": "4.99", "currency": "GBP"}))
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let eur = Currency::EUR;
        assert_eq!(Money::round(Decimal::new(25395, 3), eur), Some(Money::new(2540, eur))); // 25.395
        assert_eq!(Money::round(Decimal::new(25394, 3), eur), Some(Money::new(2539, eur)));
        assert_eq!(Money::round(Decimal::new(-25395, 3), eur), Some(Money::new(-2540, eur)));
        assert_eq!(Money::round(Decimal::new(125, 3), eur), Some(Money::new(13, eur))); // 0.125, not banker's 0.12
    }

    proptest! {
        #[test]
        fn wire_round_trip(minor in 0_i64..100_000_000_000) {
            let money = Money::new(minor, Currency::EUR);
            let back: Money = serde_json::from_value(serde_json::to_value(money).expect("money serialises")).expect("money parses");
            prop_assert_eq!(back, money);
        }

        #[test]
        fn addition_is_exact(a in -100_000_000_i64..100_000_000, b in -100_000_000_i64..100_000_000) {
            let sum = Money::new(a, Currency::EUR).checked_add(Money::new(b, Currency::EUR));
            prop_assert_eq!(sum.map(|m| m.to_decimal()), Some(Decimal::new(a, 2) + Decimal::new(b, 2)));
        }
    }
}
