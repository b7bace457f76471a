//! The `seller-quality` Lambda: AWS adapters and the ranking's configuration in; the daily
//! schedule's events to the sweep.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let window = seller_quality::window_days();
    edge::worker::run_schedule(|| seller_quality::sweep(&ports, window)).await
}
