use std::sync::Arc;

use ports::{Ports, RandomIds, SystemClock};

/// Where the resources are, as the template passes them to every function.
#[derive(Debug, Clone)]
pub struct Settings {
    pub table_name: String,
    pub bucket_name: String,
    /// Queue `order-events` is found as `{queue_prefix}order-events`.
    pub queue_prefix: String,
}

impl Settings {
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            table_name: var("TABLE_NAME", "marketplace"),
            bucket_name: var("BUCKET_NAME", "marketplace-documents"),
            queue_prefix: var("QUEUE_PREFIX", ""),
        }
    }
}

/// The SDK configuration from the environment. With `AWS_ENDPOINT_URL` set (an emulator),
/// S3 is addressed path-style.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// Every port on AWS, for a function's `main`. Functions that send no mail get
/// [`ports::NoMailer`], so only the one that mails links the SES client.
pub async fn ports_from_env() -> Ports {
    ports_on(&sdk_config().await)
}

/// Every port on AWS with mail through SES, from `MAIL_FROM`.
pub async fn ports_with_mail_from_env() -> Result<Ports, String> {
    let from = crate::mail_from()?;
    let config = sdk_config().await;
    let mailer = Arc::new(crate::SesMailer::new(aws_sdk_sesv2::Client::new(&config), from));
    Ok(Ports { mailer, ..ports_on(&config) })
}

fn ports_on(config: &aws_config::SdkConfig) -> Ports {
    let settings = Settings::from_env();
    let table: Arc<dyn ports::Table> =
        Arc::new(crate::DynamoTable::new(aws_sdk_dynamodb::Client::new(config), settings.table_name));
    Ports {
        // No real provider is integrated yet: deployments take payments through the sandbox.
        payments: Arc::new(sandbox_payments::SandboxPayments::new(table.clone(), webhook_secret().into_bytes())),
        table,
        queue: Arc::new(crate::SqsQueue::new(aws_sdk_sqs::Client::new(config), settings.queue_prefix)),
        blobs: Arc::new(crate::S3Blobs::new(s3_client(config), settings.bucket_name)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        mailer: Arc::new(ports::NoMailer),
        activity: Arc::new(ports::StdoutActivity),
        // The registry and carrier adapters come later: the sandbox ones answer meanwhile.
        devices: Arc::new(ports::SandboxDeviceCheck::from_env()),
        labels: Arc::new(ports::SandboxLabels),
    }
}

/// The secret the payment provider signs its webhooks with (a NoEcho template parameter).
pub fn webhook_secret() -> String {
    std::env::var("PAYMENT_WEBHOOK_SECRET").unwrap_or_default()
}

pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let path_style = std::env::var_os("AWS_ENDPOINT_URL").is_some();
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(path_style).build())
}
