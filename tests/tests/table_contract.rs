//! The Table contract: every adapter of the port behaves the same. Each case runs on the
//! embedded table and on DynamoDB (the emulator `make test` starts).

use ports::{Condition, Cursor, Index, Item, Key, Query, SortKey, Table, TableError, TxOp, Update, Value};

fn item(pk: &str, sk: &str, attributes: &[(&str, Value)]) -> Item {
    let mut item = Key::new(pk, sk).to_item();
    for (name, value) in attributes {
        item.insert((*name).to_owned(), value.clone());
    }
    item
}

fn sks(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i["sk"].as_str().unwrap_or_default().to_owned()).collect()
}

async fn put_get_delete(table: &dyn Table) {
    let key = Key::new("SELLER#1", "PROFILE");
    let stored =
        item("SELLER#1", "PROFILE", &[("name", Value::from("Refurb")), ("n", Value::N(-3)), ("ok", Value::Bool(true))]);
    assert_eq!(table.get(&key).await, Ok(None));
    table.put(stored.clone(), None).await.expect("put");
    assert_eq!(table.get(&key).await, Ok(Some(stored.clone())));
    let nested =
        item("SELLER#1", "NESTED", &[("m", Value::M(stored.clone())), ("l", Value::L(vec![Value::Null, Value::N(1)]))]);
    table.put(nested.clone(), None).await.expect("put nested");
    assert_eq!(table.get(&Key::new("SELLER#1", "NESTED")).await, Ok(Some(nested)));
    table.delete(&key, None).await.expect("delete");
    assert_eq!(table.get(&key).await, Ok(None));
    // Deleting what is not there is not an error, as in DynamoDB.
    table.delete(&key, None).await.expect("delete again");
}

async fn conditional_put(table: &dyn Table) {
    let first = item("IDEMPOTENCY#k", "RECORD", &[("status", Value::from("in_progress"))]);
    table.put(first.clone(), Some(Condition::NotExists)).await.expect("first put");
    let second = item("IDEMPOTENCY#k", "RECORD", &[("status", Value::from("other"))]);
    assert_eq!(table.put(second.clone(), Some(Condition::NotExists)).await, Err(TableError::ConditionFailed));
    assert_eq!(table.get(&Key::new("IDEMPOTENCY#k", "RECORD")).await, Ok(Some(first)));
    table.put(second.clone(), Some(Condition::equals("status", "in_progress"))).await.expect("put on equal");
    assert_eq!(
        table.put(second.clone(), Some(Condition::equals("status", "in_progress"))).await,
        Err(TableError::ConditionFailed)
    );
    assert_eq!(table.put(item("NEW", "X", &[]), Some(Condition::Exists)).await, Err(TableError::ConditionFailed));
    assert_eq!(table.get(&Key::new("NEW", "X")).await, Ok(None));
}

async fn conditional_update(table: &dyn Table) {
    let key = Key::new("OFFER#1", "OFFER");
    // An update creates a missing item, as DynamoDB does.
    let created =
        table.update(&key, Update::new().set("stock", 2).set("status", "active"), None).await.expect("upsert");
    assert_eq!(created.get("stock"), Some(&Value::N(2)));
    let take_one = || Update::new().add("stock", -1);
    let enough = || Some(Condition::AtLeast("stock".into(), 1));
    assert_eq!(table.update(&key, take_one(), enough()).await.map(|i| i["stock"].clone()), Ok(Value::N(1)));
    assert_eq!(table.update(&key, take_one(), enough()).await.map(|i| i["stock"].clone()), Ok(Value::N(0)));
    assert_eq!(table.update(&key, take_one(), enough()).await, Err(TableError::ConditionFailed));
    let after = table.get(&key).await.expect("get").expect("exists");
    assert_eq!(after.get("stock"), Some(&Value::N(0)));
    let removed = table.update(&key, Update::new().remove("status"), Some(Condition::Exists)).await.expect("remove");
    assert!(!removed.contains_key("status"));
    let missing = Key::new("OFFER#2", "OFFER");
    assert_eq!(
        table.update(&missing, Update::new().set("a", 1), Some(Condition::Exists)).await,
        Err(TableError::ConditionFailed)
    );
    assert_eq!(table.get(&missing).await, Ok(None));
    assert!(matches!(table.update(&key, Update::new().set("pk", "x"), None).await, Err(TableError::InvalidRequest(_))));
}

