//! What a call reports: its span's fields and the metrics it moves (docs/observability.md).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use runtime_store_backend::BackendError;
use runtime_store_host::{RuntimeStore, Status, embedded_component, observe};

use crate::common::{FailingBackend, SpanLog, is_child, memory_store, record, run_alone};

/// Every counter's total and every histogram's number of samples, by `name{labels}`.
#[derive(Clone, Default)]
struct Tally(Arc<Mutex<BTreeMap<String, f64>>>);

struct Handle(Tally, String);

impl Handle {
    fn add(&self, value: f64) {
        *self.0.0.lock().unwrap().entry(self.1.clone()).or_default() += value;
    }
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        self.add(value as f64);
    }
    fn absolute(&self, _value: u64) {}
}
impl GaugeFn for Handle {
    fn increment(&self, value: f64) {
        self.add(value);
    }
    fn decrement(&self, value: f64) {
        self.add(-value);
    }
    fn set(&self, _value: f64) {}
}
impl HistogramFn for Handle {
    fn record(&self, _value: f64) {
        self.add(1.0);
    }
}

impl Tally {
    fn handle(&self, key: &Key) -> Arc<Handle> {
        let mut labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        labels.sort();
        Arc::new(Handle(
            self.clone(),
            format!("{}{{{}}}", key.name(), labels.join(",")),
        ))
    }

    fn get(&self, key: &str) -> f64 {
        self.0.lock().unwrap().get(key).copied().unwrap_or_default()
    }
}

impl Recorder for Tally {
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

const ALONE: &str = "observe::child_every_call_reports_a_span_and_metrics";

#[test]
fn every_call_reports_a_span_and_metrics() {
    run_alone(ALONE);
}

/// The test above, in a process of its own: it installs the process's subscriber and
/// metrics recorder.
#[tokio::test]
#[ignore = "run by every_call_reports_a_span_and_metrics"]
async fn child_every_call_reports_a_span_and_metrics() {
    if !is_child(ALONE) {
        return;
    }
    let spans = SpanLog::install();
    let tally = Tally::default();
    metrics::set_global_recorder(tally.clone()).unwrap();
    let sha = runtime_store_host::RulesIdentity::of(embedded_component());

    let store = memory_store().await;
    store
        .insert(&record("g1", Status::Starting, 10))
        .await
        .unwrap();
    store.get("nobody").await.unwrap_err();
    let logged = spans.take();
    assert_eq!(logged.len(), 2);
    let insert = &logged[0];
    for (field, value) in [
        ("db.operation.name", "insert"),
        ("db.collection.name", "runtime_records"),
        ("db.system.name", "memory"),
        ("runtime_store.game_id", "g1"),
        ("runtime_store.rules.sha256", sha.sha256()),
        ("runtime_store.outcome", "ok"),
    ] {
        assert_eq!(
            insert.get(field).map(String::as_str),
            Some(value),
            "{field}"
        );
    }
    assert!(!insert.contains_key("error.type"));
    for timing in [
        "runtime_store.guest_time_us",
        "runtime_store.backend_time_us",
    ] {
        let micros: u64 = insert[timing].parse().unwrap();
        assert!(micros < 60_000_000, "{timing} = {micros}");
    }
    assert_eq!(logged[1]["runtime_store.outcome"], "not_found");
    assert_eq!(logged[1]["error.type"], "not_found");

    let key = |name: &str, labels: &str| format!("{name}{{{labels}}}");
    assert_eq!(
        tally.get(&key(observe::OPERATIONS, "operation=insert,outcome=ok")),
        1.0
    );
    assert_eq!(
        tally.get(&key(observe::OPERATIONS, "operation=get,outcome=not_found")),
        1.0
    );
    assert_eq!(
        tally.get(&key(observe::OPERATION_DURATION, "operation=insert")),
        1.0
    );
    assert_eq!(
        tally.get(&key(observe::BACKEND_DURATION, "operation=get")),
        1.0
    );
    assert_eq!(tally.get(&key(observe::INSTANCES_LIVE, "")), 1.0);
    assert_eq!(tally.get(&key(observe::INSTANCES_IDLE, "")), 1.0);

    // A backend error and a sandbox failure are counted by kind.
    let failing = RuntimeStore::builder()
        .backend(Arc::new(FailingBackend(BackendError::Unavailable(
            "connection refused".into(),
        ))))
        .build()
        .await
        .unwrap();
    failing.get("g1").await.unwrap_err();
    assert_eq!(
        tally.get(&key(observe::BACKEND_ERRORS, "kind=unavailable")),
        1.0
    );
    let starved = RuntimeStore::builder()
        .fuel_per_call(1_000)
        .build()
        .await
        .unwrap();
    starved.get("g1").await.unwrap_err();
    assert_eq!(
        tally.get(&key(observe::SANDBOX_FAILURES, "kind=out_of_fuel")),
        1.0
    );
    let logged = spans.take();
    assert_eq!(logged[0]["runtime_store.outcome"], "backend");
    assert_eq!(logged[1]["error.type"], "sandbox");

    // Dropping the stores drops their instances: the gauges come back to zero.
    drop((store, failing, starved));
    assert_eq!(tally.get(&key(observe::INSTANCES_LIVE, "")), 0.0);
    assert_eq!(tally.get(&key(observe::INSTANCES_IDLE, "")), 0.0);
}
