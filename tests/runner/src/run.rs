//! Running vector files against a [`RuntimeStore`] and reporting every step.

use std::fmt;

use runtime_store_host::{Rules, RuntimeStore, StoreError};

use crate::describe;
use crate::vectors::{Call, Expectation, OkValue, VectorFile};

/// Why a vector file could not be run at all (a failing step is not an error: it is
/// reported in the [`Report`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store already holds records; every vector file starts from an empty store.
    #[error(
        "run conformance vectors: the store must start empty but holds {records} records \
         (vectors never touch records they did not write: use an empty database or schema)"
    )]
    StoreNotEmpty {
        /// How many records it holds.
        records: usize,
    },
    /// Listing the store to check that it is empty failed.
    #[error("run conformance vectors: check that the store is empty: {0}")]
    EmptinessCheck(#[source] StoreError),
}

/// The outcome of every step of one vector file, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One entry per step.
    pub steps: Vec<StepReport>,
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// Position in the file's `steps`, from 0.
    pub index: usize,
    /// The step's op.
    pub op: String,
    /// The step's note.
    pub note: Option<String>,
    /// Expected versus actual, when the step failed.
    pub failure: Option<String>,
}

impl Report {
    /// How many steps returned what was expected.
    pub fn passed(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| step.failure.is_none())
            .count()
    }

    /// How many steps did not.
    pub fn failed(&self) -> usize {
        self.steps.len() - self.passed()
    }

    /// The steps that failed, in order.
    pub fn failures(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| step.failure.is_some())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} steps: {} passed, {} failed",
            self.steps.len(),
            self.passed(),
            self.failed()
        )?;
        for failure in self.failures() {
            write!(f, "\n  {failure}")?;
        }
        Ok(())
    }
}

impl fmt::Display for StepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} ({})", self.index, self.op)?;
        if let Some(note) = &self.note {
            write!(f, " [{note}]")?;
        }
        match &self.failure {
            Some(failure) => write!(f, ": {failure}"),
            None => f.write_str(": passed"),
        }
    }
}

/// Runs every step of `file` against `store`, which must start empty (checked with
/// `list()`). Every step runs, even after a failure, so one report shows them all.
pub async fn run_vectors(store: &RuntimeStore, file: &VectorFile) -> Result<Report, RunError> {
    let existing = store.list().await.map_err(RunError::EmptinessCheck)?;
    if !existing.is_empty() {
        return Err(RunError::StoreNotEmpty {
            records: existing.len(),
        });
    }
    let rules = store.rules();
    let mut steps = Vec::with_capacity(file.steps.len());
    for step in &file.steps {
        let outcome = execute(store, &rules, &step.call).await;
        steps.push(StepReport {
            index: step.index,
            op: step.call.op().to_owned(),
            note: step.note.clone(),
            failure: difference(&step.expect, &outcome),
        });
    }
    Ok(Report { steps })
}

async fn execute(store: &RuntimeStore, rules: &Rules, call: &Call) -> Result<OkValue, StoreError> {
    let unit = |result: Result<(), StoreError>| result.map(|()| OkValue::Unit);
    match call {
        Call::Get { game_id } => store
            .get(game_id)
            .await
            .map(|record| OkValue::Record(Box::new(record))),
        Call::Insert(record) => unit(store.insert(record).await),
        Call::UpdateStatus(input) => unit(store.update_status(input).await),
        Call::UpdateScheduling(input) => unit(store.update_scheduling(input).await),
        Call::UpdateImage(input) => unit(store.update_image(input).await),
        Call::UpdateEngineHealth(input) => unit(store.update_engine_health(input).await),
        Call::Delete { game_id } => unit(store.delete(game_id).await),
        Call::ListDueRunning { now } => store.list_due_running(*now).await.map(OkValue::Records),
        Call::ListByStatus { status } => store.list_by_status(*status).await.map(OkValue::Records),
        Call::List => store.list().await.map(OkValue::Records),
        Call::Transition { from, to } => unit(rules.transition(*from, *to).await),
        Call::AllowedTransitions { from } => rules
            .allowed_transitions(*from)
            .await
            .map(OkValue::Statuses),
        Call::ValidateRecord(record) => unit(rules.validate_record(record).await),
        Call::ValidateUpdateStatus(input) => unit(rules.validate_update_status(input).await),
        Call::ValidateUpdateScheduling(input) => {
            unit(rules.validate_update_scheduling(input).await)
        }
        Call::ValidateUpdateImage(input) => unit(rules.validate_update_image(input).await),
        Call::ValidateUpdateEngineHealth(input) => {
            unit(rules.validate_update_engine_health(input).await)
        }
    }
}

/// Expected versus actual in words, or `None` when the outcome is the expected one. A
/// backend or sandbox error never matches any expectation.
fn difference(expected: &Expectation, actual: &Result<OkValue, StoreError>) -> Option<String> {
    match (expected, actual) {
        (Expectation::Ok(expected), Ok(actual)) => describe::ok_difference(expected, actual),
        (Expectation::NotFound, Err(StoreError::NotFound { .. }))
        | (Expectation::Conflict, Err(StoreError::Conflict { .. })) => None,
        (Expectation::InvalidInput(expected), Err(StoreError::InvalidInput(actual)))
        | (Expectation::InvalidTransition(expected), Err(StoreError::InvalidTransition(actual)))
            if expected == actual =>
        {
            None
        }
        (expected, actual) => Some(format!("expected {expected}, got {}", outcome(actual))),
    }
}

fn outcome(actual: &Result<OkValue, StoreError>) -> String {
    match actual {
        Ok(value) => format!("ok {}", describe::ok_value(value)),
        Err(error @ StoreError::NotFound { .. }) => format!("error not-found ({error})"),
        Err(error @ StoreError::Conflict { .. }) => format!("error conflict ({error})"),
        Err(StoreError::InvalidInput(message)) => {
            format!("error invalid-input {}", describe::text(message))
        }
        Err(StoreError::InvalidTransition(message)) => {
            format!("error invalid-transition {}", describe::text(message))
        }
        Err(error @ StoreError::Backend { .. }) => format!("backend error: {error}"),
        Err(error @ StoreError::Sandbox { .. }) => format!("sandbox failure: {error}"),
    }
}
