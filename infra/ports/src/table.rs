//! The Table port: DynamoDB's single-table operations with a small typed vocabulary of
//! conditions and updates, so domain code never writes expression strings.

use std::collections::BTreeSet;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::item::{Item, Value, from_json, to_json};

/// DynamoDB's limit on the items of one transaction.
pub const MAX_TX_ITEMS: usize = 100;
/// DynamoDB's limit on the keys of one batched read.
pub const MAX_BATCH_GET: usize = 100;
/// The largest page a query may ask for.
pub const MAX_PAGE: u32 = 1000;

/// DynamoDB's limit on a sort key (a partition key may take 2048 bytes; no key here comes close).
pub const MAX_KEY_BYTES: usize = 1024;

pub const PK: &str = "pk";
pub const SK: &str = "sk";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }

    /// The key of an item, if it has a well-formed one.
    pub fn of(item: &Item) -> Option<Key> {
        Some(Key::new(item.get(PK)?.as_str()?, item.get(SK)?.as_str()?))
    }

    pub fn to_item(&self) -> Item {
        Item::from([(PK.to_owned(), Value::from(self.pk.as_str())), (SK.to_owned(), Value::from(self.sk.as_str()))])
    }
}

/// A condition on the item as it is before the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The item exists.
    Exists,
    /// No item has this key.
    NotExists,
    /// The attribute exists and equals the value.
    Equals(String, Value),
    /// The attribute is a number of at least this value.
    AtLeast(String, i64),
    /// The attribute is a number of at most this value.
    AtMost(String, i64),
    /// The item has no such attribute (or does not exist).
    Missing(String),
    And(Vec<Condition>),
}

impl Condition {
    pub fn equals(attribute: &str, value: impl Into<Value>) -> Self {
        Self::Equals(attribute.to_owned(), value.into())
    }

    /// Evaluates the condition the way DynamoDB does: a comparison with a missing attribute
    /// is false.
    pub fn holds(&self, item: Option<&Item>) -> bool {
        match self {
            Self::Exists => item.is_some(),
            Self::NotExists => item.is_none(),
            Self::Equals(name, value) => item.and_then(|i| i.get(name)) == Some(value),
            Self::AtLeast(name, n) => item.and_then(|i| i.get(name)).and_then(Value::as_n).is_some_and(|v| v >= *n),
            Self::AtMost(name, n) => item.and_then(|i| i.get(name)).and_then(Value::as_n).is_some_and(|v| v <= *n),
            Self::Missing(name) => item.and_then(|i| i.get(name)).is_none(),
            Self::And(all) => all.iter().all(|c| c.holds(item)),
        }
    }
}

/// Changes to an item's attributes. Updating an absent item creates it, as DynamoDB does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub set: Vec<(String, Value)>,
    pub add: Vec<(String, i64)>,
    pub remove: Vec<String>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, attribute: &str, value: impl Into<Value>) -> Self {
        self.set.push((attribute.to_owned(), value.into()));
        self
    }

    /// Adds to a number (a missing attribute counts as 0).
    pub fn add(mut self, attribute: &str, by: i64) -> Self {
        self.add.push((attribute.to_owned(), by));
        self
    }

    pub fn remove(mut self, attribute: &str) -> Self {
        self.remove.push(attribute.to_owned());
        self
    }

    /// Every attribute written: each at most once, and never a key attribute.
    pub fn check(&self) -> Result<(), TableError> {
        let mut seen = BTreeSet::new();
        let names = self.set.iter().map(|(n, _)| n).chain(self.add.iter().map(|(n, _)| n)).chain(self.remove.iter());
        for name in names {
            if name == PK || name == SK {
                return Err(TableError::InvalidRequest(format!("the key attribute {name} cannot be updated")));
            }
            if !seen.insert(name) {
                return Err(TableError::InvalidRequest(format!("{name} appears twice in one update")));
            }
        }
        if seen.is_empty() {
            return Err(TableError::InvalidRequest("an update changes at least one attribute".into()));
        }
        Ok(())
    }

    /// The item after the update.
    pub fn apply(&self, key: &Key, current: Option<&Item>) -> Result<Item, TableError> {
        let mut item = current.cloned().unwrap_or_else(|| key.to_item());
        for (name, value) in &self.set {
            item.insert(name.clone(), value.clone());
        }
        for (name, by) in &self.add {
            let now = match item.get(name) {
                None => 0,
                Some(Value::N(n)) => *n,
                Some(_) => return Err(TableError::InvalidRequest(format!("{name} is not a number"))),
            };
            let sum = now.checked_add(*by).ok_or_else(|| TableError::InvalidRequest(format!("{name} overflows")))?;
            item.insert(name.clone(), Value::N(sum));
        }
        for name in &self.remove {
            item.remove(name);
        }
        Ok(item)
    }
}

