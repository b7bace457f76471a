//! Trade-in (R-TRADEIN) on the table.
//!
//! - `SELLER#id` / `TRADEIN_PRICES`: a refurbisher's whole buyback list, one item (at most
//!   500 prices, about 40 KB), replaced whole and conditionally on the list as read.
//! - `TRADEIN_PRICES#<productId>` / `SELLER#id`: the index of a product's prices, one item per
//!   refurbisher pricing it, written after the list. It only narrows the search: an offer is
//!   priced from the lists themselves, so an index entry a replacement has not reached yet
//!   never prices anything.
//! - `TRADEIN#id` / `TRADEIN`: the trade-in, on its customer's list (gsi1
//!   `CUSTOMER#sub#TRADEINS`) and, while time has something to do to it, on gsi2
//!   `TRADEINS#DUE` by that time. `TRADEIN#id` / `SELLER#id` puts it on its refurbisher's list.
//!   Every change is conditional on the trade-in's version.
//! - `DEVICE_REFUSED#<IMEI hash>` / `<at>`: a device refused as blocklisted, with the account
//!   that offered it: the fraud record, without the IMEI itself.
//! - `SELLER#id#TRADEIN_REGISTER` / `<purchasedAt>#<tradeInId>`: the refurbisher's register of
//!   second-hand goods, one entry per device bought, written with the purchase and expired by
//!   TTL after the 5 years it must be kept.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{Span, Timestamp};
use marketplace::trade_in::TradeIn;
use marketplace::trade_in::condition::Grade;
use marketplace::trade_in::payment::RegisterEntry;
use marketplace::trade_in::prices::PriceList;
use ports::{Condition, Cursor, Index, Item, Key, MAX_TX_ITEMS, Query, SortKey, Table, TableError, TxOp, Value};

use crate::{keys, record};

/// How long the register keeps an entry (the French Penal Code's R. 321-8: five years).
const REGISTER_KEPT_YEARS: i64 = 5;

/// Index entries read when pricing an offer: the best candidates' lists are then read whole.
const CANDIDATES: usize = 10;

pub struct TradeIns<'a> {
    table: &'a dyn Table,
}

fn trade_in_item(trade_in: &TradeIn, due: Option<Timestamp>) -> Result<Item, TableError> {
    let mut item = record::item(trade_in, &keys::trade_in(&trade_in.id), "trade_in")?;
    let created = format!("{}#{}", keys::sortable(trade_in.created_at), trade_in.id);
    item.insert("gsi1pk".into(), Value::from(keys::customer_trade_ins_pk(&trade_in.customer)));
    item.insert("gsi1sk".into(), Value::from(created));
    if let Some(due) = due {
        item.insert("gsi2pk".into(), Value::from(keys::TRADE_INS_DUE));
        item.insert("gsi2sk".into(), Value::from(format!("{}#{}", keys::sortable(due), trade_in.id)));
    }
    Ok(item)
}

fn refurbisher_entry(trade_in: &TradeIn) -> Item {
    let mut item = keys::trade_in_refurbisher(&trade_in.id, &trade_in.refurbisher_id).to_item();
    item.insert("kind".into(), Value::from("trade_in_refurbisher"));
    item.insert("tradeInId".into(), Value::from(trade_in.id.as_str()));
    item.insert("gsi1pk".into(), Value::from(keys::seller_trade_ins_pk(&trade_in.refurbisher_id)));
    item.insert("gsi1sk".into(), Value::from(format!("{}#{}", keys::sortable(trade_in.created_at), trade_in.id)));
    item
}

/// The index entry of one product in a list: its prices by grade.
fn index_item(list: &PriceList, product_id: &str) -> Item {
    let mut item = keys::trade_in_product_price(product_id, &list.refurbisher_id).to_item();
    item.insert("kind".into(), Value::from("trade_in_price"));
    item.insert("sellerId".into(), Value::from(list.refurbisher_id.as_str()));
    item.insert("validUntil".into(), Value::from(keys::sortable(list.valid_until)));
    item.insert("listVersion".into(), Value::from(keys::sortable(list.updated_at)));
    for price in list.items.iter().filter(|p| p.product_id == product_id) {
        item.insert(format!("g_{}", price.grade.as_str()), Value::N(price.price.amount_minor));
    }
    item
}

