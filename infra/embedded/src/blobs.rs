use std::path::PathBuf;

use async_trait::async_trait;
use ports::blobs::check_key;
use ports::{Blob, Blobs, BlobsError};

/// Blobs as files under a folder: `objects/<key>` holds the bytes, `types/<key>` the content type.
pub struct FolderBlobs {
    root: PathBuf,
}

impl FolderBlobs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

fn io(e: std::io::Error) -> BlobsError {
    BlobsError::Unavailable(e.to_string())
}

#[async_trait]
impl Blobs for FolderBlobs {
    async fn put(&self, key: &str, blob: Blob) -> Result<(), BlobsError> {
        check_key(key)?;
        for (folder, bytes) in [("objects", blob.bytes.as_slice()), ("types", blob.content_type.as_bytes())] {
            let path = self.root.join(folder).join(key);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(io)?;
            }
            // Write then rename, so a reader never sees half a document.
            let partial = path.with_extension(format!("partial-{}", ulid::Ulid::generate()));
            tokio::fs::write(&partial, bytes).await.map_err(io)?;
            tokio::fs::rename(&partial, &path).await.map_err(io)?;
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, BlobsError> {
        check_key(key)?;
        let bytes = match tokio::fs::read(self.root.join("objects").join(key)).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let content_type = tokio::fs::read_to_string(self.root.join("types").join(key))
            .await
            .unwrap_or_else(|_| "application/octet-stream".to_owned());
        Ok(Some(Blob { bytes, content_type }))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobsError> {
        let root = self.root.join("objects");
        let mut keys = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            let mut entries = match tokio::fs::read_dir(&folder).await {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            while let Some(entry) = entries.next_entry().await.map_err(io)? {
                let path = entry.path();
                if entry.file_type().await.map_err(io)?.is_dir() {
                    folders.push(path);
                } else if let Ok(relative) = path.strip_prefix(&root) {
                    let key = relative.to_string_lossy().replace('\\', "/");
                    if key.starts_with(prefix) && !key.contains(".partial-") {
                        keys.push(key);
                    }
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}
