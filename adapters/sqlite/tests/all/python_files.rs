//! One file format for the Rust adapter and the Python host's SQLite adapter
//! (`hosts/python/runtime_store/sqlite.py`): both create the same schema, and each reads
//! what the other wrote, record for record and page for page.
//!
//! The Python adapter runs under `python3` (`RUNTIME_STORE_PYTHON` replaces it; 3.11 or
//! newer, the standard library's `sqlite3`), imported from `hosts/python` without the
//! package's `__init__` (which needs wasmtime-py): the adapter itself needs only the
//! standard library and the package's plain types.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use runtime_store_backend::{
    Backend, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter, Status, StatusChange,
};
use serde_json::{Value, json};
use sqlx::{Connection, Row, SqliteConnection};

use crate::common::{at, new_file, open, record, url_of};

/// The Python side: `python3 -c SCRIPT <package folder> <command> <database file>`, records
/// as JSON on stdin, answers as JSON on stdout.
///
/// * `write`: inserts the records of stdin, then moves `py-starting` from starting to
///   running (started and updated at 1 800 000 000.000 001 s, health "from python");
/// * `read`: prints every record by `fetch` of the game ids on stdin, and each filter's
///   whole list read in pages of 3 from the previous page's last key;
/// * `open`: opens the file (creating or updating its schema) and closes it.
const SCRIPT: &str = r#"
import json, sys, types
package, command, path = sys.argv[1:4]
stub = types.ModuleType("runtime_store")
stub.__path__ = [package]
sys.modules["runtime_store"] = stub
from runtime_store.sqlite import SqliteBackend
from runtime_store.types import (
    InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter, Status, StatusChange,
    Timestamp,
)

def timestamp(value):
    return None if value is None else Timestamp(value["seconds"], value["nanoseconds"])

def plain(value):
    return None if value is None else {"seconds": value.seconds, "nanoseconds": value.nanoseconds}

STAMPS = ("next-generation-at", "created-at", "updated-at", "started-at", "stopped-at", "finished-at")

def from_json(fields):
    values = {key.replace("-", "_"): value for key, value in fields.items()}
    values["status"] = Status(values["status"])
    for stamp in STAMPS:
        values[stamp.replace("-", "_")] = timestamp(fields[stamp])
    return RuntimeRecord(**values)

def to_json(record):
    fields = {}
    for key, value in vars(record).items():
        name = key.replace("_", "-")
        fields[name] = plain(value) if name in STAMPS else value
    fields["status"] = record.status.value
    return fields

given = json.load(sys.stdin)
with SqliteBackend(path) as backend:
    if command == "write":
        for fields in given:
            assert backend.insert(from_json(fields)) == InsertOutcome.INSERTED
        now = Timestamp(1_800_000_000, 1_000)
        outcome = backend.patch(
            "py-starting",
            Status.STARTING,
            RecordPatch(
                status=StatusChange(Status.RUNNING, started_at=now),
                engine_health="from python",
                updated_at=now,
            ),
        )
        assert outcome == PatchOutcome.applied(), outcome
        print(json.dumps({}))
    elif command == "read":
        fetched = [backend.fetch(game_id) for game_id in given]
        lists = {}
        for name, scan_filter in (
            ("all", ScanFilter.all()),
            ("running", ScanFilter.by_status(Status.RUNNING)),
            ("due", ScanFilter.due_running(Timestamp(50))),
        ):
            whole, after = [], None
            while True:
                page = backend.scan(scan_filter, after, 3)
                if not page:
                    break
                whole.extend(page)
                after = scan_filter.key_of(page[-1])
            lists[name] = [to_json(record) for record in whole]
        print(json.dumps({
            "fetched": [None if record is None else to_json(record) for record in fetched],
            "lists": lists,
        }))
    else:
        assert command == "open", command
        print(json.dumps({}))
"#;

fn python_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../hosts/python/runtime_store")
        .canonicalize()
        .expect("hosts/python/runtime_store exists")
}

