use async_trait::async_trait;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PaymentError {
    #[error("the payment provider refused: {0}")]
    Refused(String),
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

/// The trusted payment provider (R-PAY). Requests carry our own ids as idempotency keys, so a
/// retried call finds what the first one made instead of charging or refunding twice. The
/// provider reports outcomes later through signed webhooks.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The intent for the buyer to pay `amount_minor` for `order_id` (the same intent again
    /// for the same order). Returns the intent id.
    async fn create_intent(
        &self,
        order_id: &str,
        amount_minor: i64,
        currency: &str,
        method: &str,
    ) -> Result<String, PaymentError>;
    /// Refunds part of a captured payment; `refund_id` makes a retry harmless.
    async fn refund(
        &self,
        intent_id: &str,
        refund_id: &str,
        amount_minor: i64,
        currency: &str,
    ) -> Result<(), PaymentError>;
    /// Pays `amount_minor` to a seller's bank account; `payout_id` makes a retry harmless.
    async fn payout(
        &self,
        payout_id: &str,
        account: &PayoutAccount,
        amount_minor: i64,
        currency: &str,
    ) -> Result<(), PaymentError>;
}

/// Where a payout goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutAccount {
    pub holder: String,
    pub iban: String,
}
