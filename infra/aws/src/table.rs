//! The Table port on DynamoDB, one call per operation. Conditions and updates become
//! expressions with placeholder names and values, so no attribute name or value is ever
//! spliced into an expression string.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue, Select, TransactWriteItem,
    Update as DynamoUpdate,
};
use ports::table::{MAX_BATCH_GET, check_item, check_transaction};
use ports::{Condition, Cursor, Index, Item, Key, Page, Query, SortKey, Table, TableError, TxOp, Update, Value};

pub struct DynamoTable {
    client: Client,
    name: String,
}

impl DynamoTable {
    pub fn new(client: Client, name: String) -> Self {
        Self { client, name }
    }
}

fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::S(s) => AttributeValue::S(s.clone()),
        Value::N(n) => AttributeValue::N(n.to_string()),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null => AttributeValue::Null(true),
        Value::L(values) => AttributeValue::L(values.iter().map(to_attribute).collect()),
        Value::M(map) => AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_attribute(v))).collect()),
    }
}

fn from_attribute(value: &AttributeValue) -> Result<Value, TableError> {
    let unsupported = || TableError::Unavailable("the table holds an attribute type this port does not use".into());
    Ok(match value {
        AttributeValue::S(s) => Value::S(s.clone()),
        AttributeValue::N(n) => Value::N(n.parse().map_err(|_| unsupported())?),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(values) => Value::L(values.iter().map(from_attribute).collect::<Result<_, _>>()?),
        AttributeValue::M(map) => {
            Value::M(map.iter().map(|(k, v)| Ok((k.clone(), from_attribute(v)?))).collect::<Result<_, TableError>>()?)
        }
        _ => return Err(unsupported()),
    })
}

fn to_attributes(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), to_attribute(v))).collect()
}

fn from_attributes(attributes: &HashMap<String, AttributeValue>) -> Result<Item, TableError> {
    attributes.iter().map(|(k, v)| Ok((k.clone(), from_attribute(v)?))).collect()
}

fn key_attributes(key: &Key) -> HashMap<String, AttributeValue> {
    to_attributes(&key.to_item())
}

/// The key condition of a query: its partition, and its sort range if any.
fn key_condition(expression: &mut Expression, query: &Query) -> String {
    let (pk_name, sk_name) = query.index.key_attributes();
    let mut key_condition =
        format!("{} = {}", expression.name(pk_name), expression.value(AttributeValue::S(query.pk.clone())));
    match &query.sort {
        SortKey::Any => {}
        SortKey::Equals(v) => {
            key_condition +=
                &format!(" AND {} = {}", expression.name(sk_name), expression.value(AttributeValue::S(v.clone())))
        }
        SortKey::BeginsWith(prefix) => {
            key_condition += &format!(
                " AND begins_with({}, {})",
                expression.name(sk_name),
                expression.value(AttributeValue::S(prefix.clone()))
            )
        }
        SortKey::Between(low, high) => {
            key_condition += &format!(
                " AND {} BETWEEN {} AND {}",
                expression.name(sk_name),
                expression.value(AttributeValue::S(low.clone())),
                expression.value(AttributeValue::S(high.clone()))
            )
        }
    }
    key_condition
}

/// Placeholder names and values of one request's expressions.
#[derive(Default)]
struct Expression {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn condition(&mut self, condition: &Condition) -> String {
        match condition {
            Condition::Exists => format!("attribute_exists({})", self.name("pk")),
            Condition::NotExists => format!("attribute_not_exists({})", self.name("pk")),
            Condition::Missing(name) => format!("attribute_not_exists({})", self.name(name)),
            Condition::Equals(name, value) => format!("{} = {}", self.name(name), self.value(to_attribute(value))),
            Condition::AtLeast(name, n) => {
                format!("{} >= {}", self.name(name), self.value(AttributeValue::N(n.to_string())))
            }
            Condition::AtMost(name, n) => {
                format!("{} <= {}", self.name(name), self.value(AttributeValue::N(n.to_string())))
            }
            Condition::And(all) if all.is_empty() => {
                format!("attribute_exists({}) OR attribute_not_exists({0})", self.name("pk"))
            }
            Condition::And(all) => {
                all.iter().map(|c| format!("({})", self.condition(c))).collect::<Vec<_>>().join(" AND ")
            }
        }
    }