/// Runs the Python adapter's `command` on the file `path` with `input` on stdin.
fn python(command: &str, path: &Path, input: &Value) -> Value {
    let interpreter =
        std::env::var("RUNTIME_STORE_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&interpreter)
        .arg("-c")
        .arg(SCRIPT)
        .arg(python_package())
        .arg(command)
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("run {interpreter}: {error}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Python adapter's {command} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{command}: {error}: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Records that use every column, ties in both orders, game ids whose byte order is not
/// UTF-16's or a collation's, timestamps before the epoch and at the ends of the range.
fn population() -> Vec<RuntimeRecord> {
    let mut records = Vec::new();
    let ids = ["a", "B", "é", "z", "\u{ff5e}", "🎲", "py-starting"];
    for (n, game_id) in ids.iter().enumerate() {
        let status = match n % 3 {
            _ if *game_id == "py-starting" => Status::Starting,
            0 => Status::Running,
            1 => Status::Stopped,
            _ => Status::Running,
        };
        let mut stored = record(game_id, status);
        stored.created_at = [at(-62_135_596_800, 0), at(100, 0), at(100, 999_999_000)][n % 3];
        stored.next_generation_at = [None, Some(at(-1, 1_000)), Some(at(50, 0))][n % 3];
        stored.current_turn = [0, 7, u32::MAX][n % 3];
        stored.skip_next_tick = n % 2 == 0;
        stored.engine_health = format!("health of {game_id} with 'quotes' \"and\" ünïcödé");
        if n % 2 == 1 {
            stored.started_at = Some(at(1, 2_000));
            stored.stopped_at = Some(at(253_402_300_799, 999_999_000));
            stored.finished_at = Some(at(-2, 0));
        }
        records.push(stored);
    }
    records
}

/// What the Python adapter's `write` does to `py-starting`, as the Rust patch.
fn python_patch() -> RecordPatch {
    let now = at(1_800_000_000, 1_000);
    RecordPatch {
        status: Some(StatusChange {
            to: Status::Running,
            started_at: Some(now),
            stopped_at: None,
            finished_at: None,
        }),
        scheduling: None,
        current_image_ref: None,
        current_engine_version: None,
        engine_health: Some("from python".into()),
        updated_at: now,
    }
}

fn records_json(records: &[RuntimeRecord]) -> Value {
    serde_json::to_value(records).unwrap()
}

fn game_ids(records: &[RuntimeRecord]) -> Value {
    json!(
        records
            .iter()
            .map(|record| &record.game_id)
            .collect::<Vec<_>>()
    )
}

/// The Python adapter's answer to `read`: each record fetched, and the three lists.
fn assert_python_reads(path: &Path, expected: &[RuntimeRecord]) {
    let answer = python("read", path, &game_ids(expected));
    assert_eq!(
        answer["fetched"],
        records_json(expected),
        "fetched by Python"
    );
    for (name, filter) in [
        ("all", ScanFilter::All),
        ("running", ScanFilter::ByStatus(Status::Running)),
        ("due", ScanFilter::DueRunning(at(50, 0))),
    ] {
        let whole = filter.page_of(expected, None, u32::MAX);
        assert!(!whole.is_empty(), "{name} lists nothing: a weak check");
        assert_eq!(
            answer["lists"][name],
            records_json(&whole),
            "{name} listed by Python in pages of 3"
        );
    }
}

#[tokio::test]
async fn python_reads_what_rust_wrote() {
    let (path, url) = new_file("rust-to-python");
    let backend = open(&url).await;
    let mut expected = population();
    for stored in &expected {
        backend.insert(stored.clone()).await.unwrap();
    }
    // A patch written by Rust, so Python reads an updated row too.
    assert_eq!(
        backend
            .patch("py-starting", Some(Status::Starting), python_patch())
            .await,
        Ok(PatchOutcome::Applied)
    );
    let patched = expected
        .iter_mut()
        .find(|record| record.game_id == "py-starting")
        .unwrap();
    python_patch().apply_to(patched);
    backend.close().await;
    assert_python_reads(&path, &expected);
}

#[tokio::test]
async fn rust_reads_what_python_wrote_and_python_reads_the_file_after_rust() {
    let (path, url) = new_file("python-to-rust");
    let mut expected = population();
    python("write", &path, &records_json(&expected));
    let patched = expected
        .iter_mut()
        .find(|record| record.game_id == "py-starting")
        .unwrap();
    python_patch().apply_to(patched);

    // Rust opens (and migrates) the file Python created.
    let backend = open(&url).await;
    for stored in &expected {
        assert_eq!(
            backend.fetch(&stored.game_id).await,
            Ok(Some(stored.clone())),
            "fetched by Rust"
        );
    }
    for filter in [
        ScanFilter::All,
        ScanFilter::ByStatus(Status::Running),
        ScanFilter::DueRunning(at(50, 0)),
    ] {
        assert_eq!(
            backend.scan(filter, None, 500).await.unwrap(),
            filter.page_of(&expected, None, u32::MAX),
            "{filter:?}"
        );
    }
    let added = record("rust-added", Status::Running);
    backend.insert(added.clone()).await.unwrap();
    backend.close().await;
    expected.push(added);
    // And Python goes on with the file Rust migrated and wrote.
    assert_python_reads(&path, &expected);
}

/// Every table and index of a file, with its SQL, white space normalised; SQLite's own
/// tables and sqlx's migration history left out.
async fn schema_of(path: &Path) -> Vec<(String, String, String)> {
    let mut connection = SqliteConnection::connect(&url_of(path)).await.unwrap();
    let rows = sqlx::query(
        "SELECT type, name, sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(mode, "wal", "{}", path.display());
    rows.iter()
        .map(|row| {
            let sql: Option<String> = row.get("sql");
            (
                row.get("type"),
                row.get("name"),
                sql.unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect()
}

#[tokio::test]
async fn both_adapters_create_the_same_schema() {
    let (by_python, _) = new_file("schema-python");
    python("open", &by_python, &json!(null));
    let (by_rust, url) = new_file("schema-rust");
    open(&url).await.close().await;
    let python_schema = schema_of(&by_python).await;
    let rust_schema = schema_of(&by_rust).await;
    assert_eq!(python_schema, rust_schema);
    let names: Vec<&str> = rust_schema
        .iter()
        .map(|(_, name, _)| name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "runtime_records",
            "runtime_records_created_idx",
            "runtime_records_due_idx",
            "runtime_records_status_created_idx",
        ]
    );
}

/// The schema the Python adapter wrote before pages (0.1.0): indexes without game_id.
const FIRST_FORMAT: &str = "
CREATE TABLE runtime_records (
    game_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('starting', 'running', 'generation_in_progress', 'generation_failed', 'engine_unreachable', 'stopped', 'finished')),
    engine_endpoint TEXT NOT NULL,
    current_image_ref TEXT NOT NULL,
    current_engine_version TEXT NOT NULL,
    engine_health TEXT NOT NULL,
    current_turn INTEGER NOT NULL,
    next_generation_at_us INTEGER,
    skip_next_tick INTEGER NOT NULL,
    created_at_us INTEGER NOT NULL,
    updated_at_us INTEGER NOT NULL,
    started_at_us INTEGER,
    stopped_at_us INTEGER,
    finished_at_us INTEGER
) STRICT;
CREATE INDEX runtime_records_due ON runtime_records (next_generation_at_us) WHERE status = 'running';
CREATE INDEX runtime_records_by_status ON runtime_records (status, created_at_us);
CREATE INDEX runtime_records_by_created ON runtime_records (created_at_us);
INSERT INTO runtime_records VALUES ('old', 'running', 'http://old', 'img:1', '1', '', 3, 5000000, 0, 1000000, 2000000, NULL, NULL, NULL);
";

#[tokio::test]
async fn a_file_of_the_first_format_is_brought_to_this_one_by_either_adapter() {
    for opener in ["rust", "python"] {
        let (path, url) = new_file("first-format");
        let mut raw = SqliteConnection::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        sqlx::raw_sql(FIRST_FORMAT).execute(&mut raw).await.unwrap();
        raw.close().await.unwrap();
        match opener {
            "rust" => open(&url).await.close().await,
            _ => {
                python("open", &path, &json!(null));
            }
        }
        let (current, current_url) = new_file("current-format");
        open(&current_url).await.close().await;
        assert_eq!(
            schema_of(&path).await,
            schema_of(&current).await,
            "{opener}"
        );
        let backend = open(&url).await;
        let old = backend.fetch("old").await.unwrap().expect("the old record");
        assert_eq!(old.current_turn, 3);
        assert_eq!(old.next_generation_at, Some(at(5, 0)));
        assert_eq!(old.created_at, at(1, 0));
    }
}
