//! JSON bodies and path parameters that refuse bad input in the one error format, naming the
//! field at fault. Bodies are read by the extractor and parsed by the handler once it has
//! decided who is calling ([`JsonBody`]).

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use marketplace::FieldError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Problem;

/// A JSON response. Request bodies are read with [`JsonBody`] instead, so no handler can
/// parse one before deciding who is calling.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON, naming the path of the first field that does not fit.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Problem::bad_request("malformed_json", format!("the body is not valid JSON: {inner}"))
        } else {
            let field = if path == "." { "body".to_owned() } else { path };
            let message = inner.to_string().split(" at line ").next().unwrap_or_default().to_owned();
            Problem::bad_request("invalid_body", format!("{field}: {message}"))
                .with_errors(vec![FieldError { field, message }])
        }
    })
}

/// Parses a request body, which is always a JSON object: a well-formed array, string or
/// number is refused rather than read as a struct's fields in order.
fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let value = parse(bytes)?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let message = "must be a JSON object".to_owned();
        return Err(Problem::bad_request("invalid_body", "the body must be a JSON object")
            .with_errors(vec![FieldError { field: "body".into(), message }]));
    }
    Ok(value)
}

fn not_json() -> Problem {
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send the body as application/json")
}

/// A request body, read but not parsed: the extractor only takes the bytes (and remembers
/// why it could not: 413 larger than 64 KiB, 400 unreadable) and whether they were declared
/// JSON. The handler decides the caller first (role, then the resource and whose it is), and
/// only then asks for the body with [`JsonBody::parse`] or [`JsonBody::parse_or_default`], so
/// a caller who may not call the endpoint gets 401, 403 or 404 whatever the body holds.
#[derive(Debug, Clone)]
#[must_use = "a body is refused only when it is parsed"]
pub struct JsonBody {
    read: Result<(bool, Bytes), Problem>,
}

impl JsonBody {
    /// A body as if read from a request: `json` when its content type was JSON.
    pub fn from_bytes(json: bool, bytes: impl Into<Bytes>) -> Self {
        JsonBody { read: Ok((json, bytes.into())) }
    }

    /// The body as a `T`: 413 when it was too large, 415 when not declared JSON, 400 when
    /// malformed, not an object, or of the wrong shape (naming the field).
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, Problem> {
        match self.read? {
            (false, _) => Err(not_json()),
            (true, bytes) => parse_body(&bytes),
        }
    }

    /// A body that may be left out: an empty body (of any content type) reads as
    /// `T::default()`; any other body as [`JsonBody::parse`] reads it.
    pub fn parse_or_default<T: DeserializeOwned + Default>(self) -> Result<T, Problem> {
        match self.read? {
            (_, bytes) if bytes.is_empty() => Ok(T::default()),
            read => JsonBody { read: Ok(read) }.parse(),
        }
    }
}

/// The body's bytes, or why they could not be read, in the one error format.
async fn read<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, Problem> {
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the body is larger than 64 KiB")
        } else {
            Problem::bad_request("unreadable_body", rejection.body_text())
        }
    })
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Infallible;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json);
        Ok(JsonBody { read: read(request, state).await.map(|bytes| (json, bytes)) })
    }
}

/// An XML document (a bank's report), read but not judged until the handler has decided the
/// caller, as [`JsonBody`] is: 413 larger than 64 KiB, 415 not declared XML.
#[derive(Debug, Clone)]
#[must_use = "a body is refused only when it is read"]
pub struct XmlBody {
    read: Result<(bool, Bytes), Problem>,
}

impl XmlBody {
    pub fn bytes(self) -> Result<Bytes, Problem> {
        match self.read? {
            (true, bytes) => Ok(bytes),
            (false, _) => Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/xml",
            )),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for XmlBody {
    type Rejection = Infallible;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let xml = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| {
            let essence = t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            essence == "application/xml" || essence == "text/xml"
        });
        Ok(XmlBody { read: read(request, state).await.map(|bytes| (xml, bytes)) })
    }
}

/// A body's bytes as sent, for a route whose caller is the body's own proof (a signed
/// webhook); 413 and 400 in the one error format.
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        read(request, state).await.map(RawBody)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(e) => Problem::internal(e).into_response(),
        }
    }
}

/// The id in a resource path (`/offers/{id}`): 1 to 100 letters, digits, `_` or `-`. Anything
/// else cannot name a resource, so it is a 404 without a look-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathId(pub String);

pub const MAX_ID_LEN: usize = 100;

/// Whether the request's `Accept` names `media_type` (a document also served as JSON).
pub fn accepts(headers: &axum::http::HeaderMap, media_type: &str) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with(media_type)))
}

