use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlobsError {
    #[error("invalid blob key: {0}")]
    InvalidKey(String),
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
}

/// Documents (statements, reports) under a key: S3, or a folder locally.
#[async_trait]
pub trait Blobs: Send + Sync {
    async fn put(&self, key: &str, blob: Blob) -> Result<(), BlobsError>;
    async fn get(&self, key: &str) -> Result<Option<Blob>, BlobsError>;
    /// Keys under `prefix`, in lexicographic order.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobsError>;
}

/// Keys are relative paths of safe segments, so a folder adapter can never escape its root.
pub fn check_key(key: &str) -> Result<(), BlobsError> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '='))
        });
    if ok { Ok(()) } else { Err(BlobsError::InvalidKey(key.to_owned())) }
}
