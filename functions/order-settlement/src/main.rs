//! The `order-settlement` Lambda: AWS adapters and the settlement terms in; order events and
//! the release schedule to the handlers.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let terms = order_settlement::terms_from_env()?;
    edge::worker::run_sqs_and_schedule(
        |batch| order_settlement::handle(&ports, &terms, batch),
        || order_settlement::release_due(&ports, &terms),
    )
    .await
}
