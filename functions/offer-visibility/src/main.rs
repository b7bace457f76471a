//! The `offer-visibility` Lambda: AWS adapters in, SQS batches to the handler.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    edge::worker::run_sqs(|batch| offer_visibility::handle(&ports, batch)).await
}
