//! Shared helpers for the workspace-level tests.
//!
//! The AWS side of each contract suite runs against `AWS_ENDPOINT_URL` (the emulator that
//! `make test` starts). Without an endpoint those tests say so and pass, unless
//! `CONTRACT_AWS=required` (set by `make test`) makes a missing endpoint a failure.

use std::sync::Arc;

use aws_adapters::{DynamoTable, S3Blobs, SqsQueue};
use ports::{MovableClock, SystemClock};

/// The SDK configuration for the emulator, or `None` when no endpoint is configured.
pub async fn aws_config() -> Option<aws_adapters::SdkConfig> {
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        assert!(
            std::env::var("CONTRACT_AWS").as_deref() != Ok("required"),
            "CONTRACT_AWS=required but AWS_ENDPOINT_URL is not set"
        );
        eprintln!("AWS_ENDPOINT_URL is not set: the AWS adapter is not exercised by this test");
        return None;
    }
    Some(aws_adapters::sdk_config().await)
}

/// A name no other test uses, so tests can share one emulator.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::generate().to_string().to_ascii_lowercase())
}

pub fn embedded_table() -> embedded_adapters::EmbeddedTable {
    embedded_adapters::EmbeddedTable::in_memory()
}

/// A fresh table on the emulator.
pub async fn aws_table() -> Option<DynamoTable> {
    let config = aws_config().await?;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let name = unique("contract");
    aws_adapters::create_table(&client, &name).await.expect("the emulator creates a table");
    Some(DynamoTable::new(client, name))
}

/// The queue names every queue contract test uses.
pub const QUEUES: [&str; 2] = ["work", "work.fifo"];

pub fn embedded_queue() -> embedded_adapters::MemoryQueue {
    let queue = embedded_adapters::MemoryQueue::new(Arc::new(SystemClock));
    for name in QUEUES {
        queue.declare(name, 5);
    }
    queue
}

pub fn embedded_queue_with_clock(clock: Arc<MovableClock>) -> embedded_adapters::MemoryQueue {
    let queue = embedded_adapters::MemoryQueue::new(clock);
    for name in QUEUES {
        queue.declare(name, 3);
    }
    queue
}

/// Fresh queues on the emulator, under a prefix of their own.
pub async fn aws_queue() -> Option<SqsQueue> {
    let config = aws_config().await?;
    let client = aws_sdk_sqs::Client::new(&config);
    let prefix = unique("contract");
    for name in QUEUES {
        aws_adapters::create_queue(&client, &format!("{prefix}-{name}")).await.expect("the emulator creates a queue");
    }
    Some(SqsQueue::new(client, format!("{prefix}-")))
}

pub fn embedded_blobs() -> embedded_adapters::FolderBlobs {
    embedded_adapters::FolderBlobs::new(std::env::temp_dir().join(unique("blobs")))
}

pub async fn aws_blobs() -> Option<S3Blobs> {
    let config = aws_config().await?;
    let client = aws_adapters::s3_client(&config);
    let bucket = unique("contract");
    aws_adapters::create_bucket(&client, &bucket).await.expect("the emulator creates a bucket");
    Some(S3Blobs::new(client, bucket))
}
