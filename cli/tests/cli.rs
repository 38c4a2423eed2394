//! The `runtime-store` binary, run as a user would.

use std::path::PathBuf;
use std::process::{Command, Output};

use runtime_store_backend::sample;

/// A PostgreSQL URL nothing answers on: a command that used it would fail.
const UNREACHABLE_DATABASE: &str = "postgres://nobody@127.0.0.1:1/none";

fn runtime_store(args: &[&str]) -> Output {
    runtime_store_with_env(args, &[])
}

/// Runs the binary with `env` as the only backend variables it sees.
fn runtime_store_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runtime-store"))
        .args(args)
        .env_remove("RUNTIME_STORE_BACKEND")
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Asserts a failure reported as exactly one line on stderr, and returns it.
fn one_error_line(output: &Output) -> String {
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr.trim_end().to_owned()
}

fn inspect_json(args: &[&str]) -> serde_json::Value {
    let text = stdout(&runtime_store(args));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
}

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn demo_drives_the_games_and_prints_the_table() {
    let text = stdout(&runtime_store(&["demo"]));
    assert!(text.contains("Race: two schedulers move demo:betelgeuse running -> generation_in_progress at once; 1 won, the other got: update runtime status \"demo:betelgeuse\": the stored status differs from the expected one"), "{text}");
    assert!(text.contains("Rejected demo:cygnus stopped -> running: update runtime status: runtime status transition from \"stopped\" to \"running\" is not allowed"), "{text}");
    assert!(text.contains("Due at "), "{text}");
    let table: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|line| !line.starts_with("GAME"))
        .take_while(|line| !line.is_empty())
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(table.len(), 4, "{text}");
    assert_eq!(table[0][..3], ["GAME", "STATUS", "TURN"]);
    assert_eq!(table[1][..3], ["demo:andromeda", "finished", "2"]);
    assert_eq!(table[2][..3], ["demo:betelgeuse", "running", "1"]);
    assert_eq!(table[3][..3], ["demo:cygnus", "stopped", "0"]);
    assert!(table[2].contains(&"registry.local/galaxy/engine:1.5.0"));
    assert!(table[2].contains(&"degraded"));
}

#[test]
fn inspect_json_shows_only_the_backend_import() {
    let summary = inspect_json(&["inspect", "--json"]);
    let imports: Vec<&str> = summary["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .filter(|name| *name != "galaxy:gamemaster/types@0.2.0")
        .collect();
    assert_eq!(imports, ["galaxy:gamemaster/backend@0.2.0"]);
    let exports = summary["exports"].as_array().unwrap();
    for export in [
        "galaxy:gamemaster/rules@0.2.0",
        "galaxy:gamemaster/store@0.2.0",
    ] {
        assert!(exports.iter().any(|name| name == export), "{summary}");
    }
    assert_eq!(
        summary["size"].as_u64(),
        Some(runtime_store_host::embedded_component().len() as u64)
    );
}

#[test]
fn component_writes_the_embedded_bytes_with_the_hash_inspect_reports() {
    let out = scratch("rules.wasm");
    let out_text = out.to_str().unwrap();
    let printed = stdout(&runtime_store(&["component", "--out", out_text]));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        runtime_store_host::embedded_component()
    );
    let embedded = inspect_json(&["inspect", "--json"]);
    let written = inspect_json(&["inspect", out_text, "--json"]);
    assert_eq!(written, embedded);
    let sha256 = embedded["sha256"].as_str().unwrap();
    assert!(printed.contains(&format!("sha256: {sha256}")), "{printed}");
}

#[test]
fn a_bad_backend_url_is_one_clear_line_and_a_failure_exit() {
    let line = one_error_line(&runtime_store(&["demo", "--backend", "nosuch://x"]));
    assert_eq!(
        line,
        r#"error: open the store on nosuch://x: no storage adapter for scheme "nosuch" (known: memory, postgres, postgresql, sqlite)"#
    );
    let line = one_error_line(&runtime_store(&["demo", "--backend", "no-scheme"]));
    assert!(line.contains("has no scheme"), "{line}");
}

