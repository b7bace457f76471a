//! Orders after checkout (R-PAY, R-WARRANTY). Buyers see their orders, sellers the orders
//! holding their lines (and only those lines), admins every order. Each seller moves its own
//! part: acceptance (the transaction is confirmed), shipment with carrier and tracking,
//! delivery, or cancellation before shipment (stock back, refund). Refunds go to the provider
//! and never add up to more than was paid. Every change is checked against the current state
//! (409 otherwise) and announced on the order-events queue. Buyers ask for help within the
//! warranty; sellers answer. Every handler decides the caller (its role, then whether the
//! order is its own: 404 otherwise) before it reads the body.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use edge::{Caller, Group, Json, JsonBody, PageParams, Paged, PathId, PathParams, Problem, Query, Result};
use marketplace::help::{HelpRequest, NewHelpRequest};
use marketplace::money::MoneyInput;
use marketplace::order::{Order, RefundState};
use marketplace::{Money, Violations};
use ports::{Ports, TableError, TxOp};
use serde::Deserialize;
use store::events::{OrderEvent, outbox};
use store::{HelpRequests, Invitations, Orders, SellerQuality};
use views::OrderView;

pub fn router(ports: Ports) -> Router {
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/orders", get(list_orders))
        .route("/orders/{id}", get(show_order))
        .route("/orders/{id}/acceptance", post(accept))
        .route("/orders/{id}/shipment", post(ship))
        .route("/orders/{id}/delivery", post(deliver))
        .route("/orders/{id}/cancellation", post(cancel))
        .route("/orders/{id}/refunds", post(refund).layer(idempotent()))
        .route("/orders/{id}/help-requests", post(ask_for_help).layer(idempotent()))
        .route("/orders/{id}/help-requests/{helpId}/answer", post(answer_help))
        .route("/sellers/{id}/help-requests", get(seller_help_requests));
    edge::finish(routes, ports)
}

/// Whose view of an order a caller gets: admins and the buyer see it whole, a seller member
/// its own lines and part. `None`: not the caller's order (404).
fn viewer<'a>(caller: &'a Caller, order: &Order) -> Option<Option<&'a str>> {
    let user = caller.user()?;
    if user.is(Group::Admin) || (user.is(Group::Buyer) && order.buyer == user.sub) {
        return Some(None);
    }
    let seller = user.seller_id.as_deref().filter(|s| user.is(Group::Seller) && order.part(s).is_some())?;
    Some(Some(seller))
}

async fn load(ports: &Ports, id: &str) -> Result<Order> {
    Orders::new(ports.table.as_ref()).get(id).await?.ok_or_else(|| Problem::not_found("order"))
}

