//! Disputes (R-DISPUTE): a buyer opens a case about one order line; buyer, seller and admin
//! exchange messages on it; the seller is told and must answer in time; an admin resolves it
//! (a refund through the orders' one refund path and the ledger, a replacement, or no
//! action); a buyer who does not accept the outcome, or is kept waiting, escalates it to the
//! consumer mediator of the order's market and gets the case file. `GET /legal/dispute-resolution`
//! says all of it per market. Every handler decides the caller before it reads the body; a
//! case is visible to its buyer, its seller's members and admins only (404 to anyone else).

pub mod case_file;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use edge::{Caller, Group, Json, JsonBody, PageParams, Paged, PathId, Problem, Query, Result};
use jiff::Timestamp;
use marketplace::disputes::legal::{self, Mediators};
use marketplace::disputes::timeline::{self, Event, Reviewed};
use marketplace::disputes::{
    Action, Dispute, DisputeStatus, DisputeTerms, Message, NewDispute, Party, Resolution, may, refundable,
};
use marketplace::order::Order;
use ports::{Blob, Mail, Ports, TxOp};
use serde::{Deserialize, Serialize};
use store::{Disputes, HelpRequests, Mails, Opened, Orders, Products, Reviews, Sellers};

use case_file::CaseFile;

/// The time limits (`MARKETPLACE_DISPUTES`, JSON).
pub fn terms() -> &'static DisputeTerms {
    static TERMS: std::sync::OnceLock<DisputeTerms> = std::sync::OnceLock::new();
    TERMS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_DISPUTES", DisputeTerms::from_json))
}

/// The consumer mediators per market (`MARKETPLACE_MEDIATORS`, JSON).
pub fn mediators() -> &'static Mediators {
    static MEDIATORS: std::sync::OnceLock<Mediators> = std::sync::OnceLock::new();
    MEDIATORS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_MEDIATORS", Mediators::from_json))
}

pub use edge::config::calendars;

/// Where a buyer downloads the case file.
const CASE_FILE_LINK: &str = "https://marketplace.example/disputes";

pub fn router(ports: Ports) -> Router {
    terms();
    mediators();
    calendars();
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/orders/{id}/disputes", post(open).layer(idempotent()))
        .route("/disputes", get(list))
        .route("/disputes/{id}", get(show))
        .route("/disputes/{id}/messages", post(message))
        .route("/disputes/{id}/resolution", post(resolve))
        .route("/disputes/{id}/escalation", post(escalate))
        .route("/disputes/{id}/withdrawal", post(withdraw))
        .route("/disputes/{id}/export", get(export))
        .route("/legal/dispute-resolution", get(dispute_resolution));
    edge::finish(routes, ports)
}

/// A case as its parties see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisputeView {
    pub id: String,
    pub status: DisputeStatus,
    pub order_id: String,
    pub offer_id: String,
    pub seller_id: String,
    pub subject: String,
    pub desired_outcome: marketplace::disputes::DesiredOutcome,
    pub messages: Vec<Message>,
    pub timeline: Vec<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<case_file::OutcomeView>,
    pub opened_at: Timestamp,
    pub answer_by: Timestamp,
    pub seller_answer_overdue: bool,
    pub resolve_by: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// Once escalated: where the buyer takes the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediator: Option<legal::Mediator>,
}

fn view(dispute: &Dispute, timeline: Vec<Event>, now: Timestamp) -> DisputeView {
    DisputeView {
        id: dispute.id.clone(),
        status: dispute.status,
        order_id: dispute.order_id.clone(),
        offer_id: dispute.offer_id.clone(),
        seller_id: dispute.seller_id.clone(),
        subject: dispute.subject.clone(),
        desired_outcome: dispute.desired_outcome,
        messages: dispute.messages.clone(),
        timeline,
        outcome: dispute.outcome.as_ref().map(case_file::OutcomeView::from),
        opened_at: dispute.opened_at,
        answer_by: dispute.answer_by,
        seller_answer_overdue: dispute.seller_overdue(now),
        resolve_by: dispute.resolve_by,
        closed_at: dispute.closed_at,
        mediator: (dispute.status == DisputeStatus::Escalated).then(|| mediators().for_market(&dispute.market).clone()),
    }
}

