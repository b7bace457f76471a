//! Queue workers: a batch of messages in, the ids of the failed ones out (SQS partial batch
//! responses), so one bad message is retried, and dead-lettered in the end, without its
//! neighbours being processed twice.

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use ports::Message;

/// The messages of an SQS event, as the Queue port delivers them.
pub fn messages(event: SqsEvent) -> Vec<Message> {
    event
        .records
        .into_iter()
        .map(|record| Message {
            receive_count: record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
            id: record.message_id.unwrap_or_default(),
            body: record.body.unwrap_or_default(),
            receipt: record.receipt_handle.unwrap_or_default(),
        })
        .collect()
}

pub fn batch_response(failed: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// Runs `handle` on an SQS event in Lambda.
pub async fn on_sqs<F, Fut>(event: LambdaEvent<SqsEvent>, handle: F) -> Result<SqsBatchResponse, lambda_runtime::Error>
where
    F: FnOnce(Vec<Message>) -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    Ok(batch_response(handle(messages(event.payload)).await))
}
