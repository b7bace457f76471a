//! The `payment-events` Lambda: AWS adapters and the webhook secret in, HTTP router out.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    lambda_http::run(payment_events::router(ports, aws_adapters::webhook_secret().into_bytes())).await
}
