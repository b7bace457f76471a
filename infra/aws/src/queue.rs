use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use ports::queue::{MAX_BATCH, check_send};
use ports::{Message, Queue, QueueError};

pub struct SqsQueue {
    client: Client,
    prefix: String,
    /// Queue URLs, looked up once per queue.
    urls: Mutex<HashMap<String, String>>,
}

impl SqsQueue {
    pub fn new(client: Client, prefix: String) -> Self {
        Self { client, prefix, urls: Mutex::new(HashMap::new()) }
    }

    async fn url(&self, queue: &str) -> Result<String, QueueError> {
        if let Some(url) = self.urls.lock().unwrap_or_else(|p| p.into_inner()).get(queue) {
            return Ok(url.clone());
        }
        let name = format!("{}{queue}", self.prefix);
        let output = self.client.get_queue_url().queue_name(&name).send().await.map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_queue_does_not_exist()) {
                QueueError::UnknownQueue(queue.to_owned())
            } else {
                unavailable(e)
            }
        })?;
        let url = output.queue_url().ok_or_else(|| QueueError::UnknownQueue(queue.to_owned()))?.to_owned();
        self.urls.lock().unwrap_or_else(|p| p.into_inner()).insert(queue.to_owned(), url.clone());
        Ok(url)
    }
}

fn unavailable(e: impl std::error::Error) -> QueueError {
    QueueError::Unavailable(aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
}

fn seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, queue: &str, body: &str, delay: Duration, dedup_id: Option<&str>) -> Result<(), QueueError> {
        check_send(body, delay, queue, dedup_id)?;
        let url = self.url(queue).await?;
        let mut request = self.client.send_message().queue_url(url).message_body(body);
        if queue.ends_with(".fifo") {
            // One message group per queue keeps FIFO order; dedup drops repeats for five minutes.
            request = request.message_group_id("marketplace").set_message_deduplication_id(dedup_id.map(str::to_owned));
        } else {
            request = request.delay_seconds(seconds(delay));
        }
        request.send().await.map_err(unavailable)?;
        Ok(())
    }

    async fn receive(&self, queue: &str, max: u32, visibility: Duration) -> Result<Vec<Message>, QueueError> {
        let url = self.url(queue).await?;
        let output = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(seconds(visibility))
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output
            .messages()
            .iter()
            .map(|m| Message {
                id: m.message_id().unwrap_or_default().to_owned(),
                body: m.body().unwrap_or_default().to_owned(),
                receipt: m.receipt_handle().unwrap_or_default().to_owned(),
                receive_count: m
                    .attributes()
                    .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
            })
            .collect())
    }

    async fn delete(&self, queue: &str, receipt: &str) -> Result<(), QueueError> {
        let url = self.url(queue).await?;
        self.client.delete_message().queue_url(url).receipt_handle(receipt).send().await.map_err(unavailable)?;
        Ok(())
    }
}
