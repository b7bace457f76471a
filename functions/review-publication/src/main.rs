//! The `review-publication` Lambda: AWS adapters in; publication messages and the sweep
//! schedule to the handlers.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    edge::worker::run_sqs_and_schedule(
        |batch| review_publication::handle(&ports, batch),
        || review_publication::sweep(&ports),
    )
    .await
}