pub fn is_id(value: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let not_found = || Problem::new(StatusCode::NOT_FOUND, "not_found", "no such resource");
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await.map_err(|_| not_found())?;
        if is_id(&id) { Ok(PathId(id)) } else { Err(not_found()) }
    }
}

/// Several path parameters (`/orders/{id}/help-requests/{helpId}`), as a tuple of strings. One
/// that cannot be read (not UTF-8) names no resource: 404, without a look-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(params)| PathParams(params))
            .map_err(|_| Problem::new(StatusCode::NOT_FOUND, "not_found", "no such resource"))
    }
}

/// Query parameters; a parameter that cannot be read is a 400 in the one error format.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| Problem::bad_request("invalid_query", rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Sample {
        stock: i64,
        price: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        amount: String,
    }

    #[test]
    fn names_the_field_of_a_wrong_type() {
        let problem = parse::<Sample>(br#"{"stock": "five", "price": {"amount": "1"}}"#).expect_err("wrong type");
        assert_eq!((problem.status, problem.code.as_str()), (400, "invalid_body"));
        assert_eq!(problem.errors[0].field, "stock");
        let problem = parse::<Sample>(br#"{"stock": 5, "price": {"amount": 1}}"#).expect_err("wrong type");
        assert_eq!(problem.errors[0].field, "price.amount");
        let problem = parse::<Sample>(br#"{"stock": 5}"#).expect_err("missing field");
        assert!(problem.errors[0].message.contains("price"), "{problem:?}");
        let problem =
            parse::<Sample>(br#"{"stock": 5, "price": {"amount": "1"}, "extra": 1}"#).expect_err("unknown field");
        assert!(problem.errors[0].message.contains("extra"), "{problem:?}");
    }

    #[test]
    fn a_body_is_an_object() {
        for body in [&b"[]"[..], b"[5, {\"amount\": \"1\"}]", b"\"x\"", b"5", b"null"] {
            let problem = parse_body::<Option<Sample>>(body).expect_err("not an object");
            assert_eq!((problem.status, problem.code.as_str()), (400, "invalid_body"), "{body:?}");
        }
        assert!(parse_body::<Sample>(b" \n{\"stock\": 5, \"price\": {\"amount\": \"1\"}}").is_ok());
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Optional {
        #[serde(default)]
        reason: Option<String>,
    }

    #[test]
    fn a_read_body_is_refused_only_when_parsed() {
        let not_json = JsonBody::from_bytes(false, "{\"stock\": 5}").parse::<Sample>().expect_err("not JSON");
        assert_eq!((not_json.status, not_json.code.as_str()), (415, "unsupported_media_type"));
        let malformed = JsonBody::from_bytes(true, "{").parse::<Sample>().expect_err("malformed");
        assert_eq!(malformed.code, "malformed_json");
        let array = JsonBody::from_bytes(true, "[]").parse::<Sample>().expect_err("an array");
        assert_eq!(array.code, "invalid_body");
        let too_large = Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "too large");
        let unread = JsonBody { read: Err(too_large.clone()) };
        assert_eq!(unread.clone().parse::<Sample>().expect_err("too large"), too_large);
        assert_eq!(unread.parse_or_default::<Optional>().expect_err("too large"), too_large);
    }

    #[test]
    fn an_optional_body_may_be_left_out() {
        assert_eq!(JsonBody::from_bytes(false, "").parse_or_default::<Optional>(), Ok(Optional::default()));
        assert_eq!(
            JsonBody::from_bytes(true, r#"{"reason": "x"}"#).parse_or_default::<Optional>(),
            Ok(Optional { reason: Some("x".into()) })
        );
        let not_json = JsonBody::from_bytes(false, "{}").parse_or_default::<Optional>().expect_err("not JSON");
        assert_eq!(not_json.status, 415);
        let unknown = JsonBody::from_bytes(true, r#"{"x": 1}"#).parse_or_default::<Optional>().expect_err("unknown");
        assert_eq!(unknown.code, "invalid_body");
    }

    #[test]
    fn malformed_json_is_its_own_code() {
        for body in [&b"{"[..], b"", b"nul", b"{\"stock\": 5,}"] {
            let problem = parse::<Sample>(body).expect_err("malformed");
            assert_eq!(problem.code, "malformed_json", "{body:?}");
        }
    }

    #[test]
    fn ids() {
        assert!(is_id("off_01m8ex4g71szqx5vhdpw3c04a0"));
        assert!(is_id("sel_demo_lyon"));
        for bad in ["", "a b", "x#y", "../etc", "é", &"x".repeat(101)] {
            assert!(!is_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
