//! The edge, written once for every HTTP function: who is calling (claims from the API
//! Gateway request context), the one error format (`application/problem+json`), JSON bodies
//! and paths that refuse bad input with named fields (a body is parsed only once the handler
//! has decided the caller), cursor pagination, `Idempotency-Key`, request logs without
//! personal data, and each request's recipient for the DSA's monthly count.

pub mod activity;
pub mod auth;
pub mod body;
pub mod config;
pub mod idempotency;
pub mod logging;
pub mod page;
pub mod problem;
pub mod worker;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use ports::Ports;

pub use auth::{Caller, Group, User};
pub use body::{Json, JsonBody, PathId, PathParams, Query, RawBody, XmlBody};
pub use page::{PageParams, Paged};
pub use problem::{Problem, Result};

/// Request bodies are small JSON documents; anything larger is refused before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Wraps a function's routes with what every function shares: the problem+json fallbacks,
/// the body limit, the request log and the report of each request's recipient.
pub fn finish(routes: Router<Ports>, ports: Ports) -> Router {
    routes
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(ports.clone(), activity::report))
        .layer(axum::middleware::from_fn(logging::log_request))
        .with_state(ports)
}