/// The caller's part in `dispute`, if any.
fn party(caller: &Caller, dispute: &Dispute) -> Option<Party> {
    let user = caller.user()?;
    if user.is(Group::Admin) {
        Some(Party::Admin)
    } else if user.is_member_of(&dispute.seller_id) {
        Some(Party::Seller)
    } else if user.is(Group::Buyer) && user.sub == dispute.buyer {
        Some(Party::Buyer)
    } else {
        None
    }
}

/// The case and the caller's part in it: 401 anonymous, 404 for anyone not a party.
async fn case_of(ports: &Ports, caller: &Caller, id: &str) -> Result<(Dispute, Party)> {
    caller.signed_in()?;
    let found = match edge::body::is_id(id) {
        true => Disputes::new(ports.table.as_ref()).get(id).await?,
        false => None,
    };
    let dispute = found.ok_or_else(|| Problem::not_found("dispute"))?;
    let party = party(caller, &dispute).ok_or_else(|| Problem::not_found("dispute"))?;
    Ok((dispute, party))
}

/// 403 when the party may not do `action` to a case in any state (a seller escalating); the
/// rules answer 409 for a state that does not take it.
fn allowed(party: Party, action: Action) -> Result<()> {
    let in_some_state = DisputeStatus::ALL.iter().any(|s| may(party, action, *s));
    if in_some_state { Ok(()) } else { Err(Problem::forbidden("only another party of the case may do this")) }
}

async fn order_of(ports: &Ports, dispute: &Dispute) -> Result<Order> {
    Orders::new(ports.table.as_ref()).get(&dispute.order_id).await?.ok_or_else(|| Problem::not_found("order"))
}

/// The case's timeline, from its order, the line's help requests and review, and itself.
async fn timeline_of(ports: &Ports, dispute: &Dispute, order: &Order) -> Result<Vec<Event>> {
    let table = ports.table.as_ref();
    let help = HelpRequests::new(table).of_order(&order.id).await?;
    let review = Reviews::new(table).of_line(&order.id, &dispute.offer_id).await?;
    let review = review.map(|r| Reviewed { at: r.submitted_at, rating: r.rating });
    Ok(timeline::timeline(order, dispute, &help, review))
}

fn mail(to: &str, subject: String, body: String) -> Mail {
    Mail { to: to.to_owned(), subject, body }
}

/// The mails that tell the seller and, when it has an address on record, the buyer.
async fn tell_parties(
    ports: &Ports,
    dispute: &Dispute,
    order: &Order,
    event: &str,
    seller_text: Option<(String, String)>,
    buyer_text: Option<(String, String)>,
) -> Result<Vec<TxOp>> {
    let now = ports.clock.now();
    let mut ops = Vec::new();
    if let Some((subject, body)) = seller_text {
        let seller = Sellers::new(ports.table.as_ref()).get(&dispute.seller_id).await?;
        if let Some(seller) = seller {
            let id = format!("dsp-{}-{event}-seller", dispute.id);
            ops.push(Mails::queue(&id, &mail(&seller.trader.email, subject, body), now));
        }
    }
    if let (Some((subject, body)), Some(to)) = (buyer_text, order.buyer_email.as_deref()) {
        ops.push(Mails::queue(&format!("dsp-{}-{event}-buyer", dispute.id), &mail(to, subject, body), now));
    }
    Ok(ops)
}

