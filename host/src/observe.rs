//! What every call reports: one `tracing` span and the `metrics` of the store. The names are
//! listed in `docs/observability.md`; span fields follow OpenTelemetry's database
//! conventions where one fits (`db.operation.name`, `db.collection.name`,
//! `db.system.name`, `error.type`) and are namespaced `runtime_store.` otherwise.
//!
//! With no subscriber and no recorder installed both are no-ops: the span is disabled and
//! the metrics go to `metrics`' no-op recorder. A store registers each metric it moves per
//! call with the recorder installed when it first moves it and keeps the handle (building
//! a labelled key allocates): install the recorder before the first call.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram};

use tracing::Span;
use tracing::field::Empty;

use crate::error::{Operation, SandboxFailure, StoreError};
use crate::identity::RulesIdentity;

/// Counter: calls by `operation` and `outcome`.
pub const OPERATIONS: &str = "runtime_store.operations";
/// Histogram, seconds: a call's whole time, by `operation`.
pub const OPERATION_DURATION: &str = "runtime_store.operation.duration";
/// Histogram, seconds: a call's time in the backend, by `operation`.
pub const BACKEND_DURATION: &str = "runtime_store.backend.duration";
/// Counter: calls the sandbox stopped, by `kind`.
pub const SANDBOX_FAILURES: &str = "runtime_store.sandbox.failures";
/// Counter: backend errors passed to callers, by `kind`.
pub const BACKEND_ERRORS: &str = "runtime_store.backend.errors";
/// Gauge: instances of the rules component in existence.
pub const INSTANCES_LIVE: &str = "runtime_store.instances.live";
/// Gauge: instances waiting in the pools for a call.
pub const INSTANCES_IDLE: &str = "runtime_store.instances.idle";
/// Counter: rules swaps, by `outcome` (`live` or the step that refused it).
pub const RULES_SWAPS: &str = "runtime_store.rules.swaps";

/// The span's name: one per store or rules call.
pub const SPAN_NAME: &str = "runtime_store.operation";
/// The table every operation is about (`db.collection.name`).
const COLLECTION: &str = "runtime_records";

/// How a call ended, as the `outcome` label and the span's `runtime_store.outcome` say it.
const OUTCOMES: [&str; 7] = [
    "ok",
    "not_found",
    "conflict",
    "invalid_transition",
    "invalid_input",
    "backend",
    "sandbox",
];

/// The per-call metric handles of one store, each registered on first use.
pub(crate) struct Meters {
    /// By operation, then outcome.
    operations: Vec<OnceLock<Counter>>,
    durations: Vec<OnceLock<Histogram>>,
    backend_durations: Vec<OnceLock<Histogram>>,
    live: OnceLock<Gauge>,
    idle: OnceLock<Gauge>,
}

impl Default for Meters {
    fn default() -> Self {
        let operations = Operation::ALL.len();
        Meters {
            operations: (0..operations * OUTCOMES.len())
                .map(|_| OnceLock::new())
                .collect(),
            durations: (0..operations).map(|_| OnceLock::new()).collect(),
            backend_durations: (0..operations).map(|_| OnceLock::new()).collect(),
            live: OnceLock::new(),
            idle: OnceLock::new(),
        }
    }
}

fn index_of(operation: Operation) -> usize {
    Operation::ALL
        .iter()
        .position(|known| *known == operation)
        .unwrap_or_default()
}

impl Meters {
    fn operations(&self, operation: Operation, outcome: usize) -> &Counter {
        self.operations[index_of(operation) * OUTCOMES.len() + outcome].get_or_init(|| {
            metrics::counter!(OPERATIONS, "operation" => operation.wit_name(), "outcome" => OUTCOMES[outcome])
        })
    }

    fn duration(&self, operation: Operation) -> &Histogram {
        self.durations[index_of(operation)].get_or_init(
            || metrics::histogram!(OPERATION_DURATION, "operation" => operation.wit_name()),
        )
    }

