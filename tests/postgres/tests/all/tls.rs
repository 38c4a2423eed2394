//! TLS through rustls: `sslmode=require` against the shared server (its self-signed
//! certificate), `verify-full` and `verify-ca` against a server of the test's own whose
//! certificate a test CA signed; a wrong CA fails as `Unavailable` naming TLS.

use runtime_store_backend::{Backend, BackendError, Status};
use runtime_store_postgres::{PostgresBackend, PostgresOptions, migrate};
use runtime_store_postgres_tests::database::isolated;
use runtime_store_postgres_tests::records::record;
use runtime_store_postgres_tests::server::{PrivateServer, ServerSetup};
use runtime_store_postgres_tests::tls::TestCa;

/// `url` with `parameters` added to its query.
pub(crate) fn with_parameters(url: &str, parameters: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{parameters}")
}

/// Whether the backend's connection is encrypted, as the server sees it.
async fn encrypted(backend: &PostgresBackend) -> bool {
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(backend.pool())
        .await
        .expect("reading pg_stat_ssl")
}

/// Asserts `outcome` failed as unavailable, naming TLS.
fn assert_tls_unavailable<T: std::fmt::Debug>(outcome: Result<T, BackendError>) -> String {
    match outcome {
        Err(BackendError::Unavailable(message)) if message.contains("TLS") => message,
        other => panic!("expected unavailable naming TLS, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_encrypts_the_connection_to_the_shared_server() {
    isolated("tlsrequire", |schema| async move {
        let url = with_parameters(schema.url(), "sslmode=require");
        let backend = PostgresBackend::connect(&url, schema.options())
            .await
            .expect("sslmode=require connects to a server with ssl = on");
        assert!(encrypted(&backend).await, "sslmode=require must encrypt");
        backend
            .insert(record("tls", Status::Starting))
            .await
            .unwrap();
        assert_eq!(
            backend.fetch("tls").await,
            Ok(Some(record("tls", Status::Starting)))
        );
        // The shared server's certificate is self-signed: nothing vouches for it.
        let message = assert_tls_unavailable(
            PostgresBackend::connect(
                &with_parameters(schema.url(), "sslmode=verify-full"),
                schema.options(),
            )
            .await,
        );
        println!("verify-full against a self-signed certificate: {message}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_trusts_the_test_ca_and_refuses_another() {
    let ca = TestCa::generate();
    let server = PrivateServer::start(
        "tls",
        &ServerSetup {
            tls: Some(ca.server_cert_and_key()),
            ..ServerSetup::default()
        },
    );
    let options = PostgresOptions::default()
        .schema("tls")
        .migrate_on_open(true);
    let trusted = |host: &str, mode: &str| {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode={mode}&sslrootcert={}",
            server.port(),
            ca.ca_cert().display()
        )
    };
    migrate(&trusted("127.0.0.1", "verify-full"), &options)
        .await
        .expect("migrate over verify-full");
    for (host, mode) in [
        ("127.0.0.1", "verify-full"),
        ("localhost", "verify-full"),
        ("127.0.0.1", "verify-ca"),
    ] {
        let backend = PostgresBackend::connect(&trusted(host, mode), options.clone())
            .await
            .unwrap_or_else(|error| panic!("{mode} to {host}: {error}"));
        assert!(encrypted(&backend).await, "{mode} to {host}");
        let game_id = format!("{host}-{mode}");
        backend
            .insert(record(&game_id, Status::Running))
            .await
            .unwrap();
        assert_eq!(
            backend.fetch(&game_id).await,
            Ok(Some(record(&game_id, Status::Running)))
        );
        backend.close().await;
    }

    let wrong = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}",
        server.port(),
        ca.wrong_ca_cert().display()
    );
    let message = assert_tls_unavailable(PostgresBackend::connect(&wrong, options.clone()).await);
    println!("verify-full with the wrong CA: {message}");
    assert!(message.starts_with("connect: "), "{message}");
    assert_tls_unavailable(migrate(&wrong, &options).await);
    // Without the CA the built-in roots do not know the test CA either.
    let unknown = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full",
        server.port()
    );
    assert_tls_unavailable(PostgresBackend::connect(&unknown, options.clone()).await);
    // sslmode=disable talks in the clear to the same server.
    let clear = PostgresBackend::connect(
        &format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            server.port()
        ),
        options.clone(),
    )
    .await
    .unwrap();
    assert!(!encrypted(&clear).await);
}
