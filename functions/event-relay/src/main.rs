//! The `event-relay` Lambda: AWS adapters in, the schedule's events to the relay.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    edge::worker::run_schedule(|| event_relay::relay(&ports)).await
}
