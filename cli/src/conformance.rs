//! `run`: conformance vector files against the store.
//!
//! The store may be shared: each file runs beside whatever else the store holds and the
//! runner touches only what it wrote (`runtime_store_conformance::run_vectors`): it
//! refuses a file whose game ids are taken, compares list results restricted to the
//! file's game ids and deletes exactly the records the file's steps created, also after
//! a failing step. A file marked `alone` (its pages see the whole store) runs only on a
//! store holding no records; on one that holds some it is skipped, with the reason, and
//! the files after it run.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use runtime_store_conformance::{Report, RunError, VectorFile, run_vectors, vector_files};
use runtime_store_host::RuntimeStore;

/// What `run --help` says about sharing the store; docs/reliability.md has the reasoning.
pub const SHARED_STORE_HELP: &str = "\
The store may hold other records: each file runs beside them and touches only what it
wrote. A file whose game ids are already taken is refused before its first step (the
error names them); list results are compared restricted to the file's own game ids; the
records the file's steps created are deleted after it, also when a step failed. A file
marked \"alone\" (paged lists see every record) runs only on an empty store; on a store
holding records it is skipped with the reason, and the other files still run.
Details: docs/reliability.md.";

/// Runs every file (all of `tests/conformance` when none is given), printing every step
/// and a summary; fails when any step failed or a file could not run or clean up. An
/// `alone` file on a store holding records is skipped: said under the file and before the
/// summary, not a failure.
pub async fn run(
    store: &RuntimeStore,
    files: Vec<PathBuf>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let files = if files.is_empty() {
        vector_files().context("list the conformance vectors")?
    } else {
        files
    };
    let (mut passed, mut failed) = (0, 0);
    let mut skipped = Vec::new();
    for path in &files {
        let vectors = VectorFile::load(path)?;
        writeln!(out, "{}: {}", path.display(), vectors.description)?;
        let result = run_vectors(store, &vectors).await;
        let report = match &result {
            Ok(report) => report,
            // Every step ran; show them before saying what was left behind.
            Err(RunError::Cleanup { report, .. }) => report,
            Err(RunError::NotAlone { records }) => {
                let reason = format!(
                    "its pages need a store holding no other records, and this one holds \
                     {records}; run it on an empty database or schema"
                );
                writeln!(out, "  SKIP  {reason}")?;
                skipped.push((path, reason));
                continue;
            }
            Err(_) => {
                return result
                    .map(drop)
                    .with_context(|| format!("run {}", path.display()));
            }
        };
        print_steps(report, out)?;
        passed += report.passed();
        failed += report.failed();
        if let Err(error) = result {
            writeln!(out, "{passed} passed, {failed} failed")?;
            return Err(error).with_context(|| format!("run {}", path.display()));
        }
    }
    for (path, reason) in &skipped {
        writeln!(out, "skipped {}: {reason}", path.display())?;
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    if failed > 0 {
        bail!("{failed} of {} conformance steps failed", passed + failed);
    }
    Ok(())
}

fn print_steps(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    for step in &report.steps {
        let note = step
            .note
            .as_deref()
            .map(|note| format!(" ({note})"))
            .unwrap_or_default();
        match &step.failure {
            None => writeln!(out, "  ok    #{} {}{note}", step.index, step.op)?,
            Some(difference) => writeln!(
                out,
                "  FAIL  #{} {}{note}: {difference}",
                step.index, step.op
            )?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_store_conformance::conformance_dir;

    async fn memory_store() -> RuntimeStore {
        RuntimeStore::builder()
            .backend_url("memory:")
            .build()
            .await
            .expect("a store in memory")
    }

    /// `pages.json` (alone) and then `store-basics.json`, as `run` prints them.
    async fn run_both(store: &RuntimeStore) -> (anyhow::Result<()>, String) {
        let files = vec![
            conformance_dir().join("pages.json"),
            conformance_dir().join("store-basics.json"),
        ];
        let mut out = Vec::new();
        let result = run(store, files, &mut out).await;
        (result, String::from_utf8(out).expect("utf-8"))
    }

    #[tokio::test]
    async fn an_alone_file_is_skipped_on_a_store_holding_records_and_the_next_one_runs() {
        let store = memory_store().await;
        let other = runtime_store_backend::sample::record(
            "someone-else",
            runtime_store_host::Status::Starting,
            runtime_store_host::Timestamp {
                seconds: 1_700_000_000,
                nanoseconds: 0,
            },
        );
        store
            .insert(&other)
            .await
            .expect("insert another writer's record");
        let (result, text) = run_both(&store).await;
        result.unwrap_or_else(|error| panic!("{error:#}\n{text}"));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("pages.json: "), "{text}");
        assert_eq!(
            lines[1],
            "  SKIP  its pages need a store holding no other records, and this one holds 1; \
             run it on an empty database or schema"
        );
        assert!(lines[2].contains("store-basics.json: "), "{text}");
        assert!(lines[3].starts_with("  ok    #0 "), "{text}");
        assert!(
            text.contains("\nskipped ") && text.contains("pages.json: its pages need"),
            "{text}"
        );
        let summary = lines.last().unwrap();
        assert!(summary.ends_with(" passed, 0 failed"), "{text}");
        assert!(!summary.starts_with("0 passed"), "store-basics ran: {text}");
        // The other writer's record is untouched.
        assert_eq!(store.list().await.unwrap(), [other]);
    }

    #[tokio::test]
    async fn an_alone_file_runs_on_an_empty_store() {
        let store = memory_store().await;
        let (result, text) = run_both(&store).await;
        result.unwrap_or_else(|error| panic!("{error:#}\n{text}"));
        assert!(
            !text.contains("SKIP") && !text.contains("skipped"),
            "{text}"
        );
        let pages = VectorFile::load(&conformance_dir().join("pages.json")).unwrap();
        let basics = VectorFile::load(&conformance_dir().join("store-basics.json")).unwrap();
        let steps = pages.steps.len() + basics.steps.len();
        assert_eq!(
            text.lines().last().unwrap(),
            format!("{steps} passed, 0 failed"),
            "{text}"
        );
        assert!(
            store.list().await.unwrap().is_empty(),
            "nothing left behind"
        );
    }
}
