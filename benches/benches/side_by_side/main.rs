//! contract §6: every comparison measured side by side in one run, with its ratios
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
mod observed;
mod postgres;
mod raw;
mod rules;
mod timing;

use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use runtime_store_benches::{Comparison, Estimates, Paired, interleave};

/// A side of a comparison as criterion's `iter_custom` takes it: runs that many
/// iterations and returns how long they took.
pub type Routine<'a> = &'a dyn Fn(u64) -> Duration;

/// How long the interleaved measurement of one pair runs.
const INTERLEAVED_BUDGET: Duration = Duration::from_secs(1);

/// A criterion benchmark group whose comparisons also report their ratios.
pub struct Group<'c, 'e> {
    /// The criterion group, for its sampling settings.
    pub criterion: BenchmarkGroup<'c, WallTime>,
    name: &'static str,
    estimates: &'e Estimates,
}

impl<'c, 'e> Group<'c, 'e> {
    /// Opens the criterion group `name`.
    pub fn new(criterion: &'c mut Criterion, name: &'static str, estimates: &'e Estimates) -> Self {
        Group {
            criterion: criterion.benchmark_group(name),
            name,
            estimates,
        }
    }

    /// Closes the group (criterion's summary of it).
    pub fn finish(self) {
        self.criterion.finish();
    }

    /// Measures every side of `function` with criterion, then each pair `(numerator,
    /// denominator)` interleaved, and returns one ratio line per pair that criterion
    /// measured in this run.
    pub fn compare(
        &mut self,
        function: &'static str,
        sides: &[(&'static str, Routine<'_>)],
        pairs: &[(&'static str, &'static str)],
    ) -> Vec<String> {
        self.compare_paired(function, sides, pairs)
            .into_iter()
            .map(|(line, _)| line)
            .collect()
    }

    /// [`Group::compare`] of a `wasm` side against a `native` one: the price of the
    /// sandbox.
    pub fn wasm_vs_native(
        &mut self,
        function: &'static str,
        wasm: Routine<'_>,
        native: Routine<'_>,
    ) -> Vec<String> {
        self.compare(
            function,
            &[("wasm", wasm), ("native", native)],
            &[("wasm", "native")],
        )
    }

    /// Measures each side of `function` with criterion, each a concurrent routine whose
    /// time per iteration is the inverse of its throughput, and returns one line per side
    /// that criterion measured in this run with that throughput in operations per second.
    pub fn throughput(
        &mut self,
        function: &'static str,
        sides: &[(&'static str, Routine<'_>)],
    ) -> Vec<String> {
        for (side, routine) in sides {
            self.criterion
                .bench_function(BenchmarkId::new(function, *side), |bencher| {
                    bencher.iter_custom(routine)
                });
        }
        sides
            .iter()
            .filter_map(|(side, _)| {
                // A side a filter skipped, or criterion's `--test` mode: no figure.
                let median = self.estimates.median(self.name, function, side).ok()?;
                let per_second = 1.0 / median.as_secs_f64().max(1e-12);
                Some(format!(
                    "{}/{function}/{side}: {per_second:.0} ops/s ({} per operation)",
                    self.name,
                    runtime_store_benches::Time(median)
                ))
            })
            .collect()
    }

    /// [`Group::compare`], with each line's interleaved ratio.
    pub fn compare_paired(
        &mut self,
        function: &'static str,
        sides: &[(&'static str, Routine<'_>)],
        pairs: &[(&'static str, &'static str)],
    ) -> Vec<(String, Paired)> {
        for (side, routine) in sides {
            self.criterion
                .bench_function(BenchmarkId::new(function, *side), |bencher| {
                    bencher.iter_custom(routine)
                });
        }
        let routine = |name: &str| {
            sides
                .iter()
                .find(|(side, _)| *side == name)
                .map(|(_, routine)| *routine)
        };
        pairs
            .iter()
            .filter_map(|&(numerator, denominator)| {
                let comparison = Comparison::new(self.name, function, numerator, denominator);
                // A side a filter skipped, or criterion's `--test` mode: no ratio.
                let line = comparison.line(self.estimates).ok()?;
                let paired = interleave(
                    routine(numerator)?,
                    routine(denominator)?,
                    INTERLEAVED_BUDGET,
                );
                Some((format!("{line}; {paired}"), paired))
            })
            .collect()
    }
}

fn main() -> anyhow::Result<()> {
    let criterion_dir = Estimates::criterion_dir(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let estimates = Estimates::new(&criterion_dir, SystemTime::now());
    // Short runs: the whole suite stays well under five minutes on two shared cores.
    let mut criterion = Criterion::default()
        .output_directory(&criterion_dir)
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
    let mut report = |name: &str, lines: Vec<String>| {
        let lines = if lines.is_empty() {
            vec![format!("{name}: not measured in this run")]
        } else {
            lines
        };
        println!("\n== ratios: {name} ==");
        for line in &lines {
            println!("{line}");
        }
        summary.extend(lines);
    };
    report("rules", rules::bench(&mut criterion, &runtime, &estimates)?);
    report(
        "memory_store",
        memory_store::bench(&mut criterion, &runtime, &estimates)?,
    );
    report(
        "observed",
        observed::bench(&mut criterion, &runtime, &estimates)?,
    );
    report(
        "cold_start",
        cold_start::bench(&mut criterion, &runtime, &estimates)?,
    );
    report(
        "postgres",
        postgres::bench(&mut criterion, &runtime, &estimates)?,
    );

    criterion.final_summary();
    println!("\n== all ratios (criterion medians of this run; interleaved ratio) ==");
    for line in &summary {
        println!("{line}");
    }
    Ok(())
}
