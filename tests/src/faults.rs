//! A Table that fails on purpose: the `n`-th call after arming fails before it applies, or
//! after it applied (the caller sees an error, the write happened) — what a timeout or a crash
//! between a write and its answer looks like.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use ports::{Condition, Item, Key, Page, Query, Table, TableError, TxOp, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Before,
    After,
}

pub struct FaultyTable {
    inner: Arc<dyn Table>,
    calls: AtomicUsize,
    /// 0: disarmed; otherwise the call number that fails.
    fail_at: AtomicUsize,
    after: std::sync::atomic::AtomicBool,
    /// Faults injected so far: (before, after).
    injected: (AtomicUsize, AtomicUsize),
}

impl FaultyTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self {
            inner,
            calls: AtomicUsize::new(0),
            fail_at: AtomicUsize::new(0),
            after: false.into(),
            injected: (AtomicUsize::new(0), AtomicUsize::new(0)),
        }
    }

    /// From now on, call number `at` (1-based) fails as `fault`; `at == 0` counts only.
    pub fn arm(&self, at: usize, fault: Fault) {
        self.calls.store(0, Ordering::SeqCst);
        self.after.store(fault == Fault::After, Ordering::SeqCst);
        self.fail_at.store(at, Ordering::SeqCst);
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Faults injected so far: (before the call applied, after it applied).
    pub fn injected(&self) -> (usize, usize) {
        (self.injected.0.load(Ordering::SeqCst), self.injected.1.load(Ordering::SeqCst))
    }

    /// The unfailing table underneath, for checking invariants.
    pub fn inner(&self) -> Arc<dyn Table> {
        self.inner.clone()
    }

    /// Whether this call fails, and how.
    fn fault(&self) -> Option<Fault> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let at = self.fail_at.load(Ordering::SeqCst);
        let fault =
            (at != 0 && n == at).then(|| if self.after.load(Ordering::SeqCst) { Fault::After } else { Fault::Before });
        match fault {
            Some(Fault::Before) => self.injected.0.fetch_add(1, Ordering::SeqCst),
            Some(Fault::After) => self.injected.1.fetch_add(1, Ordering::SeqCst),
            None => 0,
        };
        fault
    }
}

fn injected() -> TableError {
    TableError::Unavailable("injected fault".into())
}

/// Runs `call` unless the fault comes before it; fails after it when the fault comes after.
macro_rules! faulty {
    ($self:ident, $call:expr) => {
        match $self.fault() {
            Some(Fault::Before) => Err(injected()),
            Some(Fault::After) => {
                let _ = $call;
                Err(injected())
            }
            None => $call,
        }
    };
}

#[async_trait]
impl Table for FaultyTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        faulty!(self, self.inner.get(key).await)
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        faulty!(self, self.inner.get_many(keys).await)
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        faulty!(self, self.inner.put(item.clone(), condition.clone()).await)
    }

    async fn update(&self, key: &Key, update: Update, condition: Option<Condition>) -> Result<Item, TableError> {
        faulty!(self, self.inner.update(key, update.clone(), condition.clone()).await)
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        faulty!(self, self.inner.delete(key, condition.clone()).await)
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        faulty!(self, self.inner.transact(ops.clone()).await)
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        faulty!(self, self.inner.query(query.clone()).await)
    }

    async fn count(&self, query: Query, filter: Option<ports::Condition>) -> Result<u64, TableError> {
        faulty!(self, self.inner.count(query.clone(), filter.clone()).await)
    }
}
