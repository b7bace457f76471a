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

/// A page of a list computed whole (a ranking): `items` from the cursor's position, and a
/// cursor to the next position while one follows. The cursor is opaque like every other and
/// belongs to `list` (a cursor of another list is refused).
pub fn slice<T>(items: Vec<T>, page: &PageParams, list: &str) -> Result<Paged<T>, Problem> {
    let start = match &page.cursor {
        None => 0,
        Some(cursor) => cursor.position(list).ok_or_else(|| Problem::from(ports::TableError::InvalidCursor))?,
    };
    let end = start.saturating_add(page.limit as usize).min(items.len());
    let next = (end < items.len()).then(|| Cursor::at(end, list));
    let items = items.into_iter().skip(start).take(end.saturating_sub(start)).collect();
    Ok(Paged::new(items, next))
}

#[cfg(test)]
mod slice_tests {
    use super::*;

    #[test]
    fn a_computed_list_pages_like_the_others() {
        let page = |limit, cursor| PageParams { limit, cursor };
        let first = slice((0..5).collect(), &page(2, None), "a").expect("a page");
        assert_eq!(first.items, [0, 1]);
        let next = Cursor(first.next_cursor.expect("more follow"));
        let second = slice((0..5).collect(), &page(2, Some(next.clone())), "a").expect("a page");
        assert_eq!(second.items, [2, 3]);
        let cursor = Some(Cursor(second.next_cursor.expect("more")));
        let last = slice((0..5).collect(), &page(2, cursor), "a").expect("a page");
        assert_eq!((last.items, last.next_cursor), (vec![4], None));
        assert!(slice((0..5).collect::<Vec<i32>>(), &page(2, Some(Cursor("forged".into()))), "a").is_err());
        assert!(slice((0..5).collect::<Vec<i32>>(), &page(2, Some(next)), "b").is_err(), "another list's cursor");
    }
}
