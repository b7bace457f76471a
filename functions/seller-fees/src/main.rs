//! The `seller-fees` Lambda: AWS adapters and the settlement terms in; the monthly schedule's
//! events to the job.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let terms = order_settlement::terms_from_env()?;
    edge::worker::run_schedule(|| seller_fees::charge_last_month(&ports, &terms)).await
}
