//! Each backend primitive costs exactly one statement and one round trip on the server,
//! measured on the wire: a proxy between the adapter and the server logs the type of
//! every frontend message. (`pg_stat_statements` is not in `shared_preload_libraries` on
//! the shared server, and restarting that server is not an option.)
//!
//! sqlx runs each statement with the extended protocol: `Bind`, `Execute`, `Close`
//! (portal), `Sync`, answered in one flight. The first use of a statement on a connection
//! adds `Parse`, `Describe`, `Sync` (preparing it; cached per connection afterwards). When
//! a connection goes back to the pool sqlx sends a lone `Sync` to check it is still usable;
//! that happens after the caller has its answer and executes nothing, so it is filtered
//! out here (and shown in the printout).

use std::collections::HashSet;

use runtime_store_backend::{
    Backend, RecordPatch, ScanFilter, ScanKey, Scheduling, Status, StatusChange,
};
use runtime_store_host::{
    UpdateEngineHealthInput, UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
use runtime_store_postgres::PostgresBackend;
use runtime_store_postgres_tests::bulk::copy_records;
use runtime_store_postgres_tests::database::{TestSchema, isolated, store_on};
use runtime_store_postgres_tests::proxy::WireProxy;

use crate::tls::with_parameters;
use runtime_store_postgres_tests::records::{at, move_to, record};

/// The messages of one operation, with the pool's lone liveness `Sync`s removed.
fn without_pool_checks(messages: &str) -> String {
    let mut kept = String::new();
    let mut previous = None;
    for message in messages.chars() {
        let lone_sync = message == 'S' && matches!(previous, None | Some('S'));
        if !lone_sync {
            kept.push(message);
        }
        previous = Some(message);
    }
    kept
}

/// The frontend messages the adapter sends, taken operation by operation.
struct Wire<'a> {
    proxy: &'a WireProxy,
    backend: &'a PostgresBackend,
    /// How much of the proxy's log earlier operations took.
    taken: usize,
    /// Each operation's name and messages, in order.
    operations: Vec<(&'static str, String)>,
}

impl<'a> Wire<'a> {
    fn new(proxy: &'a WireProxy, backend: &'a PostgresBackend) -> Self {
        Wire {
            proxy,
            backend,
            taken: proxy.log().len(),
            operations: Vec::new(),
        }
    }

    /// Files everything sent since the previous operation under `operation` (the lone
    /// `Sync` of this check's own connection return lands in the next operation's share,
    /// where [`without_pool_checks`] drops it). With one pooled connection, acquiring it
    /// waits until the operation's connection is back in the pool, so everything the
    /// operation sent has been logged.
    async fn took(&mut self, operation: &'static str) {
        drop(
            self.backend
                .pool()
                .acquire()
                .await
                .expect("the connection comes back"),
        );
        let messages = self.proxy.log().since(self.taken);
        self.taken += messages.chars().count();
        self.operations.push((operation, messages));
    }
}

/// A backend on `schema` with a single pooled connection, through a proxy that logs what
/// it sends.
async fn one_connection_through_a_proxy(schema: &TestSchema) -> (WireProxy, PostgresBackend) {
    let proxy = WireProxy::start(schema.url()).await;
    let backend = PostgresBackend::connect(
        // In the clear: the proxy reads the messages (sqlx's default `prefer` would
        // encrypt them, the shared server offering TLS).
        &with_parameters(&proxy.url_for(schema.url()), "sslmode=disable"),
        schema.options().max_connections(1),
    )
    .await
    .unwrap();
    (proxy, backend)
}

#[tokio::test]
async fn every_primitive_is_one_statement_in_one_round_trip() {
    isolated("statements", |schema| async move {
        let (proxy, backend) = one_connection_through_a_proxy(&schema).await;

        let full_patch = RecordPatch {
            status: Some(StatusChange {
                to: Status::Running,
                started_at: Some(at(1_700_000_000, 0)),
                stopped_at: None,
                finished_at: None,
            }),
            scheduling: Some(Scheduling {
                next_generation_at: Some(at(1_700_000_100, 0)),
                skip_next_tick: false,
                current_turn: 1,
            }),
            current_image_ref: Some("img:2".to_owned()),
            current_engine_version: Some("2".to_owned()),
            engine_health: Some("healthy".to_owned()),
            updated_at: at(1_700_000_000, 0),
        };
        let mut report = Vec::new();
        let mut prepared = HashSet::new();
        for round in ["cold", "warm"] {
            let game_id = format!("g-{round}");
            let mut wire = Wire::new(&proxy, &backend);
            backend
                .insert(record(&game_id, Status::Starting))
                .await
                .unwrap();
            wire.took("insert (inserted)").await;
            backend
                .insert(record(&game_id, Status::Starting))
                .await
                .unwrap();
            wire.took("insert (already exists)").await;
            backend.fetch(&game_id).await.unwrap().unwrap();
            wire.took("fetch").await;
            backend
                .patch(&game_id, Some(Status::Starting), full_patch.clone())
                .await
                .unwrap();
            wire.took("patch (applied, every column)").await;
            backend
                .patch(
                    &game_id,
                    Some(Status::Starting),
                    move_to(Status::Stopped, at(1_700_000_001, 0)),
                )
                .await
                .unwrap();
            wire.took("patch (status mismatch)").await;
            backend
                .patch(
                    "absent",
                    None,
                    move_to(Status::Stopped, at(1_700_000_001, 0)),
                )
                .await
                .unwrap();
            wire.took("patch (not found)").await;
            let key = ScanKey {
                at: at(1_000_000_000, 0),
                game_id: "a".to_owned(),
            };
            let due = ScanFilter::DueRunning(at(1_800_000_000, 0));
            backend.scan(ScanFilter::All, None, 500).await.unwrap();
            wire.took("scan all").await;
            backend
                .scan(ScanFilter::All, Some(&key), 500)
                .await
                .unwrap();
            wire.took("scan all after").await;
            let running = ScanFilter::ByStatus(Status::Running);
            backend.scan(running, None, 500).await.unwrap();
            wire.took("scan by status").await;
            backend.scan(running, Some(&key), 500).await.unwrap();
            wire.took("scan by status after").await;
            backend.scan(due, None, 500).await.unwrap();
            wire.took("scan due running").await;
            backend.scan(due, Some(&key), 500).await.unwrap();
            wire.took("scan due running after").await;
            backend.remove(&game_id).await.unwrap();
            wire.took("remove").await;
            for (operation, messages) in wire.operations {
                // The statement an operation uses is its name without the outcome.
                let statement = operation
                    .split_once(" (")
                    .map_or(operation, |(statement, _)| statement);
                let statement_messages = without_pool_checks(&messages);
                report.push(format!(
                    "{round:4} {operation:32} wire {messages:12} statements {} round trips {}",
                    statement_messages.matches('E').count(),
                    statement_messages.matches('S').count()
                ));
                assert_eq!(
                    messages.matches('Q').count(),
                    0,
                    "{round} {operation}: simple query sent: {messages}"
                );
                // Only the first use of a statement on the connection prepares it.
                let expected = if prepared.insert(statement) {
                    "PDSBECS"
                } else {
                    "BECS"
                };
                assert_eq!(
                    statement_messages, expected,
                    "{round} {operation}: {messages}"
                );
            }
        }
        println!("{}", report.join("\n"));
    })
    .await;
}

/// Through the wasm host every store operation is one backend primitive, hence one
/// statement: the rules never read before they write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_store_operation_through_the_host_is_one_statement() {
    isolated("hoststatements", |schema| async move {
        let (proxy, backend) = one_connection_through_a_proxy(&schema).await;
        let store = store_on(backend.clone()).await;
        // Two more records each list holds, so that every first page of one record has a
        // cursor and the page after it uses the statement after a key.
        for game_id in ["other-1", "other-2"] {
            let mut other = record(game_id, Status::Running);
            other.next_generation_at = Some(at(1_700_000_000, 0));
            backend.insert(other).await.unwrap();
        }
        let mut report = Vec::new();
        for round in ["cold", "warm"] {
            let game_id = format!("g-{round}");
            let status_input = UpdateStatusInput {
                game_id: game_id.clone(),
                expected_from: Status::Starting,
                to: Status::Running,
                now: at(1_700_000_000, 0),
                engine_health_summary: Some("healthy".to_owned()),
                current_image_ref: None,
                current_engine_version: None,
            };
            let mut wire = Wire::new(&proxy, &backend);
            store
                .insert(&record(&game_id, Status::Starting))
                .await
                .unwrap();
            wire.took("insert").await;
            store.get(&game_id).await.unwrap();
            wire.took("get").await;
            store.update_status(&status_input).await.unwrap();
            wire.took("update-status").await;
            store.update_status(&status_input).await.unwrap_err();
            wire.took("update-status (conflict)").await;
            store
                .update_scheduling(&UpdateSchedulingInput {
                    game_id: game_id.clone(),
                    next_generation_at: Some(at(1_700_000_060, 0)),
                    skip_next_tick: false,
                    current_turn: 1,
                    now: at(1_700_000_001, 0),
                })
                .await
                .unwrap();
            wire.took("update-scheduling").await;
            store
                .update_image(&UpdateImageInput {
                    game_id: game_id.clone(),
                    expected_status: Status::Running,
                    current_image_ref: "img:2".to_owned(),
                    current_engine_version: "2".to_owned(),
                    now: at(1_700_000_002, 0),
                })
                .await
                .unwrap();
            wire.took("update-image").await;
            store
                .update_engine_health(&UpdateEngineHealthInput {
                    game_id: game_id.clone(),
                    engine_health_summary: "degraded".to_owned(),
                    now: at(1_700_000_003, 0),
                })
                .await
                .unwrap();
            wire.took("update-engine-health").await;
            store.list_due_running(at(1_800_000_000, 0)).await.unwrap();
            wire.took("list-due-running").await;
            store.list_by_status(Status::Running).await.unwrap();
            wire.took("list-by-status").await;
            store.list().await.unwrap();
            wire.took("list").await;
            let first = store.list_page(None, 1).await.unwrap();
            wire.took("list-page").await;
            store
                .list_page(first.next_cursor.as_deref(), 1)
                .await
                .unwrap();
            wire.took("list-page (after a cursor)").await;
            let first = store
                .list_by_status_page(Status::Running, None, 1)
                .await
                .unwrap();
            wire.took("list-by-status-page").await;
            store
                .list_by_status_page(Status::Running, first.next_cursor.as_deref(), 1)
                .await
                .unwrap();
            wire.took("list-by-status-page (after)").await;
            let first = store
                .list_due_running_page(at(1_800_000_000, 0), None, 1)
                .await
                .unwrap();
            wire.took("list-due-running-page").await;
            store
                .list_due_running_page(at(1_800_000_000, 0), first.next_cursor.as_deref(), 1)
                .await
                .unwrap();
            wire.took("list-due-running-page (after)").await;
            store.delete(&game_id).await.unwrap();
            wire.took("delete").await;
            for (operation, messages) in wire.operations {
                let statement_messages = without_pool_checks(&messages);
                let statements = statement_messages.matches('E').count();
                report.push(format!("{round:4} {operation:26} statements {statements}"));
                assert_eq!(
                    messages.matches('Q').count(),
                    0,
                    "{round} {operation}: {messages}"
                );
                assert_eq!(statements, 1, "{round} {operation}: {messages}");
                if round == "warm" {
                    assert_eq!(
                        statement_messages, "BECS",
                        "{round} {operation}: {messages}"
                    );
                }
            }
        }
        println!("{}", report.join("\n"));
    })
    .await;
}