async fn show_order(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<OrderView>> {
    caller.signed_in()?;
    let order = load(&ports, &id).await?;
    let view = viewer(&caller, &order).ok_or_else(|| Problem::not_found("order"))?;
    Ok(Json(OrderView::of(&order, view)))
}

#[derive(Debug, Deserialize)]
struct MonthFilter {
    month: Option<String>,
}

/// Admins list a month's orders (`?month=2026-11`, default this month), sellers theirs,
/// buyers theirs; newest first. Anyone else is refused before the query is read.
async fn list_orders(
    State(ports): State<Ports>,
    caller: Caller,
    query: Result<Query<MonthFilter>>,
    page: Result<PageParams>,
) -> Result<Json<Paged<OrderView>>> {
    let user = caller.signed_in()?;
    let member_of = user.seller_id.as_deref().filter(|_| user.is(Group::Seller));
    if !user.is(Group::Admin) && member_of.is_none() {
        caller.require(Group::Buyer)?;
    }
    let (Query(filter), page) = (query?, page?);
    let orders = Orders::new(ports.table.as_ref());
    if user.is(Group::Admin) {
        let month = filter.month.unwrap_or_else(|| marketplace::ledger::period_of(ports.clock.now()));
        if !marketplace::validation::is_month(&month) {
            return Err(Problem::bad_request("invalid_query", "month is YYYY-MM"));
        }
        let (found, next) = orders.of_month(&month, page.limit, page.cursor).await?;
        return Ok(Json(Paged::new(found.iter().map(|o| OrderView::of(o, None)).collect(), next)));
    }
    if let Some(seller) = member_of {
        let (found, next) = orders.of_seller(seller, page.limit, page.cursor).await?;
        return Ok(Json(Paged::new(found.iter().map(|o| OrderView::of(o, Some(seller))).collect(), next)));
    }
    let (found, next) = orders.of_buyer(&user.sub, page.limit, page.cursor).await?;
    Ok(Json(Paged::new(found.iter().map(|o| OrderView::of(o, None)).collect(), next)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Acting {
    /// Admins name the seller whose part they act on.
    #[serde(default)]
    seller_id: Option<String>,
}

/// Who moves a seller's part of an order: an admin, for the seller it names, or a seller
/// member, for its own part. 401 for the anonymous, 403 for anyone else: decided from the
/// token alone, before the order or the body is read.
enum Actor {
    Admin,
    Member(String),
}

impl Actor {
    fn of(caller: &Caller) -> Result<Actor> {
        if caller.signed_in()?.is(Group::Admin) {
            return Ok(Actor::Admin);
        }
        Ok(Actor::Member(caller.seller_member()?.1.to_owned()))
    }

    /// Whether the actor may act on `order` at all: a member only on an order that holds its
    /// lines (404 otherwise, so other sellers learn nothing of it).
    fn may_act_on(&self, order: &Order) -> Result<()> {
        match self {
            Actor::Member(seller) if order.part(seller).is_none() => Err(Problem::not_found("order")),
            _ => Ok(()),
        }
    }

    /// The seller whose part the actor moves: its own for a member, the one it names (in the
    /// body) for an admin. The order must hold that seller's lines (404 otherwise).
    fn seller(self, order: &Order, named: Option<String>) -> Result<String> {
        let seller = match self {
            Actor::Admin => named
                .ok_or_else(|| Problem::invalid_field("sellerId", "an admin names the seller whose part it acts on"))?,
            Actor::Member(seller) => seller,
        };
        if order.part(&seller).is_none() {
            return Err(Problem::not_found("order"));
        }
        Ok(seller)
    }
}

/// The caller as an actor, and the order it may act on: the role first, then the order.
async fn acting_on(ports: &Ports, caller: &Caller, id: &str) -> Result<(Actor, Order)> {
    let actor = Actor::of(caller)?;
    let order = load(ports, id).await?;
    actor.may_act_on(&order)?;
    Ok((actor, order))
}

/// Applies a seller's transition to its part, with `also` in the same transaction, and
/// announces it.
async fn transition(
    ports: &Ports,
    order: &Order,
    seller: &str,
    kind: &str,
    after: Order,
    also: Vec<TxOp>,
) -> Result<Json<OrderView>> {
    let event = OrderEvent::new(kind, &order.id, Some(seller));
    let mut ops = also;
    ops.push(outbox::put(&event, ports.clock.now()));
    // The last part delivered puts the order on the review invitations' due list.
    ops.extend(Invitations::follow(order, &after));
    // A delivery counts in its seller's quality, once: this write is conditional on the order.
    ops.extend(SellerQuality::follow(order, &after));
    Orders::new(ports.table.as_ref()).transition(order, &after, ops).await?;
    outbox::flush(ports.queue.as_ref(), ports.table.as_ref(), &event).await;
    tracing::info!(order_id = %order.id, seller_id = seller, kind, "order part moved");
    Ok(Json(OrderView::of(&after, Some(seller))))
}

async fn accept(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<OrderView>> {
    let (actor, order) = acting_on(&ports, &caller, &id).await?;
    let body: Acting = body.parse_or_default()?;
    let seller = actor.seller(&order, body.seller_id)?;
    let after = order.accept(&seller, ports.clock.now())?;
    transition(&ports, &order, &seller, "order.accepted", after, vec![]).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ShipmentBody {
    carrier: String,
    tracking: String,
    #[serde(default)]
    seller_id: Option<String>,
}

async fn ship(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<OrderView>> {
    let (actor, order) = acting_on(&ports, &caller, &id).await?;
    let body: ShipmentBody = body.parse()?;
    let seller = actor.seller(&order, body.seller_id)?;
    let after = order.ship(&seller, &body.carrier, &body.tracking, ports.clock.now())?;
    transition(&ports, &order, &seller, "order.shipped", after, vec![]).await
}

/// The seller (or an admin) marks its part delivered; the buyer may confirm receipt too,
/// naming the seller, so the warranty does not wait on a seller who never reports delivery.
/// Anyone but an actor or the order's own buyer is refused before the body is read. The
/// buyer's body says which part it confirms; naming none, it asks for what only sellers and
/// admins may do (403, as for any other non-seller).
async fn deliver(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<OrderView>> {
    let user = caller.signed_in()?;
    let actor = Actor::of(&caller);
    if let Err(refused) = &actor
        && !user.is(Group::Buyer)
    {
        return Err(refused.clone());
    }
    let order = load(&ports, &id).await?;
    let own_buyer = user.is(Group::Buyer) && user.sub == order.buyer;
    if !own_buyer {
        actor.as_ref().map_err(Clone::clone)?.may_act_on(&order)?;
    }
    let body: Acting = body.parse_or_default()?;
    let seller = match body.seller_id {
        Some(named) if own_buyer => {
            order.part(&named).ok_or_else(|| Problem::not_found("order"))?;
            named
        }
        named => actor?.seller(&order, named)?,
    };
    let after = order.deliver(&seller, ports.clock.now())?;
    transition(&ports, &order, &seller, "order.delivered", after, vec![]).await
}

/// Writes `apply(order)` over the order, reading it again if it changed meanwhile.
async fn record(
    ports: &Ports,
    mut order: Order,
    apply: impl Fn(&Order) -> std::result::Result<(Order, Vec<TxOp>), marketplace::Error>,
) -> Result<Order> {
    let orders = Orders::new(ports.table.as_ref());
    for _ in 0..3 {
        let (after, mut also) = apply(&order)?;
        // A cancellation or a full refund can settle an order's last part.
        also.extend(Invitations::follow(&order, &after));
        match orders.transition(&order, &after, also).await {
            Ok(()) => return Ok(after),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => {
                order = load(ports, &order.id).await?
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Problem::unavailable("the order kept changing"))
}

/// Carries refund `refund_id` of `seller`'s part through: recorded with `apply` (unless an
/// earlier attempt recorded it), sent to the provider under its own id while pending, and
/// marked with the provider's answer. Recording first means concurrent refunds never add up
/// to more than was paid; the fixed id means a retried request resumes where the last attempt
/// stopped and never refunds twice. An unknown outcome leaves the refund pending (503
/// `refund_pending`): retrying the request sends it again under the same id. The one way to
/// refund: sellers' refunds and cancellations here, dispute resolutions in `disputes`.
pub async fn carry_refund(
    ports: &Ports,
    order: Order,
    seller: &str,
    refund_id: &str,
    apply: impl Fn(&Order) -> std::result::Result<(Order, Vec<TxOp>), marketplace::Error>,
    kind: &str,
) -> Result<Order> {
    let mut order = order;
    let order_id = order.id.clone();
    let event = |amount_minor: i64| OrderEvent {
        refund_id: Some(refund_id.to_owned()),
        amount_minor: Some(amount_minor),
        ..OrderEvent::new(kind, &order_id, Some(seller))
    };
    if order.refund_of(seller, refund_id).is_none() {
        let now = ports.clock.now();
        // The change is announced from the outbox, written in the same transaction.
        order = record(ports, order, |o| {
            let (after, mut also) = apply(o)?;
            let amount = after.refund_of(seller, refund_id).map_or(0, |r| r.amount_minor);
            also.push(outbox::put(&event(amount), now));
            Ok((after, also))
        })
        .await?;
    }
    let recorded = order.refund_of(seller, refund_id).map_or(0, |r| r.amount_minor);
    outbox::flush(ports.queue.as_ref(), ports.table.as_ref(), &event(recorded)).await;
    let settle = |sent: bool| {
        move |o: &Order| match o.settle_refund(seller, refund_id, sent) {
            Ok(after) => Ok((after, vec![])),
            // Settled meanwhile by a concurrent retry: nothing left to write.
            Err(_) => Ok((o.clone(), vec![])),
        }
    };
    match order.refund_of(seller, refund_id).cloned() {
        None => {}
        Some(refund) => {
            if refund.state == RefundState::Pending {
                let intent = order
                    .payment_intent
                    .clone()
                    .ok_or_else(|| Problem::conflict("not_paid", "the order was never paid"))?;
                let sent = ports.payments.refund(&intent, refund_id, refund.amount_minor, order.currency.code()).await;
                match sent {
                    Ok(()) => order = record(ports, order, settle(true)).await?,
                    Err(ports::PaymentError::Refused(reason)) => {
                        // Settlement undoes what it posted for the refund, if anything.
                        let refused = OrderEvent { kind: "order.refund_refused".into(), ..event(refund.amount_minor) };
                        let now = ports.clock.now();
                        record(ports, order, |o| {
                            let (after, mut also) = settle(false)(o)?;
                            if after.version != o.version {
                                also.push(outbox::put(&refused, now));
                            }
                            Ok((after, also))
                        })
                        .await?;
                        outbox::flush(ports.queue.as_ref(), ports.table.as_ref(), &refused).await;
                        return Err(Problem::conflict("refund_refused", reason));
                    }
                    Err(unknown) => {
                        tracing::error!(order_id = %order.id, refund_id, error = %unknown, "refund recorded, provider outcome unknown");
                        return Err(Problem::new(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "refund_pending",
                            "the refund is recorded but the provider did not confirm it; retry the request",
                        ));
                    }
                }
            } else if refund.state == RefundState::Refused {
                return Err(Problem::conflict("refund_refused", "the provider refused this refund"));
            }
        }
    }
    Ok(order)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Cancellation {
    #[serde(default)]
    seller_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// A seller cancels its part before shipping it: the stock goes back and the buyer is
/// refunded what it paid for that part.
async fn cancel(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<OrderView>> {
    let (actor, order) = acting_on(&ports, &caller, &id).await?;
    let body: Cancellation = body.parse_or_default()?;
    let seller = actor.seller(&order, body.seller_id)?;
    let mut v = Violations::new();
    if let Some(reason) = body.reason.as_deref() {
        marketplace::validation::text(&mut v, "reason", reason, 1000);
    }
    v.finish(|| ())?;
    let now = ports.clock.now();
    // One cancellation per part, so its refund's id is the part's.
    let refund_id = format!("rf_cancel_{seller}");
    let apply = |o: &Order| {
        o.cancel_part(&seller, &refund_id, now).map(|(after, _)| (after, Orders::release_part_stock(o, &seller)))
    };
    let order = carry_refund(&ports, order, &seller, &refund_id, apply, "order.cancelled").await?;
    Ok(Json(OrderView::of(&order, Some(&seller))))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RefundBody {
    amount: MoneyInput,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    seller_id: Option<String>,
}

async fn refund(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    headers: axum::http::HeaderMap,
    body: JsonBody,
) -> Result<(StatusCode, Json<OrderView>)> {
    let (actor, order) = acting_on(&ports, &caller, &id).await?;
    let body: RefundBody = body.parse()?;
    let seller = actor.seller(&order, body.seller_id)?;
    let mut v = Violations::new();
    let currency = v.parse("amount.currency", body.amount.currency.parse::<marketplace::Currency>());
    let amount = currency.and_then(|c| v.parse("amount.amount", Money::parse(&body.amount.amount, c)));
    if let Some(reason) = body.reason.as_deref() {
        marketplace::validation::text(&mut v, "reason", reason, 1000);
    }
    let amount = v.finish(|| amount.expect("a bad amount was recorded as a violation"))?;
    // The refund's id comes from the request's Idempotency-Key, so a retried request finds
    // the refund its first attempt recorded.
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).ok_or_else(|| {
        Problem::bad_request("idempotency_key_required", "a refund moves money: send an Idempotency-Key")
    })?;
    let refund_id = format!("rf_{}", &digest(&[order.id.as_bytes(), seller.as_bytes(), key.as_bytes()])[..26]);
    if order.refund_of(&seller, &refund_id).is_some_and(|r| r.amount_minor != amount.amount_minor) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key named a refund of another amount",
        ));
    }
    let now = ports.clock.now();
    let apply = |o: &Order| o.refund(&seller, &refund_id, amount, now).map(|after| (after, vec![]));
    let order = carry_refund(&ports, order, &seller, &refund_id, apply, "order.refunded").await?;
    Ok((StatusCode::CREATED, Json(OrderView::of(&order, Some(&seller)))))
}

async fn ask_for_help(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<HelpRequest>)> {
    let buyer = caller.require(Group::Buyer)?;
    let order = load(&ports, &id).await?;
    if order.buyer != buyer.sub {
        return Err(Problem::not_found("order"));
    }
    let body: NewHelpRequest = body.parse()?;
    let request = body.open(&order, ports.ids.new_id("help"), ports.clock.now())?;
    let event = OrderEvent::new("order.help_requested", &order.id, Some(&request.seller_id)).about(&request.id);
    let mut also = vec![outbox::put(&event, ports.clock.now())];
    // Its reason may count in the seller's quality, once per line and reason.
    also.extend(SellerQuality::new(ports.table.as_ref()).help(&request).await?);
    HelpRequests::new(ports.table.as_ref()).create(&request, also).await?;
    outbox::flush(ports.queue.as_ref(), ports.table.as_ref(), &event).await;
    Ok((StatusCode::CREATED, Json(request)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    answer: String,
}

async fn answer_help(
    State(ports): State<Ports>,
    caller: Caller,
    PathParams((id, help_id)): PathParams<(String, String)>,
    body: JsonBody,
) -> Result<Json<HelpRequest>> {
    let (_, seller) = caller.seller_member()?;
    let requests = HelpRequests::new(ports.table.as_ref());
    let found = match edge::body::is_id(&id) && edge::body::is_id(&help_id) {
        true => requests.get(&id, &help_id).await?,
        false => None,
    };
    let request = found.filter(|r| r.seller_id == seller).ok_or_else(|| Problem::not_found("help request"))?;
    let body: Answer = body.parse()?;
    let answered = request.answer(&body.answer, ports.clock.now())?;
    requests.answer(&answered).await?;
    Ok(Json(answered))
}

async fn seller_help_requests(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    page: Result<PageParams>,
) -> Result<Json<Paged<HelpRequest>>> {
    caller.signed_in()?;
    if !caller.may_manage(&id) {
        return Err(Problem::not_found("seller"));
    }
    let page = page?;
    let (found, next) = HelpRequests::new(ports.table.as_ref()).of_seller(&id, page.limit, page.cursor).await?;
    Ok(Json(Paged::new(found, next)))
}

/// A hex SHA-256 of the parts, each length-prefixed.
fn digest(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
