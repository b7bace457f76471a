//! A Table that counts what it is asked, for the DynamoDB cost of each operation: one call of
//! the port is one DynamoDB request on the AWS adapter (a batched read that DynamoDB leaves
//! partly unprocessed would add requests; none does at these sizes).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ports::{Condition, Item, Key, Page, Query, Table, TableError, TxOp, Update};

/// Requests by DynamoDB operation, with the bytes they carried (a proxy for capacity units).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub requests: BTreeMap<&'static str, u32>,
    /// Read request units: 1 per 4 KB read strongly consistent (rounded up per item), 2 per item
    /// in a transaction; write request units: 1 per 1 KB written, 2 per item in a transaction.
    pub read_units: u32,
    pub write_units: u32,
}

impl Usage {
    pub fn round_trips(&self) -> u32 {
        self.requests.values().sum()
    }
}

pub struct CountingTable {
    inner: Arc<dyn Table>,
    usage: Mutex<Usage>,
}

fn size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + ports::item::to_json(v).to_string().len()).sum()
}

fn units(bytes: usize, per: usize) -> u32 {
    u32::try_from(bytes.div_ceil(per).max(1)).unwrap_or(u32::MAX)
}

impl CountingTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self { inner, usage: Mutex::new(Usage::default()) }
    }

    /// What was counted since the last call, and a fresh count.
    pub fn take(&self) -> Usage {
        std::mem::take(&mut *self.usage.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn tally(&self, operation: &'static str, read_units: u32, write_units: u32) {
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        *usage.requests.entry(operation).or_default() += 1;
        usage.read_units += read_units;
        usage.write_units += write_units;
    }
}

#[async_trait]
impl Table for CountingTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let found = self.inner.get(key).await?;
        self.tally("GetItem", found.as_ref().map_or(1, |i| units(size(i), 4096)), 0);
        Ok(found)
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        let found = self.inner.get_many(keys).await?;
        if !keys.is_empty() {
            self.tally("BatchGetItem", found.iter().map(|i| units(size(i), 4096)).sum::<u32>().max(1), 0);
        }
        Ok(found)
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        let written = units(size(&item), 1024);
        let result = self.inner.put(item, condition).await;
        self.tally("PutItem", 0, written);
        result
    }

    async fn update(&self, key: &Key, update: Update, condition: Option<Condition>) -> Result<Item, TableError> {
        let result = self.inner.update(key, update, condition).await;
        self.tally("UpdateItem", 0, result.as_ref().map_or(1, |i| units(size(i), 1024)));
        result
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        let result = self.inner.delete(key, condition).await;
        self.tally("DeleteItem", 0, 1);
        result
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        let (mut reads, mut writes) = (0, 0);
        for op in &ops {
            match op {
                TxOp::Put { item, .. } => writes += 2 * units(size(item), 1024),
                TxOp::Update { .. } | TxOp::Delete { .. } => writes += 2,
                TxOp::Check { .. } => reads += 2,
            }
        }
        let result = self.inner.transact(ops).await;
        self.tally("TransactWriteItems", reads, writes);
        result
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        let page = self.inner.query(query).await?;
        let bytes: usize = page.items.iter().map(size).sum();
        self.tally("Query", units(bytes, 4096), 0);
        Ok(page)
    }

    async fn count(&self, query: Query, filter: Option<ports::Condition>) -> Result<u64, TableError> {
        let n = self.inner.count(query, filter).await?;
        // Counted on DynamoDB's side: the items read are not seen here, so one unit a call.
        self.tally("Query", 1, 0);
        Ok(n)
    }
}
