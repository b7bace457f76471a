//! Structured JSON logs. Each request gets one span carrying its request id, method and route
//! template (`/sellers/{id}`), and one line with the status and latency. Bodies, headers and
//! query strings are never logged, so no personal data reaches the logs.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// JSON lines on stdout (CloudWatch in Lambda), filtered by `RUST_LOG` (default `info`).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

pub async fn log_request(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let request_id = crate::Caller::request_id(&parts).unwrap_or_default();
    let route =
        parts.extensions.get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!("request", request_id = %request_id, method = %parts.method, route = %route);
    let started = Instant::now();
    let response = next.run(Request::from_parts(parts, body)).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "served"
        );
    });
    response
}
