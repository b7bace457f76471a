//! Order settlement (R-MANDATE, R-COMMISSION, R-SETTLE). Each order event says which order
//! to look at; the order's current state and what was already posted for it decide what to
//! post next (`marketplace::settlement::next_step`), one transaction at a time, each written
//! atomically with the order's settlement record. Redelivered, duplicated or reordered events
//! therefore never post twice. The hourly sweep releases sellers' proceeds whose hold ended.

use marketplace::funds::cover;
use marketplace::ledger::{Kind, SellerAccount};
use marketplace::settlement::{Step, Terms, next_step};
use ports::{Message, Ports, TableError, TxOp};
use rust_decimal::Decimal;
use serde::Serialize;
use store::events::OrderEvent;
use store::{Ledger, Orders, Posted, Sellers};

/// Steps one order may take in one call: far more than any order needs (a sale, refunds and
/// a release per part), so only an order that keeps changing under us reaches it.
const MAX_STEPS: usize = 200;

/// Orders read per page of the release sweep, and pages per run (the next run takes the rest).
pub const RELEASE_BATCH: u32 = 100;
pub const RELEASE_PAGES: usize = 50;

/// The settlement terms: `MARKETPLACE_SETTLEMENT` (JSON, see `Terms::from_json`), or the
/// defaults of R-COMMISSION, R-MONTHLY and R-SETTLE.
pub fn terms_from_env() -> Result<Terms, String> {
    match std::env::var("MARKETPLACE_SETTLEMENT") {
        Ok(json) if !json.trim().is_empty() => {
            Terms::from_json(&json).map_err(|e| format!("MARKETPLACE_SETTLEMENT: {e}"))
        }
        _ => Ok(Terms::default()),
    }
}

/// Handles a batch of order events; returns the ids of the messages to retry.
pub async fn handle(ports: &Ports, terms: &Terms, batch: Vec<Message>) -> Vec<String> {
    let mut failed = Vec::new();
    for message in batch {
        let outcome = match serde_json::from_str::<OrderEvent>(&message.body) {
            Ok(event) => settle(ports, terms, &event.order_id).await.map(|_| ()),
            // It will never read better: after its retries it rests in the dead-letter queue.
            Err(e) => Err(format!("unreadable message: {e}")),
        };
        if let Err(error) = outcome {
            tracing::warn!(message_id = %message.id, receive_count = message.receive_count, %error, "will retry");
            failed.push(message.id);
        }
    }
    failed
}

/// Posts everything the order's current state calls for; returns how many transactions.
/// The order, its record and its sellers are read once, and again only when a write finds
/// that someone settled the order meanwhile.
pub async fn settle(ports: &Ports, terms: &Terms, order_id: &str) -> Result<usize, String> {
    let table = ports.table.as_ref();
    let (orders, ledger, sellers) = (Orders::new(table), Ledger::new(table), Sellers::new(table));
    let mut posted = 0;
    let mut fresh = None;
    for _ in 0..MAX_STEPS {
        let (order, record, rates) = match fresh.take() {
            Some(read) => read,
            None => {
                let Some(order) = orders.get(order_id).await.map_err(text)? else {
                    tracing::warn!(order_id, "no such order; nothing to settle");
                    return Ok(posted);
                };
                let record = ledger.order_ledger(&order).await.map_err(text)?;
                let ids: Vec<&str> = order.parts.iter().map(|p| p.seller_id.as_str()).collect();
                let rates: Vec<(String, Decimal)> = sellers
                    .get_many(&ids)
                    .await
                    .map_err(text)?
                    .into_iter()
                    .map(|s| (s.id.clone(), terms.commission_rate(&s.contract)))
                    .collect();
                (order, record, rates)
            }
        };
        let rate_of = |seller_id: &str| -> Decimal {
            rates.iter().find(|(id, _)| id == seller_id).map_or(terms.commission_rate, |(_, rate)| *rate)
        };
        let step = next_step(&order, &record, &rate_of, terms.hold, ports.clock.now()).map_err(text)?;
        let is_transaction = matches!(step, Some(Step::Post { .. }));
        let (written, after) = match step {
            None => return Ok(posted),
            Some(Step::Post { transaction, ledger: after, charge }) => {
                let seller = transaction.seller_id.clone().unwrap_or_default();
                let mut also = vec![Ledger::write_order_ledger(&record, &after).map_err(text)?];
                if transaction.kind == Kind::Release {
                    also.push(Ledger::clear_release(&order.id, &seller));
                }
                let outcome = if charge {
                    let funds = ledger.funds(&seller, transaction.currency).await.map_err(text)?;
                    let covered = cover(transaction, funds.funds).map_err(text)?;
                    ledger.post(&covered, Some(funds.expect(&[SellerAccount::Available])), also).await
                } else {
                    ledger.post(&transaction, None, also).await
                };
                (outcome.map_err(text)?, after)
            }
            Some(Step::ScheduleRelease { seller_id, due, ledger: after }) => {
                let ops: Vec<TxOp> = vec![
                    Ledger::write_order_ledger(&record, &after).map_err(text)?,
                    Ledger::schedule_release(&order.id, &seller_id, due),
                ];
                match table.transact(ops).await {
                    Ok(()) => (Posted::Now, after),
                    Err(TableError::TransactionCanceled { .. }) => (Posted::Stale, after),
                    Err(e) => return Err(e.to_string()),
                }
            }
        };
        if written == Posted::Now {
            posted += usize::from(is_transaction);
            fresh = Some((order, after, rates));
        } else {
            // Someone settled this order meanwhile (`Before`), or the seller's balances moved
            // (`Stale`): read everything again.
            tracing::info!(order_id, ?written, "settlement changed meanwhile; reading again");
        }
    }
    Err(format!("order {order_id} kept changing while it was settled"))
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Released {
    pub orders: usize,
    pub transactions: usize,
}

/// Settles the orders holding a part whose hold ended: their proceeds become available.
/// Pages through everything due, up to `RELEASE_PAGES` pages a run; an order that fails is
/// logged and skipped, so it never holds up the others, and the next run tries it again.
pub async fn release_due(ports: &Ports, terms: &Terms) -> Result<Released, String> {
    let ledger = Ledger::new(ports.table.as_ref());
    let now = ports.clock.now();
    let mut released = Released { orders: 0, transactions: 0 };
    let mut failures = 0;
    let mut cursor = None;
    for _ in 0..RELEASE_PAGES {
        let (due, next) = ledger.releases_due(now, RELEASE_BATCH, cursor).await.map_err(text)?;
        for order_id in due {
            match settle(ports, terms, &order_id).await {
                Ok(posted) => {
                    released.orders += 1;
                    released.transactions += posted;
                }
                Err(error) => {
                    failures += 1;
                    tracing::warn!(order_id, %error, "release will be retried at the next run");
                }
            }
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    tracing::info!(orders = released.orders, transactions = released.transactions, failures, "release sweep done");
    Ok(released)
}

/// When the release sweep next finds a hold ended (`None`: no part waits). The local runner
/// asks, to skip sweeps that would find nothing when its clock jumps.
pub async fn next_release_due(ports: &Ports) -> Result<Option<jiff::Timestamp>, String> {
    Ledger::new(ports.table.as_ref()).next_release_due().await.map_err(text)
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}
