//! The five primitives on a pool of connections to one SQLite database.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter,
    ScanKey, Status, Timestamp, async_trait,
};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};

use crate::error::{backend_error, migrate_error};
use crate::row::{CorruptColumn, parse_status, record_from_row};
use crate::{statements, timestamp};

/// The migrations in `adapters/sqlite/migrations/`, compiled into the crate: the file
/// format, shared with the Python host's SQLite adapter.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How a [`SqliteBackend`] opens its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    busy_timeout: Duration,
    max_connections: u32,
}

impl Default for SqliteOptions {
    /// A 5 s busy timeout and 4 connections.
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            max_connections: 4,
        }
    }
}

impl SqliteOptions {
    /// How long a statement waits for another connection or process to release the file's
    /// write lock before it fails with [`BackendError::Unavailable`] (default 5 s). Also
    /// how long a call waits for a free connection of the pool.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Connections to a database file (default 4, at least 1): readers run side by side
    /// (WAL), writers take turns. An in-memory database always has exactly one.
    pub fn max_connections(mut self, connections: u32) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// The busy timeout.
    pub fn get_busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    /// The connections to a database file.
    pub fn get_max_connections(&self) -> u32 {
        self.max_connections
    }
}

/// A runtime record store in one table of a SQLite database: a file any number of
/// processes may share, or memory private to this backend. Cheap to clone (the pool is
/// shared).
///
/// Each primitive is atomic on its own: `fetch`, `insert`, `remove` and `scan` are one
/// statement each (`insert` is `INSERT … ON CONFLICT DO NOTHING`, its row count telling
/// inserted from already-there); `patch` is one `BEGIN IMMEDIATE` transaction, which takes
/// the file's write lock first, then updates the row when its status is the expected one
/// or else reads why not (no row, or the stored status), so of N racing swaps from the same
/// status exactly one wins, in this process or another. A file is in WAL mode (readers
/// never wait for the writer) with `synchronous = FULL` (an acknowledged write survives a
/// power cut); a statement waits up to the busy timeout for another writer and then fails
/// with [`BackendError::Unavailable`].
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    pool: SqlitePool,
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

/// `timestamp` as stored, or a failure naming the column.
fn micros(
    context: impl fmt::Display,
    column: &str,
    timestamp: Timestamp,
) -> Result<i64, BackendError> {
    timestamp::micros(timestamp).ok_or_else(|| {
        BackendError::Failed(format!(
            "{context}: {column}: timestamp {}s {}ns is outside the range SQLite can store",
            timestamp.seconds, timestamp.nanoseconds
        ))
    })
}

fn optional_micros(
    context: &OnRecord<'_>,
    column: &str,
    timestamp: Option<Timestamp>,
) -> Result<Option<i64>, BackendError> {
    timestamp
        .map(|timestamp| micros(context, column, timestamp))
        .transpose()
}

/// The bound and tie-breaking game id a page after `key` is read from (see
/// [`statements`]). Stored instants are whole microseconds; a key between two of them (a
/// sub-microsecond part) puts every record of the microsecond below it on one side: after
/// the key in the newest-first order, before it in the due order. The game id is then
/// `None`: every tie at the bound qualifies.
fn keyset_bound<'k>(
    context: &OnScan,
    filter: ScanFilter,
    key: &'k ScanKey,
) -> Result<(i64, Option<&'k str>), BackendError> {
    let floor = micros(context, "scan key", key.at)?;
    if key.at.nanoseconds.is_multiple_of(1_000) {
        return Ok((floor, Some(key.game_id.as_str())));
    }
    match filter {
        ScanFilter::All | ScanFilter::ByStatus(_) => Ok((floor, None)),
        ScanFilter::DueRunning(_) => floor.checked_add(1).map(|above| (above, None)).ok_or_else(
            || {
                BackendError::Failed(format!(
                    "{context}: scan key: timestamp {}s {}ns is outside the range SQLite can store",
                    key.at.seconds, key.at.nanoseconds
                ))
            },
        ),
    }
}

/// Whether the (normalised) `url` names a database in memory, as sqlx reads it:
/// `sqlite::memory:` (also `sqlite://:memory:`) or a `mode=memory` parameter.
fn is_in_memory(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (database, parameters) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:"
        || parameters
            .split('&')
            .any(|parameter| parameter == "mode=memory")
}

/// `url` with its scheme in lower case, as sqlx expects it (`SQLite:x` → `sqlite:x`).
fn normalised(url: &str) -> Result<String, BackendError> {
    match url.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sqlite") => {
            Ok(format!("sqlite:{rest}"))
        }
        _ => Err(BackendError::Failed(format!(
            "open {url:?}: not a SQLite URL (sqlite://path or sqlite::memory:)"
        ))),
    }
}

