//! What an instance keeps of the database between requests: the value read at one version of
//! a table, where the version is a counter raised by every transaction that writes the table
//! (`snapshot_version`, `ownership_version`). A request reads the stored version first and
//! gets the kept value only when it is of that version, so every instance on one database
//! shows what was committed last.

use std::sync::Arc;

use super::StoreError;

/// A value read at a version of its table.
pub trait Versioned {
    /// The version of the table the value was read at.
    fn version(&self) -> i64;
}

/// The latest value of `T` this instance read.
#[derive(Debug)]
pub struct VersionCache<T> {
    latest: tokio::sync::Mutex<Option<Arc<T>>>,
}

impl<T> Default for VersionCache<T> {
    fn default() -> Self {
        Self {
            latest: tokio::sync::Mutex::new(None),
        }
    }
}

impl<T: Versioned> VersionCache<T> {
    /// The value of `version`, the stored version the caller has just read: the kept one
    /// when it is of that version, else `load`ed (once, while concurrent callers wait for it;
    /// possibly of a later version) and kept.
    ///
    /// # Errors
    /// What `load` returns; nothing is kept then.
    pub async fn get_or_load(
        &self,
        version: i64,
        load: impl AsyncFnOnce() -> Result<T, StoreError>,
    ) -> Result<Arc<T>, StoreError> {
        let mut latest = self.latest.lock().await;
        if let Some(value) = latest.as_ref()
            && value.version() == version
        {
            return Ok(Arc::clone(value));
        }
        let value = Arc::new(load().await?);
        *latest = Some(Arc::clone(&value));
        Ok(value)
    }
}
