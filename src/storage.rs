//! Where stored files live: an `object_store` behind one small type. A directory on the local
//! file system in development and tests, any S3-compatible bucket in production (`UPLOAD_STORE`,
//! see `config`). Kernel: it knows keys and bytes, not what they are.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::StoreConfig;
use crate::error::{AppError, AppResult};

/// The object store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
}

impl Store {
    /// Opens the configured store. A directory is created if missing; a bucket is not
    /// contacted until the first request.
    pub fn new(config: &StoreConfig) -> AppResult<Self> {
        let inner: Arc<dyn ObjectStore> = match config {
            StoreConfig::Directory(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| AppError::internal_in(format!("upload directory {dir:?}"), e))?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(dir)
                        .map_err(|e| AppError::internal_in("upload directory", e))?
                        .with_automatic_cleanup(true),
                )
            }
            StoreConfig::S3 { url } => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| AppError::internal_in("UPLOAD_STORE", e))?,
            ),
        };
        Ok(Self { inner })
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(|e| AppError::internal_in("storing an object", e))?;
        Ok(())
    }

    /// The bytes under `key`, or `None` when there are none.
    pub async fn get(&self, key: &str) -> AppResult<Option<Bytes>> {
        let found = match self.inner.get(&Path::from(key)).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(AppError::internal_in("reading an object", e)),
        };
        let bytes = found
            .bytes()
            .await
            .map_err(|e| AppError::internal_in("reading an object", e))?;
        Ok(Some(bytes))
    }

    /// Deletes the object under `key`; one that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(AppError::internal_in("deleting an object", e)),
        }
    }

    /// [`Store::put`] for synchronous callers outside any runtime's worker (the demo seed): runs
    /// on a thread of its own with its own small runtime.
    pub fn put_blocking(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(AppError::internal)?
                        .block_on(self.put(key, bytes))
                })
                .join()
                .map_err(|_| AppError::internal("the storing thread panicked"))?
        })
    }
}
