//! Pool and connection settings.

use std::str::FromStr;
use std::time::Duration;

use runtime_store_backend::BackendError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// How [`crate::PostgresBackend::connect`] sets up its connection pool.
///
/// ```
/// use std::time::Duration;
/// use runtime_store_postgres::PostgresOptions;
///
/// let options = PostgresOptions::default()
///     .max_connections(32)
///     .acquire_timeout(Duration::from_secs(2))
///     .application_name("turn-scheduler")
///     .schema("gamemaster")
///     .migrate_on_open(true);
/// assert_eq!(options.get_max_connections(), 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    max_connections: u32,
    acquire_timeout: Duration,
    application_name: String,
    schema: Option<String>,
    migrate_on_open: bool,
}

impl Default for PostgresOptions {
    /// 10 connections, a 5 s acquire timeout, application name `runtime-store`, the
    /// server's default search path, no migration on open.
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            application_name: "runtime-store".to_owned(),
            schema: None,
            migrate_on_open: false,
        }
    }
}

impl PostgresOptions {
    /// The most connections the pool opens at once (at least 1).
    pub fn max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections.max(1);
        self
    }

    /// How long an operation waits for a connection, opening a new one included, before
    /// it fails with [`BackendError::Unavailable`]. This is also the connect timeout: sqlx
    /// retries a refused connection attempt until this deadline.
    pub fn acquire_timeout(mut self, acquire_timeout: Duration) -> Self {
        self.acquire_timeout = acquire_timeout;
        self
    }

    /// The `application_name` every pooled connection reports (`pg_stat_activity`), so an
    /// operator can tell the store's connections apart.
    pub fn application_name(mut self, application_name: impl Into<String>) -> Self {
        self.application_name = application_name.into();
        self
    }

    /// Keeps the table in schema `schema` (its `search_path` on every connection);
    /// [`crate::migrate`] creates the schema when it is missing. Several stores can then
    /// share one database, each in its own schema.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Whether opening the backend first brings the schema up to date. Off by default:
    /// schema changes are an operator's step (`runtime-store migrate`), not a side effect
    /// of every replica starting.
    pub fn migrate_on_open(mut self, migrate_on_open: bool) -> Self {
        self.migrate_on_open = migrate_on_open;
        self
    }

    /// The pool size limit.
    pub fn get_max_connections(&self) -> u32 {
        self.max_connections
    }

    /// The acquire (and connect) timeout.
    pub fn get_acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    /// The application name of the pooled connections.
    pub fn get_application_name(&self) -> &str {
        &self.application_name
    }

    /// The schema the table lives in, when not the server's default search path.
    pub fn get_schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Whether opening migrates first.
    pub fn get_migrate_on_open(&self) -> bool {
        self.migrate_on_open
    }

    /// The sqlx connection settings for `url` with these options applied.
    pub(crate) fn connect_options(&self, url: &str) -> Result<PgConnectOptions, BackendError> {
        // sqlx ignores the scheme; without this check `memory:` would open the default
        // local database. The URL is not quoted back: it may carry a password.
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("postgres" | "postgresql")) {
            return Err(BackendError::Failed(
                "connect: not a PostgreSQL URL (expected postgres://... or postgresql://...)"
                    .into(),
            ));
        }
        let options = PgConnectOptions::from_str(url).map_err(|error| {
            BackendError::Failed(format!("connect: unusable PostgreSQL URL: {error}"))
        })?;
        let options = options.application_name(&self.application_name);
        Ok(match &self.schema {
            Some(schema) => options.options([("search_path", quote_identifier(schema))]),
            None => options,
        })
    }

    /// The sqlx pool settings.
    pub(crate) fn pool_options(&self) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            // sqlx would otherwise ping every idle connection before handing it out: a
            // second round trip per primitive. A connection that died while idle instead
            // fails its next statement with `Unavailable` and is then discarded (sqlx checks
            // each connection when it is returned, after the caller has its answer).
            .test_before_acquire(false)
    }
}

/// `identifier` as a quoted SQL identifier (identifiers cannot be bind parameters).
pub(crate) fn quote_identifier(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_other_schemes_are_refused_before_connecting() {
        let options = PostgresOptions::default();
        for url in [
            "memory:",
            "mysql://root@localhost/db",
            "postgres:/no-slashes",
            "db",
        ] {
            let error = options.connect_options(url).unwrap_err();
            assert!(
                matches!(&error, BackendError::Failed(message) if message.contains("not a PostgreSQL URL")),
                "{url}: {error:?}"
            );
        }
        for url in ["postgres://u@h/db", "PostgreSQL://u@h/db"] {
            assert!(options.connect_options(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(quote_identifier("plain"), "\"plain\"");
        assert_eq!(quote_identifier("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn bad_urls_fail_without_echoing_the_url() {
        let error = PostgresOptions::default()
            .connect_options("postgres://user:secret@host:notaport/db")
            .unwrap_err();
        assert!(
            matches!(&error, BackendError::Failed(message) if !message.contains("secret")),
            "{error:?}"
        );
    }

    #[test]
    fn a_pool_has_at_least_one_connection() {
        assert_eq!(
            PostgresOptions::default()
                .max_connections(0)
                .get_max_connections(),
            1
        );
    }
}