#[test]
fn a_file_that_is_not_a_component_is_one_clear_line() {
    let path = scratch("not-a-component.wasm");
    std::fs::write(&path, b"hello").unwrap();
    let line = one_error_line(&runtime_store(&["inspect", path.to_str().unwrap()]));
    assert!(
        line.starts_with(&format!(
            "error: inspect {}: compile the rules component: ",
            path.display()
        )),
        "{line}"
    );
}

#[test]
fn run_reports_each_step_and_fails_on_a_wrong_expectation() {
    let path = scratch("one-right-one-wrong.json");
    std::fs::write(
        &path,
        r#"{"description": "a passing and a failing step", "steps": [
            {"op": "transition", "args": {"from": "starting", "to": "running"}, "expect": {"ok": null}},
            {"note": "wrong on purpose", "op": "get", "args": {"game-id": "ghost"}, "expect": {"error": "conflict"}}
        ]}"#,
    )
    .unwrap();
    let output = runtime_store(&["run", path.to_str().unwrap()]);
    let line = one_error_line(&output);
    assert_eq!(line, "error: 1 of 2 conformance steps failed");
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("  ok    #0 transition"), "{text}");
    assert!(
        lines[2].starts_with("  FAIL  #1 get (wrong on purpose): "),
        "{text}"
    );
    assert_eq!(lines[3], "1 passed, 1 failed");
}

#[test]
fn run_passes_every_shipped_vector_on_the_memory_backend() {
    let text = stdout(&runtime_store(&["run"]));
    let summary = text.lines().last().unwrap();
    assert!(summary.ends_with(" passed, 0 failed"), "{summary}");
    assert!(!text.contains("FAIL"));
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_run_and_demo_work_on_postgresql() {
    runtime_store_postgres_tests::database::isolated("cli", |schema| async move {
        let separator = if schema.url().contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{separator}options[search_path]={}",
            schema.url(),
            schema.name()
        );
        let migrated = stdout(&runtime_store(&["migrate", "--backend", &url]));
        assert!(migrated.contains("is up to date"), "{migrated}");
        let vectors = runtime_store_conformance::conformance_dir().join("ordering.json");
        let ran = stdout(&runtime_store(&[
            "run",
            "--backend",
            &url,
            vectors.to_str().unwrap(),
        ]));
        assert!(ran.trim_end().ends_with(" passed, 0 failed"), "{ran}");
        let demo = stdout(&runtime_store(&["demo", "--backend", &url]));
        assert!(demo.contains("betelgeuse  running"), "{demo}");
        let again = stdout(&runtime_store(&["demo", "--backend", &url]));
        assert!(again.contains("andromeda   finished"), "{again}");
    })
    .await;
}

