//! Opening the adapter by URL through a `runtime_store_backend::Registry`.

use std::sync::Arc;

use runtime_store_backend::{Backend, BackendError, BackendFactory, async_trait};

use crate::{PostgresBackend, PostgresOptions};

/// Opens a [`PostgresBackend`] for `postgres://` and `postgresql://` URLs, every one with
/// the same [`PostgresOptions`].
#[derive(Debug, Clone, Default)]
pub struct PostgresFactory {
    options: PostgresOptions,
}

impl PostgresFactory {
    /// A factory with [`PostgresOptions::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A factory that opens every backend with `options`.
    pub fn with_options(options: PostgresOptions) -> Self {
        Self { options }
    }

    /// The options every opened backend gets.
    pub fn options(&self) -> &PostgresOptions {
        &self.options
    }
}

#[async_trait]
impl BackendFactory for PostgresFactory {
    fn schemes(&self) -> &[&str] {
        &["postgres", "postgresql"]
    }

    async fn open(&self, url: &str) -> Result<Arc<dyn Backend>, BackendError> {
        Ok(Arc::new(
            PostgresBackend::connect(url, self.options.clone()).await?,
        ))
    }
}
