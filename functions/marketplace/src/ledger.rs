//! The double-entry ledger (R-MANDATE, R-SETTLE). Every movement of money is a transaction
//! of postings that sum to zero in its currency; transactions are never changed, only
//! followed by others. A posting's amount is signed: positive debits the account, negative
//! credits it. Balances are shown on each account's natural side (what the platform holds
//! for a seller is a positive amount), see `Account::natural`.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// An account of the ledger, within one currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// Money at the payment provider, collected from buyers and not yet paid out (an asset).
    ProviderClearing,
    /// A seller's net proceeds held under mandate until delivery and the hold period.
    SellerPending(String),
    /// A seller's funds the next payout run pays.
    SellerAvailable(String),
    /// A seller's payout sent to the provider and not yet confirmed.
    SellerInTransit(String),
    /// What a seller owes the platform and its funds could not cover (an asset).
    SellerReceivable(String),
    /// The buyers' service fees: platform revenue.
    ServiceFees,
    /// Commission on sellers' sales: platform revenue.
    Commission,
    /// Sellers' monthly fees: platform revenue.
    Subscriptions,
    /// Insurance premiums held for the insurer.
    InsurerPayable,
    /// Prices of traded-in devices owed to their customers until the transfer is made.
    CustomerPayable,
}

/// The four accounts every seller has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellerAccount {
    Pending,
    Available,
    InTransit,
    Receivable,
}

impl SellerAccount {
    pub const ALL: [SellerAccount; 4] = [Self::Pending, Self::Available, Self::InTransit, Self::Receivable];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Available => "available",
            Self::InTransit => "in_transit",
            Self::Receivable => "receivable",
        }
    }

    pub fn of(self, seller_id: &str) -> Account {
        let id = seller_id.to_owned();
        match self {
            Self::Pending => Account::SellerPending(id),
            Self::Available => Account::SellerAvailable(id),
            Self::InTransit => Account::SellerInTransit(id),
            Self::Receivable => Account::SellerReceivable(id),
        }
    }
}

impl Account {
    /// The platform's own accounts (those of no seller).
    pub const PLATFORM: [Account; 6] = [
        Self::ProviderClearing,
        Self::ServiceFees,
        Self::Commission,
        Self::Subscriptions,
        Self::InsurerPayable,
        Self::CustomerPayable,
    ];

    /// The seller an account belongs to, and which of its accounts it is.
    pub fn seller(&self) -> Option<(&str, SellerAccount)> {
        match self {
            Self::SellerPending(id) => Some((id, SellerAccount::Pending)),
            Self::SellerAvailable(id) => Some((id, SellerAccount::Available)),
            Self::SellerInTransit(id) => Some((id, SellerAccount::InTransit)),
            Self::SellerReceivable(id) => Some((id, SellerAccount::Receivable)),
            _ => None,
        }
    }

    /// Assets grow with debits; what the platform owes or earns grows with credits.
    pub fn is_asset(&self) -> bool {
        matches!(self, Self::ProviderClearing | Self::SellerReceivable(_))
    }

    /// A signed balance (debits less credits) on the account's natural side: positive for
    /// money held at the provider, money held for a seller, revenue earned.
    pub fn natural(&self, signed_minor: i64) -> i64 {
        if self.is_asset() { signed_minor } else { -signed_minor }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProviderClearing => f.write_str("provider_clearing"),
            Self::ServiceFees => f.write_str("platform:service_fees"),
            Self::Commission => f.write_str("platform:commission"),
            Self::Subscriptions => f.write_str("platform:subscriptions"),
            Self::InsurerPayable => f.write_str("insurer:payable"),
            Self::CustomerPayable => f.write_str("trade_in:customer_payable"),
            other => {
                let (id, which) = other.seller().expect("every other account is a seller's");
                write!(f, "seller:{id}:{}", which.as_str())
            }
        }
    }
}

impl FromStr for Account {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(platform) = Self::PLATFORM.iter().find(|a| a.to_string() == s) {
            return Ok(platform.clone());
        }
        let (id, which) = s
            .strip_prefix("seller:")
            .and_then(|rest| rest.rsplit_once(':'))
            .ok_or_else(|| format!("unknown account {s}"))?;
        SellerAccount::ALL
            .into_iter()
            .find(|a| a.as_str() == which)
            .map(|a| a.of(id))
            .ok_or_else(|| format!("unknown account {s}"))
    }
}

