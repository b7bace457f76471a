//! The `payouts` Lambda: AWS adapters and the settlement terms and the payout rail in; the payout schedule's
//! events to the run.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let terms = order_settlement::terms_from_env()?;
    let rail = payouts::Rail::from_env()?;
    edge::worker::run_schedule(|| payouts::run(&ports, &terms, &rail)).await
}
