//! Passwords never reach a message or a log line: every URL form (userinfo plain and
//! percent-encoded, unencoded with `/`, `@` and `:`, `?password=` plain and encoded)
//! through every error path reachable (unusable URL, unreachable host, authentication
//! failure, TLS failure, migrate, a reconnect refused after the password changed), the
//! shown URL (`redact_url`, what the CLI prints), the backend's `Debug`, and every
//! `tracing` event (sqlx's) emitted meanwhile.

use std::fmt::{self, Write as _};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use runtime_store_backend::{Backend, BackendError};
use runtime_store_postgres::{PostgresBackend, PostgresOptions, migrate, redact_url};
use runtime_store_postgres_tests::server::{PrivateServer, ServerSetup};
use runtime_store_postgres_tests::tls::TestCa;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The role whose password the test plays with; its real password is [`REAL_PASSWORD`].
const USER: &str = "rst_secret_user";
const REAL_PASSWORD: &str = "the-real-one-Vb2";

/// A way to put a password into a URL.
struct Form {
    name: &'static str,
    /// The password as the server would receive it.
    secret: &'static str,
    /// `postgres://...` for `authority` (`host:port`) and extra query `parameters`.
    url: fn(&str, &str) -> String,
}

fn query(parameters: &str) -> String {
    if parameters.is_empty() {
        String::new()
    } else {
        format!("?{parameters}")
    }
}

const FORMS: [Form; 5] = [
    Form {
        name: "userinfo",
        secret: "Plain9Secret",
        url: |authority, parameters| {
            format!(
                "postgres://{USER}:Plain9Secret@{authority}/postgres{}",
                query(parameters)
            )
        },
    },
    Form {
        name: "userinfo, percent-encoded",
        secret: "p@ss/w:rd?Q7#x",
        url: |authority, parameters| {
            format!(
                "postgres://{USER}:p%40ss%2Fw%3Ard%3FQ7%23x@{authority}/postgres{}",
                query(parameters)
            )
        },
    },
    Form {
        name: "userinfo, unencoded / @ :",
        secret: "Kq3y/Wz7h@Lm4n:Tq8r",
        url: |authority, parameters| {
            format!(
                "postgres://{USER}:Kq3y/Wz7h@Lm4n:Tq8r@{authority}/postgres{}",
                query(parameters)
            )
        },
    },
    Form {
        name: "query",
        secret: "Query7Secret",
        url: |authority, parameters| {
            let extra = if parameters.is_empty() {
                String::new()
            } else {
                format!("&{parameters}")
            };
            format!("postgres://{USER}@{authority}/postgres?password=Query7Secret{extra}")
        },
    },
    Form {
        name: "query, percent-encoded",
        secret: "q@Xw9v/7:Zr",
        url: |authority, parameters| {
            let extra = if parameters.is_empty() {
                String::new()
            } else {
                format!("&{parameters}")
            };
            format!("postgres://{USER}@{authority}/postgres?password=q%40Xw9v%2F7%3AZr{extra}")
        },
    },
];

/// Every text that would give the secret away: itself, its percent-encoded form, and its
/// pieces between `/`, `@`, `:`, `?`, `#` (of four characters or more).
fn giveaways(secret: &str) -> Vec<String> {
    let mut giveaways = vec![secret.to_owned()];
    let encoded: String = secret
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    giveaways.push(encoded);
    giveaways.extend(
        secret
            .split(['/', '@', ':', '?', '#'])
            .filter(|piece| piece.len() >= 4)
            .map(str::to_owned),
    );
    giveaways
}

fn assert_hidden(what: &str, text: &str, secret: &str) {
    for giveaway in giveaways(secret) {
        assert!(
            !text.contains(&giveaway),
            "{what} gives away {giveaway:?}: {text}"
        );
    }
}

/// Collects what every `tracing` event and span of the process says while a test
/// watches, and which of those lines hold a watched text.
#[derive(Default)]
struct LogWatch {
    watched: Vec<String>,
    lines: usize,
    leaks: Vec<String>,
}

fn log_watch() -> &'static Mutex<LogWatch> {
    static WATCH: OnceLock<Mutex<LogWatch>> = OnceLock::new();
    WATCH.get_or_init(|| {
        tracing::subscriber::set_global_default(Capture)
            .expect("no other tracing subscriber in this test binary");
        Mutex::new(LogWatch::default())
    })
}

