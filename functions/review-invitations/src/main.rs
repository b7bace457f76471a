//! The `review-invitations` Lambda: AWS adapters with SES (`MAIL_FROM`) and the invitation
//! settings in; the hourly schedule's events to the job.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_with_mail_from_env().await?;
    let settings = review_invitations::Settings::from_env()?;
    edge::worker::run_schedule(|| review_invitations::run(&ports, &settings)).await
}
