//! The payment provider's webhooks (R-PAY). Each event is signed (HMAC-SHA256 over timestamp
//! and body, within a tolerance window); a bad or stale signature, a malformed event or an
//! unknown order is refused with a 4xx and logged. Each event is recorded in the same
//! transaction as the change it causes, so a replayed or duplicated event changes nothing,
//! and an order is never paid twice.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Extension, Router};
use edge::{Json, Problem, Result};
use marketplace::order::{Order, OrderStatus};
use marketplace::payments::{EventType, ProviderEvent, SignatureError, verify};
use ports::{Ports, TableError};
use serde::Serialize;
use store::Orders;
use store::events::OrderEvent;

pub const SIGNATURE_HEADER: &str = "provider-signature";

#[derive(Clone)]
struct Secret(Arc<Vec<u8>>);

pub fn router(ports: Ports, webhook_secret: Vec<u8>) -> Router {
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
    body: Bytes,
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

async fn announce(ports: &Ports, event: &OrderEvent) -> Result<()> {
    Ok(store::events::announce(ports.queue.as_ref(), event).await?)
}

/// A write that lost a race with another change of the order: the provider retries.
fn retry_later(e: TableError) -> Problem {
    match e {
        TableError::TransactionCanceled { .. } => Problem::unavailable("the order changed while the event was applied"),
        other => other.into(),
    }
}

async fn payment_succeeded(ports: &Ports, event: &ProviderEvent) -> Result<&'static str> {
    let order = order_of(ports, event).await?;
    let orders = Orders::new(ports.table.as_ref());
    let now = ports.clock.now();
    match order.status {
        OrderStatus::AwaitingPayment => {
            let paid = order.pay(&event.intent_id, event.amount, now).inspect_err(
                |e| tracing::error!(order_id = %order.id, error = %e, "payment does not match the order"),
            )?;
            let ops = vec![Orders::clear_payment_due(&order), Orders::provider_event(&event.id, now)];
            match orders.transition(&order, &paid, ops).await {
                Ok(()) => {}
                // This very event was applied before.
                Err(TableError::TransactionCanceled { failed }) if failed.contains(&2) => {}
                Err(e) => return Err(retry_later(e)),
            }
            announce(ports, &OrderEvent::new("order.paid", &order.id, None)).await?;
            Ok("paid")
        }
        // Already paid: announce again (consumers are idempotent) in case the first announce
        // was lost, and change nothing.
        OrderStatus::Paid => {
            announce(ports, &OrderEvent::new("order.paid", &order.id, None)).await?;
            Ok("already_paid")
        }
        // The money came after the order was cancelled for want of it: give it all back.
        OrderStatus::Cancelled => {
            let refund_id = format!("rf_late_{}", event.intent_id);
            ports
                .payments
                .refund(&event.intent_id, &refund_id, event.amount.amount_minor, event.amount.currency.code())
                .await
                .map_err(Problem::unavailable)?;
            tracing::warn!(order_id = %order.id, "payment after cancellation refunded");
            Ok("refunded_late_payment")
        }
    }
}

async fn payment_failed(ports: &Ports, event: &ProviderEvent) -> Result<&'static str> {
    let order = order_of(ports, event).await?;
    let now = ports.clock.now();
    let orders = Orders::new(ports.table.as_ref());
    let record = Orders::provider_event(&event.id, now);
    match orders.cancel_unpaid(&order, now, vec![record]).await {
        Ok(Some(_)) => {
            announce(ports, &OrderEvent::new("order.cancelled", &order.id, None)).await?;
            Ok("cancelled")
        }
        Ok(None) => Ok("ignored"),
        Err(e) => Err(retry_later(e)),
    }
}
