//! Pool and connection settings.

use std::str::FromStr;
use std::time::Duration;

use runtime_store_backend::BackendError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::redact::unsupported_password_parameter;

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
///     .statement_timeout(Duration::from_secs(3))
///     .migrate_on_open(true);
/// assert_eq!(options.get_max_connections(), 32);
/// assert_eq!(PostgresOptions::default().get_statement_timeout(), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Duration,
    application_name: String,
    schema: Option<String>,
    migrate_on_open: bool,
}

/// The default [`PostgresOptions::statement_timeout`]: far above what one primitive takes
/// (a single-row statement, milliseconds), short enough that a statement stuck behind a
/// lock ends with a definite outcome while its caller still cares.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for PostgresOptions {
    /// 10 connections, a 5 s acquire timeout, a 10 s statement timeout, application name
    /// `runtime-store`, the server's default search path, no migration on open.
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
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

    /// How long the server lets one statement of the store run (PostgreSQL's
    /// `statement_timeout`, set on every pooled connection when it opens: no extra round
    /// trip). A statement still running then, waiting on a lock included, is cancelled
    /// and its transaction rolled back: the caller gets [`BackendError::Unavailable`]
    /// naming SQLSTATE 57014 and knows the write did not happen. Zero means no limit (the
    /// server's own setting applies). Rounded up to whole milliseconds. [`crate::migrate`]
    /// does not set it: a migration may wait for another process's migration lock.
    pub fn statement_timeout(mut self, statement_timeout: Duration) -> Self {
        self.statement_timeout = statement_timeout;
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

    /// The statement timeout (zero: none set by the adapter).
    pub fn get_statement_timeout(&self) -> Duration {
        self.statement_timeout
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

    /// The sqlx connection settings of the store's pool: `url` with these options applied,
    /// the statement timeout included.
    pub(crate) fn connect_options(&self, url: &str) -> Result<PgConnectOptions, BackendError> {
        let options = self.migrate_connect_options(url)?;
        Ok(if self.statement_timeout.is_zero() {
            options
        } else {
            let millis = self.statement_timeout.as_nanos().div_ceil(1_000_000);
            options.options([("statement_timeout", millis)])
        })
    }

    /// The sqlx connection settings for `url` with these options applied, except the
    /// statement timeout (what [`crate::migrate`] connects with).
    pub(crate) fn migrate_connect_options(
        &self,
        url: &str,
    ) -> Result<PgConnectOptions, BackendError> {
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
        // sqlx logs the value of every parameter it does not know: refuse password-like
        // ones (libpq's `sslpassword`) rather than have a secret in a log line.
        if let Some(key) = unsupported_password_parameter(url) {
            return Err(BackendError::Failed(format!(
                "connect: URL parameter {key:?} is not supported (its value is not shown); \
                 the password goes in the userinfo or in `password=`"
            )));
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
    fn the_statement_timeout_is_a_startup_option_in_whole_milliseconds() {
        let url = "postgres://u@h/db";
        let options = |timeout| {
            PostgresOptions::default()
                .statement_timeout(timeout)
                .connect_options(url)
                .unwrap()
                .get_options()
                .map(str::to_owned)
        };
        assert_eq!(
            PostgresOptions::default()
                .connect_options(url)
                .unwrap()
                .get_options(),
            Some("-c statement_timeout=10000")
        );
        assert_eq!(
            options(Duration::from_micros(1_500)).as_deref(),
            Some("-c statement_timeout=2")
        );
        assert_eq!(options(Duration::ZERO), None);
        assert_eq!(
            PostgresOptions::default()
                .migrate_connect_options(url)
                .unwrap()
                .get_options(),
            None,
            "migrations are not bounded"
        );
    }

    #[test]
    fn password_like_parameters_sqlx_would_log_are_refused_without_their_value() {
        let error = PostgresOptions::default()
            .connect_options("postgres://u@h/db?sslpassword=k3yphrase")
            .unwrap_err();
        assert!(
            matches!(&error, BackendError::Failed(message) if message.contains("sslpassword") && !message.contains("k3yphrase")),
            "{error:?}"
        );
        assert!(
            PostgresOptions::default()
                .connect_options("postgres://u@h/db?password=k3yphrase")
                .is_ok()
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