/// A whole list through the host is one statement per page of
/// [`LARGEST_PAGE_LIMIT`](runtime_store_host::LARGEST_PAGE_LIMIT) records: 1,100 records
/// are three pages (the rules ask for one record more than a page holds, to know whether
/// another page follows), and one page asked alone is one statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_list_is_one_statement_per_page() {
    isolated("pagestatements", |schema| async move {
        const RECORDS: usize = 1_100;
        let records = (0..RECORDS).map(|index| {
            let mut due = record(&format!("game-{index:05}"), Status::Running);
            due.created_at = at(1_000_000_000 + i64::try_from(index % 300).unwrap(), 0);
            due.updated_at = due.created_at;
            due.next_generation_at = Some(at(1_600_000_000 + i64::try_from(index % 7).unwrap(), 0));
            due
        });
        let copied = copy_records(schema.admin(), records).await.unwrap();
        assert_eq!(copied, 1_100);
        let (proxy, backend) = one_connection_through_a_proxy(&schema).await;
        let store = store_on(backend.clone()).await;
        let now = at(1_700_000_000, 0);
        let mut wire = Wire::new(&proxy, &backend);
        assert_eq!(store.list().await.unwrap().len(), RECORDS);
        wire.took("list").await;
        assert_eq!(
            store.list_by_status(Status::Running).await.unwrap().len(),
            RECORDS
        );
        wire.took("list-by-status").await;
        assert_eq!(store.list_due_running(now).await.unwrap().len(), RECORDS);
        wire.took("list-due-running").await;
        let page = store.list_page(None, 500).await.unwrap();
        assert_eq!(page.records.len(), 500);
        wire.took("list-page").await;
        let mut report = Vec::new();
        for (operation, messages) in wire.operations {
            let statements = without_pool_checks(&messages).matches('E').count();
            report.push(format!(
                "{operation:18} {RECORDS} records: statements {statements}"
            ));
            let expected = if operation == "list-page" { 1 } else { 3 };
            assert_eq!(statements, expected, "{operation}: {messages}");
        }
        println!("{}", report.join("\n"));
    })
    .await;
}
