//! The `offer-visibility` Lambda: AWS adapters in, SQS batches to the handler.

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let ports = &ports;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        edge::worker::on_sqs(event, |batch| offer_visibility::handle(ports, batch)).await
    }))
    .await
}
