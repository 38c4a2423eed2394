//! `run`: conformance vector files against the store.
//!
//! The store may be shared: each file runs beside whatever else the store holds and the
//! runner touches only what it wrote (`runtime_store_conformance::run_vectors`): it
//! refuses a file whose game ids are taken, compares list results restricted to the
//! file's game ids and deletes exactly the records the file's steps created, also after
//! a failing step.

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
records the file's steps created are deleted after it, also when a step failed.
Details: docs/reliability.md.";

/// Runs every file (all of `tests/conformance` when none is given), printing every step
/// and a summary; fails when any step failed or a file could not run or clean up.
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
        let result = run_vectors(store, &vectors).await;
        let report = match &result {
            Ok(report) => report,
            // Every step ran; show them before saying what was left behind.
            Err(RunError::Cleanup { report, .. }) => report,
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
