//! The store as users run it with observability on: `get` on a store whose calls a tracing
//! subscriber (the registry, which keeps every span's data) and a metrics recorder (atomic
//! counters, gauges and histogram sums) receive, against the same `get` with neither
//! installed. Both sides are scoped to the measuring thread, so the other groups run
//! without them.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use criterion::Criterion;
use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use runtime_store_benches::Estimates;
use runtime_store_host::{RuntimeStore, Status};
use tokio::runtime::Runtime;

use crate::Group;
use crate::fixtures::record;
use crate::timing::sequential;

/// One atomic per metric, as a real recorder's cheapest form.
#[derive(Default)]
struct Cell(AtomicU64);

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}
impl GaugeFn for Cell {
    fn increment(&self, _value: f64) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn decrement(&self, _value: f64) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}
impl HistogramFn for Cell {
    fn record(&self, value: f64) {
        self.0.fetch_add(value.to_bits() >> 52, Ordering::Relaxed);
    }
}

struct Atomics;

impl Recorder for Atomics {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(Arc::new(Cell::default()))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(Arc::new(Cell::default()))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(Arc::new(Cell::default()))
    }
}

pub fn bench(
    criterion: &mut Criterion,
    runtime: &Runtime,
    estimates: &Estimates,
) -> anyhow::Result<Vec<String>> {
    let game = record("game-observed", Status::Running, 0, None);
    let plain = runtime
        .block_on(RuntimeStore::builder().build())
        .context("building the plain store")?;
    let observed = runtime
        .block_on(RuntimeStore::builder().build())
        .context("building the observed store")?;
    for store in [&plain, &observed] {
        runtime
            .block_on(store.insert(&game))
            .context("insert runtime record game-observed")?;
    }
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry());
    let recorder = Atomics;

    let mut group = Group::new(criterion, "observed", estimates);
    let lines = group.compare(
        "get",
        &[
            ("observed", &|iters| {
                let _subscriber = tracing::dispatcher::set_default(&subscriber);
                metrics::with_local_recorder(&recorder, || {
                    sequential(runtime, iters, || async {
                        let found = observed.get(black_box(&game.game_id)).await;
                        black_box(found.unwrap_or_else(|error| panic!("observed {error}")));
                    })
                })
            }),
            ("plain", &|iters| {
                sequential(runtime, iters, || async {
                    let found = plain.get(black_box(&game.game_id)).await;
                    black_box(found.unwrap_or_else(|error| panic!("plain {error}")));
                })
            }),
        ],
        &[("observed", "plain")],
    );
    group.finish();
    Ok(lines)
}
