//! Faults on a PostgreSQL server of the test's own ([`PrivateServer`]): every pooled
//! connection ended at once (`pg_terminate_backend`, `idle_session_timeout`, a restart, a
//! `SIGKILL` of every server process), a statement stuck past `statement_timeout`, a
//! client process killed mid-write. After each: no acknowledged write lost, none half
//! applied, failures are `Unavailable` naming the SQLSTATE where there is one, and a fault
//! that kills every pooled connection at once costs at most one failed call.
//!
//! Prints the fault table of `docs/postgres.md`:
//! `cargo test -p runtime-store-postgres-tests -- server_faults --nocapture`.

use std::fmt::Write as _;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use runtime_store_backend::{Backend, BackendError, PatchOutcome};
use runtime_store_postgres::PostgresBackend;
use runtime_store_postgres_tests::database::TestSchema;
use runtime_store_postgres_tests::server::{PrivateServer, ServerSetup};
use runtime_store_postgres_tests::workload::{initial_record, step_patch, stored_step};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Mutex;

/// Connections in the pool when a fault strikes.
const POOL: u32 = 4;
/// Calls made one at a time after a fault.
const CALLS_AFTER: usize = 8;
/// Concurrent load: workers (one game each), steps per game, and the acknowledged steps
/// after which the fault strikes.
const WORKERS: usize = 4;
const STEPS: u32 = 300;
const FAULT_AFTER: u32 = 100;

/// A fault that ends every connection of the store's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Terminate,
    IdleTimeout,
    Restart,
    Kill,
}

impl Fault {
    fn label(self) -> &'static str {
        match self {
            Fault::Terminate => "terminate",
            Fault::IdleTimeout => "idle",
            Fault::Restart => "restart",
            Fault::Kill => "kill",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Fault::Terminate => "every store connection ended at once (pg_terminate_backend)",
            Fault::IdleTimeout => "idle connections ended by the server (idle_session_timeout)",
            Fault::Restart => "server restarted (pg_ctl restart -m fast)",
            Fault::Kill => "every server process killed (SIGKILL), server started again",
        }
    }

    /// The SQLSTATE a call on a dead connection reports, where the server sent one.
    fn sqlstate(self) -> Option<&'static str> {
        match self {
            Fault::Terminate | Fault::Restart => Some("57P01"),
            Fault::IdleTimeout => Some("57P05"),
            Fault::Kill => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Read,
    Write,
}

/// The server, a schema on it, and a way to make fresh backends.
struct Lab {
    server: PrivateServer,
    schema: TestSchema,
}

impl Lab {
    /// A fresh backend of [`POOL`] connections on the lab's schema.
    async fn backend(&self) -> PostgresBackend {
        self.backend_with_timeout(None).await
    }

    async fn backend_with_timeout(&self, statement_timeout: Option<Duration>) -> PostgresBackend {
        let options = self
            .schema
            .options()
            .max_connections(POOL)
            .acquire_timeout(Duration::from_secs(30));
        let options = match statement_timeout {
            Some(timeout) => options.statement_timeout(timeout),
            None => options,
        };
        self.schema.backend_with(options).await
    }

    /// How many server sessions the store's backends hold.
    async fn store_sessions(&self) -> i64 {
        self.count_sessions(self.schema.name()).await
    }

    async fn count_sessions(&self, application_name: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
            .bind(application_name)
            .fetch_one(self.schema.admin())
            .await
            .expect("counting sessions")
    }

    async fn admin(&self, statement: &str) {
        sqlx::query(statement)
            .execute(self.schema.admin())
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }

    async fn set_idle_session_timeout(&self, timeout: Option<&str>) {
        match timeout {
            Some(timeout) => {
                self.admin(&format!(
                    "ALTER SYSTEM SET idle_session_timeout = '{timeout}'"
                ))
                .await;
            }
            None => self.admin("ALTER SYSTEM RESET idle_session_timeout").await,
        }
        self.admin("SELECT pg_reload_conf()").await;
    }

    /// Strikes `fault`; returns once the server is back.
    async fn strike(&self, fault: Fault) {
        match fault {
            Fault::Terminate => {
                assert!(self.schema.terminate_backend_connections().await > 0);
            }
            Fault::IdleTimeout => {
                // Armed before the pool was warmed (a session reads the setting when it
                // starts): wait for the server to end the idle sessions, then disarm.
                while self.store_sessions().await > 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                self.set_idle_session_timeout(None).await;
            }
            Fault::Restart => self.server.restart(),
            Fault::Kill => {
                self.server.kill();
                self.server.start_again();
            }
        }
    }
}

