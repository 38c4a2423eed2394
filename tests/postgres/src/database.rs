//! A schema of one's own on the shared server, dropped when the test ends.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use runtime_store_host::RuntimeStore;
use runtime_store_postgres::{PostgresBackend, PostgresOptions, migrate};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The server the tests use when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `DATABASE_URL`, or [`DEFAULT_DATABASE_URL`].
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// A schema made for one test, holding the migrated `runtime_records` table.
///
/// Its name doubles as the `application_name` of the backends [`TestSchema::options`]
/// configures, so a test can find (and kill) exactly its own connections.
#[derive(Debug)]
pub struct TestSchema {
    name: String,
    url: String,
    admin: PgPool,
}

/// A name no other test process or test uses: label, process id, a per-process counter
/// and the clock (for process ids reused across runs). Short enough for
/// `application_name` (63 bytes).
fn unique_name(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(20)
        .collect::<String>()
        .to_ascii_lowercase();
    format!(
        "rst_{label}_{}_{}_{nanos:x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestSchema {
    /// Creates and migrates a fresh schema named after `label` on the server at
    /// [`database_url`]. Panics, saying the server is unreachable, when it is.
    pub async fn create(label: &str) -> TestSchema {
        Self::create_at(&database_url(), label).await
    }

    /// [`TestSchema::create`] on the server at `url`.
    pub async fn create_at(url: &str, label: &str) -> TestSchema {
        let name = unique_name(label);
        let options = PostgresOptions::default().schema(&name);
        if let Err(error) = migrate(url, &options).await {
            panic!(
                "PostgreSQL at {url} is unreachable or unusable ({error}); these tests need a \
                 running server: start one or point DATABASE_URL at one"
            );
        }
        let connect: PgConnectOptions = url
            .parse::<PgConnectOptions>()
            .unwrap_or_else(|error| panic!("DATABASE_URL {url:?} is not a PostgreSQL URL: {error}"))
            .application_name(&format!("{name}_admin"))
            .options([("search_path", name.as_str())]);
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect)
            .await
            .unwrap_or_else(|error| panic!("PostgreSQL at {url} is unreachable: {error}"));
        TestSchema {
            name,
            url: url.to_owned(),
            admin,
        }
    }

    /// The schema name (also the backends' application name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Adapter options for this schema: its search path and its application name.
    pub fn options(&self) -> PostgresOptions {
        PostgresOptions::default()
            .schema(&self.name)
            .application_name(&self.name)
    }

    /// A backend on this schema with [`TestSchema::options`].
    pub async fn backend(&self) -> PostgresBackend {
        self.backend_with(self.options()).await
    }

    /// A backend on this schema with `options`.
    pub async fn backend_with(&self, options: PostgresOptions) -> PostgresBackend {
        PostgresBackend::connect(&self.url, options)
            .await
            .unwrap_or_else(|error| panic!("connecting to schema {}: {error}", self.name))
    }

    /// A store through the wasm host on a backend with [`TestSchema::options`].
    pub async fn store(&self) -> RuntimeStore {
        store_on(self.backend().await).await
    }

    /// Empties the table, between runs that each want an empty store.
    pub async fn truncate(&self) {
        sqlx::query("TRUNCATE runtime_records")
            .execute(&self.admin)
            .await
            .unwrap_or_else(|error| panic!("TRUNCATE runtime_records in {}: {error}", self.name));
    }

    /// A pool for the test's own statements (search path = this schema), whose
    /// connections are not among the backends'.
    pub fn admin(&self) -> &PgPool {
        &self.admin
    }

    /// Terminates every server connection of the backends of this schema and returns how
    /// many there were.
    pub async fn terminate_backend_connections(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_one(&self.admin)
        .await
        .unwrap_or_else(|error| panic!("terminating the connections of {}: {error}", self.name))
    }

    /// Drops the schema and everything in it.
    pub async fn drop_schema(&self) {
        let drop = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        sqlx::query(&drop)
            .execute(&self.admin)
            .await
            .unwrap_or_else(|error| panic!("dropping schema {}: {error}", self.name));
        self.admin.close().await;
    }
}

/// A store through the wasm host on `backend`.
pub async fn store_on(backend: PostgresBackend) -> RuntimeStore {
    RuntimeStore::builder()
        .backend(Arc::new(backend))
        .build()
        .await
        .expect("a store on PostgreSQL")
}

/// Runs `body` with a fresh [`TestSchema`] and drops the schema afterwards, also when
/// `body` panics (the panic is passed on once the schema is gone).
pub async fn isolated<F, Fut>(label: &str, body: F)
where
    F: FnOnce(Arc<TestSchema>) -> Fut,
    Fut: Future<Output = ()>,
{
    isolated_at(&database_url(), label, body).await;
}

/// [`isolated`] on the server at `url`. The body runs in the calling task (it need not be
/// `Send`); a panic while it is polled is caught, the schema dropped, the panic resumed.
pub async fn isolated_at<F, Fut>(url: &str, label: &str, body: F)
where
    F: FnOnce(Arc<TestSchema>) -> Fut,
    Fut: Future<Output = ()>,
{
    let schema = Arc::new(TestSchema::create_at(url, label).await);
    let outcome = CatchUnwind(Box::pin(body(Arc::clone(&schema)))).await;
    schema.drop_schema().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A future's output, or the panic that escaped one of its polls.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(context))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