impl Serialize for Account {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One line of a transaction: positive debits the account, negative credits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Posting {
    pub account: Account,
    pub amount_minor: i64,
}

impl Posting {
    pub fn debit(account: Account, amount_minor: i64) -> Posting {
        Posting { account, amount_minor }
    }

    pub fn credit(account: Account, amount_minor: i64) -> Posting {
        Posting { account, amount_minor: -amount_minor }
    }
}

/// What a transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A seller's part of a paid order: proceeds held pending, commission, insurance premium.
    Sale,
    /// An order's service fee.
    ServiceFee,
    /// A refund to the buyer, with its share of commission and premium.
    Refund,
    /// A refund the provider refused: the refund's postings undone.
    RefundReversal,
    /// Delivery and the hold period passed: pending proceeds become available.
    Release,
    MonthlyFee,
    /// What a seller owed, taken from its available funds.
    Recovery,
    /// Available funds sent to the seller's bank account.
    Payout,
    PayoutPaid,
    /// A payout the provider refused: the money is available again.
    PayoutReturned,
    /// A device a refurbisher bought back: its price owed to the customer and the trade-in
    /// commission, charged to the refurbisher's funds (owed where they fall short).
    TradeIn,
    /// A trade-in's price transferred to its customer.
    TradeInPayment,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::ServiceFee => "service_fee",
            Self::Refund => "refund",
            Self::RefundReversal => "refund_reversal",
            Self::Release => "release",
            Self::MonthlyFee => "monthly_fee",
            Self::Recovery => "recovery",
            Self::Payout => "payout",
            Self::PayoutPaid => "payout_paid",
            Self::PayoutReturned => "payout_returned",
            Self::TradeIn => "trade_in",
            Self::TradeInPayment => "trade_in_payment",
        }
    }
}

/// A balanced, immutable transaction. Its id is derived from its business cause (an order's
/// part, a refund, a seller's month, a payout), so a cause posts once whatever the retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    /// Stored as `type`: `kind` names what an item is in the table.
    #[serde(rename = "type")]
    pub kind: Kind,
    pub currency: Currency,
    /// The one seller whose accounts it touches, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    pub posted_at: Timestamp,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unbalanced {
    #[error("postings of {0} sum to {1}, not zero")]
    NonZeroSum(String, i64),
    #[error("transaction {0} touches the accounts of more than its one seller")]
    ForeignSeller(String),
    #[error("transaction {0} overflows")]
    Overflow(String),
}

/// What a transaction is about, before it is checked.
#[derive(Debug, Clone)]
pub struct Cause {
    pub id: String,
    pub kind: Kind,
    pub currency: Currency,
    pub seller_id: Option<String>,
    pub order_id: Option<String>,
    pub posted_at: Timestamp,
}

impl Transaction {
    /// A transaction of `postings`: merged per account, zero lines dropped, refused unless they
    /// sum to zero and touch no seller but `cause.seller_id`.
    pub fn new(cause: Cause, postings: Vec<Posting>) -> Result<Transaction, Unbalanced> {
        let mut merged: Vec<Posting> = Vec::new();
        for posting in postings {
            match merged.iter_mut().find(|p| p.account == posting.account) {
                Some(p) => {
                    p.amount_minor = p
                        .amount_minor
                        .checked_add(posting.amount_minor)
                        .ok_or_else(|| Unbalanced::Overflow(cause.id.clone()))?
                }
                None => merged.push(posting),
            }
        }
        merged.retain(|p| p.amount_minor != 0);
        let sum = merged
            .iter()
            .try_fold(0_i64, |sum, p| sum.checked_add(p.amount_minor))
            .ok_or_else(|| Unbalanced::Overflow(cause.id.clone()))?;
        if sum != 0 {
            return Err(Unbalanced::NonZeroSum(cause.id, sum));
        }
        if merged.iter().filter_map(|p| p.account.seller()).any(|(s, _)| Some(s) != cause.seller_id.as_deref()) {
            return Err(Unbalanced::ForeignSeller(cause.id));
        }
        Ok(Transaction {
            id: cause.id,
            kind: cause.kind,
            currency: cause.currency,
            seller_id: cause.seller_id,
            order_id: cause.order_id,
            posted_at: cause.posted_at,
            postings: merged,
        })
    }

