//! The Table port on redb, an embedded ACID key-value store: one redb table holds the items by
//! `(pk, sk)`, one more per secondary index holds `(index pk, index sk, pk, sk)`. Every write
//! runs in one redb write transaction, so conditions, index maintenance and multi-item
//! transactions are atomic exactly as in DynamoDB.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use ports::item::{from_json, to_json};
use ports::table::{MAX_BATCH_GET, check_item, check_transaction};
use ports::{Condition, Cursor, Index, Item, Key, Page, Query, Table, TableError, TxOp, Update};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

/// An index entry: (index pk, index sk, pk, sk).
type IndexTable = TableDefinition<'static, (&'static str, &'static str, &'static str, &'static str), ()>;

const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");
const GSI1: IndexTable = TableDefinition::new("gsi1");
const GSI2: IndexTable = TableDefinition::new("gsi2");

fn index_table(index: Index) -> Option<IndexTable> {
    match index {
        Index::Table => None,
        Index::Gsi1 => Some(GSI1),
        Index::Gsi2 => Some(GSI2),
    }
}

#[derive(Clone)]
pub struct EmbeddedTable {
    db: Arc<Database>,
}

fn unavailable(e: impl Into<redb::Error>) -> TableError {
    TableError::Unavailable(e.into().to_string())
}

impl EmbeddedTable {
    /// A table persisted in `path` (created when absent).
    pub fn open(path: &Path) -> Result<Self, TableError> {
        let db = Database::create(path).map_err(unavailable)?;
        Self::init(db)
    }

    /// A table that lives as long as the value: for tests.
    pub fn in_memory() -> Self {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("an in-memory redb database cannot fail to open");
        Self::init(db).expect("creating tables in memory cannot fail")
    }

    fn init(db: Database) -> Result<Self, TableError> {
        let txn = db.begin_write().map_err(unavailable)?;
        txn.open_table(ITEMS).map_err(unavailable)?;
        txn.open_table(GSI1).map_err(unavailable)?;
        txn.open_table(GSI2).map_err(unavailable)?;
        txn.commit().map_err(unavailable)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Runs `work` in one write transaction, committed only when it succeeds.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&WriteTransaction) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(unavailable)?;
            let value = work(&txn)?;
            txn.commit().map_err(unavailable)?;
            Ok(value)
        })
        .await
        .map_err(|e| TableError::Unavailable(e.to_string()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&redb::ReadTransaction) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db.begin_read().map_err(unavailable)?))
            .await
            .map_err(|e| TableError::Unavailable(e.to_string()))?
    }
}

fn decode(bytes: &[u8]) -> Result<Item, TableError> {
    let corrupt = || TableError::Unavailable("corrupt item in the embedded table".into());
    match serde_json::from_slice(bytes).map_err(|_| corrupt())? {
        serde_json::Value::Object(map) => {
            map.into_iter().map(|(k, v)| Ok((k, from_json(v).map_err(|_| corrupt())?))).collect()
        }
        _ => Err(corrupt()),
    }
}

fn encode(item: &Item) -> Vec<u8> {
    let object: serde_json::Map<String, serde_json::Value> =
        item.iter().map(|(k, v)| (k.clone(), to_json(v))).collect();
    serde_json::Value::Object(object).to_string().into_bytes()
}

fn load(txn: &WriteTransaction, key: &Key) -> Result<Option<Item>, TableError> {
    let items = txn.open_table(ITEMS).map_err(unavailable)?;
    let found = items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?;
    found.map(|bytes| decode(bytes.value())).transpose()
}

fn index_entry(item: &Item, index: Index) -> Option<(String, String)> {
    let (pk, sk) = index.key_attributes();
    Some((item.get(pk)?.as_str()?.to_owned(), item.get(sk)?.as_str()?.to_owned()))
}