/// One write of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOp {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update {
        key: Key,
        update: Update,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// A condition on an item the transaction does not write.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl TxOp {
    pub fn key(&self) -> Option<Key> {
        match self {
            Self::Put { item, .. } => Key::of(item),
            Self::Update { key, .. } | Self::Delete { key, .. } | Self::Check { key, .. } => Some(key.clone()),
        }
    }

    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Self::Put { condition, .. } | Self::Update { condition, .. } | Self::Delete { condition, .. } => {
                condition.as_ref()
            }
            Self::Check { condition, .. } => Some(condition),
        }
    }
}

/// The table and its secondary indexes. Each index has a string partition and sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
}

impl Index {
    pub const SECONDARY: [Index; 2] = [Index::Gsi1, Index::Gsi2];

    /// The partition and sort key attributes of the index.
    pub fn key_attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Table => (PK, SK),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Gsi2 => ("gsi2pk", "gsi2sk"),
        }
    }

    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Any,
    Equals(String),
    BeginsWith(String),
    /// Inclusive at both ends.
    Between(String, String),
}

impl SortKey {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            SortKey::Any => true,
            SortKey::Equals(v) => sk == v,
            SortKey::BeginsWith(prefix) => sk.starts_with(prefix.as_str()),
            SortKey::Between(low, high) => low.as_str() <= sk && sk <= high.as_str(),
        }
    }
}

/// An opaque position in a query's results: the key of the last item returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

impl Cursor {
    /// A cursor to a position in a list computed whole (a ranking) rather than queried;
    /// `list` names the list, so a cursor of another list is refused like any foreign one.
    pub fn at(position: usize, list: &str) -> Cursor {
        Cursor(URL_SAFE_NO_PAD.encode(serde_json::json!({ "position": position, "list": list }).to_string()))
    }

    /// The position of a cursor [`Cursor::at`] made for `list` (a bounded one: lists computed
    /// whole are short).
    pub fn position(&self, list: &str) -> Option<usize> {
        let bytes = URL_SAFE_NO_PAD.decode(self.0.as_bytes()).ok()?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let object = json.as_object().filter(|o| o.len() == 2)?;
        if object.get("list")?.as_str()? != list {
            return None;
        }
        let at = usize::try_from(object.get("position")?.as_u64()?).ok()?;
        (at <= 10_000).then_some(at)
    }

    pub fn encode(key: &Item) -> Cursor {
        let json = serde_json::Value::Object(key.iter().map(|(k, v)| (k.clone(), to_json(v))).collect());
        Cursor(URL_SAFE_NO_PAD.encode(json.to_string()))
    }

