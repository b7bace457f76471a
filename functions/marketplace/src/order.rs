//! Orders (R-PAY, R-WARRANTY): what a quote becomes once the buyer commits, and the life of
//! each seller's part of it. Every transition is checked against the current state.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::checkout::{Quote, QuoteLine, Totals};
use crate::money::{Currency, Money};
use crate::offer::PaymentMethod;
use crate::validation::{Violations, text};

/// Refunds one seller's part can hold: an order is one item, and items have a size limit.
pub const MAX_REFUNDS_PER_PART: usize = 20;

/// How long a buyer has to pay before the order is cancelled and its stock released.
pub const PAYMENT_WINDOW: SignedDuration = SignedDuration::from_mins(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    Paid,
    /// Payment failed or never came: nothing was charged and the stock is back.
    Cancelled,
}

/// Where one seller's part of an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    AwaitingPayment,
    /// Paid; waiting for the seller to accept.
    ToAccept,
    Accepted,
    Shipped,
    Delivered,
    Cancelled,
}

impl PartStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingPayment => "awaiting_payment",
            Self::ToAccept => "to_accept",
            Self::Accepted => "accepted",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    pub carrier: String,
    pub tracking: String,
    pub shipped_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    pub seller_id: String,
    pub status: PartStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<Shipment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Timestamp>,
    /// Refunded (or being refunded) so far on this part, in minor units: the sum of its
    /// refunds that were not refused.
    #[serde(default)]
    pub refunded_minor: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refunds: Vec<Refund>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Recorded, not yet confirmed by the provider: resent under the same id until it is.
    Pending,
    Sent,
    Refused,
}

/// A refund on a seller's part, recorded before it is sent so it is never sent twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: String,
    pub amount_minor: i64,
    pub state: RefundState,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub quote_id: String,
    pub buyer: String,
    /// Where the buyer is invited to review (R-REV-INVITE): the token's e-mail when the order
    /// was placed, if it had one. Personal data: kept out of every view and log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_email: Option<String>,
    pub status: OrderStatus,
    pub lines: Vec<QuoteLine>,
    pub parts: Vec<Part>,
    pub currency: Currency,
    /// Exactly the quote's.
    #[serde(flatten)]
    pub totals: Totals,
    pub payment_method: PaymentMethod,
    /// The provider's payment intent, recorded when the provider reports the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    pub payment_due: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<Timestamp>,
    pub shipping_country: String,
    pub created_at: Timestamp,
    /// Bumped by every change: writes are conditional on the version they read.
    pub version: i64,
}

/// The order id of a quote: one order per quote, so a retried order finds the first.
pub fn order_id(quote_id: &str) -> String {
    format!("ord_{}", quote_id.strip_prefix("qt_").unwrap_or(quote_id))
}

impl Order {
    /// The order a quote becomes, charging exactly the quoted amounts.
    pub fn place(quote: &Quote, now: Timestamp) -> Order {
        let mut sellers: Vec<String> = Vec::new();
        for line in &quote.lines {
            if !sellers.contains(&line.seller_id) {
                sellers.push(line.seller_id.clone());
            }
        }
        Order {
            id: order_id(&quote.id),
            quote_id: quote.id.clone(),
            buyer: quote.buyer.clone(),
            buyer_email: None,
            status: OrderStatus::AwaitingPayment,
            lines: quote.lines.clone(),
            parts: sellers
                .into_iter()
                .map(|seller_id| Part {
                    seller_id,
                    status: PartStatus::AwaitingPayment,
                    shipment: None,
                    accepted_at: None,
                    delivered_at: None,
                    cancelled_at: None,
                    refunded_minor: 0,
                    refunds: Vec::new(),
                })
                .collect(),
            currency: quote.currency,
            totals: quote.totals,
            payment_method: quote.payment_method,
            payment_intent: None,
            payment_due: now.saturating_add(PAYMENT_WINDOW).unwrap_or(Timestamp::MAX),
            paid_at: None,
            shipping_country: quote.shipping_country.clone(),
            created_at: now,
            version: 1,
        }
    }