/// Fills the pool with [`POOL`] open, idle connections.
async fn warm(backend: &PostgresBackend) {
    let mut held = Vec::new();
    for _ in 0..POOL {
        held.push(backend.pool().acquire().await.expect("a connection"));
    }
    drop(held);
    while backend.pool().num_idle() < POOL as usize {
        tokio::task::yield_now().await;
    }
}

/// What one game's writer knows: the last acknowledged step.
struct Ledger {
    game_id: String,
    acknowledged: u32,
    /// Failed writes that turned out to be applied.
    applied_after_failure: usize,
}

impl Ledger {
    async fn create(backend: &PostgresBackend, game_id: String) -> Ledger {
        backend
            .insert(initial_record(&game_id))
            .await
            .expect("inserting the game");
        Ledger {
            game_id,
            acknowledged: 0,
            applied_after_failure: 0,
        }
    }

    /// Writes the next step; `Err` when the call failed (settle it with
    /// [`Ledger::settle`]).
    async fn write(&mut self, backend: &PostgresBackend) -> Result<(), BackendError> {
        let step = self.acknowledged + 1;
        let (expected, patch) = step_patch(step);
        match backend.patch(&self.game_id, Some(expected), patch).await? {
            PatchOutcome::Applied => {
                self.acknowledged = step;
                Ok(())
            }
            other => panic!("{}: step {step}: {other:?}", self.game_id),
        }
    }

    /// After a failed write whose server session has ended (every fault here ends it
    /// before the error arrives): reads the record and learns whether the write
    /// happened. Returns the failed reads on the way.
    async fn settle(&mut self, backend: &PostgresBackend) -> usize {
        let mut failed_reads = 0;
        let stored = loop {
            match backend.fetch(&self.game_id).await {
                Ok(stored) => break stored.expect("the game stays"),
                Err(error) => {
                    assert!(matches!(error, BackendError::Unavailable(_)), "{error}");
                    failed_reads += 1;
                }
            }
        };
        let step = stored_step(&stored).unwrap_or_else(|problem| panic!("{problem}"));
        assert!(
            step == self.acknowledged || step == self.acknowledged + 1,
            "{}: acknowledged {}, stored {step}",
            self.game_id,
            self.acknowledged
        );
        if step > self.acknowledged {
            self.applied_after_failure += 1;
            self.acknowledged = step;
        }
        failed_reads
    }

    /// `(lost, half_applied)` against what is stored now: 1 or 0 each.
    async fn audit(&self, backend: &PostgresBackend) -> (usize, usize) {
        let stored = backend
            .fetch(&self.game_id)
            .await
            .expect("reading for the audit")
            .expect("the game stays");
        match stored_step(&stored) {
            Ok(step) => (usize::from(step < self.acknowledged), 0),
            Err(problem) => {
                println!("{problem}");
                (0, 1)
            }
        }
    }
}

/// Asserts `error` is `Unavailable` and names `sqlstate` when there is one.
fn assert_unavailable(error: &BackendError, sqlstate: Option<&str>) {
    let BackendError::Unavailable(message) = error else {
        panic!("expected unavailable, got {error:?}");
    };
    if let Some(sqlstate) = sqlstate {
        assert!(
            message.contains(sqlstate),
            "{message} (expected {sqlstate})"
        );
    }
}

/// One row of the fault table.
struct Row {
    fault: String,
    failed: String,
    lost: usize,
    half_applied: usize,
    note: String,
}

/// `fault` with calls made one at a time, the first after it a `first`: returns the
/// failed calls, and adds the losses to `lost`/`half`.
async fn one_at_a_time(lab: &Lab, fault: Fault, first: Call) -> (usize, usize, usize) {
    if fault == Fault::IdleTimeout {
        lab.set_idle_session_timeout(Some("300ms")).await;
    }
    let backend = lab.backend().await;
    let label = match first {
        Call::Read => "read",
        Call::Write => "write",
    };
    let mut ledger = Ledger::create(&backend, format!("{}-{label}-first", fault.label())).await;
    for _ in 0..3 {
        ledger
            .write(&backend)
            .await
            .expect("a write before the fault");
    }
    warm(&backend).await;
    assert_eq!(lab.store_sessions().await, i64::from(POOL));
    lab.strike(fault).await;
    // Every pooled connection is dead now: no call was made since the pool was warmed.
    while lab.store_sessions().await > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut failed = 0;
    for call in 0..CALLS_AFTER {
        let write = (call % 2 == 0) == (first == Call::Write);
        let outcome = if write {
            ledger.write(&backend).await
        } else {
            backend.fetch(&ledger.game_id).await.map(drop)
        };
        if let Err(error) = outcome {
            println!(
                "{}, {label} first: call {call} failed: {error}",
                fault.label()
            );
            assert_unavailable(&error, fault.sqlstate());
            failed += 1;
            if write {
                failed += ledger.settle(&backend).await;
            }
        }
    }
    let (lost, half) = ledger.audit(&backend).await;
    assert!(
        failed <= 1,
        "{}: {failed} calls failed after the fault ({label} first)",
        fault.describe()
    );
    backend.close().await;
    (failed, lost, half)
}

