//! The five primitives on a connection pool.

use std::fmt;

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter,
    Status, Timestamp, async_trait,
};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::PostgresOptions;
use crate::error::backend_error;
use crate::migrate::migrate_with;
use crate::row::{CorruptColumn, parse_status, record_from_row};
use crate::statements;
use crate::timestamp::PgInstant;

/// A runtime record store in one PostgreSQL table, shared safely by any number of
/// processes: every primitive is one statement, and the compare-and-swap happens inside
/// the database. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct PostgresBackend {
    pool: PgPool,
}

/// Names a primitive and the record it works on, for error messages.
struct OnRecord<'a>(&'static str, &'a str);

impl fmt::Display for OnRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of runtime record {:?}", self.0, self.1)
    }
}

/// Names the scan and its filter, for error messages.
struct OnScan(ScanFilter);

impl fmt::Display for OnScan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ScanFilter::All => f.write_str("scan of all runtime records"),
            ScanFilter::ByStatus(status) => {
                write!(f, "scan of runtime records with status {status}")
            }
            ScanFilter::DueRunning(now) => write!(
                f,
                "scan of running runtime records due at {}s {}ns",
                now.seconds, now.nanoseconds
            ),
        }
    }
}

fn corrupt(context: impl fmt::Display, corruption: CorruptColumn) -> BackendError {
    BackendError::Corrupt(format!("{context}: {corruption}"))
}

/// `timestamp` bound as a `timestamptz`, or a failure naming the column.
fn instant(
    context: &OnRecord<'_>,
    column: &str,
    timestamp: Timestamp,
) -> Result<PgInstant, BackendError> {
    PgInstant::from_timestamp(timestamp)
        .map_err(|error| BackendError::Failed(format!("{context}: {column}: {error}")))
}

fn optional_instant(
    context: &OnRecord<'_>,
    column: &str,
    timestamp: Option<Timestamp>,
) -> Result<Option<PgInstant>, BackendError> {
    timestamp
        .map(|timestamp| instant(context, column, timestamp))
        .transpose()
}

impl PostgresBackend {
    /// Opens a pool on the database `url` names (`postgres://user@host:port/db?...`, the
    /// libpq URL syntax sqlx accepts) and checks that a connection can be made; with
    /// [`PostgresOptions::migrate_on_open`] it then brings the schema up to date.
    ///
    /// Fails with [`BackendError::Unavailable`] when no connection can be made within the
    /// acquire timeout and [`BackendError::Failed`] when the URL is unusable.
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self, BackendError> {
        let pool = options
            .pool_options()
            .connect_with(options.connect_options(url)?)
            .await
            .map_err(|error| backend_error("connect", error))?;
        let backend = Self { pool };
        if options.get_migrate_on_open() {
            migrate_with(&backend.pool, options.get_schema()).await?;
        }
        Ok(backend)
    }

    /// The connection pool, for statements of one's own (benchmarks, administration).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection; later operations fail with [`BackendError::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn scan_rows(&self, filter: ScanFilter) -> Result<Vec<PgRow>, sqlx::Error> {
        match filter {
            ScanFilter::All => {
                sqlx::query(statements::SCAN_ALL)
                    .fetch_all(&self.pool)
                    .await
            }
            ScanFilter::ByStatus(status) => {
                sqlx::query(statements::SCAN_BY_STATUS)
                    .bind(status.stored_text())
                    .fetch_all(&self.pool)
                    .await
            }
            ScanFilter::DueRunning(now) => {
                let now = PgInstant::from_timestamp(now)
                    .map_err(|error| sqlx::Error::Encode(Box::new(error)))?;
                sqlx::query(statements::SCAN_DUE_RUNNING)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await
            }
        }
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        let context = OnRecord("fetch", game_id);
        let row = sqlx::query(statements::FETCH)
            .bind(game_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| backend_error(&context, error))?;
        row.map(|row| record_from_row(&row))
            .transpose()
            .map_err(|corruption| corrupt(&context, corruption))
    }

    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        let context = OnRecord("insert", &record.game_id);
        let inserted = sqlx::query(statements::INSERT)
            .bind(&record.game_id)
            .bind(record.status.stored_text())
            .bind(&record.engine_endpoint)
            .bind(&record.current_image_ref)
            .bind(&record.current_engine_version)
            .bind(&record.engine_health)
            .bind(i64::from(record.current_turn))
            .bind(optional_instant(
                &context,
                "next_generation_at",
                record.next_generation_at,
            )?)
            .bind(record.skip_next_tick)
            .bind(instant(&context, "created_at", record.created_at)?)
            .bind(instant(&context, "updated_at", record.updated_at)?)
            .bind(optional_instant(&context, "started_at", record.started_at)?)
            .bind(optional_instant(&context, "stopped_at", record.stopped_at)?)
            .bind(optional_instant(
                &context,
                "finished_at",
                record.finished_at,
            )?)
            .execute(&self.pool)
            .await
            .map_err(|error| backend_error(&context, error))?
            .rows_affected();
        Ok(if inserted == 1 {
            InsertOutcome::Inserted
        } else {
            InsertOutcome::AlreadyExists
        })
    }

    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        let context = OnRecord("patch", game_id);
        let status = changes.status;
        let scheduling = changes.scheduling;
        let (stored_status, applied): (Option<String>, bool) = sqlx::query_as(statements::PATCH)
            .bind(game_id)
            .bind(expected_status.map(Status::stored_text))
            .bind(status.map(|change| change.to.stored_text()))
            .bind(optional_instant(
                &context,
                "started_at",
                status.and_then(|change| change.started_at),
            )?)
            .bind(optional_instant(
                &context,
                "stopped_at",
                status.and_then(|change| change.stopped_at),
            )?)
            .bind(optional_instant(
                &context,
                "finished_at",
                status.and_then(|change| change.finished_at),
            )?)
            .bind(scheduling.is_some())
            .bind(optional_instant(
                &context,
                "next_generation_at",
                scheduling.and_then(|scheduling| scheduling.next_generation_at),
            )?)
            .bind(scheduling.map(|scheduling| scheduling.skip_next_tick))
            .bind(scheduling.map(|scheduling| i64::from(scheduling.current_turn)))
            .bind(changes.current_image_ref.as_deref())
            .bind(changes.current_engine_version.as_deref())
            .bind(changes.engine_health.as_deref())
            .bind(instant(&context, "updated_at", changes.updated_at)?)
            .fetch_one(&self.pool)
            .await
            .map_err(|error| backend_error(&context, error))?;
        match (applied, stored_status) {
            (true, _) => Ok(PatchOutcome::Applied),
            (false, None) => Ok(PatchOutcome::NotFound),
            (false, Some(stored)) => parse_status(&stored)
                .map(PatchOutcome::StatusMismatch)
                .map_err(|problem| {
                    corrupt(
                        &context,
                        CorruptColumn {
                            game_id: game_id.to_owned(),
                            column: "status",
                            problem,
                        },
                    )
                }),
        }
    }

    async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
        sqlx::query(statements::REMOVE)
            .bind(game_id)
            .execute(&self.pool)
            .await
            .map_err(|error| backend_error(OnRecord("remove", game_id), error))?;
        Ok(())
    }

    async fn scan(&self, filter: ScanFilter) -> Result<Vec<RuntimeRecord>, BackendError> {
        let context = OnScan(filter);
        let rows = self
            .scan_rows(filter)
            .await
            .map_err(|error| backend_error(&context, error))?;
        rows.iter()
            .map(record_from_row)
            .collect::<Result<_, _>>()
            .map_err(|corruption| corrupt(&context, corruption))
    }
}
