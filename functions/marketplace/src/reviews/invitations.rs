//! Invitations to review (R-REV-INVITE): the buyer is invited by e-mail about a week after
//! delivery. This decides, from the order alone, whether its one invitation is due and which
//! lines it invites to review.
//!
//! - **One invitation per order**, whatever its number of sellers. It waits until every part
//!   of the order is *settled* — delivered, or out of the order (cancelled, or refunded in
//!   full) — and falls due `after_days` (default 7) after the **last delivery**. It invites to
//!   review every line of the delivered parts that were not refunded in full. A part that is
//!   neither delivered nor out holds the invitation back; the buyer can still review what has
//!   arrived from "my orders".
//! - **Never** for an order that was cancelled (the order, or every one of its parts), nor for
//!   one whose delivered parts were all *refunded in full*: a part is refunded in full when the
//!   refunds recorded on it (sent or pending, not refused) reach what the buyer paid for it —
//!   its items, shipping and insurance.
//! - **Nothing else counts**: not help requests, not partial refunds, not ratings or reviews
//!   given elsewhere, not the amounts, the carrier or the payment method. A marketplace that
//!   invited only happy buyers would skew its ratings (UCPD Art. 7(6)); the property test
//!   below proves that only delivery times, cancellations, full refunds, whether the order
//!   was invited already and the time decide.

use jiff::{SignedDuration, Timestamp};

use crate::order::{Order, OrderStatus, Part, PartStatus};

/// Days between the last delivery and the invitation: "about 1 week".
pub const DEFAULT_AFTER_DAYS: u32 = 7;
/// The longest delay a deployment may configure.
pub const MAX_AFTER_DAYS: u32 = 365;

/// What to do about an order's invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Invite now, to review these lines (their offer ids, in the order's line order).
    Invite { offer_ids: Vec<String> },
    /// Due at `at`, not before.
    NotYet { at: Timestamp },
    /// A part is neither delivered nor out of the order: no date yet.
    Waiting,
    /// No invitation, ever.
    Never(Never),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Never {
    /// The order's invitation was claimed or sent already.
    AlreadyInvited,
    /// The order, or every part of it, was cancelled.
    Cancelled,
    /// Nothing delivered is left: every delivered part was refunded in full.
    Refunded,
}

/// Where one part stands for the invitation.
enum Fate {
    Delivered(Timestamp),
    Cancelled,
    RefundedInFull,
    /// On its way (or not yet paid, accepted, shipped).
    Pending,
}

fn fate(order: &Order, part: &Part) -> Fate {
    if order.status == OrderStatus::Cancelled || part.status == PartStatus::Cancelled {
        return Fate::Cancelled;
    }
    if refunded_in_full(order, part) {
        return Fate::RefundedInFull;
    }
    match (part.status, part.delivered_at) {
        (PartStatus::Delivered, Some(at)) => Fate::Delivered(at),
        _ => Fate::Pending,
    }
}

/// Whether the refunds recorded on `part` (not refused) reach what the buyer paid for it.
pub fn refunded_in_full(order: &Order, part: &Part) -> bool {
    let paid = order.part_amount(&part.seller_id).amount_minor;
    paid > 0 && part.refunded_minor >= paid
}

/// What the order's invitation depends on, in one pass over its parts.
enum Settled {
    /// Every part is delivered or out, some delivered: the last delivery, and the delivered sellers.
    Ready(Timestamp, Vec<String>),
    Waiting,
    Never(Never),
}

fn settled(order: &Order) -> Settled {
    let mut last = None;
    let mut delivered = Vec::new();
    let mut waiting = false;
    let mut all_cancelled = true;
    for part in &order.parts {
        let fate = fate(order, part);
        all_cancelled &= matches!(fate, Fate::Cancelled);
        match fate {
            Fate::Delivered(at) => {
                last = last.max(Some(at));
                delivered.push(part.seller_id.clone());
            }
            Fate::Pending => waiting = true,
            Fate::Cancelled | Fate::RefundedInFull => {}
        }
    }
    match last {
        _ if all_cancelled => Settled::Never(Never::Cancelled),
        _ if waiting => Settled::Waiting,
        Some(last) => Settled::Ready(last, delivered),
        None => Settled::Never(Never::Refunded),
    }
}

