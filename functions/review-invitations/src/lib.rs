//! Invitations to review by e-mail (R-REV-INVITE), every hour. The job sweeps the due list
//! (orders whose last part was delivered at least `after_days` ago), decides each order with
//! the rule (`marketplace::reviews::invitations`), and sends its buyer one mail with a link to
//! review each delivered line. A day of downtime only delays invitations: the next run finds
//! every order that fell due meanwhile.
//!
//! **At most once.** An order's invitation is claimed by a conditional write (which also takes
//! the order off the due list) before its mail is sent; a failed send releases the claim and
//! puts the order back on the list for the next run. Retried and concurrent runs find the
//! claim and send nothing. A crash between the claim and the mail service's answer leaves the
//! claim in place, so that invitation is lost rather than sent twice: SES takes no idempotency
//! key, so a run cannot know whether the crashed one's mail went out, and a buyer can always
//! review from "my orders". Orders without an e-mail address are taken off the list unsent.
//! Logs name orders, never addresses.

use jiff::Timestamp;
use marketplace::order::Order;
use marketplace::reviews::invitations::{self as rule, DEFAULT_AFTER_DAYS, Decision, MAX_AFTER_DAYS, Never};
use ports::{Mail, MailError, Ports};
use serde::Serialize;
use store::{Claim, Invitations, Orders, Products};

/// Where a buyer reviews a line, unless `REVIEW_LINK_BASE` says otherwise: each link adds
/// `orderId` and `offerId`.
pub const DEFAULT_LINK_BASE: &str = "https://marketplace.example/review";

/// Due orders one run looks at, in pages: a backlog beyond it waits for the next run.
const BATCH: u32 = 100;
const PAGES: usize = 10;

/// When and where invitations point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Days after the last delivery.
    pub after_days: u32,
    /// The web page buyers review on.
    pub link_base: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { after_days: DEFAULT_AFTER_DAYS, link_base: DEFAULT_LINK_BASE.to_owned() }
    }
}

impl Settings {
    /// From `REVIEW_INVITE_AFTER_DAYS` (0 to 365, default 7) and `REVIEW_LINK_BASE` (an
    /// `https://` or `http://` URL); unset or empty variables take the defaults.
    pub fn from_env() -> Result<Settings, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Settings::parse(var("REVIEW_INVITE_AFTER_DAYS").as_deref(), var("REVIEW_LINK_BASE").as_deref())
    }

    pub fn parse(after_days: Option<&str>, link_base: Option<&str>) -> Result<Settings, String> {
        let after_days =
            match after_days {
                None => DEFAULT_AFTER_DAYS,
                Some(days) => days.trim().parse().ok().filter(|d| *d <= MAX_AFTER_DAYS).ok_or_else(|| {
                    format!("REVIEW_INVITE_AFTER_DAYS must be a number of days, 0 to {MAX_AFTER_DAYS}")
                })?,
            };
        let link_base = match link_base {
            None => DEFAULT_LINK_BASE.to_owned(),
            Some(base) => {
                let base = base.trim();
                let web = base.starts_with("https://") || base.starts_with("http://");
                if !web || base.chars().any(char::is_whitespace) {
                    return Err("REVIEW_LINK_BASE must be an https:// URL".into());
                }
                base.to_owned()
            }
        };
        Ok(Settings { after_days, link_base })
    }
}

/// What a run did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Invited {
    /// Mails sent.
    pub sent: usize,
    /// Orders taken off the list without a mail: invited before, cancelled, refunded, gone.
    pub not_invited: usize,
    /// Due orders without an e-mail address, taken off the list.
    pub no_email: usize,
    /// Orders left for a later run: not due yet, or changed while deciding.
    pub later: usize,
    /// Orders whose mail or storage failed; they are retried at the next run.
    pub failed: usize,
}

enum Outcome {
    Sent,
    NotInvited,
    NoEmail,
    Later,
}

