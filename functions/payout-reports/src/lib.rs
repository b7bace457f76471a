//! Bank status reports on SEPA transfers (R-SETTLE, R-TRADEIN). A `pain.002` answers one credit
//! transfer file of ours. Each of its transfers whose settlement the bank reports (`ACSP`,
//! `ACSC`) is paid: a seller's payout, or a trade-in's price to its customer. Each it rejected
//! returns a payout's money to the seller's available balance, or asks the trade-in's customer
//! for another account. One it has not decided (received, accepted for checks, pending) stays
//! as it is. Every
//! outcome is recorded once, however often the report comes: a payout no longer sent, or an
//! outcome posted before, changes nothing. A report that does not parse, answers no sealed
//! file, or names a transfer the file does not hold is refused whole, before anything is
//! written.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use edge::{Caller, Group, Json, Problem, Result, XmlBody};
use marketplace::funds::PayoutStatus;
use marketplace::sepa::pain002::{self, Status};
use marketplace::sepa::{FileEntry, FileStatus};
use marketplace::trade_in::PaymentStatus;
use ports::Ports;
use serde::Serialize;
use store::{Ledger, PayoutFiles, Posted, TradeIns};

pub fn router(ports: Ports) -> Router {
    edge::finish(Router::new().route("/payouts/status-reports", post(receive)), ports)
}

/// What a report changed.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// The message id of the credit transfer file it answers.
    pub file: String,
    pub paid: usize,
    pub returned: usize,
    /// Transfers the report leaves undecided (received, pending): still sent.
    pub undecided: usize,
    /// Transfers settled before, by this report or another.
    pub unchanged: usize,
    /// Rejections of payouts already recorded paid: logged for a person to take up with the
    /// bank, the ledger unchanged.
    pub contested: usize,
}

async fn receive(State(ports): State<Ports>, caller: Caller, body: XmlBody) -> Result<Json<Applied>> {
    caller.require(Group::Admin)?;
    let xml = body.bytes()?;
    Ok(Json(apply(&ports, &xml).await?))
}

/// Applies a report to the file it answers.
pub async fn apply(ports: &Ports, xml: &[u8]) -> Result<Applied> {
    let report = pain002::read(xml).map_err(|e| Problem::bad_request("malformed_report", e.to_string()))?;
    let files = PayoutFiles::new(ports.table.as_ref());
    let file = files.get(&report.original_message_id).await?.ok_or_else(|| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_file", "the report answers no credit transfer file")
    })?;
    if file.status == FileStatus::Open {
        return Err(Problem::conflict("file_not_sealed", "the file is still being written; nothing was sent"));
    }
    let entries = files.entries(&file.id).await?;
    let unknown: Vec<&str> = report
        .transfers
        .iter()
        .map(|t| t.end_to_end_id.as_str())
        .filter(|id| !entries.iter().any(|e| e.end_to_end_id == *id))
        .collect();
    if !unknown.is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_transfers",
            format!("the file holds no transfer {}", unknown.join(", ")),
        ));
    }
    let ledger = Ledger::new(ports.table.as_ref());
    let mut applied = Applied { file: file.id.clone(), ..Applied::default() };
    for entry in &entries {
        let (status, reason) = report.outcome(&entry.end_to_end_id);
        if status == Status::Undecided {
            applied.undecided += 1;
            continue;
        }
        if let Some(trade_in_id) = &entry.trade_in_id {
            settle_trade_in(ports, &file.id, entry, trade_in_id, status, reason.as_deref(), &mut applied).await?;
            continue;
        }
        let payout = ledger.payout(&entry.seller_id, &entry.run, file.currency).await?;
        let Some(payout) = payout.filter(|p| p.id == entry.payout_id) else {
            applied.unchanged += 1;
            continue;
        };
        if payout.status != PayoutStatus::Sent {
            if payout.status == PayoutStatus::Paid && status == Status::Rejected {
                tracing::error!(payout_id = %payout.id, file = %file.id, "the bank rejects a payout recorded paid");
                applied.contested += 1;
            } else {
                applied.unchanged += 1;
            }
            continue;
        }
        let failure = (status == Status::Rejected).then(|| rejection(reason.as_deref()));
        let returned = failure.is_some();
        match ledger.settle_payout(&payout, failure, ports.clock.now()).await? {
            Posted::Now if returned => applied.returned += 1,
            Posted::Now => applied.paid += 1,
            Posted::Before | Posted::Stale => applied.unchanged += 1,
        }
    }
    tracing::info!(
        file = %applied.file,
        paid = applied.paid,
        returned = applied.returned,
        undecided = applied.undecided,
        unchanged = applied.unchanged,
        contested = applied.contested,
        "bank status report applied"
    );
    Ok(applied)
}

/// A trade-in's transfer to its customer: paid (the payment posted, the customer told), or
/// refused (the customer asked for another account), once.
async fn settle_trade_in(
    ports: &Ports,
    file: &str,
    entry: &FileEntry,
    trade_in_id: &str,
    status: Status,
    reason: Option<&str>,
    applied: &mut Applied,
) -> Result<()> {
    let t = TradeIns::new(ports.table.as_ref()).get(trade_in_id).await?;
    let Some(t) = t else {
        applied.unchanged += 1;
        return Ok(());
    };
    let payment = t.payment.clone();
    let filed_here = payment.as_ref().is_some_and(|p| {
        p.status == PaymentStatus::Filed && p.file.as_deref() == Some(file) && p.transfer_id() == entry.payout_id
    });
    if !filed_here {
        let paid = payment.is_some_and(|p| p.status == PaymentStatus::Sent);
        if paid && status == Status::Rejected {
            tracing::error!(trade_in_id, file, "the bank rejects a trade-in transfer recorded paid");
            applied.contested += 1;
        } else {
            applied.unchanged += 1;
        }
        return Ok(());
    }
    if status == Status::Rejected {
        trade_ins::record_refused(ports, t, &rejection(reason)).await?;
        applied.returned += 1;
    } else {
        trade_ins::record_paid(ports, t).await?;
        applied.paid += 1;
    }
    Ok(())
}

/// What the seller reads on a rejected payout: the ISO reason code, and its meaning for the
/// codes banks use most.
fn rejection(code: Option<&str>) -> String {
    let meaning = match code {
        Some("AC01") => "the account number is incorrect",
        Some("AC04") => "the account is closed",
        Some("AC06") => "the account is blocked",
        Some("AG01") => "the account does not accept transfers",
        Some("BE01") => "the holder's name does not match the account",
        Some("MD07") => "the account holder is deceased",
        Some("RR01" | "RR02" | "RR03" | "RR04") => "regulatory reasons",
        _ => "no reason given",
    };
    match code {
        Some(code) => format!("rejected by the bank ({code}): {meaning}"),
        None => format!("rejected by the bank: {meaning}"),
    }
}