impl<'a> TradeIns<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// A refurbisher's list, if it has one.
    pub async fn prices(&self, seller_id: &str) -> Result<Option<PriceList>, TableError> {
        self.table.get(&keys::trade_in_prices(seller_id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Replaces `before` (the list as read, or none) with `list`, then brings the product
    /// index in line: `ConditionFailed` when the list changed in between.
    pub async fn replace_prices(&self, before: Option<&PriceList>, list: &PriceList) -> Result<(), TableError> {
        let mut item = record::item(list, &keys::trade_in_prices(&list.refurbisher_id), "trade_in_prices")?;
        let condition = match before {
            Some(before) => Condition::equals("updatedAt", keys::sortable(before.updated_at)),
            None => Condition::NotExists,
        };
        // The list is stored with its time written as sort keys write it, so the condition
        // compares like with like.
        item.insert("updatedAt".into(), Value::from(keys::sortable(list.updated_at)));
        self.table.put(item, Some(condition)).await?;
        let products: BTreeSet<&str> = list.items.iter().map(|p| p.product_id.as_str()).collect();
        let gone: BTreeSet<&str> = before
            .map(|b| b.items.iter().map(|p| p.product_id.as_str()).filter(|p| !products.contains(p)).collect())
            .unwrap_or_default();
        let mut ops: Vec<TxOp> =
            products.iter().map(|p| TxOp::Put { item: index_item(list, p), condition: None }).collect();
        ops.extend(
            gone.iter()
                .map(|p| TxOp::Delete { key: keys::trade_in_product_price(p, &list.refurbisher_id), condition: None }),
        );
        for chunk in ops.chunks(MAX_TX_ITEMS) {
            self.table.transact(chunk.to_vec()).await?;
        }
        Ok(())
    }

    /// The lists that may price `product_id` in `grade` at `now`, read whole: the index's best
    /// candidates, each list kept only if the index entry is of its current version.
    pub async fn candidates(
        &self,
        product_id: &str,
        grade: Grade,
        now: Timestamp,
    ) -> Result<Vec<PriceList>, TableError> {
        let attribute = format!("g_{}", grade.as_str());
        let now_key = keys::sortable(now);
        let mut entries: Vec<(i64, String, String)> = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(
                    Query::new(Index::Table, keys::trade_in_product_pk(product_id))
                        .limit(ports::MAX_PAGE)
                        .cursor(cursor),
                )
                .await?;
            for item in &page.items {
                let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
                let (Some(Value::N(price)), Some(seller), Some(until), Some(version)) =
                    (item.get(&attribute), text("sellerId"), text("validUntil"), text("listVersion"))
                else {
                    continue;
                };
                if until > now_key {
                    entries.push((*price, seller, version));
                }
            }
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        entries.truncate(CANDIDATES);
        let versions: BTreeMap<String, String> = entries.iter().map(|(_, s, v)| (s.clone(), v.clone())).collect();
        let list_keys: Vec<Key> = versions.keys().map(|s| keys::trade_in_prices(s)).collect();
        let lists: Vec<PriceList> =
            self.table.get_many(&list_keys).await?.iter().map(record::entity).collect::<Result<_, _>>()?;
        Ok(lists
            .into_iter()
            .filter(|l| versions.get(&l.refurbisher_id).is_some_and(|v| *v == keys::sortable(l.updated_at)))
            .collect())
    }

    pub async fn get(&self, id: &str) -> Result<Option<TradeIn>, TableError> {
        self.table.get(&keys::trade_in(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Stores a new trade-in and its refurbisher's entry: `false` if it exists (a retry).
    pub async fn create(&self, trade_in: &TradeIn, due: Option<Timestamp>) -> Result<bool, TableError> {
        let ops = vec![
            TxOp::Put { item: trade_in_item(trade_in, due)?, condition: Some(Condition::NotExists) },
            TxOp::Put { item: refurbisher_entry(trade_in), condition: None },
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(true),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes `after` over `before` with `also` (its mails, its ledger postings), unless the
    /// trade-in changed in between (`TransactionCanceled` with 0 among the failed).
    pub async fn change(
        &self,
        before: &TradeIn,
        after: &TradeIn,
        due: Option<Timestamp>,
        also: Vec<TxOp>,
    ) -> Result<(), TableError> {
        let mut ops = vec![Self::change_op(before, after, due)?];
        ops.extend(also);
        self.table.transact(ops).await
    }

    /// The write of `after` over `before`, conditional on the version read, for a transaction
    /// that carries it with others (the ledger's).
    pub fn change_op(before: &TradeIn, after: &TradeIn, due: Option<Timestamp>) -> Result<TxOp, TableError> {
        Ok(TxOp::Put {
            item: trade_in_item(after, due)?,
            condition: Some(Condition::equals("version", before.version)),
        })
    }

    /// The write of a register entry, kept five years.
    pub fn register_op(refurbisher_id: &str, entry: &RegisterEntry) -> Result<TxOp, TableError> {
        let key = keys::trade_in_register_entry(refurbisher_id, entry.purchased_at, &entry.trade_in_id);
        let mut item = record::item(entry, &key, "trade_in_register_entry")?;
        let kept = entry
            .purchased_at
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .checked_add(Span::new().years(REGISTER_KEPT_YEARS))
            .map(|z| z.timestamp())
            .unwrap_or(entry.purchased_at);
        item.insert("ttl".into(), Value::N(kept.as_second()));
        Ok(TxOp::Put { item, condition: Some(Condition::NotExists) })
    }

    /// A page of a refurbisher's register, in the order of purchase.
    pub async fn register(
        &self,
        refurbisher_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<RegisterEntry>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Table, keys::trade_in_register_pk(refurbisher_id)).limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// A page of a customer's trade-ins, newest first.
    pub async fn of_customer(
        &self,
        sub: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<TradeIn>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi1, keys::customer_trade_ins_pk(sub)).descending().limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// A page of a refurbisher's trade-ins, newest first.
    pub async fn of_refurbisher(
        &self,
        seller_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<TradeIn>, Option<Cursor>), TableError> {
        let query =
            Query::new(Index::Gsi1, keys::seller_trade_ins_pk(seller_id)).descending().limit(limit).cursor(cursor);
        let page = self.table.query(query).await?;
        let ids: Vec<Key> =
            page.items.iter().filter_map(|i| i.get("tradeInId").and_then(Value::as_str)).map(keys::trade_in).collect();
        let mut found: Vec<TradeIn> =
            self.table.get_many(&ids).await?.iter().map(record::entity).collect::<Result<_, _>>()?;
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok((found, page.next))
    }

    /// Trade-ins with something due by `now`, earliest first.
    pub async fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<TradeIn>, TableError> {
        let query = Query::new(Index::Gsi2, keys::TRADE_INS_DUE)
            .sort(SortKey::Between("0".into(), format!("{}~", keys::sortable(now))))
            .limit(limit);
        Ok(record::page(self.table.query(query).await?)?.0)
    }

    /// When the earliest trade-in falls due, for the local runner's probe.
    pub async fn next_due(&self) -> Result<Option<Timestamp>, TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::TRADE_INS_DUE).limit(1)).await?;
        Ok(page.items.first().and_then(|i| i.get("gsi2sk")).and_then(Value::as_str).and_then(keys::time_of))
    }

    /// Records a device refused as blocklisted: its IMEI's hash, the account, the product.
    pub async fn refuse_device(
        &self,
        imei_hash: &str,
        sub: &str,
        product_id: &str,
        at: Timestamp,
    ) -> Result<(), TableError> {
        let mut item = keys::blocklisted_device(imei_hash, at).to_item();
        item.insert("kind".into(), Value::from("device_refused"));
        item.insert("account".into(), Value::from(sub));
        item.insert("productId".into(), Value::from(product_id));
        self.table.put(item, None).await
    }
}
