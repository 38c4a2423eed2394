//! Sorting sqlx failures into [`BackendError`] kinds.

use std::fmt::Display;

use runtime_store_backend::BackendError;
use sqlx::migrate::MigrateError;

/// SQLSTATEs that end the connection they arrive on: every connection exception (class
/// 08), administrator shutdown (57P01), crash shutdown (57P02) and idle-session timeout
/// (57P05).
fn is_connection_ending_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P05")
}

/// SQLSTATEs that mean the server went away, refuses connections for now or gave up on
/// the statement in time: the connection-ending ones, cannot connect now (57P03), too
/// many connections (53300) and a cancelled statement (57014: `statement_timeout` or a
/// cancel request; the statement's transaction rolled back).
fn is_unavailable_sqlstate(code: &str) -> bool {
    is_connection_ending_sqlstate(code) || matches!(code, "57P03" | "53300" | "57014")
}

/// Whether `error` says the connection it came from is dead (I/O or TLS failure, lost
/// connection, the server ending the session): the other connections opened before it
/// are probably dead too (a restart, a crash, an operator ending every session), and a
/// read may be tried again on a fresh one.
pub(crate) fn is_connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| is_connection_ending_sqlstate(&code)),
        _ => false,
    }
}

/// The TLS error inside `io`, when the I/O error is a failed TLS handshake (rustls reports
/// a refused certificate as an I/O error of kind `InvalidData`).
fn tls_failure(io: &std::io::Error) -> Option<&rustls::Error> {
    io.get_ref()?.downcast_ref::<rustls::Error>()
}

/// Whether retrying later may succeed because the database could not be reached.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| is_unavailable_sqlstate(&code)),
        _ => false,
    }
}

/// `error` as a [`BackendError`], its message prefixed with `context` (the primitive and
/// the game id) and, for server errors, suffixed with the SQLSTATE.
pub(crate) fn backend_error(context: impl Display, error: sqlx::Error) -> BackendError {
    let message = match &error {
        sqlx::Error::Database(database) => match database.code() {
            Some(code) => format!("{context}: {database} (SQLSTATE {code})"),
            None => format!("{context}: {database}"),
        },
        sqlx::Error::PoolTimedOut => {
            format!("{context}: no database connection could be had within the acquire timeout")
        }
        sqlx::Error::Io(io) if tls_failure(io).is_some() => {
            let failure = tls_failure(io).map(ToString::to_string).unwrap_or_default();
            format!("{context}: TLS handshake failed: {failure}")
        }
        other => format!("{context}: {other}"),
    };
    if is_unavailable(&error) {
        BackendError::Unavailable(message)
    } else {
        BackendError::Failed(message)
    }
}

/// A failed migration as a [`BackendError`]: unavailable when the server could not be
/// reached, failed otherwise (a broken migration history included).
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
    fn lost_connections_are_unavailable_and_name_the_context() {
        let error = backend_error(
            "fetch of runtime record \"g1\"",
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
        );
        let BackendError::Unavailable(message) = error else {
            panic!("expected unavailable, got {error:?}");
        };
        assert!(
            message.starts_with("fetch of runtime record \"g1\": "),
            "{message}"
        );
        assert!(matches!(
            backend_error("scan", sqlx::Error::PoolTimedOut),
            BackendError::Unavailable(_)
        ));
    }

    #[test]
    fn refused_certificates_name_tls() {
        let refused = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(
            backend_error("connect", sqlx::Error::Io(refused)),
            BackendError::Unavailable(
                "connect: TLS handshake failed: invalid peer certificate: UnknownIssuer".into()
            )
        );
    }

    #[test]
    fn other_failures_are_failed() {
        assert!(matches!(
            backend_error("insert of runtime record \"g\"", sqlx::Error::Protocol("odd".into())),
            BackendError::Failed(message) if message == "insert of runtime record \"g\": encountered unexpected or invalid data: odd"
        ));
    }

    #[test]
    fn connection_sqlstates_are_recognised() {
        for code in [
            "08006", "08001", "57P01", "57P03", "57P05", "53300", "57014",
        ] {
            assert!(is_unavailable_sqlstate(code), "{code}");
        }
        for code in ["08006", "57P01", "57P02", "57P05"] {
            assert!(is_connection_ending_sqlstate(code), "{code}");
        }
        for code in ["57014", "57P03", "53300", "23505"] {
            assert!(!is_connection_ending_sqlstate(code), "{code}");
        }
        for code in ["23505", "22008", "40001", "42P01"] {
            assert!(!is_unavailable_sqlstate(code), "{code}");
        }
    }
}