async fn conditional_delete(table: &dyn Table) {
    table.put(item("A", "1", &[("v", Value::N(1))]), None).await.expect("put");
    let key = Key::new("A", "1");
    assert_eq!(table.delete(&key, Some(Condition::equals("v", 2))).await, Err(TableError::ConditionFailed));
    assert!(table.get(&key).await.expect("get").is_some());
    table.delete(&key, Some(Condition::equals("v", 1))).await.expect("delete");
    assert_eq!(table.get(&key).await, Ok(None));
}

async fn transaction_all_or_nothing(table: &dyn Table) {
    table.put(item("STOCK#a", "S", &[("stock", Value::N(1))]), None).await.expect("put");
    table.put(item("STOCK#b", "S", &[("stock", Value::N(0))]), None).await.expect("put");
    let order = |id: &str| TxOp::Put {
        item: item(&format!("ORDER#{id}"), "ORDER", &[]),
        condition: Some(Condition::NotExists),
    };
    let take = |pk: &str| TxOp::Update {
        key: Key::new(pk, "S"),
        update: Update::new().add("stock", -1),
        condition: Some(Condition::AtLeast("stock".into(), 1)),
    };
    let cancelled = table.transact(vec![order("1"), take("STOCK#a"), take("STOCK#b")]).await;
    assert_eq!(cancelled, Err(TableError::TransactionCanceled { failed: vec![2] }));
    assert_eq!(table.get(&Key::new("ORDER#1", "ORDER")).await, Ok(None), "nothing of a cancelled transaction applies");
    assert_eq!(table.get(&Key::new("STOCK#a", "S")).await.expect("get").map(|i| i["stock"].clone()), Some(Value::N(1)));

    table
        .transact(vec![
            order("1"),
            take("STOCK#a"),
            TxOp::Check { key: Key::new("STOCK#b", "S"), condition: Condition::Exists },
        ])
        .await
        .expect("transaction");
    assert!(table.get(&Key::new("ORDER#1", "ORDER")).await.expect("get").is_some());
    assert_eq!(table.get(&Key::new("STOCK#a", "S")).await.expect("get").map(|i| i["stock"].clone()), Some(Value::N(0)));

    let again = table.transact(vec![order("1"), TxOp::Delete { key: Key::new("STOCK#b", "S"), condition: None }]).await;
    assert_eq!(again, Err(TableError::TransactionCanceled { failed: vec![0] }));
    assert!(table.get(&Key::new("STOCK#b", "S")).await.expect("get").is_some());
}

async fn transaction_limits(table: &dyn Table) {
    let put = |i: usize| TxOp::Put { item: item("MANY", &format!("{i:03}"), &[]), condition: None };
    assert!(matches!(table.transact((0..101).map(put).collect()).await, Err(TableError::InvalidRequest(_))));
    assert!(matches!(table.transact(vec![put(1), put(1)]).await, Err(TableError::InvalidRequest(_))));
    assert!(matches!(table.transact(vec![]).await, Err(TableError::InvalidRequest(_))));
    table.transact((0..100).map(put).collect()).await.expect("100 operations");
    let page = table.query(Query::new(Index::Table, "MANY").limit(1000)).await.expect("query");
    assert_eq!(page.items.len(), 100);
}

