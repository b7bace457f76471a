//! The `dsa-metrics` Lambda: a CloudWatch Logs subscription's batch of recipient lines goes
//! to the counter; the daily schedule's event runs the close and the publication.

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    edge::logging::init();
    let ports = aws_adapters::ports_from_env().await;
    let counter = dsa_metrics::Counter::default();
    let (ports, counter) = (&ports, &counter);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        if let Some(lines) = dsa_metrics::subscription_lines(&event.payload)? {
            let tally = counter.count(ports.table.as_ref(), &lines).await?;
            return Ok::<_, lambda_runtime::Error>(serde_json::to_value(tally)?);
        }
        Ok(serde_json::to_value(dsa_metrics::run(ports).await?)?)
    }))
    .await
}
