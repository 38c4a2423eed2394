//! Scratch files and fixtures.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use runtime_store_backend::{RecordPatch, RuntimeRecord, Status, StatusChange, Timestamp};
use runtime_store_host::RuntimeStore;
use runtime_store_sqlite::{SqliteBackend, SqliteOptions};

/// A fresh, empty folder under Cargo's scratch directory for this test binary.
pub fn scratch_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "sqlite-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("create a scratch folder");
    folder
}

/// The `sqlite://` URL of `path`.
pub fn url_of(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A new database file `runtimes.sqlite3` in a fresh folder, and its URL.
pub fn new_file(name: &str) -> (PathBuf, String) {
    let path = scratch_dir(name).join("runtimes.sqlite3");
    let url = url_of(&path);
    (path, url)
}

/// Opens `url` with the default options.
pub async fn open(url: &str) -> SqliteBackend {
    SqliteBackend::open(url, SqliteOptions::default())
        .await
        .unwrap_or_else(|error| panic!("open {url}: {error}"))
}

/// A store through the wasm host on `backend`.
pub async fn store_on(backend: SqliteBackend) -> RuntimeStore {
    RuntimeStore::builder()
        .backend(Arc::new(backend))
        .build()
        .await
        .expect("build a store on SQLite")
}

/// The timestamp `seconds` + `nanoseconds` after the Unix epoch.
pub fn at(seconds: i64, nanoseconds: u32) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds,
    }
}

/// A plain record of `game_id` in `status`, created at 1 000 000 000 s.
pub fn record(game_id: &str, status: Status) -> RuntimeRecord {
    runtime_store_backend::sample::record(game_id, status, at(1_000_000_000, 0))
}

/// A patch that only moves the status to `to` (no stamps) and writes `updated_at`.
pub fn move_to(to: Status, updated_at: Timestamp) -> RecordPatch {
    RecordPatch {
        status: Some(StatusChange {
            to,
            started_at: None,
            stopped_at: None,
            finished_at: None,
        }),
        scheduling: None,
        current_image_ref: None,
        current_engine_version: None,
        engine_health: None,
        updated_at,
    }
}
