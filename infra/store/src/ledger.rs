//! The ledger on the Table port. A transaction is written in one atomic write with the
//! balances it moves, the seller's month totals (for statements) and whatever record of its
//! cause goes with it (an order's settlement record, a payout), so balances always equal the
//! sum of the postings. Its item is conditional on its id being new: a cause posts once.

use jiff::Timestamp;
use marketplace::Currency;
use marketplace::funds::{Payout, PayoutStatus, SellerFunds};
use marketplace::ledger::{Account, Kind, SellerAccount, Transaction};
use marketplace::settlement::OrderLedger;
use ports::{Condition, Cursor, Index, Item, Query, SortKey, Table, TableError, TxOp, Update, Value};

use crate::keys::sortable;
use crate::{keys, record};

/// Shards of each platform account's balance.
const PLATFORM_SHARDS: u32 = 8;

pub struct Ledger<'a> {
    table: &'a dyn Table,
}

/// The outcome of posting a transaction.
#[derive(Debug, PartialEq, Eq)]
pub enum Posted {
    Now,
    /// A transaction with this id was posted before: nothing was written.
    Before,
    /// Something it depends on changed since it was read (the record of its cause or the
    /// seller's balances): nothing was written; read again and retry.
    Stale,
}

/// A seller's balances as read, so a write that depends on them can be made conditional on
/// their being unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundsRead {
    pub funds: SellerFunds,
    /// The signed stored balance of each account that has an item.
    stored: Vec<(SellerAccount, i64)>,
}

/// The balances of a read that a transaction's amounts were computed from: the write is
/// conditional on exactly these being unchanged, so sales landing on `pending` meanwhile do not
/// disturb a fee or a payout computed from `available`.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'r> {
    read: &'r FundsRead,
    accounts: &'r [SellerAccount],
}

impl FundsRead {
    /// Expects `accounts` to be as read when the transaction is written.
    pub fn expect<'r>(&'r self, accounts: &'r [SellerAccount]) -> Expect<'r> {
        Expect { read: self, accounts }
    }

    fn unchanged(&self, which: SellerAccount) -> Condition {
        match self.stored.iter().find(|(w, _)| *w == which) {
            Some((_, signed)) => Condition::equals("balanceMinor", *signed),
            None => Condition::NotExists,
        }
    }
}

fn shard_of(id: &str) -> u32 {
    // FNV-1a: stable across builds and processes, unlike the standard hasher.
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash % PLATFORM_SHARDS
}

fn balance_key(account: &Account, currency: Currency, transaction_id: &str) -> ports::Key {
    match account.seller() {
        Some((seller, which)) => keys::seller_balance(seller, currency, which.as_str()),
        None => keys::platform_balance(currency, &account.to_string(), shard_of(transaction_id)),
    }
}

fn payout_item(payout: &Payout) -> Result<Item, TableError> {
    let key = keys::payout(&payout.seller_id, &payout.run, payout.amount.currency);
    let mut item = record::item(payout, &key, "payout")?;
    if payout.status == PayoutStatus::Sent {
        item.insert("gsi2pk".into(), Value::from(keys::OPEN_PAYOUTS_PK));
        item.insert("gsi2sk".into(), Value::from(format!("{}#{}", sortable(payout.created_at), payout.id)));
    }
    Ok(item)
}

