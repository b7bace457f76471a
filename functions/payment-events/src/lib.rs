//! The payment provider's webhooks (R-PAY). Each event is signed (HMAC-SHA256 over timestamp
//! and body, within a tolerance window); a bad or stale signature, a malformed event or an
//! unknown order is refused with a 4xx and logged. Each event is recorded in the same
//! transaction as the change it causes, so a replayed or duplicated event changes nothing,
//! and an order is never paid twice.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Extension, Router};
use edge::{Json, Problem, RawBody, Result};
use marketplace::order::{Order, OrderStatus};
use marketplace::payments::{EventType, ProviderEvent, SignatureError, verify};
use ports::{PaymentError, Ports, TableError};
use serde::Serialize;
use store::Orders;
use store::events::{OrderEvent, outbox};

pub const SIGNATURE_HEADER: &str = "provider-signature";

#[derive(Clone)]
struct Secret(Arc<Vec<u8>>);

/// The webhook router. Without a secret every signature would be forgeable, so an empty one
/// stops the function at start-up.
pub fn router(ports: Ports, webhook_secret: Vec<u8>) -> Router {
    assert!(!webhook_secret.is_empty(), "PAYMENT_WEBHOOK_SECRET is not set: webhooks cannot be verified");
    let routes = Router::new().route("/payments/webhook", post(receive));
    edge::finish(routes, ports).layer(Extension(Secret(Arc::new(webhook_secret))))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub event_id: String,
    pub outcome: &'static str,
}

async fn receive(
    State(ports): State<Ports>,
    Extension(Secret(secret)): Extension<Secret>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<Receipt>> {
    let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(refused) = verify(&secret, header, &body, ports.clock.now()) {
        tracing::warn!(reason = %refused, "webhook refused");
        let code = match refused {
            SignatureError::Stale => "stale_event",
            _ => "invalid_signature",
        };
        return Err(Problem::bad_request(code, refused.to_string()));
    }
    let event: ProviderEvent =
        edge::body::parse(&body).inspect_err(|_| tracing::warn!("webhook refused: not an event we know"))?;
    let outcome = match event.kind {
        EventType::PaymentSucceeded => payment_succeeded(&ports, &event).await?,
        EventType::PaymentFailed => payment_failed(&ports, &event).await?,
        // Refunds are recorded when they are asked for; the provider's confirmation is noted.
        EventType::RefundSucceeded => "noted",
        EventType::Other => "ignored",
    };
    tracing::info!(event_id = %event.id, order_id = %event.order_id, outcome, "webhook processed");
    Ok(Json(Receipt { event_id: event.id, outcome }))
}

async fn order_of(ports: &Ports, event: &ProviderEvent) -> Result<Order> {
    let order = match edge::body::is_id(&event.order_id) {
        true => Orders::new(ports.table.as_ref()).get(&event.order_id).await?,
        false => None,
    };
    order.ok_or_else(|| {
        tracing::warn!(event_id = %event.id, "webhook for an unknown order");
        Problem::not_found("order")
    })
}

/// Sends an event now (its outbox entry, if any, is cleared; the relay sends what fails).
async fn announce(ports: &Ports, event: &OrderEvent) {
    outbox::flush(ports.queue.as_ref(), ports.table.as_ref(), event).await;
}

/// A write that lost a race with another change of the order: the provider retries.
fn retry_later(e: TableError) -> Problem {
    match e {
        TableError::TransactionCanceled { .. } => Problem::unavailable("the order changed while the event was applied"),
        other => other.into(),
    }
}

/// Gives back a payment the marketplace must not keep: it came after the order was cancelled,
/// for another amount than the order's, or under a second intent for an order already paid.
/// The refund's id comes from the intent, so a replayed event refunds once.
async fn refund_stray(
    ports: &Ports,
    order: &Order,
    event: &ProviderEvent,
    outcome: &'static str,
) -> Result<&'static str> {
    let refund_id = format!("rf_stray_{}", event.intent_id);
    let refunded = ports
        .payments
        .refund(&event.intent_id, &refund_id, event.amount.amount_minor, event.amount.currency.code())
        .await;
    match refunded {
        Ok(()) => {
            tracing::error!(order_id = %order.id, intent_id = %event.intent_id, outcome, "payment refunded in full");
            Ok(outcome)
        }
        // The provider will not refund what it reported paid: acknowledge (a retry would not
        // change its mind) and leave it to a person.
        Err(PaymentError::Refused(reason)) => {
            tracing::error!(order_id = %order.id, intent_id = %event.intent_id, %reason, "stray payment could not be refunded");
            Ok("stray_refund_refused")
        }
        Err(unavailable) => Err(Problem::unavailable(unavailable)),
    }
}

async fn payment_succeeded(ports: &Ports, event: &ProviderEvent) -> Result<&'static str> {
    let order = order_of(ports, event).await?;
    let orders = Orders::new(ports.table.as_ref());
    let now = ports.clock.now();
    match order.status {
        OrderStatus::AwaitingPayment => {
            let Ok(paid) = order.pay(&event.intent_id, event.amount, now) else {
                return refund_stray(ports, &order, event, "refunded_amount_mismatch").await;
            };
            let paid_event = OrderEvent::new("order.paid", &order.id, None);
            let mut ops = vec![
                Orders::clear_payment_due(&order),
                Orders::provider_event(&event.id, now),
                outbox::put(&paid_event, now),
            ];
            // Who bought each offer, should it be removed as illegal (DSA Art. 32).
            ops.extend(store::Dsa::sales(&paid, now));
            match orders.transition(&order, &paid, ops).await {
                Ok(()) => {}
                // This very event was applied before.
                Err(TableError::TransactionCanceled { failed }) if failed.contains(&2) => {}
                Err(e) => return Err(retry_later(e)),
            }
            announce(ports, &paid_event).await;
            Ok("paid")
        }
        OrderStatus::Paid if order.payment_intent.as_deref() != Some(event.intent_id.as_str()) => {
            refund_stray(ports, &order, event, "refunded_duplicate_payment").await
        }
        // Already paid: announce again (consumers are idempotent) in case the first announce
        // was lost, and change nothing.
        OrderStatus::Paid => {
            announce(ports, &OrderEvent::new("order.paid", &order.id, None)).await;
            Ok("already_paid")
        }
        // The money came after the order was cancelled for want of it.
        OrderStatus::Cancelled => refund_stray(ports, &order, event, "refunded_late_payment").await,
    }
}

async fn payment_failed(ports: &Ports, event: &ProviderEvent) -> Result<&'static str> {
    let order = order_of(ports, event).await?;
    let now = ports.clock.now();
    let orders = Orders::new(ports.table.as_ref());
    let cancelled = OrderEvent::new("order.cancelled", &order.id, None);
    let ops = vec![Orders::provider_event(&event.id, now), outbox::put(&cancelled, now)];
    match orders.cancel_unpaid(&order, now, ops).await {
        Ok(Some(_)) => {
            announce(ports, &cancelled).await;
            Ok("cancelled")
        }
        // Cancelled already (a replay): announce again in case the first announce was lost.
        Ok(None) if order.status == OrderStatus::Cancelled => {
            announce(ports, &cancelled).await;
            Ok("already_cancelled")
        }
        Ok(None) => Ok("ignored"),
        Err(e) => Err(retry_later(e)),
    }
}
