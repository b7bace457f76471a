//! `Idempotency-Key` on the POSTs that create something. The first request with a key runs
//! and its response is recorded; the same key with the same body answers that response again;
//! the same key with a different body is a 422. Only successes are recorded. A record is "in progress" while its request
//! runs, under a lock that expires so a crashed request does not block its retries forever;
//! records expire after a day (the table's TTL attribute `ttl`, epoch seconds).
//!
//! The layer runs before the handler, so before the handler decides the caller: with a key, a
//! malformed key (400), a body over 64 KiB (413), a key in use or reused with another body
//! (409, 422) and the replay of a recorded success are answered whatever the caller's role.
//! Records belong to the caller's `sub`, so each of these answers only tells callers about
//! their own earlier requests; a refused request records nothing (its claim is released).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use ports::{Condition, Item, Key, Ports, TableError, Update, Value};
use sha2::{Digest, Sha256};

use crate::{Caller, MAX_BODY_BYTES, Problem};

pub const HEADER: &str = "idempotency-key";
/// How long a completed response is replayed.
pub const RECORD_TTL: SignedDuration = SignedDuration::from_hours(24);
/// How long a request may hold its key before a retry may take over.
pub const LOCK: SignedDuration = SignedDuration::from_secs(30);
/// Responses larger than this are not recorded (the key is released instead).
const MAX_RECORDED_RESPONSE: usize = 256 * 1024;
/// Lambda's own limit on a response: anything an HTTP function can answer fits.
const MAX_RESPONSE: usize = 6 * 1024 * 1024;

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A key is 1 to 255 visible ASCII characters (a UUID is typical).
fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

fn record_key(scope: &str, key: &str) -> Key {
    Key::new(format!("IDEMPOTENCY#{}", sha256_hex(&[scope.as_bytes(), key.as_bytes()])), "RECORD")
}

fn in_progress(key: &Key, payload_hash: &str, token: &str, now: Timestamp) -> Item {
    let mut item = key.to_item();
    item.insert("kind".into(), Value::from("idempotency"));
    item.insert("status".into(), Value::from("in_progress"));
    item.insert("payloadHash".into(), Value::from(payload_hash));
    item.insert("lockToken".into(), Value::from(token));
    item.insert("lockedUntil".into(), Value::N(now.as_second() + LOCK.as_secs()));
    item.insert("ttl".into(), Value::N(now.as_second() + RECORD_TTL.as_secs()));
    item
}

fn replay(record: &Item) -> Response {
    let status = record.get("responseStatus").and_then(Value::as_n).and_then(|s| u16::try_from(s).ok());
    let status = status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let body = record.get("responseBody").and_then(Value::as_str).unwrap_or_default().to_owned();
    let content_type = record.get("responseContentType").and_then(Value::as_str).unwrap_or("application/json");
    let mut response = (status, body).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// What became of an attempt to claim a key.
enum Claim {
    /// This request holds the key under `token` (until the lock expires).
    Held {
        token: String,
    },
    Answer(Response),
}

async fn claim(ports: &Ports, key: &Key, payload_hash: &str) -> Result<Claim, Problem> {
    let now = ports.clock.now();
    // A token of this request's own marks the lock, so only this request completes or
    // releases it, and a takeover replaces exactly the stale lock it saw.
    let token = ports.ids.new_id("lock");
    let fresh = in_progress(key, payload_hash, &token, now);
    match ports.table.put(fresh.clone(), Some(Condition::NotExists)).await {
        Ok(()) => return Ok(Claim::Held { token }),
        Err(TableError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    let Some(existing) = ports.table.get(key).await? else {
        return Err(Problem::conflict("request_in_progress", "a request with this Idempotency-Key is in progress"));
    };
    let number = |name: &str| existing.get(name).and_then(Value::as_n).unwrap_or(0);
    let expired = number("ttl") <= now.as_second();
    let same_payload = existing.get("payloadHash").and_then(Value::as_str) == Some(payload_hash);
    if !expired && !same_payload {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
        ));
    }
    let completed = existing.get("status").and_then(Value::as_str) == Some("completed");
    if !expired && completed {
        return Ok(Claim::Answer(replay(&existing)));
    }
    if !expired && number("lockedUntil") > now.as_second() {
        return Err(Problem::conflict("request_in_progress", "a request with this Idempotency-Key is in progress"));
    }
    // An expired record, or a lock left by a request that never finished: take it over, unless
    // another retry got there first.
    let stale = existing.get("lockToken").cloned().unwrap_or(Value::Null);
    let unchanged = Condition::And(vec![
        Condition::Equals("lockToken".into(), stale),
        Condition::Equals("status".into(), existing.get("status").cloned().unwrap_or(Value::Null)),
    ]);
    match ports.table.put(fresh, Some(unchanged)).await {
        Ok(()) => Ok(Claim::Held { token }),
        Err(TableError::ConditionFailed) => {
            Err(Problem::conflict("request_in_progress", "a request with this Idempotency-Key is in progress"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Middleware for the creating routes.
pub async fn idempotent(State(ports): State<Ports>, caller: Caller, request: Request, next: Next) -> Response {
    let Some(raw_key) = request.headers().get(HEADER).cloned() else {
        return next.run(request).await;
    };
    let Some(key) = raw_key.to_str().ok().filter(|k| valid_key(k)).map(str::to_owned) else {
        return Problem::bad_request("invalid_idempotency_key", "Idempotency-Key is 1 to 255 visible ASCII characters")
            .into_response();
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the body is larger than 64 KiB")
            .into_response();
    };
    let scope = caller.user().map_or("anonymous", |u| u.sub.as_str()).to_owned();
    let record = record_key(&scope, &key);
    let payload_hash = sha256_hex(&[parts.method.as_str().as_bytes(), parts.uri.path().as_bytes(), &bytes]);
    let token = match claim(&ports, &record, &payload_hash).await {
        Ok(Claim::Held { token }) => token,
        Ok(Claim::Answer(response)) => return response,
        Err(problem) => return problem.into_response(),
    };

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;

    let mine =
        Some(Condition::And(vec![Condition::equals("lockToken", token), Condition::equals("status", "in_progress")]));
    let (response_parts, body) = response.into_parts();
    // Only successes are replayed: a refused request wrote nothing, so its retry may run again.
    let recordable = response_parts.status.is_success();
    let body = match to_bytes(body, MAX_RESPONSE).await {
        Ok(body) if recordable && body.len() <= MAX_RECORDED_RESPONSE => body,
        other => {
            // A refusal, a failure, or a response too large to keep: release the key so the
            // client's retry runs again.
            if let Err(e) = ports.table.delete(&record, mine).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
            return match other {
                Ok(body) => Response::from_parts(response_parts, Body::from(body)),
                Err(e) => Problem::internal(e).into_response(),
            };
        }
    };
    let content_type =
        response_parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let completed = Update::new()
        .set("status", "completed")
        .set("responseStatus", i64::from(response_parts.status.as_u16()))
        .set("responseBody", String::from_utf8_lossy(&body).into_owned())
        .set("responseContentType", content_type.to_owned());
    if let Err(e) = ports.table.update(&record, completed, mine).await {
        tracing::warn!(error = %e, "could not record an idempotent response");
    }
    Response::from_parts(response_parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(valid_key("2f1c6f7e-6a57-4a4e-9d0b-3f0d2c9f1e11"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key("é"));
    }

    #[test]
    fn scopes_do_not_collide() {
        assert_ne!(record_key("user-a", "k"), record_key("user-b", "k"));
        assert_ne!(record_key("ab", "c"), record_key("a", "bc"));
    }
}