#[test]
fn migrate_run_and_demo_work_on_a_sqlite_file() {
    let folder = scratch("cli-sqlite");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let url = format!("sqlite://{}", folder.join("runtimes.sqlite3").display());
    let migrated = stdout(&runtime_store(&["migrate", "--backend", &url]));
    assert!(
        migrated.starts_with(&format!("SQLite database at {url} is up to date")),
        "{migrated}"
    );
    assert!(folder.join("runtimes.sqlite3").is_file());
    let vectors = runtime_store_conformance::conformance_dir().join("ordering.json");
    let ran = stdout(&runtime_store(&[
        "run",
        "--backend",
        &url,
        vectors.to_str().unwrap(),
    ]));
    assert!(ran.trim_end().ends_with(" passed, 0 failed"), "{ran}");
    let demo = stdout(&runtime_store(&["demo", "--backend", &url]));
    assert!(demo.contains("betelgeuse  running"), "{demo}");
    assert!(
        demo.contains("No games of an earlier demo in this store"),
        "{demo}"
    );

    // Someone else's record shares the file.
    let foreign = sample::record(
        "production:game-7",
        runtime_store_host::Status::Running,
        sample::at(1_700_000_000),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let adapter = || async {
        use runtime_store_sqlite::{SqliteBackend, SqliteOptions};
        SqliteBackend::open(&url, SqliteOptions::default())
            .await
            .unwrap()
    };
    runtime.block_on(async {
        use runtime_store_backend::Backend;
        adapter().await.insert(foreign.clone()).await.unwrap();
    });

    // The demo's games stay in the file: a second run reports and replaces them, and
    // leaves the other record as it was.
    let again = stdout(&runtime_store_with_env(
        &["demo"],
        &[("RUNTIME_STORE_BACKEND", &url)],
    ));
    let earlier = [
        "An earlier demo left (replaced now; the demo writes only demo:andromeda, demo:betelgeuse, demo:cygnus, never another game id):",
        "  demo:andromeda: finished, turn 2, updated ",
        "  demo:betelgeuse: running, turn 1, updated ",
        "  demo:cygnus: stopped, turn 0, updated ",
    ];
    let lines: Vec<&str> = again.lines().skip(1).take(4).collect();
    for (line, expected) in lines.iter().zip(earlier) {
        assert!(line.starts_with(expected), "{line:?} in\n{again}");
    }
    assert!(again.contains("andromeda   finished"), "{again}");
    assert!(!again.contains("production:game-7"), "{again}");
    let stored = runtime.block_on(async {
        use runtime_store_backend::Backend;
        adapter().await.fetch("production:game-7").await.unwrap()
    });
    assert_eq!(stored, Some(foreign));
}

#[test]
fn migrate_refuses_a_backend_without_a_schema() {
    let line = one_error_line(&runtime_store(&["migrate", "--backend", "memory:"]));
    assert_eq!(
        line,
        "error: migrate: memory: is not a PostgreSQL or SQLite URL (postgres://..., sqlite://...); only those have a schema to migrate"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_falls_back_to_database_url_and_pg_schema_places_the_table() {
    runtime_store_postgres_tests::database::isolated("cli_pg_schema", |schema| async move {
        // Start from nothing: migrate has to create the schema and the table in it.
        sqlx::query(&format!("DROP SCHEMA \"{}\" CASCADE", schema.name()))
            .execute(schema.admin())
            .await
            .unwrap();
        let migrated = stdout(&runtime_store_with_env(
            &["migrate", "--pg-schema", schema.name()],
            &[("DATABASE_URL", schema.url())],
        ));
        assert!(
            migrated.contains(&format!("(search_path {:?}) is up to date", schema.name())),
            "{migrated}"
        );
        let demo = stdout(&runtime_store(&[
            "demo",
            "--backend",
            schema.url(),
            "--pg-schema",
            schema.name(),
            "--pg-max-connections",
            "2",
            "--pg-acquire-timeout",
            "10",
        ]));
        assert!(demo.contains("betelgeuse  running"), "{demo}");
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT game_id FROM runtime_records ORDER BY game_id")
                .fetch_all(schema.admin())
                .await
                .unwrap();
        assert_eq!(stored, ["demo:andromeda", "demo:betelgeuse", "demo:cygnus"]);
    })
    .await;
}

#[test]
fn demo_and_run_stay_in_memory_when_only_database_url_is_set() {
    let env = [("DATABASE_URL", UNREACHABLE_DATABASE)];
    let demo = stdout(&runtime_store_with_env(&["demo"], &env));
    assert!(demo.starts_with("Backend \"memory:\""), "{demo}");
    let ran = stdout(&runtime_store_with_env(&["run"], &env));
    assert!(ran.trim_end().ends_with(" passed, 0 failed"), "{ran}");
}

#[test]
fn runtime_store_backend_comes_after_the_flag_and_before_database_url() {
    let env = [
        ("RUNTIME_STORE_BACKEND", "nosuch://x"),
        ("DATABASE_URL", UNREACHABLE_DATABASE),
    ];
    for command in ["demo", "run"] {
        let line = one_error_line(&runtime_store_with_env(&[command], &env));
        assert!(
            line.starts_with("error: open the store on nosuch://x: no storage adapter"),
            "{command}: {line}"
        );
    }
    let line = one_error_line(&runtime_store_with_env(&["migrate"], &env));
    assert_eq!(
        line,
        "error: migrate: nosuch://x is not a PostgreSQL or SQLite URL (postgres://..., sqlite://...); only those have a schema to migrate"
    );
    let demo = stdout(&runtime_store_with_env(
        &["demo", "--backend", "memory:"],
        &env,
    ));
    assert!(demo.starts_with("Backend \"memory:\""), "{demo}");
}

#[test]
fn migrate_without_any_backend_says_how_to_give_one() {
    let line = one_error_line(&runtime_store(&["migrate"]));
    assert_eq!(
        line,
        "error: migrate: no database given: pass --backend postgres://... or set RUNTIME_STORE_BACKEND or DATABASE_URL"
    );
}

/// Another writer's rows in the schema `run` and `demo` share: `prod-game-42` and the
/// game ids the demo used before it had a namespace of its own.
const WRITER_IDS: [&str; 4] = ["prod-game-42", "andromeda", "betelgeuse", "cygnus"];

fn writer_record(game_id: &str) -> runtime_store_host::RuntimeRecord {
    runtime_store_host::RuntimeRecord {
        engine_endpoint: "http://prod:8080".into(),
        current_image_ref: "prod/engine:9".into(),
        current_engine_version: "9".into(),
        // Due at every instant the vectors and the demo list: only filtering hides it.
        next_generation_at: Some(sample::at(1)),
        ..sample::record(
            game_id,
            runtime_store_host::Status::Running,
            sample::at(1_764_000_000),
        )
    }
}

/// Inserts [`WRITER_IDS`], then keeps updating each (turn and health) until `stop`;
/// every update must find its row. Returns the rows as it last wrote them and how many
/// rounds it made.
async fn concurrent_writer(
    store: runtime_store_host::RuntimeStore,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (Vec<runtime_store_host::RuntimeRecord>, u32) {
    use runtime_store_host::{Timestamp, UpdateEngineHealthInput, UpdateSchedulingInput};
    let mut rows: Vec<_> = WRITER_IDS.iter().map(|id| writer_record(id)).collect();
    for row in &rows {
        store.insert(row).await.expect("the writer inserts its row");
    }
    let mut round = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        round += 1;
        let now = Timestamp {
            seconds: 1_764_000_000 + i64::from(round),
            nanoseconds: 0,
        };
        for row in &mut rows {
            store
                .update_scheduling(&UpdateSchedulingInput {
                    game_id: row.game_id.clone(),
                    next_generation_at: row.next_generation_at,
                    skip_next_tick: false,
                    current_turn: round,
                    now,
                })
                .await
                .unwrap_or_else(|error| panic!("round {round}: the writer's row is gone: {error}"));
            store
                .update_engine_health(&UpdateEngineHealthInput {
                    game_id: row.game_id.clone(),
                    engine_health_summary: format!("round {round}"),
                    now,
                })
                .await
                .unwrap_or_else(|error| panic!("round {round}: the writer's row is gone: {error}"));
            row.current_turn = round;
            row.engine_health = format!("round {round}");
            row.updated_at = now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    (rows, round)
}

/// Runs the binary off the async runtime, so the writer keeps writing meanwhile.
async fn runtime_store_beside(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        runtime_store(&args)
    })
    .await
    .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_and_demo_touch_only_their_own_records_beside_a_concurrent_writer() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    runtime_store_postgres_tests::database::isolated("cli_shared", |schema| async move {
        let stop = Arc::new(AtomicBool::new(false));
        let writer = tokio::spawn(concurrent_writer(schema.store().await, stop.clone()));
        let args = |command: &str, extra: &[&str]| -> Vec<String> {
            [command, "--backend", schema.url(), "--pg-schema", schema.name()]
                .iter()
                .chain(extra)
                .map(|arg| arg.to_string())
                .collect()
        };
        // Wait for the writer's rows, so every command below runs beside them.
        while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM runtime_records")
            .fetch_one(schema.admin())
            .await
            .unwrap()
            < WRITER_IDS.len() as i64
        {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }

        // Every shipped vector passes beside the writer's rows, listing included.
        let ran = stdout(&runtime_store_beside(args("run", &[])).await);
        assert!(ran.trim_end().ends_with(" passed, 0 failed"), "{ran}");

        // A file that fails in the middle still deletes what it created.
        let failing = scratch("fails-midway.json");
        std::fs::write(
            &failing,
            r#"{"description": "fails midway", "steps": [
                {"op": "insert", "args": {"record": {"game-id": "cli-fails-1", "status": "starting",
                  "engine-endpoint": "http://e", "current-image-ref": "i", "current-engine-version": "1",
                  "engine-health": "", "current-turn": 0, "next-generation-at": null, "skip-next-tick": false,
                  "created-at": {"seconds": 100, "nanoseconds": 0}, "updated-at": {"seconds": 100, "nanoseconds": 0},
                  "started-at": null, "stopped-at": null, "finished-at": null}}, "expect": {"ok": null}},
                {"note": "wrong on purpose", "op": "get", "args": {"game-id": "cli-fails-1"}, "expect": {"error": "not-found"}}
            ]}"#,
        )
        .unwrap();
        let output = runtime_store_beside(args("run", &[failing.to_str().unwrap()])).await;
        assert_eq!(
            one_error_line(&output),
            "error: 1 of 2 conformance steps failed"
        );

        // A file naming one of the writer's game ids is refused before its first step.
        let taken = scratch("taken-id.json");
        std::fs::write(
            &taken,
            r#"{"description": "deletes a taken id", "steps": [
                {"op": "delete", "args": {"game-id": "prod-game-42"}, "expect": {"ok": null}}
            ]}"#,
        )
        .unwrap();
        let line = one_error_line(
            &runtime_store_beside(args("run", &[taken.to_str().unwrap()])).await,
        );
        assert!(
            line.contains("the store already holds records with game ids these vectors use (\"prod-game-42\")"),
            "{line}"
        );

        // The demo twice: the second run replaces the first's games.
        for _ in 0..2 {
            let demo = stdout(&runtime_store_beside(args("demo", &[])).await);
            assert!(demo.contains("demo:andromeda   finished"), "{demo}");
            let due = demo.lines().find(|line| line.starts_with("Due at ")).unwrap();
            assert!(due.ends_with(": demo:betelgeuse, demo:andromeda (by due time)."), "{due}");
            assert!(!demo.contains("prod-game-42"), "{demo}");
        }

        stop.store(true, Ordering::Relaxed);
        let (expected, rounds) = writer.await.expect("the writer never lost a row");
        assert!(rounds > 0, "the writer wrote while the commands ran");

        // The writer's rows, exactly as it last wrote them.
        let store = schema.store().await;
        for row in &expected {
            assert_eq!(&store.get(&row.game_id).await.unwrap(), row);
        }
        // Besides them, only the demo's games: the vectors left nothing behind.
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT game_id FROM runtime_records ORDER BY game_id")
                .fetch_all(schema.admin())
                .await
                .unwrap();
        assert_eq!(
            stored,
            [
                "andromeda",
                "betelgeuse",
                "cygnus",
                "demo:andromeda",
                "demo:betelgeuse",
                "demo:cygnus",
                "prod-game-42"
            ]
        );
    })
    .await;
}
