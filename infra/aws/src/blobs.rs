use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use ports::blobs::check_key;
use ports::{Blob, Blobs, BlobsError};

pub struct S3Blobs {
    client: Client,
    bucket: String,
}

impl S3Blobs {
    pub fn new(client: Client, bucket: String) -> Self {
        Self { client, bucket }
    }
}

fn unavailable(e: impl std::error::Error) -> BlobsError {
    BlobsError::Unavailable(aws_sdk_s3::error::DisplayErrorContext(e).to_string())
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put(&self, key: &str, blob: Blob) -> Result<(), BlobsError> {
        check_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(blob.content_type)
            .body(ByteStream::from(blob.bytes))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, BlobsError> {
        check_key(key)?;
        let output = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let content_type = output.content_type().unwrap_or("application/octet-stream").to_owned();
        let bytes = output.body.collect().await.map_err(unavailable)?.into_bytes().to_vec();
        Ok(Some(Blob { bytes, content_type }))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobsError> {
        let mut keys = Vec::new();
        let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(unavailable)?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        }
        keys.sort();
        Ok(keys)
    }
}