async fn query_pages(table: &dyn Table) {
    for i in 0..25 {
        table.put(item("P", &format!("ITEM#{i:02}"), &[("i", Value::N(i))]), None).await.expect("put");
    }
    table.put(item("P", "OTHER#1", &[]), None).await.expect("put");
    table.put(item("Q", "ITEM#00", &[]), None).await.expect("put");
    let base = Query::new(Index::Table, "P").sort(SortKey::BeginsWith("ITEM#".into())).limit(10);
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = Vec::new();
    loop {
        let page = table.query(base.clone().cursor(cursor)).await.expect("page");
        pages.push(page.items.len());
        seen.extend(sks(&page.items));
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, [10, 10, 5]);
    assert_eq!(seen, (0..25).map(|i| format!("ITEM#{i:02}")).collect::<Vec<_>>());

    let exact = table.query(base.clone().limit(25)).await.expect("exact page");
    assert_eq!((exact.items.len(), exact.next), (25, None), "a full last page has no next cursor");

    let first = table.query(base.clone().descending().limit(3)).await.expect("descending");
    assert_eq!(sks(&first.items), ["ITEM#24", "ITEM#23", "ITEM#22"]);
    let second = table.query(base.clone().descending().limit(3).cursor(first.next)).await.expect("descending 2");
    assert_eq!(sks(&second.items), ["ITEM#21", "ITEM#20", "ITEM#19"]);

    let between = Query::new(Index::Table, "P").sort(SortKey::Between("ITEM#05".into(), "ITEM#07".into()));
    assert_eq!(sks(&table.query(between).await.expect("between").items), ["ITEM#05", "ITEM#06", "ITEM#07"]);
    let equals = Query::new(Index::Table, "P").sort(SortKey::Equals("OTHER#1".into()));
    assert_eq!(sks(&table.query(equals).await.expect("equals").items), ["OTHER#1"]);
    let empty = table.query(Query::new(Index::Table, "NONE")).await.expect("empty");
    assert_eq!((empty.items.len(), empty.next), (0, None));
}

async fn query_refuses_foreign_cursors(table: &dyn Table) {
    for i in 0..3 {
        table.put(item("P", &format!("ITEM#{i}"), &[]), None).await.expect("put");
    }
    let page = table.query(Query::new(Index::Table, "P").limit(1)).await.expect("page");
    let cursor = page.next.expect("more pages");
    assert_eq!(
        table.query(Query::new(Index::Table, "Q").cursor(Some(cursor.clone()))).await,
        Err(TableError::InvalidCursor)
    );
    assert_eq!(table.query(Query::new(Index::Gsi1, "P").cursor(Some(cursor))).await, Err(TableError::InvalidCursor));
    let forged = Query::new(Index::Table, "P").cursor(Some(Cursor("eyJway".into())));
    assert_eq!(table.query(forged).await, Err(TableError::InvalidCursor));
    assert!(matches!(table.query(Query::new(Index::Table, "P").limit(0)).await, Err(TableError::InvalidRequest(_))));
    let empty_prefix = Query::new(Index::Table, "P").sort(SortKey::BeginsWith(String::new()));
    assert!(matches!(table.query(empty_prefix).await, Err(TableError::InvalidRequest(_))));
}

