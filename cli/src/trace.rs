//! `--trace`: every store call's span on standard error as it closes, and at the end a
//! summary of the store's metrics (names in docs/observability.md).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use tracing_subscriber::fmt::format::FmtSpan;

/// Every value each metric (name and labels) received.
#[derive(Debug, Default)]
struct Tally {
    counters: BTreeMap<String, u64>,
    gauges: BTreeMap<String, f64>,
    /// Count and sum of each histogram's samples.
    histograms: BTreeMap<String, (u64, f64)>,
}

/// A recorder keeping a [`Tally`]; cheap enough for a demo, not for production.
#[derive(Debug, Clone, Default)]
pub struct Summary(Arc<Mutex<Tally>>);

struct Handle {
    tally: Arc<Mutex<Tally>>,
    key: String,
}

impl Handle {
    fn with(&self, change: impl FnOnce(&mut Tally, &str)) {
        // A tally is plain numbers: a panic elsewhere cannot leave it half written.
        let mut tally = self
            .tally
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut tally, &self.key);
    }
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        self.with(|tally, key| *tally.counters.entry(key.to_owned()).or_default() += value);
    }
    fn absolute(&self, value: u64) {
        self.with(|tally, key| {
            tally.counters.insert(key.to_owned(), value);
        });
    }
}

impl GaugeFn for Handle {
    fn increment(&self, value: f64) {
        self.with(|tally, key| *tally.gauges.entry(key.to_owned()).or_default() += value);
    }
    fn decrement(&self, value: f64) {
        self.with(|tally, key| *tally.gauges.entry(key.to_owned()).or_default() -= value);
    }
    fn set(&self, value: f64) {
        self.with(|tally, key| {
            tally.gauges.insert(key.to_owned(), value);
        });
    }
}

impl HistogramFn for Handle {
    fn record(&self, value: f64) {
        self.with(|tally, key| {
            let (count, sum) = tally.histograms.entry(key.to_owned()).or_default();
            *count += 1;
            *sum += value;
        });
    }
}

/// `name{label=value,...}`.
fn written(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|label| format!("{}={}", label.key(), label.value()))
        .collect();
    if labels.is_empty() {
        key.name().to_owned()
    } else {
        format!("{}{{{}}}", key.name(), labels.join(","))
    }
}

impl Summary {
    fn handle(&self, key: &Key) -> Arc<Handle> {
        Arc::new(Handle {
            tally: Arc::clone(&self.0),
            key: written(key),
        })
    }

    /// Writes every metric: counters, gauges, then histograms as count and mean.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let tally = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        writeln!(out, "metrics:")?;
        for (key, value) in &tally.counters {
            writeln!(out, "  {key} = {value}")?;
        }
        for (key, value) in &tally.gauges {
            writeln!(out, "  {key} = {value}")?;
        }
        for (key, (count, sum)) in &tally.histograms {
            let mean_us = sum / *count as f64 * 1e6;
            writeln!(out, "  {key}: {count} samples, mean {mean_us:.1} µs")?;
        }
        Ok(())
    }
}

impl Recorder for Summary {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle(key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle(key))
    }
}

/// Installs the span printer and the metrics summary for the whole process.
pub fn install() -> anyhow::Result<Summary> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .try_init()
        .map_err(|error| anyhow::anyhow!("install the span printer: {error}"))?;
    let summary = Summary::default();
    metrics::set_global_recorder(summary.clone())
        .map_err(|error| anyhow::anyhow!("install the metrics recorder: {error}"))?;
    Ok(summary)
}