    /// The key a cursor stands for, checked to belong to `query`.
    pub fn decode(&self, query: &Query) -> Result<Item, TableError> {
        let bytes = URL_SAFE_NO_PAD.decode(self.0.as_bytes()).map_err(|_| TableError::InvalidCursor)?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| TableError::InvalidCursor)?;
        let serde_json::Value::Object(map) = json else { return Err(TableError::InvalidCursor) };
        let key: Item = map
            .into_iter()
            .map(|(k, v)| Ok((k, from_json(v).map_err(|_| TableError::InvalidCursor)?)))
            .collect::<Result<_, TableError>>()?;
        let (pk_name, sk_name) = query.index.key_attributes();
        let mut expected: Vec<&str> = vec![PK, SK, pk_name, sk_name];
        expected.sort_unstable();
        expected.dedup();
        // Real keys are short; a forged cursor must not reach the store with a giant one.
        let well_formed = key.len() == expected.len()
            && expected.iter().all(|name| {
                key.get(*name).and_then(Value::as_str).is_some_and(|v| !v.is_empty() && v.len() <= MAX_KEY_BYTES)
            })
            && key.get(pk_name).and_then(Value::as_str) == Some(query.pk.as_str())
            && key.get(sk_name).and_then(Value::as_str).is_some_and(|sk| query.sort.matches(sk));
        if well_formed { Ok(key) } else { Err(TableError::InvalidCursor) }
    }

    /// The cursor after `item` in a query on `index`.
    pub fn after(item: &Item, index: Index) -> Cursor {
        let (pk_name, sk_name) = index.key_attributes();
        let key: Item = [PK, SK, pk_name, sk_name]
            .into_iter()
            .filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone())))
            .collect();
        Cursor::encode(&key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sort: SortKey,
    /// 1 to [`MAX_PAGE`] items per page.
    pub limit: u32,
    pub cursor: Option<Cursor>,
    pub descending: bool,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>) -> Self {
        Self { index, pk: pk.into(), sort: SortKey::Any, limit: 100, cursor: None, descending: false }
    }

    pub fn sort(mut self, sort: SortKey) -> Self {
        self.sort = sort;
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    pub fn cursor(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    pub fn check(&self) -> Result<(), TableError> {
        if !(1..=MAX_PAGE).contains(&self.limit) {
            return Err(TableError::InvalidRequest(format!("a page holds 1 to {MAX_PAGE} items")));
        }
        // DynamoDB refuses empty strings in key conditions.
        let empty = match &self.sort {
            SortKey::Any => false,
            SortKey::Equals(v) | SortKey::BeginsWith(v) => v.is_empty(),
            SortKey::Between(low, high) => low.is_empty() || high.is_empty() || low > high,
        };
        if self.pk.is_empty() || empty {
            return Err(TableError::InvalidRequest("key conditions take non-empty strings, in order".into()));
        }
        Ok(())
    }
}

/// One page of a query. `next` is present exactly when more items follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<Cursor>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    #[error("the condition of the write does not hold")]
    ConditionFailed,
    /// The transaction wrote nothing; `failed` lists the operations whose condition failed.
    #[error("transaction cancelled; conditions failed at {failed:?}")]
    TransactionCanceled { failed: Vec<usize> },
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("invalid table request: {0}")]
    InvalidRequest(String),
    #[error("table unavailable: {0}")]
    Unavailable(String),
}

/// A well-formed item: string `pk` and `sk`, and string keys on the indexes it is in.
pub fn check_item(item: &Item) -> Result<(), TableError> {
    if Key::of(item).is_none_or(|k| k.pk.is_empty() || k.sk.is_empty()) {
        return Err(TableError::InvalidRequest("an item needs non-empty string pk and sk".into()));
    }
    for index in Index::SECONDARY {
        let (pk, sk) = index.key_attributes();
        for name in [pk, sk] {
            if item.get(name).is_some_and(|v| v.as_str().is_none_or(str::is_empty)) {
                return Err(TableError::InvalidRequest(format!("{name} must be a non-empty string")));
            }
        }
    }
    Ok(())
}

/// A well-formed transaction: 1 to 100 operations on distinct items.
pub fn check_transaction(ops: &[TxOp]) -> Result<(), TableError> {
    if ops.is_empty() || ops.len() > MAX_TX_ITEMS {
        return Err(TableError::InvalidRequest(format!("a transaction holds 1 to {MAX_TX_ITEMS} operations")));
    }
    let mut keys = BTreeSet::new();
    for op in ops {
        let key = op.key().ok_or_else(|| TableError::InvalidRequest("an item needs string pk and sk".into()))?;
        if !keys.insert(key) {
            return Err(TableError::InvalidRequest("a transaction touches each item once".into()));
        }
        match op {
            TxOp::Put { item, .. } => check_item(item)?,
            TxOp::Update { update, .. } => update.check()?,
            _ => {}
        }
    }
    Ok(())
}

