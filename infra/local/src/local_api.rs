//! Endpoints that exist only in the local runner (never deployed): development tokens, the
//! movable clock, schedules, the outbox of mails.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use edge::{Json, PathId, Problem, Result};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use marketplace::Violations;
use ports::{Clock, MovableClock};
use sandbox_payments::SandboxPayments;
use serde::{Deserialize, Serialize};

use embedded_adapters::TableOutbox;

use crate::gateway::Dispatcher;
use crate::timeline::Timeline;
use crate::tokens::Tokens;

#[derive(Clone)]
pub struct LocalState {
    pub tokens: Arc<Tokens>,
    pub clock: Arc<MovableClock>,
    pub timeline: Arc<Timeline>,
    pub sandbox: Arc<SandboxPayments>,
    /// The API as API Gateway serves it, for the sandbox's webhooks.
    pub dispatcher: Arc<Dispatcher>,
    /// The mails the functions sent (kept, never delivered).
    pub outbox: Arc<TableOutbox>,
}

pub fn router(state: LocalState) -> Router {
    Router::new()
        .route("/_local/tokens", post(issue_token))
        .route("/_local/clock", get(show_clock).post(move_clock))
        .route("/_local/schedules", get(list_schedules))
        .route("/_local/schedules/{name}/run", post(run_schedule))
        .route("/_local/payments/{intent}/succeed", post(payment_succeeds))
        .route("/_local/payments/{intent}/fail", post(payment_fails))
        .route("/_local/outbox", get(show_outbox))
        .with_state(state)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenRequest {
    role: String,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    seller_id: Option<String>,
    /// The `email` claim, as an ID token carries it.
    #[serde(default)]
    email: Option<String>,
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
}

async fn issue_token(State(state): State<LocalState>, body: edge::JsonBody) -> Result<Json<TokenResponse>> {
    let request: TokenRequest = body.parse()?;
    let mut v = Violations::new();
    v.check(matches!(request.role.as_str(), "buyer" | "seller" | "admin"), "role", "must be buyer, seller or admin");
    let seller_id = request.seller_id.filter(|s| !s.is_empty());
    v.check(request.role != "seller" || seller_id.is_some(), "sellerId", "a seller token names its seller account");
    let sub = request
        .sub
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| format!("{}-{}", request.role, ulid::Ulid::generate()));
    v.check(sub.len() <= 128, "sub", "must be at most 128 characters");
    let email = request.email.filter(|e| !e.is_empty());
    v.check(email.as_deref().is_none_or(marketplace::validation::is_email), "email", "must be an e-mail address");
    v.finish(|| ())?;
    let role = [request.role.as_str()];
    let token = state.tokens.issue_with_email(&sub, &role, seller_id.as_deref(), email.as_deref(), state.clock.now());
    Ok(Json(TokenResponse { token }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Now {
    now: Timestamp,
    /// After a move: the schedule runs it made on the way.
    #[serde(skip_serializing_if = "Option::is_none")]
    schedules_ran: Option<usize>,
}

async fn show_clock(State(state): State<LocalState>) -> Json<Now> {
    Json(Now { now: state.clock.now(), schedules_ran: None })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    #[serde(default)]
    advance: Option<String>,
    #[serde(default)]
    set: Option<String>,
}

/// The longest move forward in one call.
const MAX_MOVE: SignedDuration = SignedDuration::from_hours(366 * 24);

/// `{"advance": "P8D"}` (an ISO 8601 duration, forward only) or `{"set": "<RFC 3339>"}`. Time
/// passes as it would: every schedule firing on the way runs at its own time (see `Timeline`).
async fn move_clock(State(state): State<LocalState>, body: edge::JsonBody) -> Result<Json<Now>> {
    let change: ClockChange = body.parse()?;
    let (advance, set) = match (change.advance, change.set) {
        (Some(advance), None) => {
            let span: Span = advance
                .parse()
                .map_err(|_| Problem::invalid_field("advance", "must be an ISO 8601 duration such as P8D or PT2H"))?;
            (Some(span), None)
        }
        (None, Some(set)) => {
            let to: Timestamp = set
                .parse()
                .map_err(|_| Problem::invalid_field("set", "must be an RFC 3339 time such as 2026-12-01T00:00:00Z"))?;
            (None, Some(to))
        }
        _ => return Err(Problem::invalid_field("body", "give exactly one of advance or set")),
    };
    // The target is taken from the clock's time when the move starts, in turn with any other.
    let target = |now: Timestamp| {
        let (field, to) = match (advance, set) {
            (Some(span), _) => {
                let duration = span
                    .to_duration(&now.to_zoned_datetime(TimeZone::UTC))
                    .ok()
                    .filter(|d| d.is_positive())
                    .ok_or_else(|| Problem::invalid_field("advance", "must move the clock forward"))?;
                ("advance", now.checked_add(duration).unwrap_or(Timestamp::MAX))
            }
            (None, to) => ("set", to.unwrap_or(now)),
        };
        // Every firing on the way runs: a bounded move keeps the answer bounded.
        if to.duration_since(now) > MAX_MOVE {
            return Err(Problem::invalid_field(field, "moves the clock at most 366 days at a time: move in steps"));
        }
        Ok(to)
    };
    let ran = state.timeline.move_to(target).await?;
    Ok(Json(Now { now: state.clock.now(), schedules_ran: Some(ran) }))
}

#[derive(Serialize)]
struct ScheduleView {
    name: String,
    schedule: String,
}

#[derive(Serialize)]
struct Schedules {
    items: Vec<ScheduleView>,
}

async fn list_schedules(State(state): State<LocalState>) -> Json<Schedules> {
    let items = state
        .timeline
        .jobs
        .iter()
        .map(|j| ScheduleView { name: j.schedule.name.clone(), schedule: j.schedule.expression.clone() })
        .collect();
    Json(Schedules { items })
}

#[derive(Serialize)]
struct Ran {
    name: String,
    report: String,
}

async fn run_schedule(State(state): State<LocalState>, PathId(name): PathId) -> Result<Json<Ran>> {
    let ran = state.timeline.run_now(&name).await.ok_or_else(|| Problem::not_found("schedule"))?;
    let report = ran.map_err(Problem::unavailable)?;
    Ok(Json(Ran { name, report }))
}

#[derive(Serialize)]
struct Delivered {
    status: u16,
    webhook: serde_json::Value,
}

/// The sandbox settles the intent and sends its signed webhook to the API, as the provider
/// would; the answer shows what the webhook got back.
async fn settle(state: &LocalState, intent: &str, succeeded: bool) -> Result<Json<Delivered>> {
    let event = state.sandbox.settle(intent, succeeded, state.clock.now()).await.map_err(|e| match e {
        ports::PaymentError::Refused(reason) => Problem::conflict("payment_not_pending", reason),
        other => Problem::unavailable(other),
    })?;
    let request = axum::http::Request::post("/payments/webhook")
        .header("content-type", "application/json")
        .header(payment_events::SIGNATURE_HEADER, event.signature)
        .body(axum::body::Body::from(event.body))
        .map_err(Problem::internal)?;
    let response = state.dispatcher.dispatch(request).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.map_err(Problem::internal)?;
    Ok(Json(Delivered { status, webhook: serde_json::from_slice(&bytes).unwrap_or_default() }))
}

async fn payment_succeeds(State(state): State<LocalState>, PathId(intent): PathId) -> Result<Json<Delivered>> {
    settle(&state, &intent, true).await
}

async fn payment_fails(State(state): State<LocalState>, PathId(intent): PathId) -> Result<Json<Delivered>> {
    settle(&state, &intent, false).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MailView {
    to: String,
    subject: String,
    body: String,
    sent_at: Timestamp,
}

#[derive(Serialize)]
struct Outbox {
    items: Vec<MailView>,
}

/// The mails that would have been sent, oldest first.
async fn show_outbox(State(state): State<LocalState>) -> Result<Json<Outbox>> {
    let sent = state.outbox.sent().await.map_err(Problem::unavailable)?;
    let items = sent
        .into_iter()
        .map(|m| MailView { to: m.mail.to, subject: m.mail.subject, body: m.mail.body, sent_at: m.sent_at })
        .collect();
    Ok(Json(Outbox { items }))
}
