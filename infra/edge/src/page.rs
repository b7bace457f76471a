//! Cursor pagination, the same on every list: `?limit=` (1 to 100, default 20) and
//! `?cursor=`; answers `{"items": [...], "nextCursor": ...}`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ports::Cursor;
use serde::{Deserialize, Serialize};

use crate::Problem;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParams {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

#[derive(Deserialize)]
struct RawParams {
    limit: Option<String>,
    cursor: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for PageParams {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let crate::Query(raw) = crate::Query::<RawParams>::from_request_parts(parts, state).await?;
        let limit = match raw.limit {
            None => DEFAULT_LIMIT,
            Some(text) => text.parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                Problem::bad_request("invalid_query", format!("limit must be a whole number from 1 to {MAX_LIMIT}"))
            })?,
        };
        let cursor = raw.cursor.filter(|c| !c.is_empty()).map(Cursor);
        Ok(PageParams { limit, cursor })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, next: Option<Cursor>) -> Self {
        Self { items, next_cursor: next.map(|c| c.0) }
    }
}