/// One run: every order due by now, one mail each.
pub async fn run(ports: &Ports, settings: &Settings) -> Result<Invited, String> {
    let now = ports.clock.now();
    let invitations = Invitations::new(ports.table.as_ref());
    let mut report = Invited::default();
    let mut cursor = None;
    for _ in 0..PAGES {
        let (due, next) = invitations.due(now, settings.after_days, BATCH, cursor).await.map_err(text)?;
        for order_id in due {
            match invite(ports, settings, &order_id, now).await {
                Ok(Outcome::Sent) => report.sent += 1,
                Ok(Outcome::NotInvited) => report.not_invited += 1,
                Ok(Outcome::NoEmail) => report.no_email += 1,
                Ok(Outcome::Later) => report.later += 1,
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(order_id, %error, "invitation will be retried at the next run");
                }
            }
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    tracing::info!(
        sent = report.sent,
        not_invited = report.not_invited,
        no_email = report.no_email,
        later = report.later,
        failed = report.failed,
        "review invitations"
    );
    if report.failed > 0 {
        return Err(format!("{} invitations failed; they are retried at the next run", report.failed));
    }
    Ok(report)
}

/// When the next run finds an invitation due (`None`: none waits). The local runner asks, to
/// skip the runs that would find nothing when its clock jumps.
pub async fn next_due(ports: &Ports, settings: &Settings) -> Result<Option<Timestamp>, String> {
    let earliest = Invitations::new(ports.table.as_ref()).earliest().await.map_err(text)?;
    Ok(earliest.map(|since| rule::due_at(since, settings.after_days)))
}

async fn invite(ports: &Ports, settings: &Settings, order_id: &str, now: Timestamp) -> Result<Outcome, String> {
    let invitations = Invitations::new(ports.table.as_ref());
    let Some(order) = Orders::new(ports.table.as_ref()).get(order_id).await.map_err(text)? else {
        invitations.clear(order_id).await.map_err(text)?;
        return Ok(Outcome::NotInvited);
    };
    let claimed = invitations.claimed(order_id).await.map_err(text)?;
    match rule::decide(&order, claimed, now, settings.after_days) {
        Decision::Invite { offer_ids } => {
            let Some(to) = order.buyer_email.clone() else {
                invitations.clear(order_id).await.map_err(text)?;
                tracing::info!(order_id, "the order has no e-mail address: no invitation");
                return Ok(Outcome::NoEmail);
            };
            let mail = Mail { to, ..compose(ports, settings, &order, &offer_ids).await? };
            let token = ulid::Ulid::generate().to_string();
            match invitations.claim(&order, &token, now).await.map_err(text)? {
                Claim::Taken => {}
                Claim::Before => {
                    invitations.clear_invited(order_id).await.map_err(text)?;
                    return Ok(Outcome::NotInvited);
                }
                Claim::OrderChanged => return Ok(Outcome::Later),
            }
            match ports.mailer.send(&mail).await {
                Ok(()) => {}
                // Not sent: released, so a later run sends it.
                Err(error @ MailError::Unavailable(_)) => {
                    let since = rule::ready_since(&order).unwrap_or(now);
                    if let Err(lost) = invitations.release(order_id, &token, since).await {
                        tracing::error!(order_id, error = %lost, "mail not sent and its claim not released: the invitation is lost");
                    }
                    return Err(format!("not sent: {error}"));
                }
                // Perhaps sent, or never sendable: the claim stays, so it is never sent twice
                // and a refused address is not tried every hour.
                Err(error) => {
                    tracing::error!(order_id, %error, "invitation not confirmed sent; it will not be sent again");
                    return Ok(Outcome::NotInvited);
                }
            }
            if let Err(error) = invitations.sent(order_id, &token, now).await {
                // The claim stays, which is what keeps it from being sent again.
                tracing::warn!(order_id, %error, "invitation sent but not marked sent");
            }
            tracing::info!(order_id, lines = offer_ids.len(), "invitation to review sent");
            Ok(Outcome::Sent)
        }
        Decision::NotYet { .. } => {
            // Listed too early: back on the list at the time its delay counts from.
            if let Some(since) = rule::ready_since(&order) {
                invitations.schedule(order_id, since).await.map_err(text)?;
            }
            Ok(Outcome::Later)
        }
        Decision::Never(Never::AlreadyInvited) => {
            invitations.clear_invited(order_id).await.map_err(text)?;
            Ok(Outcome::NotInvited)
        }
        // A part that is still on its way lists the order again when it arrives or leaves.
        Decision::Waiting | Decision::Never(Never::Cancelled | Never::Refunded) => {
            invitations.clear(order_id).await.map_err(text)?;
            Ok(Outcome::NotInvited)
        }
    }
}

/// The invitation's subject and body (the caller adds the recipient): a link per line.
async fn compose(ports: &Ports, settings: &Settings, order: &Order, offer_ids: &[String]) -> Result<Mail, String> {
    let products = Products::new(ports.table.as_ref());
    let mut items = String::new();
    for line in order.lines.iter().filter(|l| offer_ids.contains(&l.offer_id)) {
        let name = match products.get(&line.product_id).await.map_err(text)? {
            Some(product) => format!("{} {}", product.brand, product.name),
            None => line.product_id.clone(),
        };
        items.push_str(&format!("- {name}: {}\n", review_link(&settings.link_base, &order.id, &line.offer_id)));
    }
    let body = format!(
        "Hello,\n\n\
         Your order {order} has arrived. How did it go? Rate each item and its delivery, and tell \
         other buyers what you think of it, good or bad:\n\n\
         {items}\n\
         You can also review from \"My orders\". Every review is published, positive or \
         negative, within one business day, and no one is paid or rewarded for a review.\n\n\
         The marketplace team\n",
        order = order.id,
    );
    Ok(Mail { to: String::new(), subject: "How was your order? Review your purchase".into(), body })
}

/// The page where the buyer reviews one line of an order.
pub fn review_link(base: &str, order_id: &str, offer_id: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}orderId={}&offerId={}", encode(order_id), encode(offer_id))
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_and_refuse_what_cannot_work() {
        assert_eq!(Settings::parse(None, None), Ok(Settings::default()));
        let set = Settings::parse(Some("3"), Some("https://shop.example/r?src=mail")).expect("valid");
        assert_eq!((set.after_days, set.link_base.as_str()), (3, "https://shop.example/r?src=mail"));
        assert!(Settings::parse(Some("-1"), None).is_err());
        assert!(Settings::parse(Some("366"), None).is_err());
        assert!(Settings::parse(None, Some("javascript:alert(1)")).is_err());
    }

    #[test]
    fn a_link_per_line_names_the_order_and_the_offer() {
        assert_eq!(
            review_link(DEFAULT_LINK_BASE, "ord_1", "off_demo"),
            "https://marketplace.example/review?orderId=ord_1&offerId=off_demo"
        );
        assert_eq!(
            review_link("https://shop.example/r?src=mail", "ord 1", "a&b"),
            "https://shop.example/r?src=mail&orderId=ord%201&offerId=a%26b"
        );
    }
}