/// Single-table storage shaped like DynamoDB.
#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError>;
    /// Up to 100 items in one read; those that exist, in the order asked.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError>;
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError>;
    /// Applies `update` and returns the item as it is afterwards.
    async fn update(&self, key: &Key, update: Update, condition: Option<Condition>) -> Result<Item, TableError>;
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError>;
    /// All or nothing: every condition holds and every write applies, or nothing changes.
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError>;
    async fn query(&self, query: Query) -> Result<Page, TableError>;
    /// How many items of the query's partition and sort range hold `filter` (its limit and
    /// cursor aside). This reads the pages and counts; DynamoDB counts on its side, leaving
    /// the items where they are.
    async fn count(&self, query: Query, filter: Option<Condition>) -> Result<u64, TableError> {
        let mut count = 0;
        let mut cursor = None;
        loop {
            let page = self.query(query.clone().limit(MAX_PAGE).cursor(cursor)).await?;
            count +=
                page.items.iter().filter(|item| filter.as_ref().is_none_or(|f| f.holds(Some(item)))).count() as u64;
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(count),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_belong_to_their_query() {
        let item: Item = [("pk", "P"), ("sk", "S"), ("gsi1pk", "G"), ("gsi1sk", "0001"), ("other", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::from(v)))
            .collect();
        let cursor = Cursor::after(&item, Index::Gsi1);
        let query = Query::new(Index::Gsi1, "G");
        assert_eq!(cursor.decode(&query).map(|k| k.len()), Ok(4));
        assert_eq!(cursor.decode(&Query::new(Index::Gsi1, "other")), Err(TableError::InvalidCursor));
        assert_eq!(cursor.decode(&Query::new(Index::Table, "P")), Err(TableError::InvalidCursor));
        assert_eq!(Cursor("not base64!".into()).decode(&query), Err(TableError::InvalidCursor));
        assert_eq!(Cursor(URL_SAFE_NO_PAD.encode("[1]")).decode(&query), Err(TableError::InvalidCursor));
    }

    #[test]
    fn updates_name_each_attribute_once_and_spare_the_key() {
        assert!(Update::new().set("a", 1).add("b", 1).remove("c").check().is_ok());
        assert!(Update::new().set("a", 1).add("a", 1).check().is_err());
        assert!(Update::new().set("pk", "x").check().is_err());
        assert!(Update::new().check().is_err());
        let key = Key::new("P", "S");
        let item = Update::new().add("stock", -2).apply(&key, None).expect("upsert");
        assert_eq!(item.get("stock"), Some(&Value::N(-2)));
        assert!(
            Update::new().add("pk2", 1).apply(&key, Some(&Item::from([("pk2".into(), Value::from("x"))]))).is_err()
        );
    }

    #[test]
    fn conditions_on_missing_attributes_are_false() {
        let item = Item::from([("stock".to_owned(), Value::N(3))]);
        assert!(Condition::AtLeast("stock".into(), 3).holds(Some(&item)));
        assert!(!Condition::AtLeast("stock".into(), 4).holds(Some(&item)));
        assert!(!Condition::AtLeast("other".into(), 0).holds(Some(&item)));
        assert!(!Condition::equals("stock", 3).holds(None));
        assert!(Condition::And(vec![Condition::Exists, Condition::AtMost("stock".into(), 3)]).holds(Some(&item)));
        assert!(Condition::Missing("other".into()).holds(Some(&item)) && Condition::Missing("x".into()).holds(None));
        assert!(!Condition::Missing("stock".into()).holds(Some(&item)));
    }
}
