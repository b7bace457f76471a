//! Mail sent once, on the table: a function queues a mail in the transaction of the change it
//! tells of ([`Mails::queue`]), under an id named after that change, and the `notifications`
//! job sends what is queued.
//!
//! - `MAIL#<id>` / `MAIL` holds the recipient, subject and body while queued, on gsi2
//!   `MAILS#QUEUED` (oldest first).
//! - The job claims a mail (state `claimed`, off the queue) before it sends it, and marks it
//!   `sent` after, dropping the address and the body. A send the service certainly did not take
//!   puts it back on the queue; a crash between the claim and the send loses it rather than
//!   risk a second. The sent record stays 90 days, so the same id is never queued again.

use jiff::{SignedDuration, Timestamp};
use ports::{Condition, Index, Item, Mail, Query, Table, TableError, TxOp, Update, Value};

use crate::{keys, record};

/// How long a sent mail's record keeps its id from being queued again.
const SENT_KEPT: SignedDuration = SignedDuration::from_hours(24 * 90);

pub struct Mails<'a> {
    table: &'a dyn Table,
}

/// The outcome of claiming a queued mail.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// Ours: send it, then mark it sent (or release it).
    Taken,
    /// Claimed or sent by another run.
    Before,
}

/// A queued mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub id: String,
    pub mail: Mail,
    pub queued_at: String,
}

fn queue_sk(queued_at: &str, id: &str) -> String {
    format!("{queued_at}#{id}")
}

fn queued_item(id: &str, mail: &Mail, now: Timestamp) -> Item {
    let queued_at = keys::sortable(now);
    let mut item = keys::mail(id).to_item();
    item.insert("kind".into(), Value::from("mail"));
    item.insert("id".into(), Value::from(id));
    item.insert("to".into(), Value::from(mail.to.as_str()));
    item.insert("subject".into(), Value::from(mail.subject.as_str()));
    item.insert("body".into(), Value::from(mail.body.as_str()));
    item.insert("state".into(), Value::from("queued"));
    item.insert("queuedAt".into(), Value::from(queued_at.as_str()));
    item.insert("gsi2pk".into(), Value::from(keys::MAILS_QUEUED_PK));
    item.insert("gsi2sk".into(), Value::from(queue_sk(&queued_at, id)));
    item
}

fn text(item: &Item, name: &str) -> String {
    item.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

impl<'a> Mails<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// The write that queues `mail` under `id`, to go in the transaction of the change it
    /// tells of. An id queued before makes the transaction fail: ids name their cause.
    pub fn queue(id: &str, mail: &Mail, now: Timestamp) -> TxOp {
        TxOp::Put { item: queued_item(id, mail, now), condition: Some(Condition::NotExists) }
    }

    /// Queues `mail` under `id` on its own; `false` when that id was queued before.
    pub async fn queue_once(&self, id: &str, mail: &Mail, now: Timestamp) -> Result<bool, TableError> {
        match self.table.put(queued_item(id, mail, now), Some(Condition::NotExists)).await {
            Ok(()) => Ok(true),
            Err(TableError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The oldest queued mails.
    pub async fn queued(&self, limit: u32) -> Result<Vec<Queued>, TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::MAILS_QUEUED_PK).limit(limit)).await?;
        Ok(page
            .items
            .iter()
            .map(|i| Queued {
                id: text(i, "id"),
                mail: Mail { to: text(i, "to"), subject: text(i, "subject"), body: text(i, "body") },
                queued_at: text(i, "queuedAt"),
            })
            .collect())
    }

    /// Whether a mail waits (the local runner's probe).
    pub async fn any_queued(&self) -> Result<bool, TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::MAILS_QUEUED_PK).limit(1)).await?;
        Ok(!page.items.is_empty())
    }

    /// Claims a queued mail under `token` and takes it off the queue.
    pub async fn claim(&self, id: &str, token: &str, now: Timestamp) -> Result<Claimed, TableError> {
        let update = Update::new()
            .set("state", "claimed")
            .set("claim", token)
            .set("claimedAt", record::timestamp(now))
            .remove("gsi2pk")
            .remove("gsi2sk");
        match self.table.update(&keys::mail(id), update, Some(Condition::equals("state", "queued"))).await {
            Ok(_) => Ok(Claimed::Taken),
            Err(TableError::ConditionFailed) => Ok(Claimed::Before),
            Err(e) => Err(e),
        }
    }

    /// The mail of the claim `token` went out: only the record that it did stays.
    pub async fn sent(&self, id: &str, token: &str, now: Timestamp) -> Result<(), TableError> {
        let ttl = now.checked_add(SENT_KEPT).unwrap_or(now).as_second();
        let update = Update::new()
            .set("state", "sent")
            .set("sentAt", record::timestamp(now))
            .set("ttl", Value::N(ttl))
            .remove("to")
            .remove("body");
        self.table.update(&keys::mail(id), update, Some(Condition::equals("claim", token))).await?;
        Ok(())
    }

    /// Gives up the claim `token` (the mail was certainly not sent): back on the queue.
    pub async fn release(&self, queued: &Queued, token: &str) -> Result<(), TableError> {
        let update = Update::new()
            .set("state", "queued")
            .set("gsi2pk", keys::MAILS_QUEUED_PK)
            .set("gsi2sk", queue_sk(&queued.queued_at, &queued.id))
            .remove("claim")
            .remove("claimedAt");
        self.table.update(&keys::mail(&queued.id), update, Some(Condition::equals("claim", token))).await?;
        Ok(())
    }

    /// A mail refused for good (a bad address): kept off the queue, without its address.
    pub async fn refused(&self, id: &str, token: &str, now: Timestamp) -> Result<(), TableError> {
        let ttl = now.checked_add(SENT_KEPT).unwrap_or(now).as_second();
        let update = Update::new().set("state", "refused").set("ttl", Value::N(ttl)).remove("to").remove("body");
        self.table.update(&keys::mail(id), update, Some(Condition::equals("claim", token))).await?;
        Ok(())
    }
}
