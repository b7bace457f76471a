//! Payouts (R-SETTLE). Each run pays every seller its available funds, in each currency, to
//! the bank account it declared, once what it owes is recovered and if the rest reaches the
//! minimum. A payout is recorded and its money moved to "in transit" before the provider is
//! asked, under an id of the seller and the run's date, so a run repeated the same day pays
//! nothing twice. The provider's answer settles it: paid, or refused and the money available
//! again. An unknown answer leaves it sent; the next run asks again under the same id.
//! Suspended sellers' funds wait until they are reinstated.
//!
//! Which rail pays is configuration (`MARKETPLACE_PAYOUTS`): the payment provider, which
//! answers each payout at once, or SEPA credit transfer files ([`sepa`]), which the bank
//! answers later with a status report.

pub mod sepa;

use marketplace::funds::{Payout, PayoutStatus, payout, payout_id, recovery};
use marketplace::ledger::{Kind, SellerAccount};
use marketplace::seller::{Seller, SellerStatus};
use marketplace::sepa::Debtor;
use marketplace::settlement::Terms;
use marketplace::{Currency, Money};
use ports::{PaymentError, PayoutAccount, Ports};
use serde::Serialize;
use store::{FundsRead, Ledger, Posted, Sellers};

/// Attempts at one seller's payout when its balances keep moving under it.
const ATTEMPTS: usize = 10;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PayoutRun {
    pub run: String,
    pub paid: usize,
    pub returned: usize,
    /// Sent, with the provider's answer still unknown.
    pub unconfirmed: usize,
    pub recovered: usize,
    pub failed: usize,
    /// SEPA: credit transfer files stored for the bank, and the transfers in them.
    pub files: usize,
    pub filed: usize,
}

/// How payouts reach the sellers' banks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Rail {
    /// The payment provider's payouts (the sandbox locally).
    #[default]
    Provider,
    /// SEPA credit transfer files from the marketplace's accounts.
    Sepa(Debtor),
}

impl Rail {
    /// `MARKETPLACE_PAYOUTS=sandbox|sepa`; SEPA reads the debtor from
    /// `MARKETPLACE_SEPA_DEBTOR_NAME` and `MARKETPLACE_SEPA_ACCOUNTS`
    /// (`EUR:<IBAN>:<BIC>,…`).
    pub fn from_env() -> Result<Rail, String> {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        match var("MARKETPLACE_PAYOUTS").as_str() {
            "" | "sandbox" | "provider" => Ok(Rail::Provider),
            "sepa" => Debtor::parse(&var("MARKETPLACE_SEPA_DEBTOR_NAME"), &var("MARKETPLACE_SEPA_ACCOUNTS"))
                .map(Rail::Sepa)
                .map_err(|e| format!("MARKETPLACE_SEPA_*: {e}")),
            other => Err(format!("MARKETPLACE_PAYOUTS is {other:?}: sandbox or sepa")),
        }
    }
}

pub async fn run(ports: &Ports, terms: &Terms, rail: &Rail) -> Result<PayoutRun, String> {
    let run = ports.clock.now().strftime("%Y-%m-%d").to_string();
    let mut report = PayoutRun { run: run.clone(), ..PayoutRun::default() };
    // Payouts an earlier run sent without an answer go first; on SEPA the bank answers them.
    if *rail == Rail::Provider {
        ask_again(ports, &mut report).await?;
    }
    send_all(ports, terms, rail, &mut report).await?;
    if let Rail::Sepa(debtor) = rail {
        sepa::file(ports, debtor, &mut report).await?;
    }
    tracing::info!(
        run,
        paid = report.paid,
        returned = report.returned,
        unconfirmed = report.unconfirmed,
        failed = report.failed,
        files = report.files,
        "payout run"
    );
    Ok(report)
}

