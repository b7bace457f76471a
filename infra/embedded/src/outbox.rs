//! The mailer of the local runner: every mail is kept, not sent, in the table under a key
//! prefix of its own (`LOCAL_OUTBOX#…`), so it survives a restart of `make run` like the rest
//! of the state, and works on either storage backend. `GET /_local/outbox` lists it.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use ports::mail::check_mail;
use ports::{Clock, Index, Item, Key, Mail, MailError, Mailer, Query, Table, Value};

/// The gsi2 partition of the kept mails, oldest first.
const LIST_PK: &str = "LOCAL_OUTBOX";

/// A mail as the outbox kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub mail: Mail,
    pub sent_at: Timestamp,
}

pub struct TableOutbox {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

impl TableOutbox {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        Self { table, clock }
    }

    /// Every mail kept, oldest first.
    pub async fn sent(&self) -> Result<Vec<SentMail>, MailError> {
        let mut mails = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(Query::new(Index::Gsi2, LIST_PK).cursor(cursor))
                .await
                .map_err(|e| MailError::Unavailable(e.to_string()))?;
            mails.extend(page.items.iter().filter_map(sent_mail));
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(mails),
            }
        }
    }
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn sent_mail(item: &Item) -> Option<SentMail> {
    Some(SentMail {
        mail: Mail { to: text(item, "to")?, subject: text(item, "subject")?, body: text(item, "body")? },
        sent_at: text(item, "sentAt")?.parse().ok()?,
    })
}

#[async_trait]
impl Mailer for TableOutbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        check_mail(mail)?;
        let id = ulid::Ulid::generate().to_string();
        let sent_at = self.clock.now();
        let mut item = Key::new(format!("{LIST_PK}#MAIL#{id}"), "MAIL").to_item();
        item.insert("kind".into(), Value::from("local_mail"));
        item.insert("to".into(), Value::from(mail.to.as_str()));
        item.insert("subject".into(), Value::from(mail.subject.as_str()));
        item.insert("body".into(), Value::from(mail.body.as_str()));
        item.insert("sentAt".into(), Value::S(sent_at.to_string()));
        item.insert("gsi2pk".into(), Value::from(LIST_PK));
        let sortable = sent_at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ");
        item.insert("gsi2sk".into(), Value::S(format!("{sortable}#{id}")));
        self.table.put(item, None).await.map_err(|e| MailError::Unavailable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmbeddedTable;

    #[tokio::test]
    async fn keeps_every_mail_in_order() {
        let clock = Arc::new(ports::MovableClock::default());
        clock.set("2026-11-01T08:00:00Z".parse().expect("a time"));
        let outbox = TableOutbox::new(Arc::new(EmbeddedTable::in_memory()), clock.clone());
        let mail = |subject: &str| Mail { to: "buyer@example.test".into(), subject: subject.into(), body: "Hi".into() };
        outbox.send(&mail("first")).await.expect("kept");
        clock.advance(jiff::SignedDuration::from_secs(1));
        outbox.send(&mail("second")).await.expect("kept");
        assert!(outbox.send(&Mail { to: "nobody".into(), ..mail("bad") }).await.is_err());
        let sent = outbox.sent().await.expect("listed");
        assert_eq!(sent.iter().map(|m| m.mail.subject.as_str()).collect::<Vec<_>>(), ["first", "second"]);
        // The runner's clock passes as real time does, from where it was set.
        let start: Timestamp = "2026-11-01T08:00:00Z".parse().expect("a time");
        assert!(sent[0].sent_at >= start && sent[0].sent_at < sent[1].sent_at, "{sent:?}");
    }
}
