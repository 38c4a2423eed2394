//! The ratio report of the side-by-side benchmarks (contract §6).
//!
//! Criterion measures each side of a comparison in the same run and writes its estimates
//! to `<criterion dir>/<group>/<function>/<side>/new/estimates.json`; criterion itself
//! prints absolute times only. [`Estimates`] reads back the median of each side measured
//! in this run (an estimate older than the run is never used) and [`Comparison`] turns two
//! of them into the ratio line the benchmark prints.
//!
//! On a shared machine the load drifts while criterion measures one side after the other,
//! and that drift ends up in a ratio of two medians. [`interleave`] measures the two
//! sides again in alternating short batches and takes the median of the per-round ratios,
//! which a slow drift leaves alone; the benchmark prints both.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use runtime_store_benches::{Comparison, Estimates};
//!
//! let dir = std::env::temp_dir().join(format!("ratio-doc-{}", std::process::id()));
//! let since = SystemTime::now() - Duration::from_secs(1);
//! for (side, median) in [("wasm", 900.0), ("native", 60.0)] {
//!     let side_dir = dir.join("rules/transition").join(side).join("new");
//!     std::fs::create_dir_all(&side_dir)?;
//!     std::fs::write(
//!         side_dir.join("estimates.json"),
//!         format!(r#"{{"median": {{"point_estimate": {median}}}}}"#),
//!     )?;
//! }
//!
//! let estimates = Estimates::new(&dir, since);
//! let line = Comparison::new("rules", "transition", "wasm", "native").line(&estimates)?;
//! assert_eq!(line, "rules/transition: wasm 900 ns, native 60.0 ns, wasm/native = 15.00");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Why a median could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The estimates file is missing or unreadable.
    #[error("reading the criterion estimates of {id} at {path}: {source}")]
    Read {
        /// The benchmark, `group/function/side`.
        id: String,
        /// The estimates file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The estimates file was written before this run: the benchmark did not run now (a
    /// filter skipped it, or criterion ran in `--test` mode).
    #[error("the criterion estimates of {id} at {path} are not from this run")]
    Stale {
        /// The benchmark, `group/function/side`.
        id: String,
        /// The estimates file.
        path: PathBuf,
    },
    /// The file holds no usable median.
    #[error("the criterion estimates of {id} at {path} hold no median point estimate: {reason}")]
    Malformed {
        /// The benchmark, `group/function/side`.
        id: String,
        /// The estimates file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The estimates criterion wrote under one output directory since one instant.
#[derive(Debug, Clone)]
pub struct Estimates {
    dir: PathBuf,
    since: SystemTime,
}

impl Estimates {
    /// Estimates under `dir` (criterion's output directory) written at or after `since`.
    pub fn new(dir: impl Into<PathBuf>, since: SystemTime) -> Self {
        Estimates {
            dir: dir.into(),
            since,
        }
    }

    /// Criterion's output directory: `CRITERION_HOME` when set, as criterion does, and
    /// otherwise `criterion` in the cargo target directory that holds `target_tmpdir`
    /// (a benchmark's `CARGO_TARGET_TMPDIR`, which is `<target>/tmp`).
    pub fn criterion_dir(target_tmpdir: &Path) -> PathBuf {
        match std::env::var_os("CRITERION_HOME") {
            Some(home) => PathBuf::from(home),
            None => target_tmpdir
                .parent()
                .unwrap_or(target_tmpdir)
                .join("criterion"),
        }
    }

    /// The median time of one iteration of `group/function/side` measured in this run.
    pub fn median(&self, group: &str, function: &str, side: &str) -> Result<Duration, ReportError> {
        let id = format!("{group}/{function}/{side}");
        let path = self
            .dir
            .join(group)
            .join(function)
            .join(side)
            .join("new")
            .join("estimates.json");
        let read_error = |source| ReportError::Read {
            id: id.clone(),
            path: path.clone(),
            source,
        };
        let modified = std::fs::metadata(&path)
            .and_then(|metadata| metadata.modified())
            .map_err(read_error)?;
        if modified < self.since {
            return Err(ReportError::Stale { id, path });
        }
        let text = std::fs::read_to_string(&path).map_err(read_error)?;
        let malformed = |reason: String| ReportError::Malformed {
            id: id.clone(),
            path: path.clone(),
            reason,
        };
        let estimates: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| malformed(error.to_string()))?;
        let nanos = estimates["median"]["point_estimate"]
            .as_f64()
            .ok_or_else(|| malformed("median.point_estimate is not a number".into()))?;
        Duration::try_from_secs_f64(nanos / 1e9)
            .map_err(|_| malformed(format!("median {nanos} ns is not a duration")))
    }
}

/// Two sides of one benchmark function, compared as `numerator / denominator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparison<'a> {
    group: &'a str,
    function: &'a str,
    numerator: &'a str,
    denominator: &'a str,
}

impl<'a> Comparison<'a> {
    /// `group/function/numerator` against `group/function/denominator`.
    pub fn new(
        group: &'a str,
        function: &'a str,
        numerator: &'a str,
        denominator: &'a str,
    ) -> Self {
        Comparison {
            group,
            function,
            numerator,
            denominator,
        }
    }

