//! The DSA's mails, every five minutes:
//! - each statement of reasons (Art. 17) to the seller it concerns, at its trader e-mail, with
//!   the means of redress;
//! - for each offer removed as illegal, the notice to every buyer who bought it in the six
//!   months before its removal (Art. 32): once per buyer, however many orders and however
//!   often the run is retried. A buyer without an e-mail on record (or whose address the mail
//!   service refuses) is shown the notice on the product page instead.
//!
//! Every mail is claimed before it is sent (`store::Dsa`): a retry never sends it twice, a
//! mail the service did not take is released for the next run, and a crash between the claim
//! and the send loses that one mail rather than risk a second.

use std::collections::BTreeMap;

use jiff::Timestamp;
use marketplace::dsa::mail;
use ports::{Mail, MailError, Ports};
use serde::Serialize;
use store::{BuyerNotices, Claimed, Dsa, Orders, Products, Sale, Sellers, StoredStatement};

/// Statements mailed per run at most, and offers whose buyers are told; the next run takes
/// the rest.
pub const BATCH: u32 = 50;
/// Sales read per offer per run (pages of 100).
const SALE_PAGES: usize = 50;
/// How far back buyers are told: six months before the removal.
const LOOK_BACK_MONTHS: i64 = 6;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Mailed {
    pub statements: usize,
    pub buyers_mailed: usize,
    pub buyers_shown: usize,
    pub failed: usize,
}

pub async fn run(ports: &Ports) -> Result<Mailed, String> {
    let mut report = Mailed::default();
    statements(ports, &mut report).await?;
    buyers(ports, &mut report).await?;
    tracing::info!(
        statements = report.statements,
        buyers_mailed = report.buyers_mailed,
        buyers_shown = report.buyers_shown,
        failed = report.failed,
        "dsa mails"
    );
    if report.failed > 0 {
        return Err(format!("{} mails failed; they are retried at the next run", report.failed));
    }
    Ok(report)
}

/// Whether a run would find work (the local runner asks, to skip idle runs).
pub async fn waiting(ports: &Ports) -> Result<bool, String> {
    let dsa = Dsa::new(ports.table.as_ref());
    Ok(dsa.any_unmailed().await.map_err(text)? || dsa.any_buyer_notices_due().await.map_err(text)?)
}

/// What became of one mail.
enum Sent {
    Yes,
    /// Claimed before: sent by an earlier run (or lost to a crash).
    Before,
    /// Refused for good (a bad address): the claim stays.
    Refused,
}

/// Claims, sends and records one mail; releases the claim when the service certainly did not
/// take it.
async fn send_once<C, D, R>(ports: &Ports, mail: &Mail, claim: C, done: D, release: R) -> Result<Sent, String>
where
    C: AsyncFnOnce(&str) -> Result<Claimed, ports::TableError>,
    D: AsyncFnOnce(&str) -> Result<(), ports::TableError>,
    R: AsyncFnOnce(&str) -> Result<(), ports::TableError>,
{
    let token = ulid::Ulid::generate().to_string();
    if claim(&token).await.map_err(text)? == Claimed::Before {
        return Ok(Sent::Before);
    }
    match ports.mailer.send(mail).await {
        Ok(()) => {
            if let Err(error) = done(&token).await {
                // The claim stays, which is what keeps it from being sent again.
                tracing::warn!(%error, "mail sent but not marked sent");
            }
            Ok(Sent::Yes)
        }
        Err(error @ MailError::Unavailable(_)) => {
            if let Err(lost) = release(&token).await {
                tracing::error!(error = %lost, "mail not sent and its claim not released: it is lost");
            }
            Err(format!("not sent: {error}"))
        }
        Err(MailError::Refused(code)) => {
            tracing::warn!(code, "mail refused; not sent again");
            Ok(Sent::Refused)
        }
        Err(error) => {
            tracing::error!(%error, "mail not confirmed sent; it will not be sent again");
            Ok(Sent::Yes)
        }
    }
}

