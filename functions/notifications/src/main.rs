//! The `notifications` Lambda: AWS adapters with SES (`MAIL_FROM`) in; the schedule's events
//! to the job.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_with_mail_from_env().await?;
    edge::worker::run_schedule(|| notifications::run(&ports)).await
}