/// Replaces (or with `None`, deletes) the item at `key`, keeping the indexes in step.
fn store(txn: &WriteTransaction, key: &Key, old: Option<&Item>, new: Option<&Item>) -> Result<(), TableError> {
    let mut items = txn.open_table(ITEMS).map_err(unavailable)?;
    match new {
        Some(item) => items.insert((key.pk.as_str(), key.sk.as_str()), encode(item).as_slice()).map_err(unavailable)?,
        None => items.remove((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?,
    };
    for index in Index::SECONDARY {
        let Some(definition) = index_table(index) else { continue };
        let mut entries = txn.open_table(definition).map_err(unavailable)?;
        if let Some((ipk, isk)) = old.and_then(|i| index_entry(i, index)) {
            entries.remove((ipk.as_str(), isk.as_str(), key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?;
        }
        if let Some((ipk, isk)) = new.and_then(|i| index_entry(i, index)) {
            entries.insert((ipk.as_str(), isk.as_str(), key.pk.as_str(), key.sk.as_str()), ()).map_err(unavailable)?;
        }
    }
    Ok(())
}

fn condition_holds(condition: Option<&Condition>, item: Option<&Item>) -> bool {
    condition.is_none_or(|c| c.holds(item))
}

/// The position of an item in a query's order: (index sk, pk, sk).
type Position = (String, String, String);

fn position(key: &Item, index: Index) -> Option<Position> {
    let (_, sk_name) = index.key_attributes();
    Some((
        key.get(sk_name)?.as_str()?.to_owned(),
        key.get("pk")?.as_str()?.to_owned(),
        key.get("sk")?.as_str()?.to_owned(),
    ))
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let key = key.clone();
        self.read(move |txn| {
            let items = txn.open_table(ITEMS).map_err(unavailable)?;
            let found = items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?;
            found.map(|bytes| decode(bytes.value())).transpose()
        })
        .await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        if keys.len() > MAX_BATCH_GET {
            return Err(TableError::InvalidRequest(format!("a batched read takes at most {MAX_BATCH_GET} keys")));
        }
        let keys = keys.to_vec();
        self.read(move |txn| {
            let items = txn.open_table(ITEMS).map_err(unavailable)?;
            let mut found = Vec::new();
            for key in keys {
                if let Some(bytes) = items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)? {
                    found.push(decode(bytes.value())?);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        check_item(&item)?;
        self.write(move |txn| {
            let key = Key::of(&item).expect("check_item ensured the key");
            let old = load(txn, &key)?;
            if !condition_holds(condition.as_ref(), old.as_ref()) {
                return Err(TableError::ConditionFailed);
            }
            store(txn, &key, old.as_ref(), Some(&item))
        })
        .await
    }

    async fn update(&self, key: &Key, update: Update, condition: Option<Condition>) -> Result<Item, TableError> {
        update.check()?;
        let key = key.clone();
        self.write(move |txn| {
            let old = load(txn, &key)?;
            if !condition_holds(condition.as_ref(), old.as_ref()) {
                return Err(TableError::ConditionFailed);
            }
            let new = update.apply(&key, old.as_ref())?;
            check_item(&new)?;
            store(txn, &key, old.as_ref(), Some(&new))?;
            Ok(new)
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        let key = key.clone();
        self.write(move |txn| {
            let old = load(txn, &key)?;
            if !condition_holds(condition.as_ref(), old.as_ref()) {
                return Err(TableError::ConditionFailed);
            }
            store(txn, &key, old.as_ref(), None)
        })
        .await
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        check_transaction(&ops)?;
        self.write(move |txn| {
            let mut current = Vec::with_capacity(ops.len());
            let mut failed = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let key = op.key().expect("check_transaction ensured every key");
                let old = load(txn, &key)?;
                if !condition_holds(op.condition(), old.as_ref()) {
                    failed.push(i);
                }
                current.push((key, old));
            }
            if !failed.is_empty() {
                return Err(TableError::TransactionCanceled { failed });
            }
            for (op, (key, old)) in ops.iter().zip(&current) {
                match op {
                    TxOp::Put { item, .. } => store(txn, key, old.as_ref(), Some(item))?,
                    TxOp::Update { update, .. } => {
                        let new = update.apply(key, old.as_ref())?;
                        check_item(&new)?;
                        store(txn, key, old.as_ref(), Some(&new))?;
                    }
                    TxOp::Delete { .. } => store(txn, key, old.as_ref(), None)?,
                    TxOp::Check { .. } => {}
                }
            }
            Ok(())
        })
        .await
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        query.check()?;
        let after = query.cursor.as_ref().map(|c| c.decode(&query)).transpose()?;
        let after =
            after.as_ref().map(|key| position(key, query.index).ok_or(TableError::InvalidCursor)).transpose()?;
        self.read(move |txn| {
            let items = txn.open_table(ITEMS).map_err(unavailable)?;
            // The partition's matching positions in order; the embedded store serves one
            // machine's data, so a scan of one partition is cheap.
            let mut positions: Vec<Position> = Vec::new();
            match index_table(query.index) {
                None => {
                    let range = items.range((query.pk.as_str(), "")..).map_err(unavailable)?;
                    for entry in range {
                        let (key, _) = entry.map_err(unavailable)?;
                        let (pk, sk) = key.value();
                        if pk != query.pk {
                            break;
                        }
                        if query.sort.matches(sk) {
                            positions.push((sk.to_owned(), pk.to_owned(), sk.to_owned()));
                        }
                    }
                }
                Some(definition) => {
                    let entries = txn.open_table(definition).map_err(unavailable)?;
                    for entry in entries.range((query.pk.as_str(), "", "", "")..).map_err(unavailable)? {
                        let (key, _) = entry.map_err(unavailable)?;
                        let (ipk, isk, pk, sk) = key.value();
                        if ipk != query.pk {
                            break;
                        }
                        if query.sort.matches(isk) {
                            positions.push((isk.to_owned(), pk.to_owned(), sk.to_owned()));
                        }
                    }
                }
            }
            if query.descending {
                positions.reverse();
            }
            let start = match &after {
                None => 0,
                Some(after) => positions
                    .iter()
                    .position(|p| if query.descending { p < after } else { p > after })
                    .unwrap_or(positions.len()),
            };
            let limit = query.limit as usize;
            let mut page = Vec::with_capacity(limit.min(positions.len()));
            for (_, pk, sk) in positions.iter().skip(start).take(limit) {
                let bytes = items.get((pk.as_str(), sk.as_str())).map_err(unavailable)?;
                let bytes = bytes.ok_or_else(|| TableError::Unavailable("index entry without its item".into()))?;
                page.push(decode(bytes.value())?);
            }
            let more = positions.len() > start + limit;
            let next = match page.last() {
                Some(last) if more => Some(Cursor::after(last, query.index)),
                _ => None,
            };
            Ok(Page { items: page, next })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ports::Value;

    #[tokio::test]
    async fn persists_across_reopening() {
        let dir = std::env::temp_dir().join(format!("embedded-table-{}", ulid::Ulid::generate()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("table.redb");
        let mut item = Key::new("P", "S").to_item();
        item.insert("n".into(), Value::N(7));
        {
            let table = EmbeddedTable::open(&path).expect("open");
            table.put(item.clone(), None).await.expect("put");
        }
        let table = EmbeddedTable::open(&path).expect("reopen");
        assert_eq!(table.get(&Key::new("P", "S")).await, Ok(Some(item)));
        std::fs::remove_dir_all(dir).ok();
    }
}
