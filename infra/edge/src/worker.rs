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

/// Starts the Lambda runtime for a queue worker: each SQS batch goes to `handle`, which
/// answers the ids of the messages to retry.
pub async fn run_sqs<F, Fut>(handle: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Vec<Message>) -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    let handle = &handle;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<SqsEvent>| on_sqs(event, handle))).await
}

/// Starts the Lambda runtime for a scheduled job: each schedule event runs `job` once; its
/// report is the invocation's result, its error the invocation's failure.
pub async fn run_schedule<F, Fut, T>(job: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, String>>,
    T: serde::Serialize,
{
    let job = &job;
    lambda_runtime::run(lambda_runtime::service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        job().await.map_err(lambda_runtime::Error::from)
    }))
    .await
}

/// Starts the Lambda runtime for a function that is both a queue worker and a scheduled job:
/// an SQS event (it has `Records`) goes to `handle`, anything else (a schedule's event) runs
/// `job` once.
pub async fn run_sqs_and_schedule<F, Fut, J, JFut, T>(handle: F, job: J) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Vec<Message>) -> Fut,
    Fut: Future<Output = Vec<String>>,
    J: Fn() -> JFut,
    JFut: Future<Output = Result<T, String>>,
    T: serde::Serialize,
{
    let (handle, job) = (&handle, &job);
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        if event.payload.get("Records").is_some() {
            let sqs: SqsEvent = serde_json::from_value(event.payload)?;
            let response = batch_response(handle(messages(sqs)).await);
            return Ok::<_, lambda_runtime::Error>(serde_json::to_value(response)?);
        }
        let report = job().await.map_err(lambda_runtime::Error::from)?;
        Ok(serde_json::to_value(report)?)
    }))
    .await
}

/// Runs `handle` on an SQS event in Lambda.
pub async fn on_sqs<F, Fut>(event: LambdaEvent<SqsEvent>, handle: F) -> Result<SqsBatchResponse, lambda_runtime::Error>
where
    F: FnOnce(Vec<Message>) -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    Ok(batch_response(handle(messages(event.payload)).await))
}