    /// `group/function: numerator T, denominator T, numerator/denominator = R`.
    pub fn line(&self, estimates: &Estimates) -> Result<String, ReportError> {
        let numerator = estimates.median(self.group, self.function, self.numerator)?;
        let denominator = estimates.median(self.group, self.function, self.denominator)?;
        Ok(format!(
            "{}/{}: {} {}, {} {}, {}/{} = {:.2}",
            self.group,
            self.function,
            self.numerator,
            Time(numerator),
            self.denominator,
            Time(denominator),
            self.numerator,
            self.denominator,
            numerator.as_secs_f64() / denominator.as_secs_f64(),
        ))
    }
}

/// How long one batch of iterations of a side should take in [`interleave`].
const BATCH: Duration = Duration::from_millis(10);

/// Rounds [`interleave`] always runs, whatever the budget, and never exceeds.
const MIN_ROUNDS: usize = 10;
const MAX_ROUNDS: usize = 1_000;

/// A ratio measured by [`interleave`]: the median and middle half of the per-round
/// ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// The median of the per-round ratios.
    pub median: f64,
    /// The first quartile.
    pub low: f64,
    /// The third quartile.
    pub high: f64,
    /// How many rounds ran.
    pub rounds: usize,
}

impl fmt::Display for Paired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "interleaved {:.2} (middle half {:.2}..{:.2}, {} rounds)",
            self.median, self.low, self.high, self.rounds
        )
    }
}

/// The ratio of the time per iteration of `numerator` to that of `denominator`, each a
/// routine that runs the given number of iterations and returns how long they took (what
/// criterion's `iter_custom` takes). In every round both sides run the same number of
/// iterations, sized so that the slower side takes about 10 ms (a concurrent routine
/// spreads its iterations over its tasks, and fewer iterations per task would flatter
/// it); the rounds alternate which side goes first and run until `budget` is spent (at
/// least 10 rounds, at most 1000).
pub fn interleave(
    numerator: &dyn Fn(u64) -> Duration,
    denominator: &dyn Fn(u64) -> Duration,
    budget: Duration,
) -> Paired {
    let iterations = batch_size(numerator).min(batch_size(denominator));
    let per_iteration = |routine: &dyn Fn(u64) -> Duration, iterations: u64| {
        routine(iterations).as_secs_f64() / iterations as f64
    };
    let start = Instant::now();
    let mut ratios = Vec::new();
    while ratios.len() < MIN_ROUNDS || (ratios.len() < MAX_ROUNDS && start.elapsed() < budget) {
        let (top, bottom) = if ratios.len() % 2 == 0 {
            let top = per_iteration(numerator, iterations);
            (top, per_iteration(denominator, iterations))
        } else {
            let bottom = per_iteration(denominator, iterations);
            (per_iteration(numerator, iterations), bottom)
        };
        ratios.push(top / bottom);
    }
    ratios.sort_by(f64::total_cmp);
    let at = |fraction: f64| ratios[((ratios.len() - 1) as f64 * fraction).round() as usize];
    Paired {
        median: at(0.5),
        low: at(0.25),
        high: at(0.75),
        rounds: ratios.len(),
    }
}

/// The number of iterations of `routine` that takes about [`BATCH`] (at least one).
fn batch_size(routine: &dyn Fn(u64) -> Duration) -> u64 {
    let mut iterations = 1_u64;
    loop {
        let took = routine(iterations);
        if took >= BATCH / 4 || iterations >= 1 << 40 {
            let scaled = iterations as f64 * BATCH.as_secs_f64() / took.as_secs_f64().max(1e-9);
            return (scaled as u64).max(1);
        }
        iterations *= 2;
    }
}