    fn backend_duration(&self, operation: Operation) -> &Histogram {
        self.backend_durations[index_of(operation)].get_or_init(
            || metrics::histogram!(BACKEND_DURATION, "operation" => operation.wit_name()),
        )
    }

    /// One more (or one fewer) instance in existence.
    pub(crate) fn live(&self, change: f64) {
        self.live
            .get_or_init(|| metrics::gauge!(INSTANCES_LIVE))
            .increment(change);
    }

    /// One more (or one fewer) instance waiting in the pool.
    pub(crate) fn idle(&self, change: f64) {
        self.idle
            .get_or_init(|| metrics::gauge!(INSTANCES_IDLE))
            .increment(change);
    }
}

/// One call in progress: its span and its clock.
pub(crate) struct CallReport {
    operation: Operation,
    span: Span,
    started: Instant,
}

impl CallReport {
    pub(crate) fn start(
        operation: Operation,
        game_id: Option<&str>,
        rules: &RulesIdentity,
        system: &'static str,
    ) -> Self {
        let span = tracing::info_span!(
            SPAN_NAME,
            "db.operation.name" = operation.wit_name(),
            "db.collection.name" = COLLECTION,
            "db.system.name" = system,
            "runtime_store.game_id" = game_id,
            "runtime_store.rules.sha256" = rules.sha256(),
            "runtime_store.outcome" = Empty,
            "error.type" = Empty,
            "runtime_store.guest_time_us" = Empty,
            "runtime_store.backend_time_us" = Empty,
        );
        CallReport {
            operation,
            span,
            started: Instant::now(),
        }
    }

    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Records how the call ended; `backend` is the time its backend calls took.
    pub(crate) fn finish<T>(
        self,
        meters: &Meters,
        result: &Result<T, StoreError>,
        backend: Duration,
    ) {
        let total = self.started.elapsed();
        let outcome_index = outcome(result);
        let outcome = OUTCOMES[outcome_index];
        // Recording into a span no subscriber wants still walks its fields.
        if !self.span.is_disabled() {
            self.span.record("runtime_store.outcome", outcome);
            if result.is_err() {
                self.span.record("error.type", outcome);
            }
            self.span.record(
                "runtime_store.guest_time_us",
                micros(total.saturating_sub(backend)),
            );
            self.span
                .record("runtime_store.backend_time_us", micros(backend));
        }
        meters
            .operations(self.operation, outcome_index)
            .increment(1);
        meters.duration(self.operation).record(total.as_secs_f64());
        if !backend.is_zero() {
            meters
                .backend_duration(self.operation)
                .record(backend.as_secs_f64());
        }
        match result {
            Err(StoreError::Sandbox { reason, .. }) => {
                metrics::counter!(SANDBOX_FAILURES, "kind" => sandbox_kind(reason)).increment(1);
            }
            Err(StoreError::Backend { source, .. }) => {
                metrics::counter!(BACKEND_ERRORS, "kind" => source.kind().wit_name()).increment(1);
            }
            _ => {}
        }
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Where in [`OUTCOMES`] the call's ending is.
fn outcome<T>(result: &Result<T, StoreError>) -> usize {
    match result {
        Ok(_) => 0,
        Err(StoreError::NotFound { .. }) => 1,
        Err(StoreError::Conflict { .. }) => 2,
        Err(StoreError::InvalidTransition(_)) => 3,
        Err(StoreError::InvalidInput(_)) => 4,
        Err(StoreError::Backend { .. }) => 5,
        Err(StoreError::Sandbox { .. }) => 6,
    }
}

fn sandbox_kind(failure: &SandboxFailure) -> &'static str {
    match failure {
        SandboxFailure::OutOfFuel { .. } => "out_of_fuel",
        SandboxFailure::MemoryLimit { .. } => "memory_limit",
        SandboxFailure::Deadline { .. } => "deadline",
        SandboxFailure::BackendCalls { .. } => "backend_calls",
        SandboxFailure::Trap(_) => "trap",
        SandboxFailure::Instantiation(_) => "instantiation",
        SandboxFailure::Busy { .. } => "busy",
    }
}
