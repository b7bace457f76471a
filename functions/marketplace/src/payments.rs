//! Payment provider events (R-PAY): the signature that proves an event came from the
//! provider, and the events themselves. Pure: the caller hands in the secret and `now`.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How far an event's timestamp may be from our clock: older events are replays.
pub const TOLERANCE_SECS: i64 = 300;

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body).finalize().into_bytes()))
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the event is outside the tolerance window")]
    Stale,
}

/// Checks a signature header in constant time, and that the event is recent.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: Timestamp) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.extend(unhex(s)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if signatures.iter().all(|s| mac(secret, timestamp, body).verify_slice(s).is_err()) {
        return Err(SignatureError::Mismatch);
    }
    if (now.as_second() - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The events the marketplace acts on; a provider adds types over time, and those are
/// acknowledged and ignored rather than refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
    #[serde(other)]
    Other,
}

/// An event as the provider sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub intent_id: String,
    pub order_id: String,
    pub amount: crate::Money,
    pub created: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_its_own_signature_only() {
        let now: Timestamp = "2026-11-27T10:00:00Z".parse().expect("time");
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(b"secret", now.as_second(), body);
        assert_eq!(verify(b"secret", &header, body, now), Ok(()));
        assert_eq!(verify(b"other", &header, body, now), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"secret", &header, br#"{"id":"evt_2"}"#, now), Err(SignatureError::Mismatch));
        let later = now.checked_add(jiff::SignedDuration::from_secs(TOLERANCE_SECS + 1)).expect("time");
        assert_eq!(verify(b"secret", &header, body, later), Err(SignatureError::Stale));
        for bad in ["", "t=1", "v1=00", "t=x,v1=zz", "nonsense"] {
            assert!(verify(b"secret", bad, body, now).is_err(), "{bad}");
        }
        // A replayed body under a fresh timestamp needs the secret to sign again.
        let forged = header.replace(&now.as_second().to_string(), &(now.as_second() + 10).to_string());
        assert_eq!(verify(b"secret", &forged, body, now), Err(SignatureError::Mismatch));
    }
}
