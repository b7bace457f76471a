//! A case's timeline: every event of its order line, in time order — the order and its
//! payment, the seller's acceptance, shipment and delivery or cancellation, the refunds of
//! the part, the help requests about the line and their answers, the line's review, and the
//! case's own messages, outcome and closing.

use jiff::Timestamp;
use serde::Serialize;

use super::{Dispute, DisputeStatus, Party};
use crate::help::HelpRequest;
use crate::money::Money;
use crate::order::Order;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub at: Timestamp,
    pub kind: &'static str,
    pub detail: String,
}

/// The line's review, as the timeline shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed {
    pub at: Timestamp,
    pub rating: u8,
}

fn party(p: Party) -> &'static str {
    match p {
        Party::Buyer => "buyer",
        Party::Seller => "seller",
        Party::Admin => "platform",
    }
}

/// The events of the case's line, oldest first (ties keep the order of the life of an order).
pub fn timeline(order: &Order, dispute: &Dispute, help: &[HelpRequest], review: Option<Reviewed>) -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |at: Option<Timestamp>, kind: &'static str, detail: String| {
        if let Some(at) = at {
            events.push(Event { at, kind, detail });
        }
    };
    let line = order.lines.iter().find(|l| l.offer_id == dispute.offer_id);
    let quantity = line.map_or(0, |l| l.quantity);
    push(
        Some(order.created_at),
        "ordered",
        format!("{quantity} × offer {}; order total {}", dispute.offer_id, order.totals.total),
    );
    let method =
        serde_json::to_value(order.payment_method).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    push(order.paid_at, "paid", format!("{} paid by {}", order.totals.total, method.replace('_', " ")));
    if let Some(part) = order.part(&dispute.seller_id) {
        push(part.accepted_at, "accepted", "the seller accepted the order".into());
        if let Some(shipment) = &part.shipment {
            push(
                Some(shipment.shipped_at),
                "shipped",
                format!("shipped with {}, tracking {}", shipment.carrier, shipment.tracking),
            );
        }
        push(part.delivered_at, "delivered", "delivered".into());
        push(part.cancelled_at, "cancelled", "the seller's part was cancelled".into());
        for refund in &part.refunds {
            let state =
                serde_json::to_value(refund.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            push(
                Some(refund.created_at),
                "refund",
                format!("{} refunded ({state})", Money::new(refund.amount_minor, order.currency)),
            );
        }
    }
    for request in help.iter().filter(|h| h.offer_id == dispute.offer_id) {
        push(
            Some(request.created_at),
            "help_requested",
            format!("help asked ({}): {}", request.reason.as_str(), request.message),
        );
        push(
            request.answered_at,
            "help_answered",
            format!("the seller answered: {}", request.answer.clone().unwrap_or_default()),
        );
    }
    if let Some(review) = review {
        push(Some(review.at), "reviewed", format!("the buyer rated the line {} of 5", review.rating));
    }
    push(Some(dispute.opened_at), "case_opened", format!("case opened: {}", dispute.subject));
    for message in &dispute.messages {
        push(Some(message.at), "message", format!("{}: {}", party(message.author), message.text));
    }
    if let Some(outcome) = &dispute.outcome {
        let amount = outcome.amount.map(|a| format!(" of {a}")).unwrap_or_default();
        push(
            Some(outcome.decided_at),
            "resolved",
            format!("the platform decided: {}{amount}. {}", outcome.kind.as_str(), outcome.explanation),
        );
    }
    match dispute.status {
        DisputeStatus::Escalated => {
            push(dispute.closed_at, "escalated", "the buyer took the case to the consumer mediator".into())
        }
        DisputeStatus::Closed => push(dispute.closed_at, "closed", "the buyer withdrew the case".into()),
        _ => {}
    }
    // Stable: events at the same instant keep the order of an order's life.
    events.sort_by_key(|e| e.at);
    events
}
