//! The `trade-in-deadlines` Lambda: AWS adapters in; the hourly schedule's events to the sweep
//! of the trade-ins' deadlines.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    edge::worker::run_schedule(|| trade_ins::sweep(&ports)).await
}