    fn update(&mut self, update: &Update) -> String {
        let mut clauses = Vec::new();
        if !update.set.is_empty() {
            let parts: Vec<String> =
                update.set.iter().map(|(n, v)| format!("{} = {}", self.name(n), self.value(to_attribute(v)))).collect();
            clauses.push(format!("SET {}", parts.join(", ")));
        }
        if !update.add.is_empty() {
            let parts: Vec<String> = update
                .add
                .iter()
                .map(|(n, by)| format!("{} {}", self.name(n), self.value(AttributeValue::N(by.to_string()))))
                .collect();
            clauses.push(format!("ADD {}", parts.join(", ")));
        }
        if !update.remove.is_empty() {
            let parts: Vec<String> = update.remove.iter().map(|n| self.name(n)).collect();
            clauses.push(format!("REMOVE {}", parts.join(", ")));
        }
        clauses.join(" ")
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn unavailable(e: impl std::error::Error) -> TableError {
    TableError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

/// Maps a failed single-item write: a failed condition, a refused request, or an outage.
fn write_error<E>(e: aws_sdk_dynamodb::error::SdkError<E>, conditional: impl Fn(&E) -> bool) -> TableError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + 'static,
{
    match e.as_service_error() {
        Some(service) if conditional(service) => TableError::ConditionFailed,
        Some(service) if service.code() == Some("ValidationException") => {
            TableError::InvalidRequest(service.message().unwrap_or("validation failed").to_owned())
        }
        _ => unavailable(e),
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        output.item().map(from_attributes).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        if keys.len() > MAX_BATCH_GET {
            return Err(TableError::InvalidRequest(format!("a batched read takes at most {MAX_BATCH_GET} keys")));
        }
        let mut unique: Vec<&Key> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let mut found: HashMap<Key, Item> = HashMap::new();
        let mut pending: Vec<HashMap<String, AttributeValue>> = unique.into_iter().map(key_attributes).collect();
        let mut backoff = std::time::Duration::from_millis(20);
        while !pending.is_empty() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(unavailable)?;
            let output =
                self.client.batch_get_item().request_items(&self.name, request).send().await.map_err(unavailable)?;
            for attributes in output.responses().and_then(|r| r.get(&self.name)).into_iter().flatten() {
                let item = from_attributes(attributes)?;
                if let Some(key) = Key::of(&item) {
                    found.insert(key, item);
                }
            }
            // DynamoDB may leave keys unprocessed under load: ask again after a pause.
            if let Some(left) = output.unprocessed_keys().and_then(|u| u.get(&self.name)) {
                pending = left.keys().to_vec();
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(std::time::Duration::from_secs(1));
            }
        }
        Ok(keys.iter().filter_map(|k| found.get(k).cloned()).collect())
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        check_item(&item)?;
        let mut expression = Expression::default();
        let condition = condition.map(|c| expression.condition(&c));
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(to_attributes(&item)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .send()
            .await
            .map_err(|e| write_error(e, |s| s.is_conditional_check_failed_exception()))?;
        Ok(())
    }

    async fn update(&self, key: &Key, update: Update, condition: Option<Condition>) -> Result<Item, TableError> {
        update.check()?;
        let mut expression = Expression::default();
        let update_expression = expression.update(&update);
        let condition = condition.map(|c| expression.condition(&c));
        let output = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key_attributes(key)))
            .update_expression(update_expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| write_error(e, |s| s.is_conditional_check_failed_exception()))?;
        output
            .attributes()
            .map(from_attributes)
            .transpose()?
            .ok_or_else(|| TableError::Unavailable("no item returned".into()))
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        let mut expression = Expression::default();
        let condition = condition.map(|c| expression.condition(&c));
        self.client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .send()
            .await
            .map_err(|e| write_error(e, |s| s.is_conditional_check_failed_exception()))?;
        Ok(())
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        check_transaction(&ops)?;
        let mut items = Vec::with_capacity(ops.len());
        for op in &ops {
            let mut expression = Expression::default();
            let condition = op.condition().map(|c| expression.condition(c));
            let item = match op {
                TxOp::Put { item, .. } => TransactWriteItem::builder().put(
                    Put::builder()
                        .table_name(&self.name)
                        .set_item(Some(to_attributes(item)))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(expression.names())
                        .set_expression_attribute_values(expression.values())
                        .build()
                        .map_err(unavailable)?,
                ),
                TxOp::Update { key, update, .. } => {
                    let update_expression = expression.update(update);
                    TransactWriteItem::builder().update(
                        DynamoUpdate::builder()
                            .table_name(&self.name)
                            .set_key(Some(key_attributes(key)))
                            .update_expression(update_expression)
                            .set_condition_expression(condition)
                            .set_expression_attribute_names(expression.names())
                            .set_expression_attribute_values(expression.values())
                            .build()
                            .map_err(unavailable)?,
                    )
                }
                TxOp::Delete { key, .. } => TransactWriteItem::builder().delete(
                    Delete::builder()
                        .table_name(&self.name)
                        .set_key(Some(key_attributes(key)))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(expression.names())
                        .set_expression_attribute_values(expression.values())
                        .build()
                        .map_err(unavailable)?,
                ),
                TxOp::Check { key, .. } => TransactWriteItem::builder().condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.name)
                        .set_key(Some(key_attributes(key)))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(expression.names())
                        .set_expression_attribute_values(expression.values())
                        .build()
                        .map_err(unavailable)?,
                ),
            };
            items.push(item.build());
        }
        // The token makes the SDK's own retries idempotent: a retry of a transaction that did
        // commit succeeds instead of failing on the conditions the first attempt changed.
        let token = ulid::Ulid::generate().to_string();
        match self.client.transact_write_items().set_transact_items(Some(items)).client_request_token(token).send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
                    cancelled,
                )) => {
                    let reasons = cancelled.cancellation_reasons();
                    let failed: Vec<usize> = reasons
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                        .map(|(i, _)| i)
                        .collect();
                    if !failed.is_empty() {
                        return Err(TableError::TransactionCanceled { failed });
                    }
                    if reasons.iter().any(|r| r.code() == Some("ValidationError")) {
                        let message = reasons.iter().find_map(|r| r.message()).unwrap_or("validation failed");
                        return Err(TableError::InvalidRequest(message.to_owned()));
                    }
                    // Cancelled for another reason (a conflicting transaction): worth a retry.
                    Err(unavailable(e))
                }
                _ => Err(write_error(e, |_| false)),
            },
        }
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        query.check()?;
        let start = query.cursor.as_ref().map(|c| c.decode(&query)).transpose()?;
        let mut expression = Expression::default();
        let key_condition = key_condition(&mut expression, &query);
        // One item more than the page tells whether another page follows, so `next` is
        // present exactly when it leads somewhere, as on the embedded table.
        let output = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(query.index.name().map(str::to_owned))
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .set_exclusive_start_key(start.as_ref().map(to_attributes))
            .scan_index_forward(!query.descending)
            .consistent_read(query.index == Index::Table)
            .limit(query.limit as i32 + 1)
            .send()
            .await
            .map_err(|e| write_error(e, |_| false))?;
        let mut items = output.items().iter().map(from_attributes).collect::<Result<Vec<_>, _>>()?;
        let limit = query.limit as usize;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| Cursor::after(last, query.index))
        } else {
            // DynamoDB stopped early (1 MB read): resume after what it returned.
            match (output.last_evaluated_key(), items.last()) {
                (Some(_), Some(last)) => Some(Cursor::after(last, query.index)),
                (Some(key), None) => Some(Cursor::encode(&from_attributes(key)?)),
                (None, _) => None,
            }
        };
        Ok(Page { items, next })
    }

    async fn count(&self, query: Query, filter: Option<Condition>) -> Result<u64, TableError> {
        query.check()?;
        let mut expression = Expression::default();
        let key_condition = key_condition(&mut expression, &query);
        let filter = filter.map(|f| expression.condition(&f));
        let mut start = None;
        let mut count = 0u64;
        loop {
            // Eventually consistent: half the read units, and nothing counted is that recent.
            let output = self
                .client
                .query()
                .table_name(&self.name)
                .set_index_name(query.index.name().map(str::to_owned))
                .key_condition_expression(key_condition.clone())
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(expression.names())
                .set_expression_attribute_values(expression.values())
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| write_error(e, |_| false))?;
            count += u64::try_from(output.count()).unwrap_or(0);
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(count),
            }
        }
    }
}
