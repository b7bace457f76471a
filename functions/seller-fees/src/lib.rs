//! Monthly seller fees (R-MONTHLY). On the 1st, every seller that was active at some moment
//! of the month just ended is charged its fee for that month, from its available funds; what
//! they cannot cover is owed and recovered from later funds. The fee's transaction id is the
//! seller's and the month's, so running the job twice, late, or again after a crash half-way
//! charges each seller exactly once. The month is then closed, and each seller's statement
//! of it is stored.

use marketplace::funds::{monthly_fee, previous_month};
use marketplace::ledger::SellerAccount;
use marketplace::seller::Seller;
use marketplace::settlement::Terms;
use marketplace::{Currency, Money};
use ports::Ports;
use serde::Serialize;
use store::{Ledger, Posted, Sellers, Statements};

/// Attempts at one seller's fee when its balances keep moving under it.
const ATTEMPTS: usize = 5;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Charged {
    pub month: String,
    /// Sellers charged by this run.
    pub charged: usize,
    /// Sellers charged for the month by an earlier run.
    pub already: usize,
    pub statements: usize,
    /// Sellers whose fee or statement failed; the next run retries them.
    pub failed: usize,
}

/// Charges the month before the current one.
pub async fn charge_last_month(ports: &Ports, terms: &Terms) -> Result<Charged, String> {
    let (month, start, end) = previous_month(ports.clock.now());
    let sellers = Sellers::new(ports.table.as_ref());
    let mut report = Charged { month: month.clone(), ..Charged::default() };
    let mut cursor = None;
    loop {
        let (page, next) = sellers.all(100, cursor).await.map_err(|e| e.to_string())?;
        for seller in page {
            let fee = terms.monthly_fee(&seller.contract);
            if seller.was_active_between(start, end) && fee.amount_minor > 0 {
                match charge(ports, &seller, &month, fee).await {
                    Ok(Posted::Now) => report.charged += 1,
                    Ok(_) => report.already += 1,
                    Err(error) => {
                        report.failed += 1;
                        tracing::warn!(seller_id = %seller.id, %error, "fee will be retried at the next run");
                        continue;
                    }
                }
            }
            match store_statements(ports, &seller.id, &month, fee.currency).await {
                Ok(stored) => report.statements += stored,
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(seller_id = %seller.id, %error, "statement will be stored at the next run");
                }
            }
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    tracing::info!(month, charged = report.charged, already = report.already, failed = report.failed, "monthly fees");
    if report.failed > 0 {
        return Err(format!("{} sellers failed; run again", report.failed));
    }
    Ok(report)
}

/// Stores the seller's statements of the closed month: in the fee's currency, and in any
/// other it holds funds in.
async fn store_statements(
    ports: &Ports,
    seller_id: &str,
    month: &str,
    fee_currency: Currency,
) -> Result<usize, String> {
    let held = Ledger::new(ports.table.as_ref()).funds_by_currency(seller_id).await.map_err(|e| e.to_string())?;
    let mut currencies = vec![fee_currency];
    currencies.extend(held.into_iter().map(|(c, _)| c).filter(|c| *c != fee_currency));
    let mut stored = 0;
    for currency in currencies {
        if Statements::new(ports).store(seller_id, month, currency).await? {
            stored += 1;
        }
    }
    Ok(stored)
}

/// Charges one seller's fee for `month`: `Posted::Before` if it was charged already.
async fn charge(ports: &Ports, seller: &Seller, month: &str, fee: Money) -> Result<Posted, String> {
    let ledger = Ledger::new(ports.table.as_ref());
    for _ in 0..ATTEMPTS {
        let funds = ledger.funds(&seller.id, fee.currency).await.map_err(|e| e.to_string())?;
        let transaction =
            monthly_fee(&seller.id, month, fee, funds.funds, ports.clock.now()).map_err(|e| e.to_string())?;
        let covered_from = funds.expect(&[SellerAccount::Available]);
        match ledger.post(&transaction, Some(covered_from), vec![]).await.map_err(|e| e.to_string())? {
            Posted::Stale => continue,
            done => return Ok(done),
        }
    }
    Err("the seller's balances kept changing".into())
}