async fn open(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<DisputeView>)> {
    let buyer = caller.require(Group::Buyer)?;
    let order = match edge::body::is_id(&id) {
        true => Orders::new(ports.table.as_ref()).get(&id).await?,
        false => None,
    };
    let order = order.filter(|o| o.buyer == buyer.sub).ok_or_else(|| Problem::not_found("order"))?;
    let input: NewDispute = body.parse()?;
    let help = HelpRequests::new(ports.table.as_ref()).of_order(&order.id).await?;
    let calendar = calendars().for_country(&order.shipping_country);
    let now = ports.clock.now();
    let dispute = input.open(ports.ids.new_id("dsp"), &order, &help, calendar, terms(), now)?;
    let seller_text = (
        format!("A buyer opened a case about order {}", order.id),
        format!(
            "The buyer of offer {} in order {} opened a case with the platform: {}.\n\n\"{}\"\n\n\
             Answer on the case by {} (reply with POST /disputes/{}/messages); the platform \
             decides by {}.\n",
            dispute.offer_id,
            order.id,
            dispute.subject,
            dispute.messages[0].text,
            dispute.answer_by,
            dispute.id,
            dispute.resolve_by
        ),
    );
    let also = tell_parties(&ports, &dispute, &order, "opened", Some(seller_text), None).await?;
    match Disputes::new(ports.table.as_ref()).open(&dispute, also).await? {
        Opened::Created => {}
        Opened::LineHasCase => {
            return Err(Problem::conflict("dispute_exists", "this order line already has a case; add to it instead"));
        }
        Opened::Exists => return Err(Problem::conflict("concurrent_update", "retry the request")),
    }
    tracing::info!(dispute_id = %dispute.id, order_id = %order.id, "dispute opened");
    let timeline = timeline_of(&ports, &dispute, &order).await?;
    Ok((StatusCode::CREATED, Json(view(&dispute, timeline, now))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    #[serde(rename = "limit")]
    _limit: Option<String>,
    #[serde(rename = "cursor")]
    _cursor: Option<String>,
}

/// The caller's cases: a buyer's own, a seller's own, or for admins those in one status
/// (`?status=`, default `open`, the seller's earliest answer deadline first).
async fn list(
    State(ports): State<Ports>,
    caller: Caller,
    query: Result<Query<ListQuery>>,
    page: Result<PageParams>,
) -> Result<Json<Paged<DisputeView>>> {
    let user = caller.signed_in()?;
    let member_of = user.seller_id.clone().filter(|_| user.is(Group::Seller));
    if !user.is(Group::Admin) && member_of.is_none() {
        caller.require(Group::Buyer)?;
    }
    let (Query(query), page) = (query?, page?);
    let disputes = Disputes::new(ports.table.as_ref());
    let (found, next) = if user.is(Group::Admin) {
        let names = || DisputeStatus::ALL.map(DisputeStatus::as_str).join(", ");
        let status = match query.status.as_deref() {
            None => DisputeStatus::Open,
            Some(name) => DisputeStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == name)
                .ok_or_else(|| Problem::bad_request("invalid_query", format!("status is one of {}", names())))?,
        };
        disputes.in_status(status, page.limit, page.cursor).await?
    } else if query.status.is_some() {
        return Err(Problem::bad_request("invalid_query", "only admins filter cases by status"));
    } else if let Some(seller) = member_of {
        disputes.of_seller(&seller, page.limit, page.cursor).await?
    } else {
        disputes.of_buyer(&user.sub, page.limit, page.cursor).await?
    };
    let now = ports.clock.now();
    Ok(Json(Paged::new(found.iter().map(|d| view(d, Vec::new(), now)).collect(), next)))
}

async fn show(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<DisputeView>> {
    let (dispute, _) = case_of(&ports, &caller, &id).await?;
    let order = order_of(&ports, &dispute).await?;
    let timeline = timeline_of(&ports, &dispute, &order).await?;
    Ok(Json(view(&dispute, timeline, ports.clock.now())))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    message: String,
}

/// Writes `after` over `before` with its mails, answering the case as it now stands.
async fn commit(
    ports: &Ports,
    before: &Dispute,
    after: &Dispute,
    order: &Order,
    also: Vec<TxOp>,
) -> Result<Json<DisputeView>> {
    Disputes::new(ports.table.as_ref()).change(before, after, also).await?;
    let timeline = timeline_of(ports, after, order).await?;
    Ok(Json(view(after, timeline, ports.clock.now())))
}

async fn message(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<DisputeView>> {
    let (dispute, party) = case_of(&ports, &caller, &id).await?;
    let body: MessageBody = body.parse()?;
    let after = dispute.post(party, &body.message, ports.clock.now())?;
    let order = order_of(&ports, &dispute).await?;
    commit(&ports, &dispute, &after, &order, Vec::new()).await
}

/// An admin resolves the case. A refund goes through the orders' refund path first, under an
/// id of its own (`rf_dsp_…`), so a retried resolution resumes it and never refunds twice;
/// then the outcome is recorded and both parties are told.
async fn resolve(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<DisputeView>> {
    caller.require(Group::Admin)?;
    let (dispute, _) = case_of(&ports, &caller, &id).await?;
    let resolution: Resolution = body.parse()?;
    let mut order = order_of(&ports, &dispute).await?;
    let refund_id = format!("rf_dsp_{}", dispute.id.trim_start_matches("dsp_"));
    // A retry finds its own refund recorded: what is left to refund counts it back.
    let mut left = refundable(&order, &dispute.offer_id);
    if let Some(recorded) = order.refund_of(&dispute.seller_id, &refund_id) {
        left = marketplace::Money::new(left.amount_minor + recorded.amount_minor, left.currency);
    }
    let now = ports.clock.now();
    let after = dispute.resolve(resolution, left, refund_id.clone(), now)?;
    let outcome = after.outcome.clone().expect("a resolved case has its outcome");
    if let Some(amount) = outcome.amount {
        if order.refund_of(&dispute.seller_id, &refund_id).is_some_and(|r| r.amount_minor != amount.amount_minor) {
            return Err(Problem::conflict("refund_exists", "this case's refund was recorded with another amount"));
        }
        let seller = dispute.seller_id.clone();
        let apply = |o: &Order| o.refund(&seller, &refund_id, amount, now).map(|after| (after, vec![]));
        order = orders::carry_refund(&ports, order, &dispute.seller_id, &refund_id, apply, "order.refunded").await?;
    }
    let amount = outcome.amount.map(|a| format!(" of {a}")).unwrap_or_default();
    let decided = format!(
        "The platform decided on case {} (order {}): {}{amount}.\n\n{}\n\nIf you do not accept this decision, \
         you may take the case to the consumer mediator (POST /disputes/{}/escalation).\n",
        dispute.id,
        dispute.order_id,
        outcome.kind.as_str().replace('_', " "),
        outcome.explanation,
        dispute.id
    );
    let subject = format!("Case {}: the platform decided", dispute.id);
    let also = tell_parties(
        &ports,
        &after,
        &order,
        "resolved",
        Some((subject.clone(), decided.clone())),
        Some((subject, decided)),
    )
    .await?;
    tracing::info!(dispute_id = %dispute.id, outcome = outcome.kind.as_str(), "dispute resolved");
    commit(&ports, &dispute, &after, &order, also).await
}

/// The buyer takes the case to the consumer mediator: the case closes, the case file is
/// stored (JSON and PDF), and the buyer is mailed the mediator's details and the file's link.
async fn escalate(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<DisputeView>> {
    let (dispute, order) = buyers_case(&ports, &caller, &id, Action::Escalate, body).await?;
    let now = ports.clock.now();
    let after = dispute.escalate(now)?;
    let file = case_file(&ports, &after, &order).await?;
    store_case_file(&ports, &file).await?;
    let mediator = mediators().for_market(&dispute.market);
    let buyer_text = (
        format!("Case {}: the consumer mediator's details", dispute.id),
        format!(
            "You took case {} to the consumer mediator. The competent mediator for your order:\n\n{}\n{}\n\n{}\n\n\
             Your case file, to attach: {CASE_FILE_LINK}/{}/export (JSON, or PDF).\n\n{}\n",
            dispute.id,
            mediator.name,
            mediator.website,
            mediator.how_to_file,
            dispute.id,
            legal::COURTS
        ),
    );
    let seller_text = (
        format!("Case {} was taken to the consumer mediator", dispute.id),
        format!("The buyer took case {} (order {}) to {}.\n", dispute.id, dispute.order_id, mediator.name),
    );
    let also = tell_parties(&ports, &after, &order, "escalated", Some(seller_text), Some(buyer_text)).await?;
    tracing::info!(dispute_id = %dispute.id, "dispute escalated");
    commit(&ports, &dispute, &after, &order, also).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// The case and its order, for an action only its buyer takes (403 for its other parties),
/// whose body, if any, is empty.
async fn buyers_case(
    ports: &Ports,
    caller: &Caller,
    id: &str,
    action: Action,
    body: JsonBody,
) -> Result<(Dispute, Order)> {
    let (dispute, party) = case_of(ports, caller, id).await?;
    allowed(party, action)?;
    body.parse_or_default::<Empty>()?;
    let order = order_of(ports, &dispute).await?;
    Ok((dispute, order))
}

/// The buyer withdraws the case (settled, or the outcome accepted): it closes.
async fn withdraw(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<DisputeView>> {
    let (dispute, order) = buyers_case(&ports, &caller, &id, Action::Withdraw, body).await?;
    let after = dispute.withdraw(ports.clock.now())?;
    commit(&ports, &dispute, &after, &order, Vec::new()).await
}

async fn case_file(ports: &Ports, dispute: &Dispute, order: &Order) -> Result<CaseFile> {
    let table = ports.table.as_ref();
    let seller = Sellers::new(table).get(&dispute.seller_id).await?.ok_or_else(|| Problem::not_found("seller"))?;
    let line = order.lines.iter().find(|l| l.offer_id == dispute.offer_id);
    let product = match line {
        Some(line) => Products::new(table).get(&line.product_id).await?.map(|p| format!("{} {}", p.brand, p.name)),
        None => None,
    };
    let timeline = timeline_of(ports, dispute, order).await?;
    let mediator = mediators().for_market(&dispute.market);
    Ok(CaseFile::of(dispute, order, &seller, product.unwrap_or_else(|| dispute.offer_id.clone()), timeline, mediator))
}

/// The document key of a case file.
pub fn case_file_key(dispute_id: &str, extension: &str) -> String {
    format!("disputes/{dispute_id}/case-file.{extension}")
}

async fn store_case_file(ports: &Ports, file: &CaseFile) -> Result<()> {
    let json = serde_json::to_vec_pretty(file).map_err(Problem::internal)?;
    let blobs = ports.blobs.as_ref();
    let put = |bytes, content_type: &str| Blob { bytes, content_type: content_type.to_owned() };
    blobs
        .put(&case_file_key(&file.dispute_id, "json"), put(json, "application/json"))
        .await
        .map_err(Problem::unavailable)?;
    blobs
        .put(&case_file_key(&file.dispute_id, "pdf"), put(file.pdf(), "application/pdf"))
        .await
        .map_err(Problem::unavailable)?;
    Ok(())
}

/// The case file, for the case's buyer and admins (a seller gets 403: the file is the buyer's
/// to hand to the mediator). JSON, or a PDF with `Accept: application/pdf`.
async fn export(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response> {
    let (dispute, party) = case_of(&ports, &caller, &id).await?;
    allowed(party, Action::Export)?;
    let order = order_of(&ports, &dispute).await?;
    let file = case_file(&ports, &dispute, &order).await?;
    let wants_pdf = edge::body::accepts(&headers, "application/pdf");
    if !wants_pdf {
        return Ok(Json(file).into_response());
    }
    let mut response = file.pdf().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"case-file-{}.pdf\"", dispute.id)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The amicable route, the mediators and the courts, per market (anyone).
async fn dispute_resolution() -> Json<legal::DisputeResolution> {
    Json(legal::page(mediators(), terms()))
}
