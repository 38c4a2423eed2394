//! The five primitives on a connection pool.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter,
    ScanKey, Status, Timestamp, async_trait,
};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::PostgresOptions;
use crate::error::{backend_error, is_connection_lost};
use crate::migrate::migrate_with;
use crate::redact::Secrets;
use crate::row::{CorruptColumn, parse_status, record_from_row};
use crate::statements;
use crate::timestamp::PgInstant;

/// A runtime record store in one PostgreSQL table, shared safely by any number of
/// processes: every primitive is one statement, and the compare-and-swap happens inside
/// the database. Cheap to clone (the pool is shared).
///
/// # Faults
///
/// When a statement finds its connection dead (I/O error, the server ending the session:
/// a restart, a crash, `pg_terminate_backend`, `idle_session_timeout`), every connection
/// the pool opened before that moment is discarded instead of being handed out, so a
/// fault that kills all pooled connections at once costs at most one failed call. A read
/// (`fetch`, `scan`) that fails that way is tried once more on a fresh connection; a write
/// is never repeated by the adapter. Nothing of this costs a round trip while connections
/// are healthy.
///
/// # What a failed or cancelled write means
///
/// A write that returns `Ok` is committed. A write that fails with
/// [`BackendError::Unavailable`] naming SQLSTATE 57014 (the
/// [`statement_timeout`](PostgresOptions::statement_timeout)) was rolled back. Any other
/// `Unavailable` from a write, and a write whose future was dropped (a caller's timeout,
/// a cancelled task), may or may not commit: the statement can still be running on the
/// server, so a read right after it proves nothing. The outcome is settled, and a read
/// tells, once that statement's connection is back in the pool (dropping the future does
/// not stop the statement: the pool first waits for its answer) or once the statement
/// timeout has passed since the call began, plus the time a message takes to reach the
/// server. `docs/postgres.md` ("Cancellation") has the details.
#[derive(Debug, Clone)]
pub struct PostgresBackend {
    pool: PgPool,
    shared: Arc<Shared>,
}

/// What every clone of a backend shares besides the pool.
#[derive(Debug)]
struct Shared {
    /// The passwords of the URL, kept out of every error message.
    secrets: Secrets,
    /// When a connection was last found dead.
    losses: Arc<ConnectionLosses>,
}

/// When a connection was last found dead; the pool hands out no connection opened
/// before that moment (`before_acquire`).
#[derive(Debug)]
struct ConnectionLosses {
    origin: Instant,
    /// Nanoseconds from `origin` to the last loss, plus one; zero: no loss yet.
    last: AtomicU64,
}

impl ConnectionLosses {
    fn new() -> Self {
        ConnectionLosses {
            origin: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    /// Records that a connection was just found dead.
    fn note(&self) {
        let nanos = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last
            .fetch_max(nanos.saturating_add(1), Ordering::Relaxed);
    }

    /// Whether a connection opened `age` ago was opened after the last loss.
    fn opened_since_last_loss(&self, age: Duration) -> bool {
        match self.last.load(Ordering::Relaxed) {
            0 => true,
            last => {
                let since_loss = self
                    .origin
                    .elapsed()
                    .saturating_sub(Duration::from_nanos(last - 1));
                age < since_loss
            }
        }
    }
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
    ///
    /// No message quotes the URL or its password (see [`crate::redact_url`]).
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self, BackendError> {
        let secrets = Secrets::of_url(url);
        let losses = Arc::new(ConnectionLosses::new());
        let connect_options = options
            .connect_options(url)
            .map_err(|error| secrets.scrub_error(error))?;
        let pool = options
            .pool_options()
            .before_acquire({
                let losses = Arc::clone(&losses);
                move |_connection, metadata| {
                    let keep = losses.opened_since_last_loss(metadata.age);
                    Box::pin(std::future::ready(Ok(keep)))
                }
            })
            .connect_with(connect_options)
            .await
            .map_err(|error| secrets.scrub_error(backend_error("connect", error)))?;
        let backend = Self {
            pool,
            shared: Arc::new(Shared { secrets, losses }),
        };
        if options.get_migrate_on_open() {
            migrate_with(&backend.pool, options.get_schema())
                .await
                .map_err(|error| backend.shared.secrets.scrub_error(error))?;
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

    /// `error` as the [`BackendError`] of `context`, without the URL's passwords; a dead
    /// connection first condemns every connection opened before it.
    fn fail(&self, context: impl fmt::Display, error: sqlx::Error) -> BackendError {
        if is_connection_lost(&error) {
            self.shared.losses.note();
        }
        self.shared
            .secrets
            .scrub_error(backend_error(context, error))
    }

    /// Runs the read `attempt`, and once more when its connection turned out dead (on a
    /// connection opened after that). Healthy connections see one attempt, one statement.
    async fn read<T, F, Fut>(&self, attempt: F) -> Result<T, sqlx::Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        match attempt().await {
            Err(error) if is_connection_lost(&error) => {
                self.shared.losses.note();
                attempt().await
            }
            outcome => outcome,
        }
    }

    async fn fetch_row(&self, game_id: &str) -> Result<Option<PgRow>, sqlx::Error> {
        sqlx::query(statements::FETCH)
            .bind(game_id)
            .fetch_optional(&self.pool)
            .await
    }

    async fn scan_rows(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<PgRow>, sqlx::Error> {
        let instant = |at| {
            PgInstant::from_timestamp(at).map_err(|error| sqlx::Error::Encode(Box::new(error)))
        };
        let limit = i64::from(limit);
        let after = after
            .map(|key| Ok::<_, sqlx::Error>((instant(key.at)?, key.game_id.as_str())))
            .transpose()?;
        let query = match (filter, after) {
            (ScanFilter::All, None) => sqlx::query(statements::SCAN_ALL),
            (ScanFilter::All, Some((at, game_id))) => sqlx::query(statements::SCAN_ALL_AFTER)
                .bind(at)
                .bind(game_id),
            (ScanFilter::ByStatus(status), None) => {
                sqlx::query(statements::SCAN_BY_STATUS).bind(status.stored_text())
            }
            (ScanFilter::ByStatus(status), Some((at, game_id))) => {
                sqlx::query(statements::SCAN_BY_STATUS_AFTER)
                    .bind(status.stored_text())
                    .bind(at)
                    .bind(game_id)
            }
            (ScanFilter::DueRunning(now), None) => {
                sqlx::query(statements::SCAN_DUE_RUNNING).bind(instant(now)?)
            }
            (ScanFilter::DueRunning(now), Some((at, game_id))) => {
                sqlx::query(statements::SCAN_DUE_RUNNING_AFTER)
                    .bind(instant(now)?)
                    .bind(at)
                    .bind(game_id)
            }
        };
        query.bind(limit).fetch_all(&self.pool).await
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    fn system_name(&self) -> &'static str {
        "postgresql"
    }

    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        let context = OnRecord("fetch", game_id);
        let row = self
            .read(|| self.fetch_row(game_id))
            .await
            .map_err(|error| self.fail(&context, error))?;
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
            .map_err(|error| self.fail(&context, error))?
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
            .map_err(|error| self.fail(&context, error))?;
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
            .map_err(|error| self.fail(OnRecord("remove", game_id), error))?;
        Ok(())
    }

    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        let context = OnScan(filter);
        let rows = self
            .read(|| self.scan_rows(filter, after, limit))
            .await
            .map_err(|error| self.fail(&context, error))?;
        rows.iter()
            .map(record_from_row)
            .collect::<Result<_, _>>()
            .map_err(|corruption| corrupt(&context, corruption))
    }
}
