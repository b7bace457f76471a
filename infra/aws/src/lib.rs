//! The ports on AWS. Clients are built once per process (at cold start) and shared by every
//! invocation.

mod blobs;
mod config;
mod mail;
mod provision;
mod queue;
mod table;

pub use aws_config::SdkConfig;
pub use blobs::S3Blobs;
pub use config::{Settings, ports_from_env, ports_with_mail_from_env, s3_client, sdk_config, webhook_secret};
pub use mail::{SesMailer, mail_from};
pub use provision::{create_bucket, create_queue, create_table};
pub use queue::SqsQueue;
pub use table::DynamoTable;
