//! Sorting sqlx failures into [`BackendError`] kinds.

use std::fmt::Display;

use runtime_store_backend::BackendError;
use sqlx::migrate::MigrateError;

/// SQLite's primary result codes that mean "not now" rather than "never": the file is
/// locked by another connection or process past the busy timeout (`SQLITE_BUSY`, 5), a
/// table is locked inside this process (`SQLITE_LOCKED`, 6), the disk could not be read
/// or written (`SQLITE_IOERR`, 10), the file cannot be opened (`SQLITE_CANTOPEN`, 14) or
/// its locking protocol failed (`SQLITE_PROTOCOL`, 15).
fn is_unavailable_code(primary: i32) -> bool {
    matches!(primary, 5 | 6 | 10 | 14 | 15)
}

/// The primary result code of a database error (the low byte of the extended code sqlx
/// reports).
fn primary_code(error: &sqlx::Error) -> Option<i32> {
    let code = error.as_database_error()?.code()?;
    code.parse::<i32>().ok().map(|extended| extended & 0xff)
}

/// Whether retrying later may succeed.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(_) => primary_code(error).is_some_and(is_unavailable_code),
        _ => false,
    }
}

/// `error` as a [`BackendError`], its message prefixed with `context` (the primitive and
/// the game id); a database error reads as SQLite says it, with its result code.
pub(crate) fn backend_error(context: impl Display, error: sqlx::Error) -> BackendError {
    let message = match &error {
        sqlx::Error::PoolTimedOut => {
            format!("{context}: no SQLite connection could be had within the acquire timeout")
        }
        other => format!("{context}: {other}"),
    };
    if is_unavailable(&error) {
        BackendError::Unavailable(message)
    } else {
        BackendError::Failed(message)
    }
}

/// A failed migration as a [`BackendError`]: unavailable when the file is locked or
/// unreadable, failed otherwise (a broken migration history included).
pub(crate) fn migrate_error(error: MigrateError) -> BackendError {
    match error {
        MigrateError::Execute(error) => backend_error("migrate", error),
        MigrateError::ExecuteMigration(error, version) => {
            backend_error(format_args!("migrate: applying migration {version}"), error)
        }
        other => BackendError::Failed(format!("migrate: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_failures_are_unavailable_and_name_the_context() {
        let BackendError::Unavailable(message) =
            backend_error("fetch of runtime record \"g1\"", sqlx::Error::PoolTimedOut)
        else {
            panic!("a pool time-out is unavailable");
        };
        assert_eq!(
            message,
            "fetch of runtime record \"g1\": no SQLite connection could be had within the acquire timeout"
        );
        assert!(matches!(
            backend_error("scan", sqlx::Error::PoolClosed),
            BackendError::Unavailable(_)
        ));
    }

    #[test]
    fn other_failures_are_failed() {
        assert_eq!(
            backend_error(
                "insert of runtime record \"g\"",
                sqlx::Error::Protocol("odd".into())
            ),
            BackendError::Failed(
                "insert of runtime record \"g\": encountered unexpected or invalid data: odd"
                    .into()
            )
        );
    }

    #[test]
    fn busy_locked_and_unopenable_codes_are_unavailable() {
        // Extended codes reduce to their primary code: SQLITE_BUSY_SNAPSHOT (517),
        // SQLITE_BUSY_TIMEOUT (773), SQLITE_LOCKED_SHAREDCACHE (262), SQLITE_IOERR_READ (266).
        for extended in [5, 517, 773, 6, 262, 10, 266, 14, 15] {
            assert!(is_unavailable_code(extended & 0xff), "{extended}");
        }
        // SQLITE_ERROR, SQLITE_READONLY, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CONSTRAINT_CHECK,
        // SQLITE_NOTADB.
        for extended in [1, 8, 11, 13, 275, 26] {
            assert!(!is_unavailable_code(extended & 0xff), "{extended}");
        }
    }
}
