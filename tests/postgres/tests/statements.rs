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
use std::future::Future;
use std::sync::Arc;

use runtime_store_backend::{Backend, RecordPatch, ScanFilter, Scheduling, Status, StatusChange};
use runtime_store_host::{
    RuntimeStore, UpdateEngineHealthInput, UpdateImageInput, UpdateSchedulingInput,
    UpdateStatusInput,
};
use runtime_store_postgres::PostgresBackend;
use runtime_store_postgres_tests::database::isolated;
use runtime_store_postgres_tests::proxy::WireProxy;
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

/// Runs `operation` and returns the frontend messages it caused. With one pooled
/// connection, acquiring it afterwards waits until the operation's connection is back in
/// the pool, so everything the operation sent has been logged.
async fn messages_of<F, Fut>(proxy: &WireProxy, backend: &PostgresBackend, operation: F) -> String
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let start = proxy.log().len();
    operation().await;
    drop(
        backend
            .pool()
            .acquire()
            .await
            .expect("the connection comes back"),
    );
    proxy.log().since(start)
}

#[tokio::test]
async fn every_primitive_is_one_statement_in_one_round_trip() {
    isolated("statements", |schema| async move {
        let proxy = WireProxy::start(schema.url()).await;
        let backend = PostgresBackend::connect(
            &proxy.url_for(schema.url()),
            schema.options().max_connections(1),
        )
        .await
        .unwrap();

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
            let operations: Vec<(&str, &str, String)> = vec![
                (
                    "insert (inserted)",
                    "insert",
                    messages_of(&proxy, &backend, || async {
                        backend
                            .insert(record(&game_id, Status::Starting))
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "insert (already exists)",
                    "insert",
                    messages_of(&proxy, &backend, || async {
                        backend
                            .insert(record(&game_id, Status::Starting))
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "fetch",
                    "fetch",
                    messages_of(&proxy, &backend, || async {
                        backend.fetch(&game_id).await.unwrap().unwrap();
                    })
                    .await,
                ),
                (
                    "patch (applied, every column)",
                    "patch",
                    messages_of(&proxy, &backend, || async {
                        backend
                            .patch(&game_id, Some(Status::Starting), full_patch.clone())
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "patch (status mismatch)",
                    "patch",
                    messages_of(&proxy, &backend, || async {
                        backend
                            .patch(
                                &game_id,
                                Some(Status::Starting),
                                move_to(Status::Stopped, at(1_700_000_001, 0)),
                            )
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "patch (not found)",
                    "patch",
                    messages_of(&proxy, &backend, || async {
                        backend
                            .patch(
                                "absent",
                                None,
                                move_to(Status::Stopped, at(1_700_000_001, 0)),
                            )
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "scan all",
                    "scan all",
                    messages_of(&proxy, &backend, || async {
                        backend.scan(ScanFilter::All).await.unwrap();
                    })
                    .await,
                ),
                (
                    "scan by status",
                    "scan by status",
                    messages_of(&proxy, &backend, || async {
                        backend
                            .scan(ScanFilter::ByStatus(Status::Running))
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "scan due running",
                    "scan due running",
                    messages_of(&proxy, &backend, || async {
                        backend
                            .scan(ScanFilter::DueRunning(at(1_800_000_000, 0)))
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "remove",
                    "remove",
                    messages_of(&proxy, &backend, || async {
                        backend.remove(&game_id).await.unwrap();
                    })
                    .await,
                ),
            ];
            for (operation, statement, messages) in operations {
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
        let proxy = WireProxy::start(schema.url()).await;
        let backend = Arc::new(
            PostgresBackend::connect(
                &proxy.url_for(schema.url()),
                schema.options().max_connections(1),
            )
            .await
            .unwrap(),
        );
        let store = RuntimeStore::builder()
            .backend(Arc::clone(&backend) as Arc<dyn Backend>)
            .build()
            .await
            .expect("a store on PostgreSQL");
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
            let operations: Vec<(&str, String)> = vec![
                (
                    "insert",
                    messages_of(&proxy, &backend, || async {
                        store
                            .insert(&record(&game_id, Status::Starting))
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "get",
                    messages_of(&proxy, &backend, || async {
                        store.get(&game_id).await.unwrap();
                    })
                    .await,
                ),
                (
                    "update-status",
                    messages_of(&proxy, &backend, || async {
                        store.update_status(&status_input).await.unwrap();
                    })
                    .await,
                ),
                (
                    "update-status (conflict)",
                    messages_of(&proxy, &backend, || async {
                        store.update_status(&status_input).await.unwrap_err();
                    })
                    .await,
                ),
                (
                    "update-scheduling",
                    messages_of(&proxy, &backend, || async {
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
                    })
                    .await,
                ),
                (
                    "update-image",
                    messages_of(&proxy, &backend, || async {
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
                    })
                    .await,
                ),
                (
                    "update-engine-health",
                    messages_of(&proxy, &backend, || async {
                        store
                            .update_engine_health(&UpdateEngineHealthInput {
                                game_id: game_id.clone(),
                                engine_health_summary: "degraded".to_owned(),
                                now: at(1_700_000_003, 0),
                            })
                            .await
                            .unwrap();
                    })
                    .await,
                ),
                (
                    "list-due-running",
                    messages_of(&proxy, &backend, || async {
                        store.list_due_running(at(1_800_000_000, 0)).await.unwrap();
                    })
                    .await,
                ),
                (
                    "list-by-status",
                    messages_of(&proxy, &backend, || async {
                        store.list_by_status(Status::Running).await.unwrap();
                    })
                    .await,
                ),
                (
                    "list",
                    messages_of(&proxy, &backend, || async {
                        store.list().await.unwrap();
                    })
                    .await,
                ),
                (
                    "delete",
                    messages_of(&proxy, &backend, || async {
                        store.delete(&game_id).await.unwrap();
                    })
                    .await,
                ),
            ];
            for (operation, messages) in operations {
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