fn check_line(line: String) {
    let mut watch = log_watch()
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    // The test's own `ALTER ROLE ... PASSWORD` statements, logged by sqlx, are not the
    // adapter's.
    if watch.watched.is_empty() || line.contains("ALTER ROLE") {
        return;
    }
    watch.lines += 1;
    if watch.watched.iter().any(|giveaway| line.contains(giveaway)) {
        watch.leaks.push(line);
    }
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

/// A subscriber that formats every event and span and hands it to [`check_line`].
struct Capture;

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = Line(format!("span {}", span.metadata().target()));
        span.record(&mut line);
        check_line(line.0);
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = Line(String::from("record"));
        values.record(&mut line);
        check_line(line.0);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut line = Line(format!("{} {}", metadata.level(), metadata.target()));
        event.record(&mut line);
        check_line(line.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// The error of `outcome`, which must have failed.
fn failure<T>(what: &str, outcome: Result<T, BackendError>) -> BackendError {
    match outcome {
        Ok(_) => panic!("{what} succeeded"),
        Err(error) => error,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_stay_out_of_every_message_and_log_line() {
    let ca = TestCa::generate();
    let server = PrivateServer::start(
        "redact",
        &ServerSetup {
            tls: Some(ca.server_cert_and_key()),
            password_users: vec![(USER.to_owned(), REAL_PASSWORD.to_owned())],
        },
    );
    let admin = PostgresBackend::connect(&server.url(), PostgresOptions::default())
        .await
        .expect("the private server answers");
    let set_password = |password: &str| {
        let statement = format!(
            "ALTER ROLE {USER} PASSWORD '{}'",
            password.replace('\'', "''")
        );
        let pool = admin.pool().clone();
        async move {
            sqlx::query(&statement).execute(&pool).await.unwrap();
        }
    };
    sqlx::query(&format!("CREATE ROLE {USER} LOGIN SUPERUSER"))
        .execute(admin.pool())
        .await
        .unwrap();
    set_password(REAL_PASSWORD).await;

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let live = format!("127.0.0.1:{}", server.port());
    let wrong_ca = format!(
        "sslmode=verify-full&sslrootcert={}",
        ca.wrong_ca_cert().display()
    );
    let quick = PostgresOptions::default().acquire_timeout(Duration::from_millis(300));
    log_watch();

    let mut checked = 0;
    for form in &FORMS {
        log_watch().lock().unwrap().watched = giveaways(form.secret);
        let bad_url = (form.url)("127.0.0.1:notaport", "");
        let unreachable = (form.url)(&format!("127.0.0.1:{closed_port}"), "");
        let wrong_password = (form.url)(&live, "sslmode=disable");
        let tls_failure = (form.url)(&live, &wrong_ca);
        let mut errors = Vec::new();
        for (path, url) in [
            ("bad URL", &bad_url),
            ("unreachable host", &unreachable),
            ("authentication failure", &wrong_password),
            ("TLS failure", &tls_failure),
        ] {
            let shown = redact_url(url);
            assert_hidden(&format!("{}: redact_url", form.name), &shown, form.secret);
            let error = failure(path, PostgresBackend::connect(url, quick.clone()).await);
            errors.push((format!("{}: connect, {path}", form.name), error));
            let error = failure(path, migrate(url, &quick).await);
            errors.push((format!("{}: migrate, {path}", form.name), error));
        }
        // The secret as the real password: connecting works, then the password changes
        // and the connections die; reconnecting fails on authentication.
        let right = (form.url)(&live, "sslmode=require");
        if form.name != "userinfo, unencoded / @ :" {
            set_password(form.secret).await;
            let backend = PostgresBackend::connect(&right, quick.clone().max_connections(1))
                .await
                .unwrap_or_else(|error| {
                    panic!("{}: connecting with the password: {error}", form.name)
                });
            assert_hidden(
                &format!("{}: Debug of the backend", form.name),
                &format!("{backend:?}"),
                form.secret,
            );
            let missing_table = failure("fetch without a table", backend.fetch("g").await);
            errors.push((format!("{}: fetch, no table", form.name), missing_table));
            set_password(REAL_PASSWORD).await;
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
            )
            .bind(USER)
            .execute(admin.pool())
            .await
            .unwrap();
            // The dead connection, then the refused reconnect (a read is tried twice).
            let refused = failure("fetch after the password changed", backend.fetch("g").await);
            errors.push((format!("{}: reconnect refused", form.name), refused));
        }
        for (what, error) in &errors {
            println!("{what}: {error}");
            assert_hidden(what, &error.to_string(), form.secret);
            assert_hidden(what, &format!("{error:?}"), form.secret);
            checked += 1;
        }
        let kinds: Vec<_> = errors
            .iter()
            .map(|(what, error)| format!("{what}: {:?}", error.kind()))
            .collect();
        assert!(
            errors.iter().any(|(what, error)| what.contains("TLS")
                && error.to_string().contains("TLS")
                && matches!(error, BackendError::Unavailable(_)))
                || form.name == "userinfo, unencoded / @ :",
            "{kinds:?}"
        );
    }
    let watch = log_watch().lock().unwrap();
    assert!(
        watch.leaks.is_empty(),
        "log lines with a password: {:?}",
        watch.leaks
    );
    println!(
        "{checked} error messages and {} log lines checked, no password in any",
        watch.lines
    );
    drop(watch);
    log_watch().lock().unwrap().watched.clear();
}
