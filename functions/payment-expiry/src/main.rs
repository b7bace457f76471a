//! The `payment-expiry` Lambda: AWS adapters in, the schedule's events to the sweep.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    edge::worker::run_schedule(|| payment_expiry::sweep(&ports)).await
}
