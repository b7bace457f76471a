use marketplace::checkout::Quote;
use ports::{Condition, Table, TableError, Value};

use crate::{keys, record};

/// Quotes are kept a week past their expiry (the table's TTL), for support and audit.
const KEEP_SECS: i64 = 7 * 24 * 3600;

pub struct Quotes<'a> {
    table: &'a dyn Table,
}

impl<'a> Quotes<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Quote>, TableError> {
        self.table.get(&keys::quote(id)).await?.as_ref().map(record::entity).transpose()
    }

    pub async fn create(&self, quote: &Quote) -> Result<(), TableError> {
        let mut item = record::item(quote, &keys::quote(&quote.id), "quote")?;
        item.insert("ttl".into(), Value::N(quote.expires_at.as_second() + KEEP_SECS));
        self.table.put(item, Some(Condition::NotExists)).await
    }
}