/// A duration with three significant digits in the unit that suits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub Duration);

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_secs_f64() * 1e9;
        let (value, unit) = if nanos < 1e3 {
            (nanos, "ns")
        } else if nanos < 1e6 {
            (nanos / 1e3, "µs")
        } else if nanos < 1e9 {
            (nanos / 1e6, "ms")
        } else {
            (nanos / 1e9, "s")
        };
        let decimals = if value < 10.0 {
            2
        } else if value < 100.0 {
            1
        } else {
            0
        };
        write!(f, "{value:.decimals$} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct ScratchDir(PathBuf);

    impl ScratchDir {
        fn new(label: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "runtime-store-benches-{label}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            ScratchDir(dir)
        }

        fn write(&self, id: &str, contents: &str) {
            let dir = self.0.join(id).join("new");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("estimates.json"), contents).unwrap();
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn median_of(nanos: f64) -> String {
        format!(
            r#"{{"mean": {{"point_estimate": 1.0}}, "median": {{"point_estimate": {nanos}, "standard_error": 2.0}}}}"#
        )
    }

    fn an_hour_ago() -> SystemTime {
        SystemTime::now() - Duration::from_secs(3600)
    }

    #[test]
    fn the_median_point_estimate_is_read_in_nanoseconds() {
        let scratch = ScratchDir::new("median");
        scratch.write("postgres/get/raw_sqlx_x16", &median_of(12_345.5));
        let estimates = Estimates::new(&scratch.0, an_hour_ago());
        let median = estimates.median("postgres", "get", "raw_sqlx_x16").unwrap();
        assert!(
            (median.as_secs_f64() * 1e9 - 12_345.5).abs() < 1.0,
            "{median:?}"
        );
    }

    #[test]
    fn the_ratio_divides_the_numerator_by_the_denominator() {
        let scratch = ScratchDir::new("ratio");
        scratch.write("memory_store/list/wasm", &median_of(45_000.0));
        scratch.write("memory_store/list/native", &median_of(3_000.0));
        let estimates = Estimates::new(&scratch.0, an_hour_ago());
        assert_eq!(
            Comparison::new("memory_store", "list", "wasm", "native")
                .line(&estimates)
                .unwrap(),
            "memory_store/list: wasm 45.0 µs, native 3.00 µs, wasm/native = 15.00"
        );
    }

    #[test]
    fn estimates_written_before_the_run_are_refused() {
        let scratch = ScratchDir::new("stale");
        scratch.write("rules/transition/wasm", &median_of(800.0));
        let after_the_write = SystemTime::now() + Duration::from_secs(3600);
        let estimates = Estimates::new(&scratch.0, after_the_write);
        assert!(matches!(
            estimates.median("rules", "transition", "wasm"),
            Err(ReportError::Stale { id, .. }) if id == "rules/transition/wasm"
        ));
    }

    #[test]
    fn a_missing_side_gives_an_error_naming_it() {
        let scratch = ScratchDir::new("missing");
        scratch.write("rules/transition/wasm", &median_of(800.0));
        let estimates = Estimates::new(&scratch.0, an_hour_ago());
        let comparison = Comparison::new("rules", "transition", "wasm", "native");
        let error = comparison.line(&estimates).unwrap_err().to_string();
        assert!(
            error.starts_with("reading the criterion estimates of rules/transition/native"),
            "{error}"
        );
    }

    #[test]
    fn a_file_without_a_median_is_malformed() {
        let scratch = ScratchDir::new("malformed");
        scratch.write(
            "rules/transition/wasm",
            r#"{"mean": {"point_estimate": 3.0}}"#,
        );
        scratch.write("rules/transition/native", "not json");
        let estimates = Estimates::new(&scratch.0, an_hour_ago());
        for side in ["wasm", "native"] {
            assert!(matches!(
                estimates.median("rules", "transition", side),
                Err(ReportError::Malformed { .. })
            ));
        }
    }

    /// A routine that pretends to take `nanos` per iteration times the load, which grows
    /// with every call (a machine getting busier while the benchmark runs).
    fn drifting(nanos: f64, load: &std::cell::Cell<f64>) -> impl Fn(u64) -> Duration + '_ {
        move |iterations| {
            load.set(load.get() * 1.01);
            Duration::from_secs_f64(nanos * 1e-9 * load.get() * iterations as f64)
        }
    }

    #[test]
    fn interleaving_finds_the_ratio_under_a_drifting_load() {
        let load = std::cell::Cell::new(1.0);
        let paired = interleave(
            &drifting(300.0, &load),
            &drifting(100.0, &load),
            Duration::from_millis(50),
        );
        assert!((paired.median - 3.0).abs() < 0.05, "{paired:?}");
        assert!(
            paired.low <= paired.median && paired.median <= paired.high,
            "{paired:?}"
        );
        assert!(
            (MIN_ROUNDS..=MAX_ROUNDS).contains(&paired.rounds),
            "{paired:?}"
        );
        // Measured one after the other, the same two routines give a ratio far from 3.
        let load = std::cell::Cell::new(1.0);
        let (slow, fast) = (drifting(300.0, &load), drifting(100.0, &load));
        let first: Duration = (0..100).map(|_| fast(1_000)).sum();
        let second: Duration = (0..100).map(|_| slow(1_000)).sum();
        assert!(second.as_secs_f64() / first.as_secs_f64() > 4.0);
    }

    #[test]
    fn a_batch_takes_about_ten_milliseconds() {
        let routine = |iterations: u64| Duration::from_nanos(250 * iterations);
        assert_eq!(batch_size(&routine), 40_000);
        let slow = |iterations: u64| Duration::from_millis(40 * iterations);
        assert_eq!(batch_size(&slow), 1);
    }

    #[test]
    fn paired_ratios_show_their_spread() {
        let paired = Paired {
            median: 1.234,
            low: 1.1,
            high: 1.4,
            rounds: 96,
        };
        assert_eq!(
            paired.to_string(),
            "interleaved 1.23 (middle half 1.10..1.40, 96 rounds)"
        );
    }

    #[test]
    fn times_keep_three_significant_digits() {
        let shown = |nanos| Time(Duration::from_nanos(nanos)).to_string();
        assert_eq!(shown(95), "95.0 ns");
        assert_eq!(shown(812), "812 ns");
        assert_eq!(shown(1_234), "1.23 µs");
        assert_eq!(shown(45_600_000), "45.6 ms");
        assert_eq!(shown(2_500_000_000), "2.50 s");
    }
}
