//! SEPA credit transfer files (R-SETTLE) on the table.
//!
//! - `PAYOUT_FILE#<msgId>` / `FILE`: a file, on gsi2 `PAYOUT_FILES#UNSTORED` until its
//!   document is in the bucket.
//! - `PAYOUT_FILE#<msgId>` / `ENTRY#<endToEndId>`: one transfer of the file, written in the
//!   transaction that claims it (a payout's `file` set once, or a trade-in's payment marked
//!   filed), on condition that the file is still open: a transfer is in one file only, and
//!   the file's transfers are one strongly consistent query. Each claim also adds one to the
//!   file's `claims` (at most 1000), and sealing requires `claims` to equal the entries read:
//!   a claim racing the seal either lands before it (and the seal reads again) or fails.
//!   Sealing fixes the count, the control sum and the date; the document is rendered from the
//!   entries alone.

use jiff::Timestamp;
use marketplace::Currency;
use marketplace::funds::Payout;
use marketplace::sepa::{FileEntry, FileStatus, MAX_TRANSFERS, PayoutFile, file_id};
use ports::{Condition, Cursor, Index, Item, Query, SortKey, Table, TableError, TxOp, Update, Value};

use crate::keys::sortable;
use crate::{keys, record};

const MAX_FILES_A_DAY: u32 = 1000;

/// Where a file's document is kept for the bank.
pub fn document_key(id: &str) -> String {
    format!("sepa/credit-transfers/{id}.xml")
}

pub struct PayoutFiles<'a> {
    table: &'a dyn Table,
}

fn file_item(file: &PayoutFile) -> Result<Item, TableError> {
    let mut item = record::item(file, &keys::payout_file(&file.id), "payout_file")?;
    if file.status != FileStatus::Stored {
        item.insert("gsi2pk".into(), Value::from(keys::PAYOUT_FILES_UNSTORED_PK));
        item.insert("gsi2sk".into(), Value::from(format!("{}#{}", sortable(file.created_at), file.id)));
    }
    Ok(item)
}

fn is_status(status: FileStatus) -> Condition {
    let value = match status {
        FileStatus::Open => "open",
        FileStatus::Sealed => "sealed",
        FileStatus::Stored => "stored",
    };
    Condition::equals("status", value)
}

impl<'a> PayoutFiles<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<PayoutFile>, TableError> {
        self.table.get(&keys::payout_file(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Files not yet stored for the bank, oldest first: a run finishes them before anything.
    pub async fn unstored(&self, cursor: Option<Cursor>) -> Result<(Vec<PayoutFile>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi2, keys::PAYOUT_FILES_UNSTORED_PK).limit(100).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// Today's open file in `currency`: the one a crashed run left open, or a new one after
    /// those already sealed today.
    pub async fn open(&self, currency: Currency, now: Timestamp) -> Result<PayoutFile, TableError> {
        // A day's files are a handful; a thousand sealed in one day is a run gone wrong.
        for n in 1..=MAX_FILES_A_DAY {
            let id = file_id(now, currency, n);
            if let Some(file) = self.get(&id).await? {
                if file.status == FileStatus::Open && file.claims < MAX_TRANSFERS {
                    return Ok(file);
                }
                continue;
            }
            let file = PayoutFile {
                id,
                currency,
                status: FileStatus::Open,
                created_at: now,
                claims: 0,
                sealed_at: None,
                count: 0,
                control_sum_minor: 0,
            };
            match self.table.put(file_item(&file)?, Some(Condition::NotExists)).await {
                Ok(()) => return Ok(file),
                Err(TableError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(TableError::InvalidRequest(format!("{MAX_FILES_A_DAY} {currency} files today already")))
    }

    /// The writes that put a transfer in an open file, to join the transaction that claims
    /// what it pays: they fail when the file was sealed meanwhile, is full, or holds the
    /// transfer.
    pub fn entry_ops(file: &PayoutFile, entry: &FileEntry) -> Result<Vec<TxOp>, TableError> {
        let key = keys::payout_file_entry(&file.id, &entry.end_to_end_id);
        Ok(vec![
            TxOp::Put { item: record::item(entry, &key, "payout_file_entry")?, condition: Some(Condition::NotExists) },
            TxOp::Update {
                key: keys::payout_file(&file.id),
                update: Update::new().add("claims", 1),
                condition: Some(Condition::And(vec![
                    is_status(FileStatus::Open),
                    Condition::AtMost("claims".into(), MAX_TRANSFERS - 1),
                ])),
            },
        ])
    }

    /// Puts a sent payout in an open file: `false` when it is in one already, no longer sent,
    /// or the file was sealed meanwhile.
    pub async fn claim(&self, file: &PayoutFile, payout: &Payout) -> Result<bool, TableError> {
        let entry = FileEntry {
            end_to_end_id: marketplace::sepa::end_to_end_id(&payout.id),
            payout_id: payout.id.clone(),
            seller_id: payout.seller_id.clone(),
            run: payout.run.clone(),
            amount_minor: payout.amount.amount_minor,
            trade_in_id: None,
        };
        let mut ops = vec![TxOp::Update {
            key: keys::payout(&payout.seller_id, &payout.run, payout.amount.currency),
            update: Update::new().set("file", file.id.as_str()),
            condition: Some(Condition::And(vec![
                Condition::equals("status", "sent"),
                Condition::Missing("file".into()),
            ])),
        }];
        ops.extend(Self::entry_ops(file, &entry)?);
        match self.table.transact(ops).await {
            Ok(()) => Ok(true),
            Err(TableError::TransactionCanceled { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A file's transfers, in end-to-end id order.
    pub async fn entries(&self, id: &str) -> Result<Vec<FileEntry>, TableError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Table, keys::payout_file(id).pk)
                .sort(SortKey::BeginsWith("ENTRY#".into()))
                .limit(ports::MAX_PAGE)
                .cursor(cursor);
            let (page, next): (Vec<FileEntry>, _) = record::page(self.table.query(query).await?)?;
            all.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Fixes an open file's transfers, their count and control sum; nothing can join it
    /// after. `None` when a claim came in since `entries` were read (read them again).
    pub async fn seal(
        &self,
        file: &PayoutFile,
        entries: &[FileEntry],
        now: Timestamp,
    ) -> Result<Option<PayoutFile>, TableError> {
        let count = entries.len();
        let sealed = PayoutFile {
            status: FileStatus::Sealed,
            claims: i64::try_from(count).unwrap_or(i64::MAX),
            sealed_at: Some(now),
            count,
            control_sum_minor: entries.iter().map(|e| e.amount_minor).sum(),
            ..file.clone()
        };
        let condition = Condition::And(vec![is_status(FileStatus::Open), Condition::equals("claims", sealed.claims)]);
        match self.table.put(file_item(&sealed)?, Some(condition)).await {
            Ok(()) => Ok(Some(sealed)),
            Err(TableError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Marks a sealed file's document stored for the bank.
    pub async fn stored(&self, file: &PayoutFile) -> Result<(), TableError> {
        let stored = PayoutFile { status: FileStatus::Stored, ..file.clone() };
        match self.table.put(file_item(&stored)?, Some(is_status(FileStatus::Sealed))).await {
            Ok(()) | Err(TableError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// An open file nothing was claimed for: dropped rather than sealed empty.
    pub async fn drop_empty(&self, file: &PayoutFile) -> Result<(), TableError> {
        let condition = Condition::And(vec![is_status(FileStatus::Open), Condition::equals("claims", 0)]);
        match self.table.delete(&keys::payout_file(&file.id), Some(condition)).await {
            Ok(()) | Err(TableError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
