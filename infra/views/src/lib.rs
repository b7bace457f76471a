//! The wire shapes of quotes and orders: amounts as decimal strings, and a seller's view of
//! an order limited to its own lines and part.

use jiff::Timestamp;
use marketplace::Money;
use marketplace::checkout::{DeliveryWindow, Quote, QuoteLine};
use marketplace::offer::PaymentMethod;
use marketplace::order::{Order, OrderStatus, PartStatus, Shipment};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLineView {
    pub offer_id: String,
    pub seller_id: String,
    pub product_id: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub shipping_fee: Money,
    pub insurance_premium: Money,
    pub warranty_months: u32,
    pub delivery: DeliveryWindow,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteView {
    pub id: String,
    pub lines: Vec<QuoteLineView>,
    pub items_total: Money,
    pub shipping_total: Money,
    pub service_fee: Money,
    pub insurance_total: Money,
    pub total: Money,
    pub payment_method: PaymentMethod,
    pub shipping_country: String,
    pub expires_at: Timestamp,
}

pub fn line_views(lines: &[QuoteLine]) -> Vec<QuoteLineView> {
    lines
        .iter()
        .map(|l| QuoteLineView {
            offer_id: l.offer_id.clone(),
            seller_id: l.seller_id.clone(),
            product_id: l.product_id.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            shipping_fee: l.shipping_fee,
            insurance_premium: l.insurance_premium,
            warranty_months: l.warranty_months,
            delivery: l.delivery.clone(),
        })
        .collect()
}

impl From<&Quote> for QuoteView {
    fn from(q: &Quote) -> Self {
        QuoteView {
            id: q.id.clone(),
            lines: line_views(&q.lines),
            items_total: q.totals.items_total,
            shipping_total: q.totals.shipping_total,
            service_fee: q.totals.service_fee,
            insurance_total: q.totals.insurance_total,
            total: q.totals.total,
            payment_method: q.payment_method,
            shipping_country: q.shipping_country.clone(),
            expires_at: q.expires_at,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartView {
    pub seller_id: String,
    pub status: PartStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment: Option<Shipment>,
    pub refunded: Money,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub intent_id: Option<String>,
    pub status: &'static str,
    pub method: PaymentMethod,
    pub due: Timestamp,
}

/// An order as its buyer and admins see it; a seller sees only its own lines and part.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: String,
    pub status: OrderStatus,
    pub quote_id: String,
    pub lines: Vec<QuoteLineView>,
    pub parts: Vec<PartView>,
    pub items_total: Money,
    pub shipping_total: Money,
    pub service_fee: Money,
    pub insurance_total: Money,
    pub total: Money,
    pub payment: PaymentView,
    pub shipping_country: String,
    pub created_at: Timestamp,
}

/// A seller's own share of an order amount (its lines), or the whole order's amount.
fn sum(lines: &[QuoteLine], amount: fn(&QuoteLine) -> Money, whole: Money, seller: Option<&str>) -> Money {
    match seller {
        Some(_) => Money::new(lines.iter().map(|l| amount(l).amount_minor).sum(), whole.currency),
        None => whole,
    }
}

impl OrderView {
    /// The whole order, or with `seller` only that seller's lines and part, and amounts: the
    /// seller does not learn what the buyer spent with others, nor the buyer's service fee.
    pub fn of(order: &Order, seller: Option<&str>) -> OrderView {
        let mine = |id: &str| seller.is_none_or(|s| s == id);
        let lines: Vec<_> = order.lines.iter().filter(|l| mine(&l.seller_id)).cloned().collect();
        OrderView {
            id: order.id.clone(),
            status: order.status,
            quote_id: order.quote_id.clone(),
            lines: line_views(&lines),
            parts: order
                .parts
                .iter()
                .filter(|p| mine(&p.seller_id))
                .map(|p| PartView {
                    seller_id: p.seller_id.clone(),
                    status: p.status,
                    shipment: p.shipment.clone(),
                    refunded: Money::new(p.refunded_minor, order.currency),
                })
                .collect(),
            items_total: sum(&lines, |l| l.items_amount(), order.totals.items_total, seller),
            shipping_total: sum(&lines, |l| l.shipping_fee, order.totals.shipping_total, seller),
            service_fee: if seller.is_some() { Money::zero(order.currency) } else { order.totals.service_fee },
            insurance_total: sum(&lines, |l| l.insurance_premium, order.totals.insurance_total, seller),
            total: match seller {
                Some(seller) => order.part_amount(seller),
                None => order.totals.total,
            },
            payment: PaymentView {
                intent_id: order.payment_intent.clone(),
                status: match order.status {
                    OrderStatus::AwaitingPayment => "requires_payment",
                    OrderStatus::Paid => "succeeded",
                    OrderStatus::Cancelled => "cancelled",
                },
                method: order.payment_method,
                due: order.payment_due,
            },
            shipping_country: order.shipping_country.clone(),
            created_at: order.created_at,
        }
    }
}

/// A seller's funds in one currency (R-SETTLE): pending until delivery and the hold,
/// available for the next payout run, in transit to its bank, and what it owes; the same
/// balances a statement opens and closes with.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    #[serde(flatten)]
    pub balances: marketplace::statement::Balances,
    pub currency: marketplace::Currency,
}

impl BalanceView {
    pub fn of(funds: marketplace::funds::SellerFunds, currency: marketplace::Currency) -> BalanceView {
        BalanceView { balances: marketplace::statement::Balances::of(funds, currency), currency }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutView {
    pub id: String,
    pub status: marketplace::funds::PayoutStatus,
    pub amount: Money,
    /// The payout run's date.
    pub run: String,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// On the SEPA rail, the end-to-end id the seller's bank statement shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl PayoutView {
    pub fn of(payout: &marketplace::funds::Payout) -> PayoutView {
        PayoutView {
            id: payout.id.clone(),
            status: payout.status,
            amount: payout.amount,
            run: payout.run.clone(),
            created_at: payout.created_at,
            settled_at: payout.settled_at,
            failure: payout.failure.clone(),
            reference: payout.sepa.then(|| marketplace::sepa::end_to_end_id(&payout.id)),
        }
    }
}