impl SqliteBackend {
    /// Opens the database `url` names and brings its schema up to date ([`MIGRATOR`]):
    /// `sqlite://path` (relative to the working directory; `sqlite:///abs/path` for an
    /// absolute one) creates the file when it is missing and puts it in WAL mode;
    /// `sqlite::memory:` is a database in memory, private to this backend and gone when it
    /// is dropped. sqlx's URL parameters (`?mode=ro`, …) are honoured.
    ///
    /// Fails with [`BackendError::Unavailable`] when the file cannot be opened or stays
    /// locked past the busy timeout and [`BackendError::Failed`] when the URL is unusable
    /// or the file is no database of this format.
    pub async fn open(url: &str, options: SqliteOptions) -> Result<Self, BackendError> {
        let url = normalised(url)?;
        let connect = SqliteConnectOptions::from_str(&url)
            .map_err(|error| BackendError::Failed(format!("open {url:?}: {error}")))?;
        let in_memory = is_in_memory(&url);
        let connect = connect
            .busy_timeout(options.busy_timeout)
            .synchronous(SqliteSynchronous::Full);
        let pool = if in_memory {
            // One connection, kept for the backend's whole life: the database lives as long
            // as a connection to it does.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(options.max_connections)
        }
        .acquire_timeout(options.busy_timeout);
        let connect = if in_memory {
            connect
        } else {
            connect
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
        };
        let pool = pool
            .connect_with(connect)
            .await
            .map_err(|error| backend_error(format_args!("open {url:?}"), error))?;
        let backend = SqliteBackend { pool };
        backend.migrate().await?;
        Ok(backend)
    }

    /// Applies every migration of [`MIGRATOR`] not yet applied (a no-op when the schema is
    /// current). [`Self::open`] does it; this is for a pool reopened by other means.
    ///
    /// Several processes opening a new file at once may both try the first migration;
    /// every statement of the schema is idempotent, and the loser of that race (which finds
    /// the migration recorded when it wants to record it) tries once more and finds
    /// nothing left to do.
    pub async fn migrate(&self) -> Result<(), BackendError> {
        match MIGRATOR.run(&self.pool).await {
            Ok(()) => Ok(()),
            Err(_) => MIGRATOR.run(&self.pool).await.map_err(migrate_error),
        }
    }

    /// The connection pool, for statements of one's own (tests, administration).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection; later operations fail with [`BackendError::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn scan_rows(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<SqliteRow>, BackendError> {
        let context = OnScan(filter);
        let after = after
            .map(|key| keyset_bound(&context, filter, key))
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
                sqlx::query(statements::SCAN_DUE_RUNNING).bind(micros(&context, "now", now)?)
            }
            (ScanFilter::DueRunning(now), Some((at, game_id))) => {
                sqlx::query(statements::SCAN_DUE_RUNNING_AFTER)
                    .bind(micros(&context, "now", now)?)
                    .bind(at)
                    .bind(game_id)
            }
        };
        query
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(|error| backend_error(&context, error))
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn system_name(&self) -> &'static str {
        "sqlite"
    }

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
            .bind(optional_micros(
                &context,
                "next_generation_at",
                record.next_generation_at,
            )?)
            .bind(record.skip_next_tick)
            .bind(micros(&context, "created_at", record.created_at)?)
            .bind(micros(&context, "updated_at", record.updated_at)?)
            .bind(optional_micros(&context, "started_at", record.started_at)?)
            .bind(optional_micros(&context, "stopped_at", record.stopped_at)?)
            .bind(optional_micros(
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
        let update = sqlx::query(statements::PATCH)
            .bind(game_id)
            .bind(expected_status.map(Status::stored_text))
            .bind(status.map(|change| change.to.stored_text()))
            .bind(optional_micros(
                &context,
                "started_at",
                status.and_then(|change| change.started_at),
            )?)
            .bind(optional_micros(
                &context,
                "stopped_at",
                status.and_then(|change| change.stopped_at),
            )?)
            .bind(optional_micros(
                &context,
                "finished_at",
                status.and_then(|change| change.finished_at),
            )?)
            .bind(scheduling.is_some())
            .bind(optional_micros(
                &context,
                "next_generation_at",
                scheduling.and_then(|scheduling| scheduling.next_generation_at),
            )?)
            .bind(scheduling.map(|scheduling| scheduling.skip_next_tick))
            .bind(scheduling.map(|scheduling| i64::from(scheduling.current_turn)))
            .bind(changes.current_image_ref.as_deref())
            .bind(changes.current_engine_version.as_deref())
            .bind(changes.engine_health.as_deref())
            .bind(micros(&context, "updated_at", changes.updated_at)?);
        let fail = |error| backend_error(&context, error);

        // The write lock first: between the update and the read of why it did nothing, no
        // other connection or process can change the row.
        let mut transaction = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(fail)?;
        let applied = update
            .fetch_optional(&mut *transaction)
            .await
            .map_err(fail)?
            .is_some();
        let stored_status: Option<String> = if applied {
            None
        } else {
            sqlx::query(statements::STATUS_OF)
                .bind(game_id)
                .fetch_optional(&mut *transaction)
                .await
                .map_err(fail)?
                .map(|row| row.try_get::<String, _>("status"))
                .transpose()
                .map_err(|error| {
                    corrupt(
                        &context,
                        CorruptColumn {
                            game_id: game_id.to_owned(),
                            column: "status",
                            problem: format!("cannot be decoded: {error}"),
                        },
                    )
                })?
        };
        transaction.commit().await.map_err(fail)?;
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

    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        let rows = self.scan_rows(filter, after, limit).await?;
        rows.iter()
            .map(record_from_row)
            .collect::<Result<_, _>>()
            .map_err(|corruption| corrupt(OnScan(filter), corruption))
    }
}
