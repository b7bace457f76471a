//! The SEPA rail: transfers are claimed into one credit transfer file per debtor account and
//! currency, sealed, rendered as pain.001.001.09 and stored for the bank. A seller's payout
//! (filed by the payout run) and a trade-in's price to its customer (filed by the daily
//! trade-in deadlines) travel alike, and stay unpaid until the bank's status report (the
//! `payout-reports` function) settles them. Every step can be repeated: a run finishes the
//! files an earlier one left open or sealed before it opens new ones, and a document is
//! rendered from its file's entries only.

use std::collections::{BTreeMap, HashMap};

use marketplace::Currency;
use marketplace::funds::Payout;
use marketplace::sepa::pain001::{Batch, credit_transfers};
use marketplace::sepa::{Debtor, FileEntry, FileStatus, MAX_TRANSFERS, PayoutFile, Transfer, sepa_text};
use ports::{Blob, Ports};
use store::{Ledger, PayoutFiles, Sellers, TradeIns, payout_file_key};

use crate::PayoutRun;

/// Attempts at sealing a file while claims keep coming in.
const SEAL_ATTEMPTS: usize = 5;

/// Files every sent payout no file holds yet, after finishing the files left unfinished.
pub async fn file(ports: &Ports, debtor: &Debtor, report: &mut PayoutRun) -> Result<(), String> {
    finish_unstored(ports, debtor, report).await?;
    let files = PayoutFiles::new(ports.table.as_ref());
    let mut unfiled: BTreeMap<Currency, Vec<Payout>> = BTreeMap::new();
    for payout in open_payouts(ports).await?.into_iter().filter(|p| p.sepa && p.file.is_none()) {
        unfiled.entry(payout.amount.currency).or_default().push(payout);
    }
    for (currency, payouts) in unfiled {
        if debtor.account(currency).is_none() {
            tracing::warn!(currency = currency.code(), payouts = payouts.len(), "no debtor account: payouts wait");
            report.failed += payouts.len();
            continue;
        }
        for chunk in payouts.chunks(MAX_TRANSFERS as usize) {
            let file = files.open(currency, ports.clock.now()).await.map_err(|e| e.to_string())?;
            for payout in chunk {
                files.claim(&file, payout).await.map_err(|e| e.to_string())?;
            }
            finish_or_count(ports, debtor, file, report).await;
        }
    }
    Ok(())
}

