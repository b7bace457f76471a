//! A seller's funds under mandate (R-MONTHLY, R-SETTLE): its balances as the ledger holds
//! them, and the transactions charged to them or paid from them, outside any one order: the
//! monthly fee, the recovery of what it owes, payouts.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ledger::{Account, Cause, Kind, Posting, SellerAccount, Transaction, Unbalanced};
use crate::money::{Currency, Money};

/// A seller's funds, as the ledger's balances hold them (natural side, minor units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerFunds {
    pub pending: i64,
    pub available: i64,
    pub in_transit: i64,
    /// What the seller owes and its funds could not cover yet.
    pub receivable: i64,
}

impl SellerFunds {
    pub fn get(&self, which: SellerAccount) -> i64 {
        match which {
            SellerAccount::Pending => self.pending,
            SellerAccount::Available => self.available,
            SellerAccount::InTransit => self.in_transit,
            SellerAccount::Receivable => self.receivable,
        }
    }

    pub fn set(&mut self, which: SellerAccount, value: i64) {
        match which {
            SellerAccount::Pending => self.pending = value,
            SellerAccount::Available => self.available = value,
            SellerAccount::InTransit => self.in_transit = value,
            SellerAccount::Receivable => self.receivable = value,
        }
    }

    /// The funds after `transaction`.
    pub fn after(&self, transaction: &Transaction) -> SellerFunds {
        let mut funds = *self;
        for which in SellerAccount::ALL {
            funds.set(which, funds.get(which) + transaction.seller_movement(which));
        }
        funds
    }
}

/// Rewrites a transaction that debits a seller's available funds so that it takes no more
/// than `funds.available` holds, and books the rest to the seller's receivable: what the
/// seller's funds cannot cover is owed, and recovered from later funds.
pub fn cover(transaction: Transaction, funds: SellerFunds) -> Result<Transaction, Unbalanced> {
    let Some(seller) = transaction.seller_id.clone() else { return Ok(transaction) };
    let available = Account::SellerAvailable(seller.clone());
    let charged = transaction.amount_on(&available);
    let covered = charged.min(funds.available.max(0)).max(0);
    if charged <= covered {
        return Ok(transaction);
    }
    let mut postings: Vec<Posting> = transaction.postings.iter().filter(|p| p.account != available).cloned().collect();
    postings.push(Posting::debit(available, covered));
    postings.push(Posting::debit(Account::SellerReceivable(seller), charged - covered));
    transaction.with_postings(postings)
}

fn seller_cause(id: String, kind: Kind, seller_id: &str, currency: Currency, now: Timestamp) -> Cause {
    Cause { id, kind, currency, seller_id: Some(seller_id.to_owned()), order_id: None, posted_at: now }
}

/// The monthly fee of `month` (`2026-10`), taken from the seller's available funds; what they
/// cannot cover becomes owed. One id per seller and month, whatever the fee's currency:
/// charged once. Like every
/// transaction it is listed in the statement of the month it is posted in (the fee for
/// October in November's), so a closed month's statement never changes.
pub fn monthly_fee(
    seller_id: &str,
    month: &str,
    fee: Money,
    funds: SellerFunds,
    now: Timestamp,
) -> Result<Transaction, Unbalanced> {
    let transaction = Transaction::new(
        seller_cause(format!("fee:{seller_id}:{month}"), Kind::MonthlyFee, seller_id, fee.currency, now),
        vec![
            Posting::debit(Account::SellerAvailable(seller_id.to_owned()), fee.amount_minor),
            Posting::credit(Account::Subscriptions, fee.amount_minor),
        ],
    )?;
    cover(transaction, funds)
}

/// Takes what the seller owes from its available funds, as far as they go. `None` when it
/// owes nothing or has nothing available. `occasion` names it (a payout run's date and the
/// recovery's number in the run). Posting it is conditional on the balances it was computed
/// from, which is what makes it apply once.
pub fn recovery(
    seller_id: &str,
    occasion: &str,
    currency: Currency,
    funds: SellerFunds,
    now: Timestamp,
) -> Result<Option<Transaction>, Unbalanced> {
    let amount = funds.receivable.min(funds.available);
    if amount <= 0 {
        return Ok(None);
    }
    Transaction::new(
        seller_cause(format!("recovery:{seller_id}:{occasion}:{currency}"), Kind::Recovery, seller_id, currency, now),
        vec![
            Posting::debit(Account::SellerAvailable(seller_id.to_owned()), amount),
            Posting::credit(Account::SellerReceivable(seller_id.to_owned()), amount),
        ],
    )
    .map(Some)
}

