//! The marketplace's mails, every five minutes:
//! - for each offer removed as illegal, the notice to every buyer who bought it in the six
//!   months before its removal (DSA Art. 32), queued once per offer and buyer (the mail's id
//!   names both), however many orders and however often the run is retried; a buyer without
//!   an e-mail on record is shown the notice on the product page instead;
//! - then every queued mail (`store::Mails`): the statements of reasons to sellers, the
//!   dispute notices, these Art. 32 notices. Each is claimed before it is sent: a retry never
//!   sends it twice, a mail the service did not take goes back on the queue, and a crash
//!   between the claim and the send loses that one mail rather than risk a second.

use std::collections::BTreeMap;

use jiff::Timestamp;
use marketplace::dsa::mail;
use ports::{Mail, MailError, Ports};
use serde::Serialize;
use store::{BuyerNotices, Claimed, Dsa, Mails, Orders, Products, Queued, Sale, Sellers};

/// Mails sent per run at most, and offers whose buyers are told; the next run takes the rest.
pub const BATCH: u32 = 100;
/// Sales read per offer per run (pages of 100).
const SALE_PAGES: usize = 50;
/// How far back buyers are told: six months before the removal.
const LOOK_BACK_MONTHS: i64 = 6;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    pub sent: usize,
    pub buyers_queued: usize,
    pub buyers_shown: usize,
    pub refused: usize,
    pub failed: usize,
}

pub async fn run(ports: &Ports) -> Result<Sent, String> {
    let mut report = Sent::default();
    buyers(ports, &mut report).await?;
    send(ports, &mut report).await?;
    tracing::info!(
        sent = report.sent,
        buyers_queued = report.buyers_queued,
        buyers_shown = report.buyers_shown,
        refused = report.refused,
        failed = report.failed,
        "notifications"
    );
    if report.failed > 0 {
        return Err(format!("{} mails failed; they are retried at the next run", report.failed));
    }
    Ok(report)
}

/// Whether a run would find work (the local runner asks, to skip idle runs).
pub async fn waiting(ports: &Ports) -> Result<bool, String> {
    let table = ports.table.as_ref();
    Ok(Mails::new(table).any_queued().await.map_err(text)?
        || Dsa::new(table).any_buyer_notices_due().await.map_err(text)?)
}

async fn send(ports: &Ports, report: &mut Sent) -> Result<(), String> {
    let mails = Mails::new(ports.table.as_ref());
    let now = ports.clock.now();
    for queued in mails.queued(BATCH).await.map_err(text)? {
        match send_one(ports, &mails, &queued, now).await {
            Ok(Outcome::Sent) => report.sent += 1,
            Ok(Outcome::Refused) => report.refused += 1,
            Ok(Outcome::Before) => {}
            Err(error) => {
                report.failed += 1;
                tracing::warn!(mail_id = %queued.id, %error, "mail will be retried");
            }
        }
    }
    Ok(())
}

enum Outcome {
    Sent,
    Before,
    Refused,
}

async fn send_one(ports: &Ports, mails: &Mails<'_>, queued: &Queued, now: Timestamp) -> Result<Outcome, String> {
    let token = ulid::Ulid::generate().to_string();
    if mails.claim(&queued.id, &token, now).await.map_err(text)? == Claimed::Before {
        return Ok(Outcome::Before);
    }
    match ports.mailer.send(&queued.mail).await {
        Ok(()) => {
            if let Err(error) = mails.sent(&queued.id, &token, now).await {
                // The claim stays, which is what keeps it from being sent again.
                tracing::warn!(mail_id = %queued.id, %error, "mail sent but not marked sent");
            }
            Ok(Outcome::Sent)
        }
        Err(error @ MailError::Unavailable(_)) => {
            if let Err(lost) = mails.release(queued, &token).await {
                tracing::error!(mail_id = %queued.id, error = %lost, "mail not sent and its claim not released: it is lost");
            }
            Err(format!("not sent: {error}"))
        }
        Err(MailError::Refused(code)) => {
            tracing::warn!(mail_id = %queued.id, code, "mail refused; not sent again");
            mails.refused(&queued.id, &token, now).await.map_err(text)?;
            Ok(Outcome::Refused)
        }
        // Perhaps sent: the claim stays, so it is never sent twice.
        Err(error) => {
            tracing::error!(mail_id = %queued.id, %error, "mail not confirmed sent; it will not be sent again");
            Ok(Outcome::Sent)
        }
    }
}

async fn buyers(ports: &Ports, report: &mut Sent) -> Result<(), String> {
    let dsa = Dsa::new(ports.table.as_ref());
    for due in dsa.buyer_notices_due(BATCH).await.map_err(text)? {
        tell_buyers(ports, &due, report).await?;
        dsa.buyers_told(&due.offer_id).await.map_err(text)?;
    }
    Ok(())
}

/// The buyers of the six months before `removed_at`, each once, with their orders.
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

/// Queues the notice for each buyer (by the address of their newest order that has one), or
/// shows it on the product page for a buyer the platform cannot mail.
async fn tell_buyers(ports: &Ports, due: &BuyerNotices, report: &mut Sent) -> Result<(), String> {
    let table = ports.table.as_ref();
    let (dsa, mails, orders) = (Dsa::new(table), Mails::new(table), Orders::new(table));
    let now = ports.clock.now();
    let Some(seller) = Sellers::new(table).get(&due.seller_id).await.map_err(text)? else { return Ok(()) };
    let product = Products::new(table).get(&due.product_id).await.map_err(text)?;
    let reason = marketplace::dsa::removal::plain(due.reason);
    let (subject, body) = mail::illegal_product_mail(product.as_ref(), &due.offer_id, &seller, reason);
    for (buyer, sales) in buyers_of(&dsa, due).await? {
        let mut to = None;
        for sale in sales.iter().rev() {
            let order = orders.get(&sale.order_id).await.map_err(text)?;
            if let Some(email) = order.and_then(|o| o.buyer_email) {
                to = Some(email);
                break;
            }
        }
        match to {
            Some(to) => {
                let notice = Mail { to, subject: subject.clone(), body: body.clone() };
                if mails.queue_once(&format!("art32-{}-{buyer}", due.offer_id), &notice, now).await.map_err(text)? {
                    report.buyers_queued += 1;
                }
            }
            None => {
                dsa.show_on_product(&due.product_id, &due.offer_id, &body, now).await.map_err(text)?;
                report.buyers_shown += 1;
            }
        }
    }
    Ok(())
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}