/// Seals and stores the files an earlier run left open or sealed.
pub async fn finish_unstored(ports: &Ports, debtor: &Debtor, report: &mut PayoutRun) -> Result<(), String> {
    let files = PayoutFiles::new(ports.table.as_ref());
    let mut cursor = None;
    loop {
        let (page, next) = files.unstored(cursor).await.map_err(|e| e.to_string())?;
        for left in page {
            finish_or_count(ports, debtor, left, report).await;
        }
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

async fn open_payouts(ports: &Ports) -> Result<Vec<Payout>, String> {
    let ledger = Ledger::new(ports.table.as_ref());
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = ledger.open_payouts(100, cursor).await.map_err(|e| e.to_string())?;
        all.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

/// A file that cannot be finished waits for the next run, and holds up no other.
async fn finish_or_count(ports: &Ports, debtor: &Debtor, file: PayoutFile, report: &mut PayoutRun) {
    let id = file.id.clone();
    if let Err(error) = finish(ports, debtor, file, report).await {
        report.failed += 1;
        tracing::warn!(file = %id, %error, "credit transfer file not finished: the next run tries again");
    }
}

/// Seals an open file with the transfers claimed for it (an empty one is dropped), then
/// stores a sealed file's document and marks it stored.
pub async fn finish(ports: &Ports, debtor: &Debtor, file: PayoutFile, report: &mut PayoutRun) -> Result<(), String> {
    let files = PayoutFiles::new(ports.table.as_ref());
    let mut file = file;
    let mut entries = Vec::new();
    for attempt in 0..=SEAL_ATTEMPTS {
        // Read as it is now: a list of unfinished files comes from an index that may lag.
        file = match files.get(&file.id).await.map_err(|e| e.to_string())? {
            Some(current) => current,
            None => return Ok(()),
        };
        entries = files.entries(&file.id).await.map_err(|e| e.to_string())?;
        match file.status {
            FileStatus::Stored => return Ok(()),
            FileStatus::Sealed => break,
            FileStatus::Open if entries.is_empty() => {
                return files.drop_empty(&file).await.map_err(|e| e.to_string());
            }
            FileStatus::Open if attempt == SEAL_ATTEMPTS => return Err("claims kept coming in".into()),
            FileStatus::Open => {
                if let Some(sealed) = files.seal(&file, &entries, ports.clock.now()).await.map_err(|e| e.to_string())? {
                    file = sealed;
                    break;
                }
            }
        }
    }
    let account = debtor.account(file.currency).ok_or_else(|| format!("no {} debtor account", file.currency))?;
    let payees = payees(ports, &entries).await?;
    let mut transfers = Vec::with_capacity(entries.len());
    for entry in &entries {
        let (holder, iban) =
            payees.get(&entry.payout_id).ok_or_else(|| format!("no account for {}", entry.payout_id))?;
        transfers.push(Transfer {
            end_to_end_id: entry.end_to_end_id.clone(),
            amount: marketplace::Money::new(entry.amount_minor, file.currency),
            creditor: sepa_text(holder, 70),
            iban: iban.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase(),
            remittance: sepa_text(&remittance(entry), 140),
        });
    }
    // Dated when sealed, so a document written again is the same document.
    let now = file.sealed_at.unwrap_or(file.created_at);
    let document = credit_transfers(&Batch {
        message_id: &file.id,
        created_at: now,
        execution: now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        debtor_name: &debtor.name,
        account,
        transfers: &transfers,
    })?;
    let blob = Blob { bytes: document.xml.into_bytes(), content_type: "application/xml".into() };
    ports.blobs.put(&payout_file_key(&file.id), blob).await.map_err(|e| e.to_string())?;
    files.stored(&file).await.map_err(|e| e.to_string())?;
    report.files += 1;
    report.filed += document.count;
    tracing::info!(file = %file.id, transfers = document.count, "credit transfer file stored for the bank");
    Ok(())
}

/// What the creditor reads on its statement.
fn remittance(entry: &FileEntry) -> String {
    match &entry.trade_in_id {
        Some(trade_in) => format!("Trade-in {trade_in} {}", entry.end_to_end_id),
        None => format!("Marketplace payout {} {}", entry.run, entry.end_to_end_id),
    }
}

/// Each transfer's account holder and IBAN, by transfer id: a seller's declared account (read
/// in batches), or the account the trade-in's customer gave.
async fn payees(ports: &Ports, entries: &[FileEntry]) -> Result<HashMap<String, (String, String)>, String> {
    let mut payees = HashMap::new();
    let mut sellers: Vec<&str> =
        entries.iter().filter(|e| e.trade_in_id.is_none()).map(|e| e.seller_id.as_str()).collect();
    sellers.sort_unstable();
    sellers.dedup();
    let mut accounts = HashMap::new();
    for batch in sellers.chunks(100) {
        for seller in Sellers::new(ports.table.as_ref()).get_many(batch).await.map_err(|e| e.to_string())? {
            accounts.insert(seller.id.clone(), seller.trader.payment_account);
        }
    }
    let trade_ins = TradeIns::new(ports.table.as_ref());
    for entry in entries {
        let payee = match &entry.trade_in_id {
            None => accounts.get(&entry.seller_id).map(|a| (a.holder.clone(), a.iban.clone())),
            Some(id) => trade_ins
                .get(id)
                .await
                .map_err(|e| e.to_string())?
                .and_then(|t| t.payout_account)
                .map(|a| (a.holder, a.iban)),
        };
        if let Some(payee) = payee {
            payees.insert(entry.payout_id.clone(), payee);
        }
    }
    Ok(payees)
}
