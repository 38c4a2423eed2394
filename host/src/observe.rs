//! What every call reports: one `tracing` span and the `metrics` of the store. The names are
//! listed in `docs/observability.md`; span fields follow OpenTelemetry's database
//! conventions where one fits (`db.operation.name`, `db.collection.name`,
//! `db.system.name`, `error.type`) and are namespaced `runtime_store.` otherwise.
//!
//! With no subscriber and no recorder installed both are no-ops: the span is disabled and
//! the metrics go to `metrics`' no-op recorder.

use std::time::{Duration, Instant};

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
    pub(crate) fn finish<T>(self, result: &Result<T, StoreError>, backend: Duration) {
        let total = self.started.elapsed();
        let outcome = outcome(result);
        let operation = self.operation.wit_name();
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
        metrics::counter!(OPERATIONS, "operation" => operation, "outcome" => outcome).increment(1);
        metrics::histogram!(OPERATION_DURATION, "operation" => operation)
            .record(total.as_secs_f64());
        if !backend.is_zero() {
            metrics::histogram!(BACKEND_DURATION, "operation" => operation)
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

/// `ok`, or the error's kind in snake case (`not_found`, `sandbox`, ...).
fn outcome<T>(result: &Result<T, StoreError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(StoreError::NotFound { .. }) => "not_found",
        Err(StoreError::Conflict { .. }) => "conflict",
        Err(StoreError::InvalidTransition(_)) => "invalid_transition",
        Err(StoreError::InvalidInput(_)) => "invalid_input",
        Err(StoreError::Backend { .. }) => "backend",
        Err(StoreError::Sandbox { .. }) => "sandbox",
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

/// One more (or one fewer) instance in existence or idle.
pub(crate) fn instances(gauge: &'static str, change: f64) {
    metrics::gauge!(gauge).increment(change);
}