/// The payout's id for a seller, a run (its date) and a currency: one payout each.
pub fn payout_id(seller_id: &str, run: &str, currency: Currency) -> String {
    format!("po_{seller_id}_{run}_{}", currency.code().to_ascii_lowercase())
}

/// The three transactions of a payout: sent (available → in transit), then paid (in transit
/// leaves the provider) or returned (in transit → available again).
pub fn payout(
    payout_id: &str,
    seller_id: &str,
    stage: Kind,
    amount: Money,
    now: Timestamp,
) -> Result<Transaction, Unbalanced> {
    let id = match stage {
        Kind::Payout => payout_id.to_owned(),
        Kind::PayoutPaid => format!("{payout_id}:paid"),
        _ => format!("{payout_id}:returned"),
    };
    let in_transit = Account::SellerInTransit(seller_id.to_owned());
    let postings = match stage {
        Kind::Payout => vec![
            Posting::debit(Account::SellerAvailable(seller_id.to_owned()), amount.amount_minor),
            Posting::credit(in_transit, amount.amount_minor),
        ],
        Kind::PayoutPaid => vec![
            Posting::debit(in_transit, amount.amount_minor),
            Posting::credit(Account::ProviderClearing, amount.amount_minor),
        ],
        _ => vec![
            Posting::debit(in_transit, amount.amount_minor),
            Posting::credit(Account::SellerAvailable(seller_id.to_owned()), amount.amount_minor),
        ],
    };
    let kind = if matches!(stage, Kind::Payout | Kind::PayoutPaid) { stage } else { Kind::PayoutReturned };
    Transaction::new(seller_cause(id, kind, seller_id, amount.currency, now), postings)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Taken from available funds and sent to the provider; not yet confirmed.
    Sent,
    Paid,
    /// Refused by the provider: the money is available again.
    Returned,
}

/// A payout of a seller's available funds to its bank account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub id: String,
    pub seller_id: String,
    /// The run's date (`2026-12-06`).
    pub run: String,
    #[serde(with = "crate::money::at_rest")]
    pub amount: Money,
    pub status: PayoutStatus,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Sent on the SEPA rail: filed for the bank, never asked of the provider (and a
    /// provider's payout is never filed), so a change of rail pays nothing twice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sepa: bool,
    /// The SEPA credit transfer file it travels in, once one holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The month before the one `now` is in (`2026-10` on 1 November), with its bounds.
pub fn previous_month(now: Timestamp) -> (String, Timestamp, Timestamp) {
    let tz = jiff::tz::TimeZone::UTC;
    let date = now.to_zoned_datetime(tz.clone()).date();
    let this_month = date.first_of_month();
    let last_month = this_month.checked_sub(jiff::Span::new().months(1)).unwrap_or(this_month);
    let start = last_month.to_zoned_datetime(tz.clone()).map(|z| z.timestamp()).unwrap_or(now);
    let end = this_month.to_zoned_datetime(tz).map(|z| z.timestamp()).unwrap_or(now);
    (last_month.strftime("%Y-%m").to_string(), start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    #[test]
    fn sellers_were_active_in_a_month_if_any_period_overlaps_it() {
        let (month, start, end) = previous_month(at("2026-12-01T00:05:00Z"));
        assert_eq!((month.as_str(), start, end), ("2026-11", at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")));
        let (month, _, _) = previous_month(at("2027-01-01T00:00:00Z"));
        assert_eq!(month, "2026-12");
        let application = crate::seller::tests::application();
        let pending =
            crate::seller::Seller::onboard("sel_1".into(), "u".into(), application, at("2026-09-01T00:00:00Z"));
        assert!(!pending.was_active_between(start, end));
        use crate::seller::StatusChange::*;
        let active = pending.change_status(Approve, None, at("2026-10-01T00:00:00Z")).expect("approved");
        assert!(active.was_active_between(start, end));
        let suspended =
            active.change_status(Suspend, Some("checks".into()), at("2026-10-20T00:00:00Z")).expect("suspended");
        assert!(!suspended.was_active_between(start, end), "suspended all November");
        let back = suspended.change_status(Reinstate, None, at("2026-12-01T00:01:00Z")).expect("back");
        assert!(!back.was_active_between(start, end), "reinstated after November");
        let in_november = suspended.change_status(Reinstate, None, at("2026-11-30T23:59:59Z")).expect("back");
        assert!(in_november.was_active_between(start, end));
        // Made active before periods were recorded: active since it was created.
        let unrecorded = crate::seller::Seller { active_periods: Vec::new(), ..active.clone() };
        assert!(unrecorded.was_active_between(start, end));
        assert!(!unrecorded.was_active_between(at("2026-08-01T00:00:00Z"), at("2026-09-01T00:00:00Z")));
    }
}
