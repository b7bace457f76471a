//! The SEPA rail: payouts sent by the run are claimed into one credit transfer file per debtor
//! account and currency, sealed, rendered as pain.001.001.09 and stored for the bank. They
//! stay `sent` until the bank's status report (the `payout-reports` function) settles them.
//! Every step can be repeated: a run finishes the files an earlier one left open or sealed
//! before it opens new ones, and a file's document carries its sealed entries only.

use std::collections::{BTreeMap, HashMap};

use marketplace::Currency;
use marketplace::funds::Payout;
use marketplace::sepa::pain001::{Batch, credit_transfers};
use marketplace::sepa::{Debtor, FileStatus, PayoutFile, Transfer, sepa_text};
use ports::{Blob, Ports};
use store::{Ledger, PayoutFiles, Sellers, payout_file_key};

use crate::PayoutRun;

/// Transfers in one file: the sealed entries stay well inside an item's 400 KB.
const MAX_TRANSFERS: usize = 1000;

/// Files every sent payout no file holds yet, and stores the documents of files left
/// unfinished.
pub async fn file(ports: &Ports, debtor: &Debtor, report: &mut PayoutRun) -> Result<(), String> {
    let files = PayoutFiles::new(ports.table.as_ref());
    let open = open_payouts(ports).await?;
    // A file sealed without a payout claimed for it (an index read that lagged) lets it go.
    let mut sealed: HashMap<String, Option<PayoutFile>> = HashMap::new();
    let mut unfiled: BTreeMap<Currency, Vec<Payout>> = BTreeMap::new();
    for payout in open {
        match payout.file.clone() {
            None => unfiled.entry(payout.amount.currency).or_default().push(payout),
            Some(id) => {
                if !sealed.contains_key(&id) {
                    sealed.insert(id.clone(), files.get(&id).await.map_err(|e| e.to_string())?);
                }
                let stray = sealed.get(&id).and_then(Option::as_ref).is_none_or(|f| {
                    f.status != FileStatus::Open && !f.entries.iter().any(|e| e.payout_id == payout.id)
                });
                if stray {
                    files.release(&payout, &id).await.map_err(|e| e.to_string())?;
                    unfiled.entry(payout.amount.currency).or_default().push(Payout { file: None, ..payout });
                }
            }
        }
    }
    let mut cursor = None;
    loop {
        let (page, next) = files.unstored(cursor).await.map_err(|e| e.to_string())?;
        for left in page {
            finish(ports, debtor, left, Vec::new(), report).await?;
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    for (currency, payouts) in unfiled {
        if debtor.account(currency).is_none() {
            tracing::warn!(currency = currency.code(), payouts = payouts.len(), "no debtor account: payouts wait");
            report.failed += payouts.len();
            continue;
        }
        for chunk in payouts.chunks(MAX_TRANSFERS) {
            let file = files.open(currency, ports.clock.now()).await.map_err(|e| e.to_string())?;
            let mut claimed = Vec::new();
            for payout in chunk {
                if files.claim(&file, payout).await.map_err(|e| e.to_string())? {
                    claimed.push(Payout { file: Some(file.id.clone()), ..payout.clone() });
                }
            }
            finish(ports, debtor, file, claimed, report).await?;
        }
    }
    Ok(())
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

/// Seals an open file (with `claimed` and whatever an earlier attempt claimed), then stores
/// a sealed file's document and marks it stored.
async fn finish(
    ports: &Ports,
    debtor: &Debtor,
    file: PayoutFile,
    claimed: Vec<Payout>,
    report: &mut PayoutRun,
) -> Result<(), String> {
    let files = PayoutFiles::new(ports.table.as_ref());
    let file = match file.status {
        FileStatus::Stored => return Ok(()),
        FileStatus::Sealed => file,
        FileStatus::Open => {
            let mut members = claimed;
            for payout in open_payouts(ports).await? {
                if payout.file.as_deref() == Some(&file.id) && !members.iter().any(|m| m.id == payout.id) {
                    members.push(payout);
                }
            }
            if members.is_empty() {
                return files.drop_empty(&file).await.map_err(|e| e.to_string());
            }
            files.seal(&file, &members).await.map_err(|e| e.to_string())?
        }
    };
    let account = debtor.account(file.currency).ok_or_else(|| format!("no {} debtor account", file.currency))?;
    let sellers = Sellers::new(ports.table.as_ref());
    let mut payees = HashMap::new();
    let mut ids: Vec<&str> = file.entries.iter().map(|e| e.seller_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for batch in ids.chunks(100) {
        for seller in sellers.get_many(batch).await.map_err(|e| e.to_string())? {
            payees.insert(seller.id.clone(), seller.trader.payment_account);
        }
    }
    let mut transfers = Vec::with_capacity(file.entries.len());
    for entry in &file.entries {
        let payee = payees.get(&entry.seller_id).ok_or_else(|| format!("the seller of {} is gone", entry.payout_id))?;
        transfers.push(Transfer {
            end_to_end_id: entry.end_to_end_id.clone(),
            amount: marketplace::Money::new(entry.amount_minor, file.currency),
            creditor: sepa_text(&payee.holder, 70),
            iban: payee.iban.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase(),
            remittance: sepa_text(&format!("Marketplace payout {} {}", entry.run, entry.end_to_end_id), 140),
        });
    }
    // Written now, to be executed today: a file finished a day late asks for no past date.
    let now = ports.clock.now();
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
