//! `run`: conformance vector files against the store.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use runtime_store_conformance::{VectorFile, run_vectors, vector_files};
use runtime_store_host::RuntimeStore;

/// Runs every file (all of `tests/conformance` when none is given), each from an empty
/// store, printing every step and a summary; fails when any step failed.
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
    for path in &files {
        let vectors = VectorFile::load(path)?;
        writeln!(out, "{}: {}", path.display(), vectors.description)?;
        let report = run_vectors(store, &vectors)
            .await
            .with_context(|| format!("run {}", path.display()))?;
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
        passed += report.passed();
        failed += report.failed();
        empty(store)
            .await
            .with_context(|| format!("clear the store after {}", path.display()))?;
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    if failed > 0 {
        bail!("{failed} of {} conformance steps failed", passed + failed);
    }
    Ok(())
}

/// Deletes what a vector file left behind; the store was empty before it ran.
async fn empty(store: &RuntimeStore) -> anyhow::Result<()> {
    for record in store.list().await? {
        store.delete(&record.game_id).await?;
    }
    Ok(())
}