    /// The same transaction (same id, cause and moment) with other postings, checked again.
    pub fn with_postings(self, postings: Vec<Posting>) -> Result<Transaction, Unbalanced> {
        let cause = Cause {
            id: self.id,
            kind: self.kind,
            currency: self.currency,
            seller_id: self.seller_id,
            order_id: self.order_id,
            posted_at: self.posted_at,
        };
        Transaction::new(cause, postings)
    }

    /// The month (`2026-11`) whose statement lists it: the month it was posted.
    pub fn period(&self) -> String {
        period_of(self.posted_at)
    }

    /// The signed amount the transaction posts to `account` (zero if none).
    pub fn amount_on(&self, account: &Account) -> i64 {
        self.postings.iter().filter(|p| &p.account == account).map(|p| p.amount_minor).sum()
    }

    /// The movement of one of the seller's accounts, on its natural side.
    pub fn seller_movement(&self, which: SellerAccount) -> i64 {
        let Some(seller) = self.seller_id.as_deref() else { return 0 };
        let account = which.of(seller);
        account.natural(self.amount_on(&account))
    }

    /// The commission this transaction earned (negative when it gives commission back).
    pub fn commission_minor(&self) -> i64 {
        Account::Commission.natural(self.amount_on(&Account::Commission))
    }
}

/// The month of a moment, as periods are written.
pub fn period_of(at: Timestamp) -> String {
    at.strftime("%Y-%m").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(id: &str, seller: Option<&str>) -> Cause {
        Cause {
            id: id.into(),
            kind: Kind::Release,
            currency: Currency::EUR,
            seller_id: seller.map(str::to_owned),
            order_id: None,
            posted_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn accounts_round_trip_through_their_names() {
        let all = [
            Account::ProviderClearing,
            Account::SellerPending("sel_a:b".into()),
            Account::SellerAvailable("sel_a".into()),
            Account::SellerInTransit("sel_a".into()),
            Account::SellerReceivable("sel_a".into()),
            Account::ServiceFees,
            Account::Commission,
            Account::Subscriptions,
            Account::InsurerPayable,
            Account::CustomerPayable,
        ];
        for account in all {
            assert_eq!(account.to_string().parse::<Account>(), Ok(account.clone()));
        }
        assert!("seller:x:savings".parse::<Account>().is_err());
        assert!("platform:other".parse::<Account>().is_err());
    }

    #[test]
    fn a_transaction_must_balance() {
        let seller = Some("sel_a");
        let balanced = Transaction::new(
            cause("t1", seller),
            vec![
                Posting::debit(Account::SellerPending("sel_a".into()), 500),
                Posting::credit(Account::SellerAvailable("sel_a".into()), 300),
                Posting::credit(Account::SellerAvailable("sel_a".into()), 200),
                Posting::debit(Account::Commission, 0),
            ],
        )
        .expect("balanced");
        assert_eq!(balanced.postings.len(), 2, "merged per account, zero lines dropped");
        assert_eq!(balanced.seller_movement(SellerAccount::Available), 500);
        assert_eq!(balanced.seller_movement(SellerAccount::Pending), -500);
        assert_eq!(
            Transaction::new(cause("t2", seller), vec![Posting::debit(Account::ProviderClearing, 1)]),
            Err(Unbalanced::NonZeroSum("t2".into(), 1))
        );
        assert_eq!(
            Transaction::new(
                cause("t3", seller),
                vec![
                    Posting::debit(Account::SellerAvailable("sel_b".into()), 1),
                    Posting::credit(Account::ProviderClearing, 1)
                ]
            ),
            Err(Unbalanced::ForeignSeller("t3".into()))
        );
        assert!(matches!(
            Transaction::new(
                cause("t4", None),
                vec![Posting::debit(Account::ServiceFees, i64::MAX), Posting::debit(Account::Commission, 1)]
            ),
            Err(Unbalanced::Overflow(_))
        ));
    }
}
