//! Checkout (R-FEE, R-PAY, R-INSURE): a quote shows exactly what a cart costs, service fee and
//! insurance included, before the buyer commits; an order charges exactly that quote or
//! nothing, and takes its stock in the same transaction that writes it, so no unit is ever
//! sold twice. Only buyers may do either: the role is decided before the body is read.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use edge::{Caller, Group, Json, JsonBody, PathId, Problem, Result};
use marketplace::checkout::{Cart, CartLine, NewCart, Pricing, Quote, SellerFacts};
use marketplace::order::{Order, OrderStatus};
use ports::Ports;
use serde::Deserialize;
use store::{Offers, Orders, Placed, Quotes, Sellers};
use views::{OrderView, QuoteView};

/// The pricing configuration: `MARKETPLACE_PRICING` (JSON of `marketplace::checkout::Pricing`:
/// fee schedules and insurance tables per currency, quote lifetime, shipping days), read once
/// per process; R-FEE's defaults without it. A configuration that does not parse stops the
/// function at start-up (`router` reads it), never mid-request, rather than price wrongly.
pub fn pricing() -> &'static Pricing {
    static PRICING: std::sync::OnceLock<Pricing> = std::sync::OnceLock::new();
    PRICING.get_or_init(|| match std::env::var("MARKETPLACE_PRICING") {
        Ok(json) => serde_json::from_str(&json).expect("MARKETPLACE_PRICING is not a valid pricing configuration"),
        Err(_) => Pricing::default(),
    })
}

pub fn router(ports: Ports) -> Router {
    pricing();
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/quotes", post(create_quote).layer(idempotent()))
        .route("/quotes/{id}", get(show_quote))
        .route("/orders", post(place_order).layer(idempotent()));
    edge::finish(routes, ports)
}

/// Prices a cart against the offers and sellers as they are now (two batched reads).
async fn price(ports: &Ports, id: String, buyer: &str, cart: &Cart) -> Result<Quote> {
    let offer_ids: Vec<&str> =
        cart.lines.iter().map(|l| l.offer_id.as_str()).filter(|id| edge::body::is_id(id)).collect();
    let offers = Offers::new(ports.table.as_ref()).get_many(&offer_ids).await?;
    let seller_ids: BTreeSet<&str> = offers.iter().map(|o| o.seller_id.as_str()).collect();
    let sellers = Sellers::new(ports.table.as_ref()).get_many(&seller_ids.into_iter().collect::<Vec<_>>()).await?;
    let facts: Vec<_> = cart
        .lines
        .iter()
        .map(|line| {
            let offer = offers.iter().find(|o| o.id == line.offer_id)?;
            let seller = sellers.iter().find(|s| s.id == offer.seller_id)?;
            Some((offer.clone(), SellerFacts { status: seller.status, country: seller.trader.address.country.clone() }))
        })
        .collect();
    Ok(marketplace::checkout::price(pricing(), id, buyer.to_owned(), cart, &facts, ports.clock.now())?)
}

async fn create_quote(
    State(ports): State<Ports>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<QuoteView>)> {
    let buyer = caller.require(Group::Buyer)?;
    let body: NewCart = body.parse()?;
    let cart = body.validate()?;
    let quote = price(&ports, ports.ids.new_id("qt"), &buyer.sub, &cart).await?;
    Quotes::new(ports.table.as_ref()).create(&quote).await?;
    Ok((StatusCode::CREATED, Json(QuoteView::from(&quote))))
}

async fn own_quote(ports: &Ports, caller: &Caller, id: &str) -> Result<Quote> {
    let buyer = caller.require(Group::Buyer)?;
    let quote = Quotes::new(ports.table.as_ref()).get(id).await?;
    quote.filter(|q| q.buyer == buyer.sub).ok_or_else(|| Problem::not_found("quote"))
}

async fn show_quote(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<QuoteView>> {
    Ok(Json(QuoteView::from(&own_quote(&ports, &caller, &id).await?)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlaceOrder {
    quote_id: String,
}

/// 409 with a fresh quote of the same cart, so the buyer sees what changed and can confirm
/// again; or with the reasons the cart can no longer be bought.
async fn stale(ports: &Ports, quote: &Quote, code: &str, detail: &str) -> Problem {
    let cart = Cart {
        lines: quote
            .lines
            .iter()
            .map(|l| CartLine {
                offer_id: l.offer_id.clone(),
                quantity: l.quantity,
                insurance: l.insurance_premium.amount_minor != 0,
            })
            .collect(),
        payment_method: quote.payment_method,
        shipping_country: quote.shipping_country.clone(),
    };
    let problem = Problem::conflict(code, detail);
    match price(ports, ports.ids.new_id("qt"), &quote.buyer, &cart).await {
        Ok(fresh) => match Quotes::new(ports.table.as_ref()).create(&fresh).await {
            Ok(()) => problem.with_member("quote", serde_json::to_value(QuoteView::from(&fresh)).unwrap_or_default()),
            Err(e) => e.into(),
        },
        Err(refused) if refused.status == 422 => problem.with_errors(refused.errors),
        Err(outage) => outage,
    }
}

async fn place_order(State(ports): State<Ports>, caller: Caller, body: JsonBody) -> Result<Response> {
    let buyer = caller.require(Group::Buyer)?;
    // Where the invitation to review goes (R-REV-INVITE), if the token carries an address.
    let buyer_email = buyer.email.clone().filter(|e| marketplace::validation::is_email(e));
    let body: PlaceOrder = body.parse()?;
    if !edge::body::is_id(&body.quote_id) {
        return Err(Problem::invalid_field("quoteId", "no such quote"));
    }
    let quote = own_quote(&ports, &caller, &body.quote_id).await?;
    let now = ports.clock.now();
    let orders = Orders::new(ports.table.as_ref());
    if quote.is_expired(now) {
        // A retry of an order placed before the quote expired still finds that order.
        if let Some(existing) = orders.get(&marketplace::order::order_id(&quote.id)).await? {
            return answer(&ports, &existing, StatusCode::OK).await;
        }
        return Err(stale(&ports, &quote, "quote_expired", "the quote expired; here is a fresh one").await);
    }
    let fee_now =
        pricing().fee_schedules.iter().find(|s| s.currency == quote.currency).map(|s| s.fee(quote.totals.items_total));
    if fee_now != Some(quote.totals.service_fee) {
        return Err(stale(&ports, &quote, "quote_stale", "the service fee changed; here is a fresh quote").await);
    }
    let order = Order { buyer_email, ..Order::place(&quote, now) };
    match orders.place(&order).await? {
        Placed::Created => {
            tracing::info!(order_id = %order.id, lines = order.lines.len(), "order placed");
            answer(&ports, &order, StatusCode::CREATED).await
        }
        Placed::Exists(existing) => answer(&ports, &existing, StatusCode::OK).await,
        Placed::Stale => {
            Err(stale(&ports, &quote, "quote_stale", "an offer changed since the quote; here is a fresh one").await)
        }
    }
}

/// The order with its payment intent, made (or found again: the provider keys it by order)
/// once the order exists, so a refused order never reaches the provider.
async fn answer(ports: &Ports, order: &Order, status: StatusCode) -> Result<Response> {
    let mut view = OrderView::of(order, None);
    if order.status == OrderStatus::AwaitingPayment {
        let intent = ports
            .payments
            .create_intent(
                &order.id,
                order.totals.total.amount_minor,
                order.currency.code(),
                order.payment_method.as_str(),
            )
            .await
            .map_err(Problem::unavailable)?;
        view.payment.intent_id = Some(intent);
    }
    Ok((status, Json(view)).into_response())
}
