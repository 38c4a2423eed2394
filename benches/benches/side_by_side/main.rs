//! SPEC section 6: every comparison measured side by side in one run, with its ratio
//! printed after its group and again at the end.
//!
//! `cargo bench -p runtime-store-benches` runs everything (PostgreSQL at `DATABASE_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`); a criterion filter runs a part,
//! for example `cargo bench -p runtime-store-benches -- rules`. See `docs/benchmarks.md`.
//!
//! A failure inside a measured closure cannot be returned through criterion, so it panics
//! with the operation and game id; setup failures are returned with context.

mod cold_start;
mod fixtures;
mod memory_store;
mod postgres;
mod raw;
mod rules;
mod timing;

use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use criterion::Criterion;
use runtime_store_benches::{Comparison, Estimates};

/// What a group measured: the comparisons to print and any derived lines.
pub struct GroupReport {
    pub comparisons: Vec<Comparison<'static>>,
    pub derived: fn(&Estimates) -> Vec<String>,
}

impl GroupReport {
    /// One line per comparison (its ratio, or why there is none) and the derived lines;
    /// a single line when nothing of the group ran (a filter skipped it, or `--test`).
    fn lines(&self, name: &str, estimates: &Estimates) -> Vec<String> {
        let measured: Vec<_> = self
            .comparisons
            .iter()
            .map(|comparison| comparison.line(estimates))
            .collect();
        if measured.iter().all(Result::is_err) {
            return vec![format!("{name}: not measured in this run")];
        }
        let mut lines: Vec<String> = self
            .comparisons
            .iter()
            .zip(measured)
            .map(|(comparison, line)| line.unwrap_or_else(|error| comparison.no_ratio(&error)))
            .collect();
        lines.extend((self.derived)(estimates));
        lines
    }
}

fn main() -> anyhow::Result<()> {
    let started = SystemTime::now();
    let estimates = Estimates::new(
        Estimates::criterion_dir(Path::new(env!("CARGO_TARGET_TMPDIR"))),
        started,
    );
    // Short runs: the whole suite stays well under five minutes on two shared cores.
    let mut criterion = Criterion::default()
        .output_directory(&Estimates::criterion_dir(Path::new(env!(
            "CARGO_TARGET_TMPDIR"
        ))))
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .nresamples(10_000)
        .configure_from_args();
    // Two workers: the machine has two cores.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime of the benchmarks")?;

    let mut summary = Vec::new();
    let mut run = |name: &str, report: GroupReport| {
        let lines = report.lines(name, &estimates);
        println!("\n== ratios: {name} ==");
        for line in &lines {
            println!("{line}");
        }
        summary.extend(lines);
    };
    run("rules", rules::bench(&mut criterion, &runtime)?);
    run(
        "memory store",
        memory_store::bench(&mut criterion, &runtime)?,
    );
    run("cold start", cold_start::bench(&mut criterion, &runtime)?);
    run("postgres", postgres::bench(&mut criterion, &runtime)?);

    criterion.final_summary();
    println!("\n== all ratios (medians, this run) ==");
    for line in &summary {
        println!("{line}");
    }
    Ok(())
}
