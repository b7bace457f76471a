//! The `event-relay` Lambda: AWS adapters in, the schedule's events to the relay.

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let ports = &ports;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        event_relay::relay(ports).await.map_err(lambda_runtime::Error::from)
    }))
    .await
}
