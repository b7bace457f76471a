//! Notice and action on the table (DSA Art. 16, 20, 22, 23).
//!
//! - `NOTICE#id` / `NOTICE`: a notice, on gsi1 `NOTICES` by receipt (the report's periods)
//!   and, while open, on gsi2 `NOTICES#OPEN` by priority then receipt (trusted flaggers first).
//! - `COMPLAINT#id` / `COMPLAINT`: a complaint, on gsi1 `COMPLAINTS` and, while open, gsi2
//!   `COMPLAINTS#OPEN`; `DECISION#<decisionOf>` / `COMPLAINT#<account>` claims the pair.
//! - `TRUSTED_FLAGGER#id` and `USER#<sub>` / `TRUSTED_FLAGGER`: an entity and its accounts.
//! - `MISUSE#<kind>#<party>` / `MISUSE`: a party's count, warning and suspension, `party` a
//!   hash of the e-mail or account so no key holds an address; each suspension leaves a
//!   `SUSPENSION#<at>` item on gsi1 `SUSPENSIONS`.
//!
//! Every change is conditional on the record's version and goes with its mails and the
//! content's own change in one transaction.

use jiff::Timestamp;
use marketplace::dsa::complaint::{Complaint, ComplaintStatus};
use marketplace::dsa::misuse::{Misuse, Misuser};
use marketplace::dsa::notice::{Author, Notice, NoticeStatus};
use ports::{Condition, Cursor, Index, Item, Query, SortKey, Table, TableError, TxOp, Value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{keys, record};

pub struct Notices<'a> {
    table: &'a dyn Table,
}

/// A trusted flagger (Art. 22): an entity the Digital Services Coordinator awarded the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedFlagger {
    pub id: String,
    pub name: String,
    /// The accounts that send notices on its behalf.
    pub accounts: Vec<String>,
    pub registered_at: Timestamp,
}

fn notice_item(notice: &Notice) -> Result<Item, TableError> {
    let mut item = record::item(notice, &keys::notice(&notice.id), "notice")?;
    let received = format!("{}#{}", keys::sortable(notice.received_at), notice.id);
    item.insert("gsi1pk".into(), Value::from(keys::NOTICES_PK));
    item.insert("gsi1sk".into(), Value::from(received.clone()));
    if notice.status == NoticeStatus::Open {
        item.insert("gsi2pk".into(), Value::from(keys::NOTICES_OPEN_PK));
        item.insert("gsi2sk".into(), Value::from(format!("{}#{received}", notice.priority())));
    }
    Ok(item)
}

fn complaint_item(complaint: &Complaint) -> Result<Item, TableError> {
    let mut item = record::item(complaint, &keys::complaint(&complaint.id), "complaint")?;
    let received = format!("{}#{}", keys::sortable(complaint.received_at), complaint.id);
    item.insert("gsi1pk".into(), Value::from(keys::COMPLAINTS_PK));
    item.insert("gsi1sk".into(), Value::from(received.clone()));
    if complaint.status == ComplaintStatus::Open {
        item.insert("gsi2pk".into(), Value::from(keys::COMPLAINTS_OPEN_PK));
        item.insert("gsi2sk".into(), Value::from(received));
    }
    Ok(item)
}

fn kind(misuser: Misuser) -> &'static str {
    match misuser {
        Misuser::Notifier => "NOTIFIER",
        Misuser::Provider => "PROVIDER",
    }
}

fn misuser(name: &str) -> Option<Misuser> {
    [Misuser::Notifier, Misuser::Provider].into_iter().find(|m| kind(*m) == name)
}

