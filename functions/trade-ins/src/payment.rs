//! The customer's payment once the price is final: a transfer through the provider at once,
//! or, on the SEPA rail, filed for the bank by the deadlines; and its outcome recorded once,
//! whichever of the two (or the bank's report) gives it.

use std::collections::BTreeMap;

use edge::{Problem, Result};
use marketplace::Currency;
use marketplace::sepa::{Debtor, FileEntry, end_to_end_id};
use marketplace::trade_in::TradeIn;
use marketplace::trade_in::payment::payment_transaction;
use payouts::Rail;
use ports::{PaymentError, Ports, TableError};
use store::{Ledger, PayoutFiles, Posted, TradeIns};

use crate::{due, tell};

/// Transfers a pending payment to the customer, once whatever the retries: the provider's
/// transfer carries the payment's id, and the ledger's transfer and the trade-in marked paid
/// are one write. A refused transfer waits for another account; while the provider is
/// unavailable the payment stays pending, and the deadlines try again.
pub async fn pay(ports: &Ports, rail: &Rail, t: TradeIn) -> Result<TradeIn> {
    let (Some(payment), Some(account)) = (t.payment.clone(), t.payout_account.clone()) else { return Ok(t) };
    // On the SEPA rail the deadlines' daily run files the transfer for the bank.
    if !t.payment_pending() || *rail != Rail::Provider {
        return Ok(t);
    }
    let to = ports::PayoutAccount { holder: account.holder, iban: account.iban };
    let (amount, currency) = (payment.amount.amount_minor, payment.amount.currency.code());
    match ports.payments.payout(&payment.transfer_id(), &to, amount, currency).await {
        Ok(()) => record_paid(ports, t).await,
        Err(PaymentError::Refused(reason)) => record_refused(ports, t, &reason).await,
        Err(PaymentError::Unavailable(error)) => {
            tracing::warn!(trade_in_id = %t.id, error, "trade-in transfer not made: retried by the deadlines");
            Ok(t)
        }
    }
}

/// The transfer was made: the payment posted once, the trade-in paid, the customer told.
pub async fn record_paid(ports: &Ports, t: TradeIn) -> Result<TradeIn> {
    let Some(payment) = t.payment.clone() else { return Ok(t) };
    let table = ports.table.as_ref();
    let now = ports.clock.now();
    let after = t.paid(now)?;
    let transaction = payment_transaction(&t, now)
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::internal("a payment has its transaction"))?;
    let mut also = vec![TradeIns::change_op(&t, &after, due(&after))?];
    let told = (
        format!("You have been paid {} for your {}", payment.amount, t.product_name),
        format!(
            "The transfer of {} is on its way to your account {} (reference {}).\n",
            payment.amount,
            t.payout_account.as_ref().map(|a| a.masked()).unwrap_or_default(),
            payment.transfer_id()
        ),
    );
    also.extend(tell(ports, &after, "paid", Some(told), None).await?);
    match Ledger::new(table).post(&transaction, None, also).await? {
        Posted::Now => {
            tracing::info!(trade_in_id = %t.id, "trade-in paid");
            Ok(after)
        }
        // Another run marked it paid meanwhile.
        Posted::Before | Posted::Stale => {
            TradeIns::new(table).get(&t.id).await?.ok_or_else(|| Problem::not_found("trade-in"))
        }
    }
}

/// The transfer was refused (by the provider, or in the bank's report): the customer is told
/// to give another account. `reason` may name the holder: it is never logged.
pub async fn record_refused(ports: &Ports, t: TradeIn, reason: &str) -> Result<TradeIn> {
    let Some(payment) = t.payment.clone() else { return Ok(t) };
    let Some(after) = t.payment_refused(reason) else { return Ok(t) };
    let told = (
        format!("We could not pay your account for your {}", t.product_name),
        "The bank refused the transfer to the account you gave. Give another account in your trade-in: \
         the price stays yours meanwhile.\n"
            .to_owned(),
    );
    let event = format!("refused-{}", payment.attempt);
    let mails = tell(ports, &after, &event, Some(told), None).await?;
    TradeIns::new(ports.table.as_ref()).change(&t, &after, due(&after), mails).await?;
    tracing::warn!(trade_in_id = %t.id, "trade-in transfer refused: waiting for another account");
    Ok(after)
}

/// On the SEPA rail: puts the pending transfers in the day's credit transfer files (each
/// claimed with the trade-in's change, so it is in one file only), then seals and stores the
/// files for the bank. Returns how many were filed. It first files what the payout run left
/// unfiled (a payout that found its file sealed by this job), so nothing waits for the next
/// run ten days on.
pub(crate) async fn file(ports: &Ports, debtor: &Debtor, pending: Vec<TradeIn>) -> std::result::Result<usize, String> {
    let files = PayoutFiles::new(ports.table.as_ref());
    let mut report = payouts::PayoutRun::default();
    payouts::sepa::file(ports, debtor, &mut report).await?;
    let mut by_currency: BTreeMap<Currency, Vec<TradeIn>> = BTreeMap::new();
    for t in pending {
        if let Some(payment) = &t.payment {
            by_currency.entry(payment.amount.currency).or_default().push(t);
        }
    }
    let mut filed = 0;
    for (currency, pending) in by_currency {
        if debtor.account(currency).is_none() {
            tracing::warn!(currency = currency.code(), transfers = pending.len(), "no debtor account: transfers wait");
            continue;
        }
        let file = files.open(currency, ports.clock.now()).await.map_err(|e| e.to_string())?;
        for t in pending {
            let (Some(payment), Some(after)) = (t.payment.clone(), t.payment_filed(&file.id)) else { continue };
            let entry = FileEntry {
                end_to_end_id: end_to_end_id(&payment.transfer_id()),
                payout_id: payment.transfer_id(),
                seller_id: t.refurbisher_id.clone(),
                run: String::new(),
                amount_minor: payment.amount.amount_minor,
                trade_in_id: Some(t.id.clone()),
            };
            let ops = PayoutFiles::entry_ops(&file, &entry).map_err(|e| e.to_string())?;
            match TradeIns::new(ports.table.as_ref()).change(&t, &after, due(&after), ops).await {
                Ok(()) => filed += 1,
                // Changed meanwhile, or the file sealed or full: the next run files it.
                Err(TableError::TransactionCanceled { .. } | TableError::ConditionFailed) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        payouts::sepa::finish(ports, debtor, file, &mut report).await?;
    }
    Ok(filed)
}
