//! The `payout-reports` Lambda: AWS adapters in, HTTP router out.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    lambda_http::run(payout_reports::router(ports)).await
}