async fn statements(ports: &Ports, report: &mut Mailed) -> Result<(), String> {
    let table = ports.table.as_ref();
    let dsa = Dsa::new(table);
    let sellers = Sellers::new(table);
    let now = ports.clock.now();
    for stored in dsa.unmailed(BATCH).await.map_err(text)? {
        let Some(seller) = sellers.get(&stored.seller_id).await.map_err(text)? else {
            tracing::warn!(puid = %stored.statement.puid, "statement of an unknown seller: not mailed");
            continue;
        };
        let (subject, body) = mail::statement_mail(&stored.statement);
        let message = Mail { to: seller.trader.email.clone(), subject, body };
        let puid = stored.statement.puid.as_str();
        let stored: &StoredStatement = &stored;
        let sent = send_once(
            ports,
            &message,
            async |token| dsa.claim_statement_mail(stored, token, now).await,
            async |token| dsa.statement_mailed(puid, token, now).await,
            async |token| dsa.release_statement_mail(stored, token).await,
        )
        .await;
        match sent {
            Ok(Sent::Yes) => report.statements += 1,
            Ok(Sent::Before | Sent::Refused) => {}
            Err(error) => {
                report.failed += 1;
                tracing::warn!(puid, %error, "statement mail will be retried");
            }
        }
    }
    Ok(())
}

async fn buyers(ports: &Ports, report: &mut Mailed) -> Result<(), String> {
    let dsa = Dsa::new(ports.table.as_ref());
    for due in dsa.buyer_notices_due(BATCH).await.map_err(text)? {
        let failed = report.failed;
        tell_buyers(ports, &due, report).await?;
        if report.failed == failed {
            dsa.buyers_told(&due.offer_id).await.map_err(text)?;
        }
    }
    Ok(())
}

/// The buyers of the six months before `removed_at`, each once, with the order to mail them at
/// (their latest with an e-mail on record).
async fn buyers_of(dsa: &Dsa<'_>, due: &BuyerNotices) -> Result<BTreeMap<String, Vec<Sale>>, String> {
    let since = due
        .removed_at
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_sub(jiff::Span::new().months(LOOK_BACK_MONTHS))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MIN);
    let mut buyers: BTreeMap<String, Vec<Sale>> = BTreeMap::new();
    let mut cursor = None;
    for _ in 0..SALE_PAGES {
        let (sales, next) = dsa.sales_since(&due.offer_id, since, 100, cursor).await.map_err(text)?;
        for sale in sales.into_iter().filter(|s| s.paid_at <= due.removed_at) {
            buyers.entry(sale.buyer.clone()).or_default().push(sale);
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(buyers)
}

async fn tell_buyers(ports: &Ports, due: &BuyerNotices, report: &mut Mailed) -> Result<(), String> {
    let table = ports.table.as_ref();
    let dsa = Dsa::new(table);
    let now = ports.clock.now();
    let Some(seller) = Sellers::new(table).get(&due.seller_id).await.map_err(text)? else { return Ok(()) };
    let product = Products::new(table).get(&due.product_id).await.map_err(text)?;
    let reason = marketplace::dsa::removal::plain(due.reason);
    let (subject, body) = mail::illegal_product_mail(product.as_ref(), &due.offer_id, &seller, reason);
    let orders = Orders::new(table);
    for (buyer, sales) in buyers_of(&dsa, due).await? {
        // The newest order with an address on record is where the buyer is reached.
        let mut to = None;
        for sale in sales.iter().rev() {
            let order = orders.get(&sale.order_id).await.map_err(text)?;
            if let Some(email) = order.and_then(|o| o.buyer_email) {
                to = Some(email);
                break;
            }
        }
        let shown = async || dsa.show_on_product(&due.product_id, &due.offer_id, &body, now).await.map_err(text);
        let Some(to) = to else {
            shown().await?;
            report.buyers_shown += 1;
            continue;
        };
        let message = Mail { to, subject: subject.clone(), body: body.clone() };
        let sent = send_once(
            ports,
            &message,
            async |token| dsa.claim_buyer_notice(&due.offer_id, &buyer, token, now).await,
            async |token| dsa.buyer_notice_sent(&due.offer_id, &buyer, token, now).await,
            async |token| dsa.release_buyer_notice(&due.offer_id, &buyer, token).await,
        )
        .await;
        match sent {
            Ok(Sent::Yes) => report.buyers_mailed += 1,
            Ok(Sent::Before) => {}
            Ok(Sent::Refused) => {
                shown().await?;
                report.buyers_shown += 1;
            }
            Err(error) => {
                report.failed += 1;
                tracing::warn!(offer_id = %due.offer_id, %error, "buyer notice will be retried");
            }
        }
    }
    Ok(())
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}
