//! The `runtime-store` binary, run as a user would.

use std::path::PathBuf;
use std::process::{Command, Output};

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
    assert!(text.contains("Race: two schedulers move betelgeuse running -> generation_in_progress at once; 1 won, the other got: update runtime status \"betelgeuse\": the stored status differs from the expected one"), "{text}");
    assert!(text.contains("Rejected cygnus stopped -> running: update runtime status: runtime status transition from \"stopped\" to \"running\" is not allowed"), "{text}");
    assert!(text.contains("Due at "), "{text}");
    let table: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|line| !line.starts_with("GAME"))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(table.len(), 4, "{text}");
    assert_eq!(table[0][..3], ["GAME", "STATUS", "TURN"]);
    assert_eq!(table[1][..3], ["andromeda", "finished", "2"]);
    assert_eq!(table[2][..3], ["betelgeuse", "running", "1"]);
    assert_eq!(table[3][..3], ["cygnus", "stopped", "0"]);
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
        .filter(|name| *name != "galaxy:gamemaster/types@0.1.0")
        .collect();
    assert_eq!(imports, ["galaxy:gamemaster/backend@0.1.0"]);
    let exports = summary["exports"].as_array().unwrap();
    for export in [
        "galaxy:gamemaster/rules@0.1.0",
        "galaxy:gamemaster/store@0.1.0",
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
        r#"error: open the store on nosuch://x: no storage adapter for scheme "nosuch" (known: memory, postgres, postgresql)"#
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
fn migrate_refuses_a_backend_without_a_schema() {
    let line = one_error_line(&runtime_store(&["migrate", "--backend", "memory:"]));
    assert_eq!(
        line,
        "error: migrate: memory: is not a PostgreSQL URL (postgres://...); only PostgreSQL has a schema to migrate"
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
        assert_eq!(stored, ["andromeda", "betelgeuse", "cygnus"]);
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
        "error: migrate: nosuch://x is not a PostgreSQL URL (postgres://...); only PostgreSQL has a schema to migrate"
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
