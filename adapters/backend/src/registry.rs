//! Choosing a backend by URL scheme.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{Backend, BackendError};

/// Opens one kind of backend from a URL. One factory per adapter crate.
#[async_trait]
pub trait BackendFactory: Send + Sync + 'static {
    /// The URL schemes (the part before the first `:`) this factory opens, lower case.
    fn schemes(&self) -> &[&str];

    /// Opens (connects to) the backend `url` names. `url` always has one of
    /// [`Self::schemes`]. Fails with [`BackendError::Unavailable`] when the store cannot
    /// be reached and [`BackendError::Failed`] when the URL is unusable.
    async fn open(&self, url: &str) -> Result<Arc<dyn Backend>, BackendError>;
}

/// Why [`Registry::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL has no `scheme:` prefix.
    #[error("backend URL {url:?} has no scheme (expected e.g. memory: or postgres://...)")]
    MissingScheme {
        /// The URL as given.
        url: String,
    },
    /// No registered factory handles the scheme.
    #[error("no storage adapter for scheme {scheme:?} (known: {known})")]
    UnknownScheme {
        /// The scheme of the URL.
        scheme: String,
        /// The registered schemes, comma separated.
        known: String,
    },
    /// The adapter could not open the store.
    #[error("opening backend {scheme}: {source}")]
    Backend {
        /// The scheme of the URL.
        scheme: String,
        /// The adapter's error.
        #[source]
        source: BackendError,
    },
}

/// A factory offered a scheme the registry already has a factory for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "storage adapter scheme {scheme:?} is registered already; a registry has one adapter per scheme"
)]
pub struct DuplicateScheme {
    /// The scheme both factories claim.
    pub scheme: String,
}

/// The storage adapters a host can open, keyed by URL scheme; one adapter per scheme.
#[derive(Default, Clone)]
pub struct Registry {
    factories: Vec<Arc<dyn BackendFactory>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `factory`. Refused when one of its schemes is taken: a second adapter for a
    /// scheme is a configuration mistake, not an override (build the registry with the
    /// factory you want instead).
    pub fn with(mut self, factory: impl BackendFactory) -> Result<Self, DuplicateScheme> {
        let taken = self.schemes();
        if let Some(scheme) = factory
            .schemes()
            .iter()
            .find(|scheme| taken.contains(&scheme.to_ascii_lowercase().as_str()))
        {
            return Err(DuplicateScheme {
                scheme: scheme.to_ascii_lowercase(),
            });
        }
        self.factories.push(Arc::new(factory));
        Ok(self)
    }

    /// The schemes that can be opened, in order of registration.
    pub fn schemes(&self) -> Vec<&str> {
        self.factories
            .iter()
            .flat_map(|factory| factory.schemes().iter().copied())
            .collect()
    }

    /// Opens the backend `url` names, through the factory registered for its scheme
    /// (compared case-insensitively).
    pub async fn open(&self, url: &str) -> Result<Arc<dyn Backend>, OpenError> {
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase())
            .filter(|scheme| !scheme.is_empty())
            .ok_or_else(|| OpenError::MissingScheme {
                url: url.to_owned(),
            })?;
        let factory = self
            .factories
            .iter()
            .find(|factory| factory.schemes().contains(&scheme.as_str()))
            .ok_or_else(|| OpenError::UnknownScheme {
                scheme: scheme.clone(),
                known: self.schemes().join(", "),
            })?;
        factory
            .open(url)
            .await
            .map_err(|source| OpenError::Backend { scheme, source })
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("schemes", &self.schemes())
            .finish()
    }
}