impl<'a> Ledger<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// Posts `transaction` with `also` in one atomic write. `expect`: the seller's balances
    /// the transaction was computed from, which must not have changed.
    pub async fn post(
        &self,
        transaction: &Transaction,
        expect: Option<Expect<'_>>,
        also: Vec<TxOp>,
    ) -> Result<Posted, TableError> {
        let expected =
            |which: SellerAccount| expect.filter(|e| e.accounts.contains(&which)).map(|e| e.read.unchanged(which));
        let currency = transaction.currency;
        let mut item = record::item(transaction, &keys::ledger_transaction(&transaction.id), "ledger_transaction")?;
        if let Some(seller) = &transaction.seller_id {
            item.insert("gsi1pk".into(), Value::from(keys::seller_ledger_pk(seller)));
            item.insert(
                "gsi1sk".into(),
                Value::from(format!("{}#{}#{}", transaction.period(), sortable(transaction.posted_at), transaction.id)),
            );
        }
        let mut ops = vec![TxOp::Put { item, condition: Some(Condition::NotExists) }];
        for posting in &transaction.postings {
            let condition = posting.account.seller().and_then(|(_, which)| expected(which));
            ops.push(TxOp::Update {
                key: balance_key(&posting.account, currency, &transaction.id),
                update: Update::new()
                    .add("balanceMinor", posting.amount_minor)
                    .set("account", posting.account.to_string())
                    .set("currency", currency.code())
                    .set("kind", "ledger_balance"),
                condition,
            });
        }
        // Expected balances the transaction does not move must not have moved either.
        if let Some(seller) = &transaction.seller_id {
            for which in SellerAccount::ALL {
                let moved = transaction.postings.iter().any(|p| p.account == which.of(seller));
                if let (false, Some(condition)) = (moved, expected(which)) {
                    ops.push(TxOp::Check { key: keys::seller_balance(seller, currency, which.as_str()), condition });
                }
            }
        }
        if let Some(seller) = &transaction.seller_id {
            let mut update = Update::new().add("transactions", 1).set("kind", "ledger_month");
            for which in SellerAccount::ALL {
                update = update.add(&format!("{}Minor", camel(which)), transaction.seller_movement(which));
            }
            ops.push(TxOp::Update {
                key: keys::seller_month(seller, &transaction.period(), currency),
                update,
                condition: None,
            });
        }
        ops.extend(also);
        match self.table.transact(ops).await {
            Ok(()) => Ok(Posted::Now),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Ok(Posted::Before),
            Err(TableError::TransactionCanceled { .. }) => Ok(Posted::Stale),
            Err(e) => Err(e),
        }
    }

    pub async fn transaction(&self, id: &str) -> Result<Option<Transaction>, TableError> {
        self.table.get(&keys::ledger_transaction(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// A seller's balances in one currency, as read now.
    pub async fn funds(&self, seller_id: &str, currency: Currency) -> Result<FundsRead, TableError> {
        let all = self.funds_by_currency(seller_id).await?;
        Ok(all.into_iter().find(|(c, _)| *c == currency).map(|(_, read)| read).unwrap_or_default())
    }

    /// A seller's balances in every currency it has any.
    pub async fn funds_by_currency(&self, seller_id: &str) -> Result<Vec<(Currency, FundsRead)>, TableError> {
        let query =
            Query::new(Index::Table, keys::seller_accounts_pk(seller_id)).sort(SortKey::BeginsWith("BALANCE#".into()));
        let page = self.table.query(query).await?;
        let mut all: Vec<(Currency, FundsRead)> = Vec::new();
        for item in &page.items {
            let sk = item.get("sk").and_then(Value::as_str).unwrap_or_default();
            let Some((code, name)) = sk.strip_prefix("BALANCE#").and_then(|rest| rest.split_once('#')) else {
                continue;
            };
            let which = SellerAccount::ALL.into_iter().find(|w| w.as_str() == name);
            let signed = item.get("balanceMinor").and_then(Value::as_n);
            let (Ok(currency), Some(which), Some(signed)) = (code.parse::<Currency>(), which, signed) else { continue };
            let index = match all.iter().position(|(c, _)| *c == currency) {
                Some(index) => index,
                None => {
                    all.push((currency, FundsRead::default()));
                    all.len() - 1
                }
            };
            let read = &mut all[index].1;
            read.funds.set(which, which.of(seller_id).natural(signed));
            read.stored.push((which, signed));
        }
        Ok(all)
    }

    /// The balance of a platform account (the sum of its shards), on its natural side.
    pub async fn platform_balance(&self, account: &Account, currency: Currency) -> Result<i64, TableError> {
        let pk = keys::platform_balance(currency, &account.to_string(), 0).pk;
        let page = self.table.query(Query::new(Index::Table, pk).limit(PLATFORM_SHARDS)).await?;
        let signed: i64 = page.items.iter().filter_map(|i| i.get("balanceMinor").and_then(Value::as_n)).sum();
        Ok(account.natural(signed))
    }

    /// Every transaction of a seller in a statement month, in the order they were posted.
    pub async fn seller_transactions(&self, seller_id: &str, period: &str) -> Result<Vec<Transaction>, TableError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Gsi1, keys::seller_ledger_pk(seller_id))
                .sort(SortKey::BeginsWith(format!("{period}#")))
                .limit(ports::MAX_PAGE)
                .cursor(cursor);
            let page = self.table.query(query).await?;
            for item in &page.items {
                all.push(record::entity(item)?);
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// A seller's balances at the start of a statement month: the sum of its month totals
    /// before it.
    pub async fn opening_funds(
        &self,
        seller_id: &str,
        period: &str,
        currency: Currency,
    ) -> Result<SellerFunds, TableError> {
        let mut funds = SellerFunds::default();
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Table, keys::seller_accounts_pk(seller_id))
                .sort(SortKey::Between("MONTH#".into(), format!("MONTH#{period}")))
                .limit(ports::MAX_PAGE)
                .cursor(cursor);
            let page = self.table.query(query).await?;
            let suffix = format!("#{}", currency.code());
            for item in &page.items {
                let sk = item.get("sk").and_then(Value::as_str).unwrap_or_default();
                if !sk.ends_with(&suffix) || sk.starts_with(&format!("MONTH#{period}#")) {
                    continue;
                }
                for which in SellerAccount::ALL {
                    let moved = item.get(&format!("{}Minor", camel(which))).and_then(Value::as_n).unwrap_or(0);
                    funds.set(which, funds.get(which) + moved);
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(funds),
            }
        }
    }

    /// What was posted for an order, or a fresh record if nothing was.
    pub async fn order_ledger(&self, order: &marketplace::order::Order) -> Result<OrderLedger, TableError> {
        match self.table.get(&keys::order_ledger(&order.id)).await? {
            Some(item) => record::entity(&item),
            None => Ok(OrderLedger::new(order)),
        }
    }

    /// The write of an order's settlement record, conditional on the version `before` read.
    pub fn write_order_ledger(before: &OrderLedger, after: &OrderLedger) -> Result<TxOp, TableError> {
        let item = record::item(after, &keys::order_ledger(&after.order_id), "order_ledger")?;
        let condition =
            if before.version == 0 { Condition::NotExists } else { Condition::equals("version", before.version) };
        Ok(TxOp::Put { item, condition: Some(condition) })
    }

    /// Marks a seller's part as due for release at `due`, for the release sweep.
    pub fn schedule_release(order_id: &str, seller_id: &str, due: Timestamp) -> TxOp {
        let mut item = keys::release_due(order_id, seller_id).to_item();
        item.insert("kind".into(), Value::from("release_due"));
        item.insert("orderId".into(), Value::from(order_id));
        item.insert("gsi2pk".into(), Value::from(keys::RELEASES_DUE_PK));
        item.insert("gsi2sk".into(), Value::from(format!("{}#{order_id}#{seller_id}", sortable(due))));
        TxOp::Put { item, condition: None }
    }

    pub fn clear_release(order_id: &str, seller_id: &str) -> TxOp {
        TxOp::Delete { key: keys::release_due(order_id, seller_id), condition: None }
    }

    /// A page of the orders with a part whose hold ended before `now`, oldest first.
    pub async fn releases_due(
        &self,
        now: Timestamp,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<String>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi2, keys::RELEASES_DUE_PK)
            .sort(SortKey::Between("0".into(), format!("{}~", sortable(now))))
            .limit(limit)
            .cursor(cursor);
        let page = self.table.query(query).await?;
        let mut ids: Vec<String> =
            page.items.iter().filter_map(|i| i.get("orderId").and_then(Value::as_str).map(str::to_owned)).collect();
        ids.dedup();
        Ok((ids, page.next))
    }

    /// When the next part's hold ends (`None`: no part waits), so a runner that knows it can
    /// skip sweeps that would find nothing.
    pub async fn next_release_due(&self) -> Result<Option<Timestamp>, TableError> {
        record::earliest_due(self.table, keys::RELEASES_DUE_PK).await
    }

    /// The write of a new payout (it must not exist) or of its outcome (it must still be sent).
    pub fn write_payout(payout: &Payout) -> Result<TxOp, TableError> {
        let condition = match payout.status {
            PayoutStatus::Sent => Condition::NotExists,
            _ => Condition::equals("status", "sent"),
        };
        Ok(TxOp::Put { item: payout_item(payout)?, condition: Some(condition) })
    }

    /// Records a sent payout's outcome, once: paid (`failure` none: the money left) or
    /// returned (available again, `failure` saying why). `Before` when this outcome was
    /// recorded already; `Stale` when the payout is no longer sent (the other outcome was).
    pub async fn settle_payout(
        &self,
        payout: &Payout,
        failure: Option<String>,
        now: Timestamp,
    ) -> Result<Posted, TableError> {
        let (stage, status) = match failure {
            None => (Kind::PayoutPaid, PayoutStatus::Paid),
            Some(_) => (Kind::PayoutReturned, PayoutStatus::Returned),
        };
        let settled = Payout { status, settled_at: Some(now), failure, ..payout.clone() };
        let transaction = marketplace::funds::payout(&settled.id, &settled.seller_id, stage, settled.amount, now)
            .map_err(|e| TableError::InvalidRequest(e.to_string()))?;
        self.post(&transaction, None, vec![Self::write_payout(&settled)?]).await
    }

    pub async fn payout(&self, seller_id: &str, run: &str, currency: Currency) -> Result<Option<Payout>, TableError> {
        self.table.get(&keys::payout(seller_id, run, currency)).await?.as_ref().map(record::entity).transpose()
    }

    /// A page of payouts sent and never confirmed, oldest first.
    pub async fn open_payouts(
        &self,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Payout>, Option<Cursor>), TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::OPEN_PAYOUTS_PK).limit(limit).cursor(cursor)).await?;
        record::page(page)
    }

    /// A page of a seller's payouts, newest first.
    pub async fn payouts_of(
        &self,
        seller_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Payout>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Table, keys::seller_accounts_pk(seller_id))
            .sort(SortKey::BeginsWith("PAYOUT#".into()))
            .descending()
            .limit(limit)
            .cursor(cursor);
        let page = self.table.query(query).await?;
        record::page(page)
    }
}

/// The attribute stem of a seller account in month totals (`inTransit`).
fn camel(which: SellerAccount) -> &'static str {
    match which {
        SellerAccount::Pending => "pending",
        SellerAccount::Available => "available",
        SellerAccount::InTransit => "inTransit",
        SellerAccount::Receivable => "receivable",
    }
}
