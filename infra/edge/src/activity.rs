//! Each request's recipient, reported for the monthly active recipients (DSA Art. 24(2)):
//! the signed-in account and the device id the web client sends (`X-Device-Id`), hashed with
//! the secret salt here, so no identifier leaves the function; bots and the world outside the
//! Union are dropped here too. A container reports a recipient once a month: a repeat asks for
//! nothing, which keeps the log lines, and the counting behind them, to about one per new
//! recipient and container.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use marketplace::dsa::recipients::{self, Activity, Line};
use ports::Ports;

use crate::Caller;

/// The pseudonymous device id of a visitor's browser or app.
pub const DEVICE_HEADER: &str = "x-device-id";

/// Lines a container remembers having reported; forgetting them all when full only costs a
/// repeat line each.
const REMEMBERED: usize = 50_000;

/// The salt identifiers are keyed with (`MARKETPLACE_RECIPIENT_SALT`, a secret in AWS). The
/// local runner, which has none, uses a development salt.
fn salt() -> &'static [u8] {
    static SALT: OnceLock<Vec<u8>> = OnceLock::new();
    SALT.get_or_init(|| {
        std::env::var("MARKETPLACE_RECIPIENT_SALT")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "local development salt".into())
            .into_bytes()
    })
}

/// The header naming the viewer's country (`MARKETPLACE_COUNTRY_HEADER`, by default
/// CloudFront's `CloudFront-Viewer-Country`).
fn country_header() -> &'static str {
    static HEADER: OnceLock<String> = OnceLock::new();
    HEADER.get_or_init(|| {
        std::env::var("MARKETPLACE_COUNTRY_HEADER")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "cloudfront-viewer-country".into())
            .to_ascii_lowercase()
    })
}

/// The line for a request, `None` when it does not count.
pub fn line(parts: &Parts, at: jiff::Timestamp) -> Option<String> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let activity = Activity {
        at,
        account: Caller::of(parts).user().map(|u| u.sub.clone()),
        // Bounded: a device id is a client's random token, not a document.
        device: header(DEVICE_HEADER).filter(|d| d.len() <= 128),
        country: header(country_header()),
        user_agent: header("user-agent"),
    };
    line_of(&activity)
}

/// The line for an activity, hashed with the configured salt.
pub fn line_of(activity: &Activity) -> Option<String> {
    let counted = recipients::counted(activity, |id| recipients::pseudonym(salt(), id))?;
    Some(Line::of(&counted).to_json())
}

/// Whether this container has reported `line` already (and remembers it from now on).
fn reported_before(line: &str) -> bool {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let mut seen = SEEN.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if seen.contains(line) {
        return true;
    }
    if seen.len() >= REMEMBERED {
        seen.clear();
    }
    seen.insert(line.to_owned());
    false
}

/// The line to report for a request: its recipient's, unless it does not count or this
/// container reported it already this month. All the request path pays (see
/// docs/benchmarks.md).
pub fn to_report(parts: &Parts, at: jiff::Timestamp) -> Option<String> {
    line(parts, at).filter(|line| !reported_before(line))
}

/// The middleware: reports, then serves. Reporting writes one line (in Lambda) and waits on
/// nothing remote.
pub async fn report(State(ports): State<Ports>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(line) = to_report(&parts, ports.clock.now()) {
        ports.activity.report(&line).await;
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().uri("/products");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).expect("a request").into_parts().0
    }

    const BROWSER: (&str, &str) = ("user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15");

    #[test]
    fn a_visitor_s_line_holds_the_month_and_a_pseudonym_only() {
        let at = "2026-11-20T08:00:00Z".parse().expect("a time");
        let line = line(&parts(&[BROWSER, ("x-device-id", "dev-42"), ("cloudfront-viewer-country", "FR")]), at)
            .expect("a visitor in France counts");
        assert!(line.starts_with(r#"{"activity":"recipient","month":"2026-11","device":""#), "{line}");
        assert!(!line.contains("dev-42"));
        assert_eq!(line, super::line(&parts(&[BROWSER, ("x-device-id", "dev-42")]), at).expect("counts"), "stable");
        assert!(
            super::line(&parts(&[BROWSER, ("x-device-id", "dev-42"), ("cloudfront-viewer-country", "US")]), at)
                .is_none()
        );
        assert!(super::line(&parts(&[("user-agent", "curl/8.5.0"), ("x-device-id", "dev-42")]), at).is_none());
        assert!(super::line(&parts(&[BROWSER]), at).is_none(), "no one to count");
        let long = "d".repeat(129);
        assert!(super::line(&parts(&[BROWSER, ("x-device-id", long.as_str())]), at).is_none());
    }

    #[test]
    fn a_container_reports_a_line_once() {
        let line = format!(r#"{{"activity":"recipient","month":"2026-11","device":"{}"}}"#, ulid_like());
        assert!(!reported_before(&line));
        assert!(reported_before(&line));
    }

    fn ulid_like() -> String {
        format!("{:022}", std::process::id())
    }
}
