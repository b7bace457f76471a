//! The `trade-in-deadlines` Lambda: AWS adapters and the payout rail in; the hourly schedule's
//! events to the sweep of the trade-ins' deadlines (and, on the SEPA rail, the customers'
//! transfers filed for the bank).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let rail = payouts::Rail::from_env()?;
    edge::worker::run_schedule(|| trade_ins::sweep(&ports, &rail)).await
}