/// `fault` striking while [`WORKERS`] tasks write and read concurrently: returns the
/// failed calls, lost and half-applied writes.
async fn under_load(lab: &Lab, fault: Fault) -> (usize, usize, usize) {
    let backend = lab.backend().await;
    let acknowledged = Arc::new(AtomicU32::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let ledgers = Arc::new(Mutex::new(Vec::new()));
    let mut games = Vec::new();
    for worker in 0..WORKERS {
        games.push(Ledger::create(&backend, format!("{}-load-{worker}", fault.label())).await);
    }
    let workers: Vec<_> = games
        .into_iter()
        .map(|mut ledger| {
            let backend = backend.clone();
            let acknowledged = Arc::clone(&acknowledged);
            let failed = Arc::clone(&failed);
            let ledgers = Arc::clone(&ledgers);
            tokio::spawn(async move {
                while ledger.acknowledged < STEPS {
                    match ledger.write(&backend).await {
                        Ok(()) => {
                            acknowledged.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => {
                            assert_unavailable(&error, None);
                            failed.fetch_add(1, Ordering::Relaxed);
                            let failed_reads = ledger.settle(&backend).await;
                            failed.fetch_add(failed_reads, Ordering::Relaxed);
                        }
                    }
                    if let Err(error) = backend.fetch(&ledger.game_id).await {
                        assert_unavailable(&error, None);
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                ledgers.lock().await.push(ledger);
            })
        })
        .collect();
    while acknowledged.load(Ordering::Relaxed) < FAULT_AFTER {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    lab.strike(fault).await;
    let after_strike = acknowledged.load(Ordering::Relaxed);
    assert!(
        after_strike < WORKERS as u32 * STEPS,
        "the load ended before the fault was over: make it longer"
    );
    for worker in workers {
        worker.await.expect("a worker failed");
    }
    let (mut lost, mut half) = (0, 0);
    for ledger in ledgers.lock().await.iter() {
        assert_eq!(ledger.acknowledged, STEPS);
        let (ledger_lost, ledger_half) = ledger.audit(&backend).await;
        lost += ledger_lost;
        half += ledger_half;
    }
    backend.close().await;
    (failed.load(Ordering::Relaxed), lost, half)
}

/// A write stuck behind a row lock past the statement timeout: `Unavailable` naming
/// 57014, rolled back, and the connection stays usable.
async fn statement_timeout(lab: &Lab) -> Row {
    let backend = lab
        .backend_with_timeout(Some(Duration::from_millis(300)))
        .await;
    let mut ledger = Ledger::create(&backend, "stuck".to_owned()).await;
    let mut lock = lab.schema.admin().begin().await.unwrap();
    sqlx::query("SELECT 1 FROM runtime_records WHERE game_id = 'stuck' FOR UPDATE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let error = ledger
        .write(&backend)
        .await
        .expect_err("a statement waiting on a lock past the timeout fails");
    println!("statement timeout: {error}");
    assert_unavailable(&error, Some("57014"));
    assert!(error.reason().contains("statement timeout"), "{error}");
    // The error came after the server rolled the statement back: a read tells at once.
    let stored = backend.fetch("stuck").await.unwrap().unwrap();
    assert_eq!(
        stored_step(&stored),
        Ok(0),
        "the cancelled write was applied"
    );
    lock.rollback().await.unwrap();
    ledger
        .write(&backend)
        .await
        .expect("the connection is usable");
    let (lost, half_applied) = ledger.audit(&backend).await;
    backend.close().await;
    Row {
        fault: "statement stuck behind a row lock past statement_timeout (300 ms)".into(),
        failed: "1 (that statement: 57014, rolled back)".into(),
        lost,
        half_applied,
        note: "the connection stays in use; the outcome is definite".into(),
    }
}

/// A client process killed (`SIGKILL`) while its write waits inside the server.
async fn client_killed(lab: &Lab) -> Row {
    let backend = lab.backend().await;
    let game_id = "orphan";
    let mut ledger = Ledger::create(&backend, game_id.to_owned()).await;
    let writer_name = format!("{}_writer", lab.schema.name());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_step_writer"))
        .args([&lab.server.url(), lab.schema.name(), game_id, "100000"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting step_writer");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut acked = 0;
    while acked < 20 {
        let line = lines
            .next_line()
            .await
            .expect("reading step_writer")
            .expect("step_writer ended early");
        if let Some(step) = line.strip_prefix("acked ") {
            acked = step.parse().expect("a step");
        }
    }
    // Hold the row: the writer's next write waits inside the server; kill it there.
    let mut lock = lab.schema.admin().begin().await.unwrap();
    sqlx::query("SELECT 1 FROM runtime_records WHERE game_id = $1 FOR UPDATE")
        .bind(game_id)
        .execute(&mut *lock)
        .await
        .unwrap();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        )
        .bind(&writer_name)
        .fetch_one(lab.schema.admin())
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().await.expect("killing step_writer");
    while let Some(line) = lines.next_line().await.expect("reading step_writer") {
        if let Some(step) = line.strip_prefix("acked ") {
            acked = step.parse().expect("a step");
        }
    }
    ledger.acknowledged = acked;
    lock.rollback().await.unwrap();
    // The write is settled once its server session is gone.
    while lab.count_sessions(&writer_name).await > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stored = backend.fetch(game_id).await.unwrap().unwrap();
    let step = stored_step(&stored).unwrap_or_else(|problem| panic!("{problem}"));
    assert!(
        step == acked || step == acked + 1,
        "acknowledged {acked}, stored {step}"
    );
    let note = if step == acked + 1 {
        format!(
            "the killed client's in-flight write (step {step}) committed without it: the server had the whole statement"
        )
    } else {
        format!(
            "the killed client's in-flight write (step {}) did not commit",
            acked + 1
        )
    };
    ledger.acknowledged = step;
    ledger
        .write(&backend)
        .await
        .expect("no lock is left behind");
    let (lost, half_applied) = ledger.audit(&backend).await;
    backend.close().await;
    Row {
        fault: "client process killed (SIGKILL) mid-write".into(),
        failed: "0 (the killed call never answered)".into(),
        lost,
        half_applied,
        note,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_faults_lose_nothing_and_cost_at_most_one_call() {
    let server = PrivateServer::start("faults", &ServerSetup::default());
    let schema = TestSchema::create_at(&server.url(), "faults").await;
    let lab = Lab { server, schema };
    let mut rows = Vec::new();
    for fault in [
        Fault::Terminate,
        Fault::IdleTimeout,
        Fault::Restart,
        Fault::Kill,
    ] {
        let (read_first, lost_r, half_r) = one_at_a_time(&lab, fault, Call::Read).await;
        let (write_first, lost_w, half_w) = one_at_a_time(&lab, fault, Call::Write).await;
        rows.push(Row {
            fault: format!(
                "{} ({POOL} pooled connections, calls one at a time)",
                fault.describe()
            ),
            failed: format!("{read_first} (read first), {write_first} (write first)"),
            lost: lost_r + lost_w,
            half_applied: half_r + half_w,
            note: match fault.sqlstate() {
                Some(sqlstate) => {
                    format!("the failed write reports {sqlstate}; a read is retried once")
                }
                None => "the failed write reports an I/O error (or 57P01: postmaster exit); a read is retried once".into(),
            },
        });
    }
    for fault in [Fault::Terminate, Fault::Restart, Fault::Kill] {
        let (failed, lost, half_applied) = under_load(&lab, fault).await;
        rows.push(Row {
            fault: format!(
                "{} under load ({WORKERS} tasks, {POOL} connections)",
                fault.describe()
            ),
            failed: failed.to_string(),
            lost,
            half_applied,
            note: "failures are the writes in flight when it struck".into(),
        });
        assert!(
            failed <= WORKERS,
            "{}: {failed} calls failed, more than the {WORKERS} that can be in flight",
            fault.describe()
        );
    }
    rows.push(statement_timeout(&lab).await);
    rows.push(client_killed(&lab).await);

    let mut table = String::from(
        "| fault | calls failed | writes lost | writes half-applied | note |\n|---|---|---|---|---|\n",
    );
    for row in &rows {
        writeln!(
            table,
            "| {} | {} | {} | {} | {} |",
            row.fault, row.failed, row.lost, row.half_applied, row.note
        )
        .unwrap();
    }
    println!("{table}");
    for row in &rows {
        assert_eq!((row.lost, row.half_applied), (0, 0), "{}", row.fault);
    }
    lab.schema.drop_schema().await;
}