    pub fn part(&self, seller_id: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.seller_id == seller_id)
    }

    pub fn lines_of<'a>(&'a self, seller_id: &'a str) -> impl Iterator<Item = &'a QuoteLine> + 'a {
        self.lines.iter().filter(move |l| l.seller_id == seller_id)
    }

    /// What the buyer paid for one seller's part: its items, shipping and insurance.
    pub fn part_amount(&self, seller_id: &str) -> Money {
        let minor = self
            .lines_of(seller_id)
            .map(|l| l.items_amount().amount_minor + l.shipping_fee.amount_minor + l.insurance_premium.amount_minor)
            .sum();
        Money::new(minor, self.currency)
    }

    fn next(&self) -> Order {
        Order { version: self.version + 1, ..self.clone() }
    }

    /// The provider confirmed the payment. Only an order awaiting payment can be paid, so a
    /// repeated confirmation is refused rather than applied twice.
    pub fn pay(&self, intent_id: &str, amount: Money, now: Timestamp) -> Result<Order, Error> {
        if self.status != OrderStatus::AwaitingPayment {
            return Err(Error::conflict("not_awaiting_payment", "the order is not awaiting payment"));
        }
        if amount != self.totals.total {
            return Err(Error::conflict(
                "amount_mismatch",
                format!("paid {amount}, the order is {}", self.totals.total),
            ));
        }
        let mut order = self.next();
        order.status = OrderStatus::Paid;
        order.paid_at = Some(now);
        order.payment_intent = Some(intent_id.to_owned());
        for part in &mut order.parts {
            part.status = PartStatus::ToAccept;
        }
        Ok(order)
    }

    /// The payment failed or never came: the order is cancelled, and its stock goes back.
    pub fn cancel_unpaid(&self, now: Timestamp) -> Result<Order, Error> {
        if self.status != OrderStatus::AwaitingPayment {
            return Err(Error::conflict("not_awaiting_payment", "the order is not awaiting payment"));
        }
        let mut order = self.next();
        order.status = OrderStatus::Cancelled;
        for part in &mut order.parts {
            part.status = PartStatus::Cancelled;
            part.cancelled_at = Some(now);
        }
        Ok(order)
    }

    fn transition(&self, seller_id: &str, from: &[PartStatus], apply: impl FnOnce(&mut Part)) -> Result<Order, Error> {
        let Some(index) = self.parts.iter().position(|p| p.seller_id == seller_id) else {
            return Err(Error::conflict("not_your_order", "the order has no part of this seller"));
        };
        let current = self.parts[index].status;
        if !from.contains(&current) {
            return Err(Error::conflict(
                "invalid_transition",
                format!("this part of the order is {}", current.as_str()),
            ));
        }
        let mut order = self.next();
        apply(&mut order.parts[index]);
        Ok(order)
    }

    /// The seller accepts its part: the transaction is confirmed.
    pub fn accept(&self, seller_id: &str, now: Timestamp) -> Result<Order, Error> {
        self.transition(seller_id, &[PartStatus::ToAccept], |p| {
            p.status = PartStatus::Accepted;
            p.accepted_at = Some(now);
        })
    }

    pub fn ship(&self, seller_id: &str, carrier: &str, tracking: &str, now: Timestamp) -> Result<Order, Error> {
        let mut v = Violations::new();
        let carrier = text(&mut v, "carrier", carrier, 100);
        let tracking = text(&mut v, "tracking", tracking, 100);
        v.finish(|| ())?;
        self.transition(seller_id, &[PartStatus::Accepted], |p| {
            p.status = PartStatus::Shipped;
            p.shipment = Some(Shipment { carrier, tracking, shipped_at: now });
        })
    }

    pub fn deliver(&self, seller_id: &str, now: Timestamp) -> Result<Order, Error> {
        self.transition(seller_id, &[PartStatus::Shipped], |p| {
            p.status = PartStatus::Delivered;
            p.delivered_at = Some(now);
        })
    }

    /// The refund `refund_id` of a seller's part, if it was recorded.
    pub fn refund_of(&self, seller_id: &str, refund_id: &str) -> Option<&Refund> {
        self.part(seller_id)?.refunds.iter().find(|r| r.id == refund_id)
    }

    /// The seller cancels its part before shipping it: its stock goes back and what the buyer
    /// paid for it (less what was refunded already) is refunded, as refund `refund_id`.
    pub fn cancel_part(&self, seller_id: &str, refund_id: &str, now: Timestamp) -> Result<(Order, Money), Error> {
        let amount = self.part_amount(seller_id);
        let order = self.transition(seller_id, &[PartStatus::ToAccept, PartStatus::Accepted], |p| {
            p.status = PartStatus::Cancelled;
            p.cancelled_at = Some(now);
        })?;
        let refund =
            Money::new(amount.amount_minor - self.part(seller_id).map_or(0, |p| p.refunded_minor), self.currency);
        order.record_refund(seller_id, refund_id, refund, now).map(|o| (o, refund))
    }

    /// Records refund `refund_id` on a seller's part, pending until the provider confirms it:
    /// never more, in total, than the buyer paid for the part.
    pub fn refund(&self, seller_id: &str, refund_id: &str, amount: Money, now: Timestamp) -> Result<Order, Error> {
        let part = self
            .part(seller_id)
            .ok_or_else(|| Error::conflict("not_your_order", "the order has no part of this seller"))?;
        // A cancelled part can still be refunded: a refused cancellation refund must be
        // redone somehow, and the limit on the total still holds.
        if self.status != OrderStatus::Paid {
            return Err(Error::conflict("invalid_transition", "only a paid order can be refunded"));
        }
        if part.refunds.len() >= MAX_REFUNDS_PER_PART {
            return Err(Error::conflict(
                "too_many_refunds",
                format!("a part holds at most {MAX_REFUNDS_PER_PART} refunds"),
            ));
        }
        if amount.amount_minor <= 0 {
            let mut v = Violations::new();
            v.add("amount.amount", "must be positive");
            return Err(v.into());
        }
        self.record_refund(seller_id, refund_id, amount, now)
    }

    fn record_refund(&self, seller_id: &str, refund_id: &str, amount: Money, now: Timestamp) -> Result<Order, Error> {
        let paid = self.part_amount(seller_id);
        let mut v = Violations::new();
        v.check(amount.currency == self.currency, "amount.currency", "must be the order's currency");
        v.check(amount.amount_minor >= 0, "amount.amount", "must not be negative");
        v.finish(|| ())?;
        if self.refund_of(seller_id, refund_id).is_some() {
            return Err(Error::conflict("refund_exists", format!("refund {refund_id} is recorded already")));
        }
        let mut order = self.next();
        let part = order.parts.iter_mut().find(|p| p.seller_id == seller_id).expect("the part was found above");
        let left_minor = paid.amount_minor - part.refunded_minor;
        if amount.amount_minor > left_minor {
            let left = Money::new(left_minor, self.currency);
            return Err(Error::conflict(
                "refund_exceeds_payment",
                format!("at most {left} is left to refund on this part"),
            ));
        }
        part.refunded_minor += amount.amount_minor;
        if amount.amount_minor > 0 {
            part.refunds.push(Refund {
                id: refund_id.to_owned(),
                amount_minor: amount.amount_minor,
                state: RefundState::Pending,
                created_at: now,
            });
        }
        Ok(order)
    }

    /// The provider's answer about a pending refund: sent, or refused (its amount no longer
    /// counts as refunded).
    pub fn settle_refund(&self, seller_id: &str, refund_id: &str, sent: bool) -> Result<Order, Error> {
        let pending = self.refund_of(seller_id, refund_id).is_some_and(|r| r.state == RefundState::Pending);
        if !pending {
            return Err(Error::conflict("refund_not_pending", format!("refund {refund_id} is not pending")));
        }
        let mut order = self.next();
        let part = order.parts.iter_mut().find(|p| p.seller_id == seller_id).expect("the refund's part exists");
        let refund = part.refunds.iter_mut().find(|r| r.id == refund_id).expect("the refund exists");
        if sent {
            refund.state = RefundState::Sent;
        } else {
            refund.state = RefundState::Refused;
            part.refunded_minor -= refund.amount_minor;
        }
        Ok(order)
    }

    /// Whether a help request can still be opened on `seller_id`'s part: delivered, and within
    /// the warranty of its lines (months from delivery).
    pub fn within_warranty(&self, seller_id: &str, warranty_months: u32, now: Timestamp) -> bool {
        let Some(delivered_at) = self.part(seller_id).and_then(|p| p.delivered_at) else { return false };
        let end = delivered_at
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .checked_add(jiff::Span::new().months(i64::from(warranty_months)))
            .map(|z| z.timestamp());
        end.is_ok_and(|end| now < end)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::checkout::{Cart, CartLine, Pricing, SellerFacts, price};
    use crate::seller::SellerStatus;

    fn quote() -> Quote {
        let offers = [
            Some((
                crate::checkout::tests::offer("phone", 24_900, 499, 3),
                SellerFacts { status: SellerStatus::Active, country: "FR".into() },
            )),
            Some((
                crate::checkout::tests::offer("tablet", 8_900, 0, 1),
                SellerFacts { status: SellerStatus::Active, country: "DE".into() },
            )),
        ];
        let cart = Cart {
            lines: vec![
                CartLine { offer_id: "phone".into(), quantity: 1, insurance: false },
                CartLine { offer_id: "tablet".into(), quantity: 1, insurance: true },
            ],
            payment_method: PaymentMethod::Card,
            shipping_country: "FR".into(),
        };
        price(&Pricing::default(), "qt_abc".into(), "buyer".into(), &cart, &offers, Timestamp::UNIX_EPOCH)
            .expect("a quote")
    }

    pub(crate) fn paid() -> Order {
        let order = Order::place(&quote(), Timestamp::UNIX_EPOCH);
        order.pay("pi_abc", order.totals.total, Timestamp::UNIX_EPOCH).expect("paid")
    }

    /// Paid, and its first part (the phone, shipped to FR) delivered `at`.
    pub(crate) fn delivered(at: Timestamp) -> Order {
        let order = paid();
        let seller = order.parts[0].seller_id.clone();
        let order = order.accept(&seller, at).expect("accepted");
        let order = order.ship(&seller, "DHL", "JD1", at).expect("shipped");
        order.deliver(&seller, at).expect("delivered")
    }

    #[test]
    fn an_order_charges_the_quote() {
        let q = quote();
        let order = Order::place(&q, Timestamp::UNIX_EPOCH);
        assert_eq!(
            (order.id.as_str(), order.totals.total, order.totals.service_fee),
            ("ord_abc", q.totals.total, q.totals.service_fee)
        );
        assert_eq!(order.parts.iter().map(|p| p.seller_id.as_str()).collect::<Vec<_>>(), ["sel_phone", "sel_tablet"]);
        assert_eq!(
            order.part_amount("sel_phone").amount_minor
                + order.part_amount("sel_tablet").amount_minor
                + order.totals.service_fee.amount_minor,
            order.totals.total.amount_minor
        );
    }

    #[test]
    fn paid_once_and_only_the_exact_amount() {
        let order = Order::place(&quote(), Timestamp::UNIX_EPOCH);
        assert!(
            order
                .pay("pi_abc", Money::new(order.totals.total.amount_minor - 1, order.currency), Timestamp::UNIX_EPOCH)
                .is_err()
        );
        let paid = order.pay("pi_abc", order.totals.total, Timestamp::UNIX_EPOCH).expect("paid");
        assert!(matches!(
            paid.pay("pi_abc", paid.totals.total, Timestamp::UNIX_EPOCH),
            Err(Error::Conflict { code: "not_awaiting_payment", .. })
        ));
        assert!(paid.cancel_unpaid(Timestamp::UNIX_EPOCH).is_err());
        assert!(
            order
                .cancel_unpaid(Timestamp::UNIX_EPOCH)
                .expect("cancelled")
                .pay("pi_abc", order.totals.total, Timestamp::UNIX_EPOCH)
                .is_err()
        );
    }

    #[test]
    fn each_seller_moves_its_own_part_in_order() {
        let now = Timestamp::UNIX_EPOCH;
        let order = paid();
        assert!(order.ship("sel_phone", "Colissimo", "6A123", now).is_err(), "not accepted yet");
        let accepted = order.accept("sel_phone", now).expect("accepted");
        assert_eq!(accepted.part("sel_tablet").map(|p| p.status), Some(PartStatus::ToAccept));
        assert!(accepted.accept("sel_phone", now).is_err(), "accepted twice");
        assert!(accepted.accept("sel_other", now).is_err());
        let shipped = accepted.ship("sel_phone", "Colissimo", "6A123", now).expect("shipped");
        assert!(shipped.cancel_part("sel_phone", "rf_c", now).is_err(), "too late to cancel");
        let delivered = shipped.deliver("sel_phone", now).expect("delivered");
        assert_eq!(delivered.version, order.version + 3);
        assert!(Order::place(&quote(), now).accept("sel_phone", now).is_err(), "unpaid");
    }

    #[test]
    fn refunds_never_exceed_what_was_paid() {
        let order = paid();
        let eur = |m| Money::new(m, Currency::EUR);
        let now = Timestamp::UNIX_EPOCH;
        let once = order.refund("sel_phone", "rf_1", eur(10_000), now).expect("partial refund");
        assert!(matches!(
            once.refund("sel_phone", "rf_1", eur(1), now),
            Err(Error::Conflict { code: "refund_exists", .. })
        ));
        let twice = once.refund("sel_phone", "rf_2", eur(15_399), now).expect("the rest");
        assert_eq!(twice.part("sel_phone").map(|p| p.refunded_minor), Some(25_399));
        assert!(matches!(
            twice.refund("sel_phone", "rf_3", eur(1), now),
            Err(Error::Conflict { code: "refund_exceeds_payment", .. })
        ));
        // A refused refund no longer counts; a sent one cannot be settled again.
        let refused = twice.settle_refund("sel_phone", "rf_2", false).expect("refused");
        assert_eq!(refused.part("sel_phone").map(|p| p.refunded_minor), Some(10_000));
        let sent = refused.settle_refund("sel_phone", "rf_1", true).expect("sent");
        assert!(sent.settle_refund("sel_phone", "rf_1", true).is_err());
        assert_eq!(sent.refund_of("sel_phone", "rf_1").map(|r| r.state), Some(RefundState::Sent));
        let (cancelled, refund) = order.cancel_part("sel_tablet", "rf_c", now).expect("cancelled");
        assert_eq!(refund, eur(8_900 + 1_999));
        assert_eq!(cancelled.refund_of("sel_tablet", "rf_c").map(|r| r.amount_minor), Some(8_900 + 1_999));
        assert!(cancelled.refund("sel_tablet", "rf_x", eur(1), now).is_err(), "nothing is left to refund");
        assert!(matches!(
            order.refund("sel_phone", "rf_big", eur(i64::MAX), now),
            Err(Error::Conflict { code: "refund_exceeds_payment", .. })
        ));
        let mut many = order.clone();
        for i in 0..MAX_REFUNDS_PER_PART {
            many = many.refund("sel_phone", &format!("rf_{i}"), eur(1), now).expect("a small refund");
        }
        assert!(matches!(
            many.refund("sel_phone", "rf_more", eur(1), now),
            Err(Error::Conflict { code: "too_many_refunds", .. })
        ));
    }

    #[test]
    fn warranty_runs_from_delivery() {
        let delivered_at: Timestamp = "2026-01-10T00:00:00Z".parse().expect("time");
        let order = paid()
            .accept("sel_phone", delivered_at)
            .and_then(|o| o.ship("sel_phone", "DHL", "1", delivered_at))
            .and_then(|o| o.deliver("sel_phone", delivered_at))
            .expect("delivered");
        assert!(order.within_warranty("sel_phone", 12, "2027-01-09T23:59:59Z".parse().expect("time")));
        assert!(!order.within_warranty("sel_phone", 12, "2027-01-10T00:00:00Z".parse().expect("time")));
        assert!(!order.within_warranty("sel_tablet", 12, delivered_at), "not delivered");
    }
}