/// The key of a party in misuse records: a hash, so that no key is an address or account.
pub fn party(identity: &str) -> String {
    let digest = Sha256::digest(identity.trim().to_lowercase().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A notice or complaint transaction whose first write failed: changed meanwhile.
fn first_failed(result: Result<(), TableError>) -> Result<(), TableError> {
    match result {
        Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Err(TableError::ConditionFailed),
        other => other,
    }
}

impl<'a> Notices<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Notice>, TableError> {
        self.table.get(&keys::notice(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Stores a new notice with `also` (its receipt mail).
    pub async fn receive(&self, notice: &Notice, also: Vec<TxOp>) -> Result<(), TableError> {
        let mut ops = vec![TxOp::Put { item: notice_item(notice)?, condition: Some(Condition::NotExists) }];
        ops.extend(also);
        first_failed(self.table.transact(ops).await)
    }

    /// The write of `after` over `before`, to go first in a transaction.
    pub fn change(before: &Notice, after: &Notice) -> Result<TxOp, TableError> {
        Ok(TxOp::Put {
            item: notice_item(after)?,
            condition: Some(Condition::equals("version", i64::from(before.version))),
        })
    }

    /// Runs a transaction whose first write is a notice's or complaint's change:
    /// `ConditionFailed` when that record changed meanwhile.
    pub async fn apply(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        first_failed(self.table.transact(ops).await)
    }

    /// The moderators' queue: open notices, trusted flaggers' first, then oldest first.
    pub async fn open(&self, limit: u32, cursor: Option<Cursor>) -> Result<(Vec<Notice>, Option<Cursor>), TableError> {
        record::page(
            self.table.query(Query::new(Index::Gsi2, keys::NOTICES_OPEN_PK).limit(limit).cursor(cursor)).await?,
        )
    }

    /// Every notice, oldest first.
    pub async fn all(&self, limit: u32, cursor: Option<Cursor>) -> Result<(Vec<Notice>, Option<Cursor>), TableError> {
        record::page(self.table.query(Query::new(Index::Gsi1, keys::NOTICES_PK).limit(limit).cursor(cursor)).await?)
    }

    /// Notices received from `from` to before `to`.
    pub async fn received_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Notice>, TableError> {
        let sort = SortKey::Between(keys::sortable(from), keys::sortable(to));
        record::all(self.table, Query::new(Index::Gsi1, keys::NOTICES_PK).sort(sort)).await
    }

    pub async fn complaint(&self, id: &str) -> Result<Option<Complaint>, TableError> {
        self.table.get(&keys::complaint(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Stores a new complaint with `also`; `Ok(false)` when its complainant already complained
    /// about that decision.
    pub async fn complain(&self, complaint: &Complaint, also: Vec<TxOp>) -> Result<bool, TableError> {
        let mut claim = keys::complaint_claim(&complaint.decision_of, &party(&complaint.account)).to_item();
        claim.insert("kind".into(), Value::from("complaint_claim"));
        claim.insert("complaintId".into(), Value::from(complaint.id.as_str()));
        let mut ops = vec![
            TxOp::Put { item: complaint_item(complaint)?, condition: Some(Condition::NotExists) },
            TxOp::Put { item: claim, condition: Some(Condition::NotExists) },
        ];
        ops.extend(also);
        match self.table.transact(ops).await {
            Ok(()) => Ok(true),
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&1) => Ok(false),
            other => first_failed(other).map(|()| true),
        }
    }

    pub fn change_complaint(before: &Complaint, after: &Complaint) -> Result<TxOp, TableError> {
        Ok(TxOp::Put {
            item: complaint_item(after)?,
            condition: Some(Condition::equals("version", i64::from(before.version))),
        })
    }

    pub async fn open_complaints(
        &self,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Complaint>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi2, keys::COMPLAINTS_OPEN_PK).limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    pub async fn complaints_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Complaint>, TableError> {
        let sort = SortKey::Between(keys::sortable(from), keys::sortable(to));
        record::all(self.table, Query::new(Index::Gsi1, keys::COMPLAINTS_PK).sort(sort)).await
    }

    /// Registers a trusted flagger and its accounts; `Ok(false)` when an account already
    /// notifies for one.
    pub async fn register(&self, flagger: &TrustedFlagger) -> Result<bool, TableError> {
        let mut item = record::item(flagger, &keys::trusted_flagger(&flagger.id), "trusted_flagger")?;
        item.insert("gsi1pk".into(), Value::from(keys::TRUSTED_FLAGGERS_PK));
        item.insert("gsi1sk".into(), Value::from(format!("{}#{}", keys::sortable(flagger.registered_at), flagger.id)));
        let mut ops = vec![TxOp::Put { item, condition: Some(Condition::NotExists) }];
        for account in &flagger.accounts {
            let mut claim = keys::trusted_flagger_account(account).to_item();
            claim.insert("kind".into(), Value::from("trusted_flagger_account"));
            claim.insert("flaggerId".into(), Value::from(flagger.id.as_str()));
            ops.push(TxOp::Put { item: claim, condition: Some(Condition::NotExists) });
        }
        match self.table.transact(ops).await {
            Ok(()) => Ok(true),
            Err(TableError::TransactionCanceled { failed }) if failed.iter().any(|i| *i > 0) => Ok(false),
            other => other.map(|()| true),
        }
    }

    pub async fn trusted_flaggers(
        &self,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<TrustedFlagger>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi1, keys::TRUSTED_FLAGGERS_PK).limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// The trusted flagger a signed-in account notifies for.
    pub async fn flagger_of(&self, sub: &str) -> Result<Option<String>, TableError> {
        let item = self.table.get(&keys::trusted_flagger_account(sub)).await?;
        Ok(item.and_then(|i| i.get("flaggerId").and_then(Value::as_str).map(str::to_owned)))
    }

    /// A party's misuse record (empty when it has none).
    pub async fn misuse(&self, misuser: Misuser, identity: &str) -> Result<Misuse, TableError> {
        let item = self.table.get(&keys::misuse(kind(misuser), &party(identity))).await?;
        Ok(item.as_ref().map(record::entity).transpose()?.unwrap_or_default())
    }

    /// Whether `author` is suspended from publishing for misuse at `now`.
    pub async fn publishing_suspended(&self, author: &Author, now: Timestamp) -> Result<bool, TableError> {
        Ok(self.misuse(Misuser::Provider, &author.identity()).await?.is_suspended(now))
    }

    /// The writes of a party's record, after `before`, and of a suspension it now starts.
    pub fn record_misuse(
        misuser: Misuser,
        identity: &str,
        before: &Misuse,
        after: &Misuse,
        suspended_at: Option<Timestamp>,
    ) -> Result<Vec<TxOp>, TableError> {
        let party = party(identity);
        let item = record::item(after, &keys::misuse(kind(misuser), &party), "misuse")?;
        let condition = match before.version {
            0 => Condition::NotExists,
            v => Condition::equals("version", i64::from(v)),
        };
        let mut ops = vec![TxOp::Put { item, condition: Some(condition) }];
        if let Some(at) = suspended_at {
            let mut entry = keys::suspension(kind(misuser), &party, at).to_item();
            entry.insert("kind".into(), Value::from("misuse_suspension"));
            entry.insert("misuser".into(), Value::from(kind(misuser)));
            entry.insert("gsi1pk".into(), Value::from(keys::SUSPENSIONS_PK));
            entry.insert("gsi1sk".into(), Value::from(format!("{}#{party}", keys::sortable(at))));
            ops.push(TxOp::Put { item: entry, condition: None });
        }
        Ok(ops)
    }

    /// The suspensions for misuse that started from `from` to before `to`.
    pub async fn suspensions_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Misuser>, TableError> {
        #[derive(Deserialize)]
        struct Entry {
            misuser: String,
        }
        let sort = SortKey::Between(keys::sortable(from), keys::sortable(to));
        let entries: Vec<Entry> =
            record::all(self.table, Query::new(Index::Gsi1, keys::SUSPENSIONS_PK).sort(sort)).await?;
        Ok(entries.iter().filter_map(|e| misuser(&e.misuser)).collect())
    }
}
