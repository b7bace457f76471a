//! The `trade-ins` Lambda: AWS adapters in, HTTP router out.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let rail = payouts::Rail::from_env()?;
    lambda_http::run(trade_ins::router(ports, rail)).await
}
