//! Opening the adapter by URL through a `runtime_store_backend::Registry`.

use std::sync::Arc;

use runtime_store_backend::{Backend, BackendError, BackendFactory, async_trait};

use crate::{SqliteBackend, SqliteOptions};

/// Opens a [`SqliteBackend`] for `sqlite:` URLs (`sqlite://path`, `sqlite::memory:`), every
/// one with the same [`SqliteOptions`].
#[derive(Debug, Clone, Default)]
pub struct SqliteFactory {
    options: SqliteOptions,
}

impl SqliteFactory {
    /// A factory with [`SqliteOptions::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A factory that opens every backend with `options`.
    pub fn with_options(options: SqliteOptions) -> Self {
        Self { options }
    }

    /// The options every opened backend gets.
    pub fn options(&self) -> &SqliteOptions {
        &self.options
    }
}

#[async_trait]
impl BackendFactory for SqliteFactory {
    fn schemes(&self) -> &[&str] {
        &["sqlite"]
    }

    async fn open(&self, url: &str) -> Result<Arc<dyn Backend>, BackendError> {
        Ok(Arc::new(
            SqliteBackend::open(url, self.options.clone()).await?,
        ))
    }
}
