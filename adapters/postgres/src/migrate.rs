//! The schema, as sqlx migrations embedded from `migrations/`.

use runtime_store_backend::BackendError;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::PostgresOptions;
use crate::error::{backend_error, migrate_error};
use crate::options::quote_identifier;
use crate::redact::Secrets;

/// The migrations in `adapters/postgres/migrations/`, compiled into the crate.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the schema of the database `url` names up to date: creates the schema of
/// [`PostgresOptions::schema`] when it is set and missing, then applies every migration
/// not yet applied. Safe to run from several processes at once (sqlx serialises
/// migrations with an advisory lock) and a no-op when the schema is current.
///
/// Connects without [`PostgresOptions::statement_timeout`]: a migration may wait for
/// another process's migration lock, or take long on a large table. No message quotes
/// the URL or its password.
pub async fn migrate(url: &str, options: &PostgresOptions) -> Result<(), BackendError> {
    let secrets = Secrets::of_url(url);
    let outcome = async {
        let pool = options
            .pool_options()
            .max_connections(1)
            .connect_with(options.migrate_connect_options(url)?)
            .await
            .map_err(|error| backend_error("migrate: connect", error))?;
        let outcome = migrate_with(&pool, options.get_schema()).await;
        pool.close().await;
        outcome
    }
    .await;
    outcome.map_err(|error| secrets.scrub_error(error))
}

/// [`migrate`] through a pool that is already open.
pub(crate) async fn migrate_with(pool: &PgPool, schema: Option<&str>) -> Result<(), BackendError> {
    if let Some(schema) = schema {
        let create = format!("CREATE SCHEMA IF NOT EXISTS {}", quote_identifier(schema));
        match sqlx::query(&create).execute(pool).await {
            Ok(_) => {}
            // `IF NOT EXISTS` checks before it inserts: a process migrating at the same
            // moment can create the schema in between, which is as good as creating it.
            Err(error) if is_concurrent_creation(&error) => {}
            Err(error) => {
                return Err(backend_error(
                    format_args!("migrate: creating schema {schema:?}"),
                    error,
                ));
            }
        }
    }
    MIGRATOR.run(pool).await.map_err(migrate_error)
}

/// Whether `error` says another session created the schema first (unique violation on
/// the catalog, or duplicate schema).
fn is_concurrent_creation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|database| database.code())
        .is_some_and(|code| code == "23505" || code == "42P06")
}
