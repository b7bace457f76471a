//! The sandbox payment provider. It keeps its intents and refunds in the marketplace's table
//! (under `SANDBOX#…` keys, as a separate system would keep its own), and reports a payment's
//! outcome as a webhook signed with HMAC-SHA256, exactly as the marketplace expects from a
//! real provider. The local runner's `/_local/payments/{intentId}/succeed|fail` drives it.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use marketplace::payments::{EventType, ProviderEvent, sign};
use marketplace::{Currency, Money};
use ports::{
    Condition, Item, Key, PaymentError, PaymentProvider, PayoutAccount, Table, TableError, TxOp, Update, Value,
};

pub struct SandboxPayments {
    table: Arc<dyn Table>,
    secret: Vec<u8>,
}

/// A webhook ready to send: its body and its `Provider-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEvent {
    pub body: String,
    pub signature: String,
}

fn intent_key(intent_id: &str) -> Key {
    Key::new(format!("SANDBOX#{intent_id}"), "INTENT")
}

fn unavailable(e: TableError) -> PaymentError {
    PaymentError::Unavailable(e.to_string())
}

fn text(item: &Item, name: &str) -> String {
    item.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn number(item: &Item, name: &str) -> i64 {
    item.get(name).and_then(Value::as_n).unwrap_or_default()
}

impl SandboxPayments {
    pub fn new(table: Arc<dyn Table>, secret: Vec<u8>) -> Self {
        Self { table, secret }
    }

    /// Settles an intent as the buyer's bank would, and returns the webhook the provider
    /// sends about it. Settling an intent twice is refused.
    pub async fn settle(&self, intent_id: &str, succeeded: bool, now: Timestamp) -> Result<SignedEvent, PaymentError> {
        let key = intent_key(intent_id);
        let status = if succeeded { "succeeded" } else { "failed" };
        let intent = self
            .table
            .update(&key, Update::new().set("status", status), Some(Condition::equals("status", "requires_payment")))
            .await
            .map_err(|e| match e {
                TableError::ConditionFailed => {
                    PaymentError::Refused(format!("{intent_id} is unknown or already settled"))
                }
                other => unavailable(other),
            })?;
        let currency: Currency = text(&intent, "currency").parse().map_err(PaymentError::Refused)?;
        Ok(self.event(
            if succeeded { EventType::PaymentSucceeded } else { EventType::PaymentFailed },
            intent_id,
            &text(&intent, "orderId"),
            Money::new(number(&intent, "amountMinor"), currency),
            now,
        ))
    }

    /// A signed event about an intent, as the provider would send it.
    pub fn event(
        &self,
        kind: EventType,
        intent_id: &str,
        order_id: &str,
        amount: Money,
        now: Timestamp,
    ) -> SignedEvent {
        let event = ProviderEvent {
            id: format!("evt_{}", ulid::Ulid::generate().to_string().to_ascii_lowercase()),
            kind,
            intent_id: intent_id.to_owned(),
            order_id: order_id.to_owned(),
            amount,
            created: now.as_second(),
        };
        let body = serde_json::to_string(&event).expect("an event serialises");
        let signature = sign(&self.secret, now.as_second(), body.as_bytes());
        SignedEvent { body, signature }
    }

    /// The intent's amount refunded so far, in minor units.
    pub async fn refunded(&self, intent_id: &str) -> Result<i64, PaymentError> {
        let intent = self.table.get(&intent_key(intent_id)).await.map_err(unavailable)?;
        Ok(intent.map_or(0, |i| number(&i, "refundedMinor")))
    }
}

#[async_trait]
impl PaymentProvider for SandboxPayments {
    async fn create_intent(
        &self,
        order_id: &str,
        amount_minor: i64,
        currency: &str,
        method: &str,
    ) -> Result<String, PaymentError> {
        let intent_id = format!("pi_{}", order_id.strip_prefix("ord_").unwrap_or(order_id));
        let key = intent_key(&intent_id);
        let mut item = key.to_item();
        for (name, value) in
            [("orderId", order_id), ("currency", currency), ("method", method), ("status", "requires_payment")]
        {
            item.insert(name.into(), Value::from(value));
        }
        item.insert("amountMinor".into(), Value::N(amount_minor));
        item.insert("refundedMinor".into(), Value::N(0));
        match self.table.put(item, Some(Condition::NotExists)).await {
            Ok(()) => Ok(intent_id),
            // The same order asking again gets the same intent.
            Err(TableError::ConditionFailed) => {
                let existing = self.table.get(&key).await.map_err(unavailable)?;
                match existing {
                    Some(i) if text(&i, "orderId") == order_id && number(&i, "amountMinor") == amount_minor => {
                        Ok(intent_id)
                    }
                    _ => Err(PaymentError::Refused(format!("{intent_id} exists for another payment"))),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn refund(
        &self,
        intent_id: &str,
        refund_id: &str,
        amount_minor: i64,
        currency: &str,
    ) -> Result<(), PaymentError> {
        let key = intent_key(intent_id);
        let intent = self
            .table
            .get(&key)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| PaymentError::Refused(format!("no intent {intent_id}")))?;
        if text(&intent, "status") != "succeeded" || text(&intent, "currency") != currency || amount_minor <= 0 {
            return Err(PaymentError::Refused(format!("{intent_id} cannot be refunded {amount_minor} {currency}")));
        }
        let left = number(&intent, "amountMinor") - amount_minor;
        let mut refund = Key::new(format!("SANDBOX#{intent_id}"), format!("REFUND#{refund_id}")).to_item();
        refund.insert("amountMinor".into(), Value::N(amount_minor));
        let ops = vec![
            TxOp::Put { item: refund, condition: Some(Condition::NotExists) },
            TxOp::Update {
                key,
                update: Update::new().add("refundedMinor", amount_minor),
                condition: Some(Condition::AtMost("refundedMinor".into(), left)),
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(()),
            // This refund was made before: a retry changes nothing.
            Err(TableError::TransactionCanceled { failed }) if failed.contains(&0) => Ok(()),
            Err(TableError::TransactionCanceled { .. }) => {
                Err(PaymentError::Refused("refunds would exceed the payment".into()))
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Pays out unless the account is closed: the sandbox refuses payouts to IBANs that end
    /// in `0000`, so tests and the local runner can see a payout fail.
    async fn payout(
        &self,
        payout_id: &str,
        account: &PayoutAccount,
        amount_minor: i64,
        currency: &str,
    ) -> Result<(), PaymentError> {
        if amount_minor <= 0 || account.iban.ends_with("0000") {
            return Err(PaymentError::Refused(format!("the account of {} cannot be paid", account.holder)));
        }
        let mut item = Key::new(format!("SANDBOX#PAYOUT#{payout_id}"), "PAYOUT").to_item();
        item.insert("amountMinor".into(), Value::N(amount_minor));
        item.insert("currency".into(), Value::from(currency));
        item.insert("iban".into(), Value::from(account.iban.as_str()));
        match self.table.put(item, Some(Condition::NotExists)).await {
            // Paid before: a retry changes nothing.
            Ok(()) | Err(TableError::ConditionFailed) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}