/// Sends every active seller's payable funds under the run `report.run`: paid through the
/// provider at once, or left sent for the SEPA files.
pub async fn send_all(ports: &Ports, terms: &Terms, rail: &Rail, report: &mut PayoutRun) -> Result<(), String> {
    let sellers = Sellers::new(ports.table.as_ref());
    let run = report.run.clone();
    let mut cursor = None;
    loop {
        let (page, next) = sellers.all(100, cursor).await.map_err(|e| e.to_string())?;
        for seller in page.iter().filter(|s| s.status != SellerStatus::Suspended) {
            if let Err(error) = pay(ports, terms, rail, seller, &run, report).await {
                report.failed += 1;
                tracing::warn!(seller_id = %seller.id, %error, "payout will be retried at the next run");
            }
        }
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// Asks the provider again about the payouts earlier runs sent without an answer.
async fn ask_again(ports: &Ports, report: &mut PayoutRun) -> Result<(), String> {
    let ledger = Ledger::new(ports.table.as_ref());
    let sellers = Sellers::new(ports.table.as_ref());
    let mut cursor = None;
    loop {
        let (open, next) = ledger.open_payouts(100, cursor).await.map_err(|e| e.to_string())?;
        // Payouts sent on the SEPA rail are the bank's to answer.
        for payout in open.into_iter().filter(|p| !p.sepa) {
            match sellers.get(&payout.seller_id).await.map_err(|e| e.to_string())? {
                Some(seller) => finish(ports, &seller, payout, report).await,
                None => report.failed += 1,
            }
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(())
}

/// Recovers what the seller owes and pays out the rest, in each currency it holds funds in.
async fn pay(
    ports: &Ports,
    terms: &Terms,
    rail: &Rail,
    seller: &Seller,
    run: &str,
    report: &mut PayoutRun,
) -> Result<(), String> {
    let ledger = Ledger::new(ports.table.as_ref());
    let held = ledger.funds_by_currency(&seller.id).await.map_err(|e| e.to_string())?;
    for (currency, funds) in held {
        let sent = send(ports, terms, rail, seller, run, (currency, funds), report).await?;
        if let (Some(payout), Rail::Provider) = (sent, rail) {
            finish(ports, seller, payout, report).await;
        }
    }
    Ok(())
}

/// Records the payout and moves its money to "in transit"; `None` when there is nothing to
/// pay (or this run paid it already).
async fn send(
    ports: &Ports,
    terms: &Terms,
    rail: &Rail,
    seller: &Seller,
    run: &str,
    (currency, read): (Currency, FundsRead),
    report: &mut PayoutRun,
) -> Result<Option<Payout>, String> {
    let ledger = Ledger::new(ports.table.as_ref());
    // The balances as `pay` read them serve the first attempt; each later one reads again.
    let mut first = Some(read);
    // Recoveries of this run are numbered: one that finds its number taken (a repeated run)
    // tries the next. Its balance conditions, not its id, make a recovery apply once.
    let mut recoveries = 0;
    for _ in 0..ATTEMPTS {
        // Each posting at its own moment, so statements list them in the order they happened.
        let now = ports.clock.now();
        let funds = match first.take() {
            Some(read) => read,
            None => ledger.funds(&seller.id, currency).await.map_err(|e| e.to_string())?,
        };
        let occasion = format!("{run}:{recoveries}");
        if let Some(recovered) =
            recovery(&seller.id, &occasion, currency, funds.funds, now).map_err(|e| e.to_string())?
        {
            let from = funds.expect(&[SellerAccount::Available, SellerAccount::Receivable]);
            match ledger.post(&recovered, Some(from), vec![]).await.map_err(|e| e.to_string())? {
                Posted::Now => report.recovered += 1,
                Posted::Before => recoveries += 1,
                Posted::Stale => {}
            }
            continue;
        }
        let amount = funds.funds.available;
        if amount < terms.payout_minimum_minor.max(1) {
            return Ok(None);
        }
        let payout = Payout {
            id: payout_id(&seller.id, run, currency),
            seller_id: seller.id.clone(),
            run: run.to_owned(),
            amount: Money::new(amount, currency),
            status: PayoutStatus::Sent,
            created_at: now,
            settled_at: None,
            failure: None,
            sepa: matches!(rail, Rail::Sepa(_)),
            file: None,
        };
        let transaction = payout_transaction(&payout, Kind::Payout)?;
        let write = Ledger::write_payout(&payout).map_err(|e| e.to_string())?;
        let from = funds.expect(&[SellerAccount::Available]);
        match ledger.post(&transaction, Some(from), vec![write]).await.map_err(|e| e.to_string())? {
            Posted::Now => return Ok(Some(payout)),
            // This run paid the seller already; an unconfirmed one was finished above.
            Posted::Before => return Ok(None),
            Posted::Stale => continue,
        }
    }
    Err("the seller's balances kept changing".into())
}

fn payout_transaction(payout: &Payout, stage: Kind) -> Result<marketplace::ledger::Transaction, String> {
    let now = payout.settled_at.unwrap_or(payout.created_at);
    self::payout(&payout.id, &payout.seller_id, stage, payout.amount, now).map_err(|e| e.to_string())
}

/// Asks the provider to pay a sent payout and records its answer.
async fn finish(ports: &Ports, seller: &Seller, payout: Payout, report: &mut PayoutRun) {
    let account = PayoutAccount {
        holder: seller.trader.payment_account.holder.clone(),
        iban: seller.trader.payment_account.iban.clone(),
    };
    let answer =
        ports.payments.payout(&payout.id, &account, payout.amount.amount_minor, payout.amount.currency.code()).await;
    let failure = match answer {
        Ok(()) => None,
        Err(PaymentError::Refused(reason)) => Some(reason),
        Err(PaymentError::Unavailable(error)) => {
            tracing::warn!(payout_id = %payout.id, %error, "payout outcome unknown; the next run asks again");
            report.unconfirmed += 1;
            return;
        }
    };
    let returned = failure.is_some();
    match Ledger::new(ports.table.as_ref()).settle_payout(&payout, failure, ports.clock.now()).await {
        Ok(_) if returned => report.returned += 1,
        Ok(_) => report.paid += 1,
        Err(error) => {
            // Still sent: the next run asks the provider again, which answers the same.
            tracing::warn!(payout_id = %payout.id, %error, "payout answer not recorded; the next run retries");
            report.unconfirmed += 1;
        }
    }
}