/// The time the delay counts from — the last delivery, once every part is settled and one at
/// least was delivered — or `None` while no invitation can fall due.
pub fn ready_since(order: &Order) -> Option<Timestamp> {
    match settled(order) {
        Settled::Ready(last, _) => Some(last),
        _ => None,
    }
}

/// When the invitation falls due `after_days` after `since` (saturating at the end of time).
pub fn due_at(since: Timestamp, after_days: u32) -> Timestamp {
    since.saturating_add(SignedDuration::from_hours(24 * i64::from(after_days))).unwrap_or(Timestamp::MAX)
}

/// Whether `order`'s invitation is due at `now`, given whether it was `invited` already.
pub fn decide(order: &Order, invited: bool, now: Timestamp, after_days: u32) -> Decision {
    if invited {
        return Decision::Never(Never::AlreadyInvited);
    }
    match settled(order) {
        Settled::Never(never) => Decision::Never(never),
        Settled::Waiting => Decision::Waiting,
        Settled::Ready(last, delivered) => {
            let at = due_at(last, after_days);
            if now < at {
                return Decision::NotYet { at };
            }
            let offer_ids =
                order.lines.iter().filter(|l| delivered.contains(&l.seller_id)).map(|l| l.offer_id.clone()).collect();
            Decision::Invite { offer_ids }
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::checkout::{DeliveryWindow, QuoteLine, Totals};
    use crate::money::{Currency, Money};
    use crate::offer::PaymentMethod;
    use crate::order::{Refund, RefundState, Shipment};

    fn base() -> Timestamp {
        "2026-11-02T10:00:00Z".parse().expect("a timestamp")
    }

    fn hours(h: i64) -> Timestamp {
        base().saturating_add(SignedDuration::from_hours(h)).expect("in range")
    }

    /// What may decide, for one part.
    #[derive(Debug, Clone, Copy)]
    enum Fated {
        Pending,
        Delivered(i64),
        Cancelled,
    }

    #[derive(Debug, Clone, Copy)]
    struct PartFacts {
        fated: Fated,
        refunded_in_full: bool,
        /// How many lines the part has (which lines are invited).
        lines: usize,
    }

    /// Everything that may decide: the parts' fates, a cancelled order, the invited flag, the
    /// time and the delay.
    #[derive(Debug, Clone)]
    struct Facts {
        parts: Vec<PartFacts>,
        order_cancelled: bool,
        invited: bool,
        now: i64,
        after_days: u32,
    }

    /// Everything else about an order: it must not change the decision.
    #[derive(Debug, Clone)]
    struct Noise {
        /// Per line: unit price, quantity, shipping, premium, product, warranty.
        lines: Vec<(i64, u32, i64, i64, u8, u32)>,
        /// Per part: the share of the price already refunded (a partial refund, below the
        /// whole), how many refunds it was split into and their states, the status of a
        /// pending part, a shipment and an acceptance.
        parts: Vec<(u16, u8, bool, u8, bool, bool)>,
        buyer: String,
        email: Option<String>,
        method: usize,
        country: String,
        version: i64,
        created: i64,
        intent: Option<String>,
        payment_due: i64,
    }

    fn part_facts() -> impl Strategy<Value = PartFacts> {
        let fated =
            prop_oneof![Just(Fated::Pending), (0..2_000i64).prop_map(Fated::Delivered), Just(Fated::Cancelled),];
        (fated, any::<bool>(), 1..=2usize).prop_map(|(fated, refunded_in_full, lines)| PartFacts {
            fated,
            refunded_in_full,
            lines,
        })
    }

    fn facts() -> impl Strategy<Value = Facts> {
        (proptest::collection::vec(part_facts(), 1..=3), any::<bool>(), any::<bool>(), 0..3_000i64, 0..=30u32).prop_map(
            |(parts, order_cancelled, invited, now, after_days)| Facts {
                parts,
                order_cancelled,
                invited,
                now,
                after_days,
            },
        )
    }

    fn noise() -> impl Strategy<Value = Noise> {
        let line = (1..100_000i64, 1..=3u32, 0..2_000i64, 0..5_000i64, any::<u8>(), 12..=36u32);
        let part = (0..1_000u16, 0..=3u8, any::<bool>(), 0..3u8, any::<bool>(), any::<bool>());
        (
            proptest::collection::vec(line, 6),
            proptest::collection::vec(part, 3),
            "[a-z0-9-]{1,20}",
            proptest::option::of("[a-z]{1,8}@[a-z]{1,8}\\.example"),
            0..PaymentMethod::ALL.len(),
            "[A-Z]{2}",
            1..50i64,
            -2_000..0i64,
            proptest::option::of("pi_[a-z0-9]{4}"),
            -2_000..0i64,
        )
            .prop_map(
                |(lines, parts, buyer, email, method, country, version, created, intent, payment_due)| Noise {
                    lines,
                    parts,
                    buyer,
                    email,
                    method,
                    country,
                    version,
                    created,
                    intent,
                    payment_due,
                },
            )
    }

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    /// The order the facts and the noise describe together.
    fn build(facts: &Facts, noise: &Noise) -> Order {
        let mut lines = Vec::new();
        let mut parts = Vec::new();
        for (p, part) in facts.parts.iter().enumerate() {
            let seller_id = format!("sel_{p}");
            let mut paid = 0;
            for l in 0..part.lines {
                let (price, quantity, shipping, premium, product, warranty) = noise.lines[p * 2 + l];
                paid += price * i64::from(quantity) + shipping + premium;
                lines.push(QuoteLine {
                    offer_id: format!("off_{p}_{l}"),
                    seller_id: seller_id.clone(),
                    product_id: format!("prd_{product}"),
                    quantity,
                    unit_price: eur(price),
                    shipping_fee: eur(shipping),
                    insurance_premium: eur(premium),
                    offer_version: hours(noise.created),
                    warranty_months: warranty,
                    delivery: DeliveryWindow { earliest: date(2026, 11, 4), latest: date(2026, 11, 9) },
                });
            }
            let (share, splits, sent, pending_status, shipped, accepted) = noise.parts[p];
            // A partial refund: some share of the price, always below the whole.
            let refunded_minor = if part.refunded_in_full { paid } else { paid * i64::from(share) / 1_000 };
            let refunds = (0..splits)
                .map(|i| Refund {
                    id: format!("rf_{p}_{i}"),
                    amount_minor: if i == 0 { refunded_minor } else { 0 },
                    state: if sent { RefundState::Sent } else { RefundState::Pending },
                    created_at: base(),
                })
                .filter(|r| refunded_minor > 0 && r.amount_minor > 0)
                .collect();
            let cancelled = facts.order_cancelled || matches!(part.fated, Fated::Cancelled);
            let status = match part.fated {
                _ if cancelled => PartStatus::Cancelled,
                Fated::Delivered(_) => PartStatus::Delivered,
                _ => [PartStatus::ToAccept, PartStatus::Accepted, PartStatus::Shipped][usize::from(pending_status)],
            };
            parts.push(Part {
                seller_id,
                status,
                shipment: (shipped || status == PartStatus::Delivered).then(|| Shipment {
                    carrier: "DHL".into(),
                    tracking: format!("JD{p}"),
                    shipped_at: base(),
                }),
                accepted_at: accepted.then(base),
                delivered_at: match part.fated {
                    Fated::Delivered(h) if !cancelled => Some(hours(h)),
                    _ => None,
                },
                cancelled_at: cancelled.then(base),
                refunded_minor: if facts.order_cancelled { 0 } else { refunded_minor },
                refunds: if facts.order_cancelled { Vec::new() } else { refunds },
            });
        }
        let items: i64 = lines.iter().map(|l| l.items_amount().amount_minor).sum();
        let shipping: i64 = lines.iter().map(|l| l.shipping_fee.amount_minor).sum();
        let insurance: i64 = lines.iter().map(|l| l.insurance_premium.amount_minor).sum();
        Order {
            id: "ord_1".into(),
            quote_id: "qt_1".into(),
            buyer: noise.buyer.clone(),
            buyer_email: noise.email.clone(),
            status: if facts.order_cancelled { OrderStatus::Cancelled } else { OrderStatus::Paid },
            lines,
            parts,
            currency: Currency::EUR,
            totals: Totals {
                items_total: eur(items),
                shipping_total: eur(shipping),
                service_fee: eur(99),
                insurance_total: eur(insurance),
                total: eur(items + shipping + insurance + 99),
            },
            payment_method: PaymentMethod::ALL[noise.method],
            payment_intent: noise.intent.clone(),
            payment_due: hours(noise.payment_due),
            paid_at: (!facts.order_cancelled).then(|| hours(noise.created)),
            shipping_country: noise.country.clone(),
            created_at: hours(noise.created),
            version: noise.version,
        }
    }

    /// The decision, from the facts alone.
    fn expected(facts: &Facts) -> Decision {
        if facts.invited {
            return Decision::Never(Never::AlreadyInvited);
        }
        let cancelled = |p: &PartFacts| facts.order_cancelled || matches!(p.fated, Fated::Cancelled);
        if facts.parts.iter().all(cancelled) {
            return Decision::Never(Never::Cancelled);
        }
        let live = |p: &&PartFacts| !cancelled(p) && !p.refunded_in_full;
        if facts.parts.iter().filter(live).any(|p| matches!(p.fated, Fated::Pending)) {
            return Decision::Waiting;
        }
        let delivered: Vec<(usize, i64)> = facts
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| live(p))
            .filter_map(|(i, p)| match p.fated {
                Fated::Delivered(h) => Some((i, h)),
                _ => None,
            })
            .collect();
        let Some(last) = delivered.iter().map(|(_, h)| *h).max() else {
            return Decision::Never(Never::Refunded);
        };
        let at = hours(last + 24 * i64::from(facts.after_days));
        if hours(facts.now) < at {
            return Decision::NotYet { at };
        }
        let offer_ids = delivered
            .iter()
            .flat_map(|(i, _)| (0..facts.parts[*i].lines).map(move |l| format!("off_{i}_{l}")))
            .collect();
        Decision::Invite { offer_ids }
    }

    proptest! {
        /// Who is invited depends only on delivery times, cancellations, full refunds, the
        /// invited flag and the time: the same facts under any two other orders — other
        /// amounts, partial refunds of any size and in any state, carriers, payment methods,
        /// buyers, e-mails, versions — give the same decision, and it is the one the facts
        /// alone give. Help requests, reviews and ratings are not even inputs of `decide`.
        #[test]
        fn only_deliveries_cancellations_full_refunds_and_time_decide(
            facts in facts(),
            one in noise(),
            other in noise(),
        ) {
            let now = hours(facts.now);
            let a = decide(&build(&facts, &one), facts.invited, now, facts.after_days);
            let b = decide(&build(&facts, &other), facts.invited, now, facts.after_days);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(&a, &expected(&facts));
            // The due list's time is there exactly when an uninvited order has a date.
            let order = build(&facts, &one);
            let dated = matches!(
                decide(&order, false, now, facts.after_days),
                Decision::Invite { .. } | Decision::NotYet { .. }
            );
            prop_assert_eq!(ready_since(&order).is_some(), dated);
        }

        /// Moving on in time never takes an invitation back: once due it stays due, until the
        /// order is invited.
        #[test]
        fn once_due_an_invitation_stays_due(facts in facts(), noise in noise(), later in 0..10_000i64) {
            let order = build(&facts, &noise);
            let now = hours(facts.now);
            if let Decision::Invite { .. } = decide(&order, false, now, facts.after_days) {
                let then = hours(facts.now + later);
                prop_assert_eq!(decide(&order, false, then, facts.after_days), decide(&order, false, now, facts.after_days));
                prop_assert_eq!(decide(&order, true, then, facts.after_days), Decision::Never(Never::AlreadyInvited));
            }
        }
    }

    fn one_part(fated: Fated, refunded_in_full: bool) -> Facts {
        Facts {
            parts: vec![PartFacts { fated, refunded_in_full, lines: 1 }],
            order_cancelled: false,
            invited: false,
            now: 0,
            after_days: DEFAULT_AFTER_DAYS,
        }
    }

    fn quiet() -> Noise {
        Noise {
            lines: vec![(24_900, 1, 499, 0, 1, 12); 6],
            parts: vec![(0, 0, true, 1, false, true); 3],
            buyer: "buyer-1".into(),
            email: Some("buyer@example.test".into()),
            method: 0,
            country: "FR".into(),
            version: 5,
            created: -100,
            intent: Some("pi_1".into()),
            payment_due: -99,
        }
    }

    #[test]
    fn a_delivered_order_is_invited_a_week_after_delivery() {
        let order = build(&one_part(Fated::Delivered(0), false), &quiet());
        let week = hours(24 * 7);
        assert_eq!(decide(&order, false, hours(24 * 6), 7), Decision::NotYet { at: week });
        assert_eq!(decide(&order, false, week, 7), Decision::Invite { offer_ids: vec!["off_0_0".into()] });
        assert_eq!(decide(&order, true, week, 7), Decision::Never(Never::AlreadyInvited));
        assert_eq!(ready_since(&order), Some(base()));
        assert_eq!(decide(&order, false, hours(24), 1), Decision::Invite { offer_ids: vec!["off_0_0".into()] });
    }

    #[test]
    fn cancelled_and_fully_refunded_orders_are_never_invited() {
        let late = hours(24 * 100);
        let cancelled = build(&one_part(Fated::Cancelled, true), &quiet());
        assert_eq!(decide(&cancelled, false, late, 7), Decision::Never(Never::Cancelled));
        let unpaid = build(&Facts { order_cancelled: true, ..one_part(Fated::Pending, false) }, &quiet());
        assert_eq!(decide(&unpaid, false, late, 7), Decision::Never(Never::Cancelled));
        let refunded = build(&one_part(Fated::Delivered(0), true), &quiet());
        assert_eq!(decide(&refunded, false, late, 7), Decision::Never(Never::Refunded));
        assert_eq!(ready_since(&refunded), None);
        // All but one cent back is a partial refund.
        let mut almost = refunded.clone();
        almost.parts[0].refunded_minor -= 1;
        assert!(matches!(decide(&almost, false, late, 7), Decision::Invite { .. }));
    }

    #[test]
    fn an_order_of_several_sellers_waits_for_every_part_and_counts_from_the_last_delivery() {
        let facts = Facts {
            parts: vec![
                PartFacts { fated: Fated::Delivered(0), refunded_in_full: false, lines: 2 },
                PartFacts { fated: Fated::Pending, refunded_in_full: false, lines: 1 },
            ],
            ..one_part(Fated::Pending, false)
        };
        let waiting = build(&facts, &quiet());
        assert_eq!(decide(&waiting, false, hours(24 * 30), 7), Decision::Waiting);
        assert_eq!(ready_since(&waiting), None);
        // The second part arrives three days later: a week after that.
        let mut both = facts.clone();
        both.parts[1].fated = Fated::Delivered(72);
        let order = build(&both, &quiet());
        assert_eq!(decide(&order, false, hours(24 * 9), 7), Decision::NotYet { at: hours(72 + 24 * 7) });
        assert_eq!(
            decide(&order, false, hours(24 * 10), 7),
            Decision::Invite { offer_ids: vec!["off_0_0".into(), "off_0_1".into(), "off_1_0".into()] }
        );
        // Cancelled instead: the delivered part alone, a week after its delivery.
        let mut one_cancelled = facts;
        one_cancelled.parts[1].fated = Fated::Cancelled;
        let order = build(&one_cancelled, &quiet());
        assert_eq!(
            decide(&order, false, hours(24 * 7), 7),
            Decision::Invite { offer_ids: vec!["off_0_0".into(), "off_0_1".into()] }
        );
    }
}
