//! Endpoints that exist only in the local runner (never deployed): development tokens, the
//! movable clock, schedules.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use edge::{Json, PathId, Problem, Result};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use marketplace::Violations;
use ports::{Clock, MovableClock};
use serde::{Deserialize, Serialize};

use crate::template::Schedule;
use crate::tokens::Tokens;

#[derive(Clone)]
pub struct LocalState {
    pub tokens: Arc<Tokens>,
    pub clock: Arc<MovableClock>,
    pub schedules: Vec<Schedule>,
}

pub fn router(state: LocalState) -> Router {
    Router::new()
        .route("/_local/tokens", post(issue_token))
        .route("/_local/clock", get(show_clock).post(move_clock))
        .route("/_local/schedules", get(list_schedules))
        .route("/_local/schedules/{name}/run", post(run_schedule))
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
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
}

async fn issue_token(
    State(state): State<LocalState>,
    Json(request): Json<TokenRequest>,
) -> Result<Json<TokenResponse>> {
    let mut v = Violations::new();
    v.check(matches!(request.role.as_str(), "buyer" | "seller" | "admin"), "role", "must be buyer, seller or admin");
    let seller_id = request.seller_id.filter(|s| !s.is_empty());
    v.check(request.role != "seller" || seller_id.is_some(), "sellerId", "a seller token names its seller account");
    let sub = request
        .sub
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| format!("{}-{}", request.role, ulid::Ulid::generate()));
    v.check(sub.len() <= 128, "sub", "must be at most 128 characters");
    v.finish(|| ())?;
    let token = state.tokens.issue(&sub, &[request.role.as_str()], seller_id.as_deref(), state.clock.now());
    Ok(Json(TokenResponse { token }))
}

#[derive(Serialize)]
struct Now {
    now: Timestamp,
}

async fn show_clock(State(state): State<LocalState>) -> Json<Now> {
    Json(Now { now: state.clock.now() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    #[serde(default)]
    advance: Option<String>,
    #[serde(default)]
    set: Option<String>,
}

/// `{"advance": "P8D"}` (an ISO 8601 duration, forward only) or `{"set": "<RFC 3339>"}`.
async fn move_clock(State(state): State<LocalState>, Json(change): Json<ClockChange>) -> Result<Json<Now>> {
    match (change.advance, change.set) {
        (Some(advance), None) => {
            let now = state.clock.now();
            let span: Span = advance
                .parse()
                .map_err(|_| Problem::invalid_field("advance", "must be an ISO 8601 duration such as P8D or PT2H"))?;
            let duration = span
                .to_duration(&now.to_zoned_datetime(TimeZone::UTC))
                .ok()
                .filter(|d| d.is_positive())
                .ok_or_else(|| Problem::invalid_field("advance", "must move the clock forward"))?;
            state.clock.advance(duration);
        }
        (None, Some(set)) => {
            let to: Timestamp = set
                .parse()
                .map_err(|_| Problem::invalid_field("set", "must be an RFC 3339 time such as 2026-12-01T00:00:00Z"))?;
            state.clock.set(to);
        }
        _ => return Err(Problem::invalid_field("body", "give exactly one of advance or set")),
    }
    Ok(Json(Now { now: state.clock.now() }))
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
    let items =
        state.schedules.iter().map(|s| ScheduleView { name: s.name.clone(), schedule: s.expression.clone() }).collect();
    Json(Schedules { items })
}

async fn run_schedule(State(state): State<LocalState>, PathId(name): PathId) -> Result<Json<ScheduleView>> {
    // No function declares a schedule yet; the first one (monthly seller fees) adds its job here.
    let schedule = state.schedules.iter().find(|s| s.name == name).ok_or_else(|| Problem::not_found("schedule"))?;
    Err(Problem::conflict("schedule_not_hosted", format!("the local runner cannot run {} yet", schedule.name)))
}