async fn secondary_indexes(table: &dyn Table) {
    // A sparse index: only items carrying gsi1 keys are in it; prices sort as padded text.
    for (id, price, listed) in [("a", 300, true), ("b", 100, true), ("c", 200, false), ("d", 100, true)] {
        let mut attributes = vec![("gsi2pk", Value::from("SELLER#1")), ("gsi2sk", Value::from(id))];
        if listed {
            attributes.push(("gsi1pk", Value::from("LISTING#p")));
            attributes.push(("gsi1sk", Value::from(format!("{price:012}#{id}"))));
        }
        table.put(item(&format!("OFFER#{id}"), "OFFER", &attributes), None).await.expect("put");
    }
    let listing = |limit| Query::new(Index::Gsi1, "LISTING#p").limit(limit);
    let pks =
        |items: &[Item]| items.iter().map(|i| i["pk"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>();
    let first = table.query(listing(2)).await.expect("page 1");
    assert_eq!(pks(&first.items), ["OFFER#b", "OFFER#d"]);
    let second = table.query(listing(2).cursor(first.next)).await.expect("page 2");
    assert_eq!((pks(&second.items), second.next), (vec!["OFFER#a".to_owned()], None));

    // Moving an item out of and into an index follows its attributes.
    let b = Key::new("OFFER#b", "OFFER");
    table.update(&b, Update::new().remove("gsi1pk").remove("gsi1sk"), None).await.expect("unlist");
    let c = Key::new("OFFER#c", "OFFER");
    table
        .update(&c, Update::new().set("gsi1pk", "LISTING#p").set("gsi1sk", format!("{:012}#c", 50)), None)
        .await
        .expect("list");
    assert_eq!(pks(&table.query(listing(10)).await.expect("listing").items), ["OFFER#c", "OFFER#d", "OFFER#a"]);
    table.delete(&c, None).await.expect("delete");
    assert_eq!(pks(&table.query(listing(10)).await.expect("listing").items), ["OFFER#d", "OFFER#a"]);

    let by_seller = table.query(Query::new(Index::Gsi2, "SELLER#1")).await.expect("gsi2");
    assert_eq!(pks(&by_seller.items), ["OFFER#a", "OFFER#b", "OFFER#d"]);
    let bad_key = item("X", "Y", &[("gsi1pk", Value::N(1))]);
    assert!(matches!(table.put(bad_key, None).await, Err(TableError::InvalidRequest(_))));
}

async fn batched_reads(table: &dyn Table) {
    for id in ["1", "2", "3"] {
        table.put(item(&format!("SELLER#{id}"), "PROFILE", &[]), None).await.expect("put");
    }
    let keys: Vec<Key> =
        ["3", "missing", "1", "3"].iter().map(|id| Key::new(format!("SELLER#{id}"), "PROFILE")).collect();
    let found = table.get_many(&keys).await.expect("batch");
    let pks: Vec<&str> = found.iter().filter_map(|i| i["pk"].as_str()).collect();
    assert_eq!(pks, ["SELLER#3", "SELLER#1", "SELLER#3"]);
    let too_many: Vec<Key> = (0..101).map(|i| Key::new(format!("K{i}"), "S")).collect();
    assert!(matches!(table.get_many(&too_many).await, Err(TableError::InvalidRequest(_))));
    assert_eq!(table.get_many(&[]).await, Ok(vec![]));
}

/// Counts a partition past a page's worth of items, within a sort range, and by a filter.
async fn counts(table: &dyn Table) {
    for i in 0..230 {
        let linked = if i % 3 == 0 { vec![("linked", Value::Bool(true))] } else { vec![] };
        let prefix = if i % 2 == 0 { "A" } else { "D" };
        table.put(item("AMAR#2026-11#07", &format!("{prefix}#{i:04}"), &linked), None).await.expect("put");
    }
    table.put(item("AMAR#2026-11#08", "A#other", &[]), None).await.expect("put");
    let query = Query::new(Index::Table, "AMAR#2026-11#07");
    assert_eq!(table.count(query.clone(), None).await, Ok(230));
    assert_eq!(table.count(query.clone(), Some(Condition::equals("linked", true))).await, Ok(77));
    let devices = query.clone().sort(SortKey::BeginsWith("D#".into()));
    assert_eq!(table.count(devices, None).await, Ok(115));
    assert_eq!(table.count(Query::new(Index::Table, "AMAR#2026-12#07"), None).await, Ok(0));
}

acceptance::on_both_adapters!(
    embedded: acceptance::embedded_table(),
    aws: acceptance::aws_table().await,
    cases: [put_get_delete,
    conditional_put,
    conditional_update,
    conditional_delete,
    transaction_all_or_nothing,
    transaction_limits,
    query_pages,
    query_refuses_foreign_cursors,
    secondary_indexes,
    batched_reads,
    counts]
);
