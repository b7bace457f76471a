//! Turning entities into items and back.

use ports::{Cursor, FromItem, Index, Item, Key, Page, Query, Table, TableError, ToItem, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The item of an entity: its attributes, its key and its kind.
pub fn item<T: Serialize>(entity: &T, key: &Key, kind: &str) -> Result<Item, TableError> {
    let mut item = entity.to_item().map_err(corrupt)?;
    item.extend(key.to_item());
    item.insert("kind".into(), Value::from(kind));
    Ok(item)
}

pub fn entity<T: DeserializeOwned>(item: &Item) -> Result<T, TableError> {
    T::from_item(item).map_err(corrupt)
}

/// A page of entities, and the cursor to the next page.
pub fn page<T: DeserializeOwned>(page: Page) -> Result<(Vec<T>, Option<Cursor>), TableError> {
    Ok((page.items.iter().map(entity).collect::<Result<_, _>>()?, page.next))
}

fn corrupt(e: impl std::fmt::Display) -> TableError {
    TableError::Unavailable(format!("a stored record does not match its type: {e}"))
}

/// The stored form of an attribute of `entity`, for conditions that compare with it.
pub fn attribute<T: Serialize>(entity: &T, name: &str) -> Result<Value, TableError> {
    entity.to_item().map_err(corrupt)?.remove(name).ok_or_else(|| corrupt(format!("no attribute {name}")))
}

/// A timestamp as entities store it, for conditions that compare with it.
pub fn timestamp(at: jiff::Timestamp) -> Value {
    Value::S(serde_json::to_value(at).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
}

/// The earliest time on a due list: the items of one gsi2 partition whose sort keys start
/// with the time they fall due (`keys::sortable`). `None` when the list is empty.
pub async fn earliest_due(table: &dyn Table, pk: &str) -> Result<Option<jiff::Timestamp>, TableError> {
    let page = table.query(Query::new(Index::Gsi2, pk).limit(1)).await?;
    Ok(page.items.first().and_then(|i| i.get("gsi2sk")).and_then(Value::as_str).and_then(crate::keys::time_of))
}

/// Every entity a query finds, following its pages (for bounded reads: a report's period).
pub async fn all<T: DeserializeOwned>(table: &dyn Table, query: Query) -> Result<Vec<T>, TableError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = table.query(query.clone().cursor(cursor)).await?;
        for item in &page.items {
            out.push(entity(item)?);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(out),
        }
    }
}
