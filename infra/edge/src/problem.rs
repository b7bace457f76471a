//! The one error format: RFC 9457 `application/problem+json` with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use marketplace::FieldError;
use ports::{BlobsError, ItemError, QueueError, TableError};
use serde::Serialize;

pub type Result<T, E = Problem> = std::result::Result<T, E>;

/// A refusal or failure. `type` and `title` are derived from `code` and `status` when the
/// problem is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    pub code: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Extension members (RFC 9457 §3.2), such as the fresh quote of a stale order.
    pub members: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status: status.as_u16(),
            code: code.to_owned(),
            detail: detail.into(),
            errors: Vec::new(),
            members: serde_json::Map::new(),
        }
    }

    /// The RFC 9457 document.
    pub fn document(&self) -> serde_json::Value {
        let document = Document {
            kind: format!("urn:marketplace:problem:{}", self.code),
            title: self.status().canonical_reason().unwrap_or("Error"),
            status: self.status,
            detail: &self.detail,
            code: &self.code,
            errors: &self.errors,
        };
        let mut value = serde_json::to_value(document).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.extend(self.members.clone());
        }
        value
    }

    pub fn with_member(mut self, name: &str, value: serde_json::Value) -> Self {
        self.members.insert(name.to_owned(), value);
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign in to call this endpoint")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("no such {what}"))
    }

    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail).with_errors(errors)
    }

    pub fn invalid_field(field: &str, message: &str) -> Self {
        Self::invalid(vec![FieldError { field: field.to_owned(), message: message.to_owned() }])
    }

    /// A failure that is ours, not the caller's: logged in full, answered without detail.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side")
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "dependency unavailable");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "please retry shortly")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.document().to_string();
        let mut response = (self.status(), body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

impl From<marketplace::Error> for Problem {
    fn from(error: marketplace::Error) -> Self {
        match error {
            marketplace::Error::Invalid(violations) => Problem::invalid(violations.errors().to_vec()),
            marketplace::Error::Conflict { code, detail } => Problem::conflict(code, detail),
        }
    }
}

impl From<TableError> for Problem {
    fn from(error: TableError) -> Self {
        match error {
            TableError::ConditionFailed | TableError::TransactionCanceled { .. } => {
                Problem::conflict("concurrent_update", "the resource changed while this request ran; retry it")
            }
            TableError::InvalidCursor => {
                Problem::bad_request("invalid_cursor", "the cursor is not one this list gave out")
            }
            TableError::InvalidRequest(e) => Problem::internal(e),
            TableError::Unavailable(e) => Problem::unavailable(e),
        }
    }
}

impl From<ItemError> for Problem {
    fn from(error: ItemError) -> Self {
        Problem::internal(error)
    }
}

impl From<QueueError> for Problem {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Unavailable(e) => Problem::unavailable(e),
            other => Problem::internal(other),
        }
    }
}

impl From<BlobsError> for Problem {
    fn from(error: BlobsError) -> Self {
        match error {
            BlobsError::Unavailable(e) => Problem::unavailable(e),
            other => Problem::internal(other),
        }
    }
}

pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

pub async fn method_not_allowed() -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method")
}
