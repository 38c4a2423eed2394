//! Running vector files against a [`RuntimeStore`] and reporting every step.
//!
//! A vector file may run on a store that other writers share. The runner touches only
//! what it wrote (see [`run_vectors`]): before the first step it checks that no record
//! holds a game id the file uses, list results are compared restricted to those ids, and
//! afterwards it deletes exactly the records its own steps created, also when steps
//! failed.

use std::collections::BTreeSet;
use std::fmt;

use runtime_store_host::{RecordPage, Rules, RuntimeRecord, RuntimeStore, StoreError};

use crate::describe;
use crate::vectors::{Call, Expectation, OkValue, VectorFile};

/// Why a vector file could not be run at all, or not cleaned up after (a failing step is
/// not an error: it is reported in the [`Report`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store already holds records with game ids the file uses; the runner never
    /// touches records it did not write, so it does not start.
    #[error(
        "run conformance vectors: the store already holds records with game ids these vectors \
         use ({}); they may be left by an interrupted run or belong to another writer, and the \
         runner never touches records it did not write: delete them yourself or use another \
         database or schema",
        quoted(game_ids)
    )]
    GameIdsInUse {
        /// The game ids found, in byte order.
        game_ids: Vec<String>,
    },
    /// The file is `alone` (its pages see the whole store) and the store holds other
    /// records: nothing runs.
    #[error(
        "run conformance vectors: these vectors page through whole lists and need a store \
         holding no other records, but it holds {records}; run them on an empty database or \
         schema"
    )]
    NotAlone {
        /// How many records the store holds.
        records: usize,
    },
    /// Listing the store to check the file's game ids are free failed.
    #[error("run conformance vectors: check that the vectors' game ids are free: {0}")]
    PreCheck(#[source] StoreError),
    /// Every step ran, but deleting what the steps created failed: `left` stays behind.
    #[error(
        "run conformance vectors: delete the records the vectors created: {} left behind: {source}",
        quoted(left)
    )]
    Cleanup {
        /// The report of the steps, which all ran.
        report: Box<Report>,
        /// The game ids whose records could not be deleted.
        left: Vec<String>,
        /// The first delete that failed.
        #[source]
        source: StoreError,
    },
}

fn quoted(game_ids: &[String]) -> String {
    let shown: Vec<String> = game_ids.iter().map(|id| describe::text(id)).collect();
    shown.join(", ")
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

/// Runs every step of `file` against `store`, which may hold other writers' records.
/// Every step runs, even after a failure, so one report shows them all.
///
/// The runner touches only what it wrote:
///
/// * before the first step, one `list()` checks that no record holds a game id the
///   file's store calls use ([`VectorFile::game_ids`]); if one does, nothing runs
///   ([`RunError::GameIdsInUse`]);
/// * an `alone` file (one with page steps) runs only on a store holding no records
///   ([`RunError::NotAlone`]); a step whose cursor is `{"previous-page": true}` gets the
///   next cursor of the latest earlier step that expected a page;
/// * `list`, `list-by-status` and `list-due-running` results are compared restricted to
///   the file's game ids, in the order the store returned them (the vectors' list
///   expectations hold exactly those; restricting keeps the store's order);
/// * afterwards it deletes exactly the records its steps created: every game id an
///   `insert` step created (or may have created: an insert answered by a backend or
///   sandbox failure) and no later `delete` step removed. This runs whatever the steps
///   returned, so a failing file leaves nothing behind.
pub async fn run_vectors(store: &RuntimeStore, file: &VectorFile) -> Result<Report, RunError> {
    let own_ids = file.game_ids();
    let existing = store.list().await.map_err(RunError::PreCheck)?;
    if file.alone && !existing.is_empty() {
        return Err(RunError::NotAlone {
            records: existing.len(),
        });
    }
    let in_use: Vec<String> = existing
        .into_iter()
        .map(|record| record.game_id)
        .filter(|game_id| own_ids.contains(game_id.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !in_use.is_empty() {
        return Err(RunError::GameIdsInUse { game_ids: in_use });
    }
    run_and_clean_up(store, file).await
}

/// [`run_vectors`] without the check before the first step: for a store known to hold no
/// record the file uses (the scratch store of a rules swap's gate, which starts empty and
/// holds only what earlier files left, which is nothing once they are cleaned up).
pub(crate) async fn run_and_clean_up(
    store: &RuntimeStore,
    file: &VectorFile,
) -> Result<Report, RunError> {
    let own_ids = file.game_ids();
    let rules = store.rules();
    let mut created = BTreeSet::new();
    let mut steps = Vec::with_capacity(file.steps.len());
    // The next cursor of the latest step that expected a page (none when it failed).
    let mut previous_cursor: Option<String> = None;
    for step in &file.steps {
        let failure = if step.continues && previous_cursor.is_none() {
            Some("no cursor to continue: the earlier page step did not answer one".to_owned())
        } else {
            let call = if step.continues {
                step.call.with_cursor(previous_cursor.clone())
            } else {
                step.call.clone()
            };
            let outcome = execute(store, &rules, &call).await;
            track(&call, &outcome, &mut created);
            if let Expectation::Page { .. } = step.expect {
                previous_cursor = match &outcome {
                    Ok(OkValue::Page { next_cursor, .. }) => next_cursor.clone(),
                    _ => None,
                };
            }
            let outcome = outcome.map(|value| restricted(value, &own_ids));
            difference(&step.expect, &outcome)
        };
        steps.push(StepReport {
            index: step.index,
            op: step.call.op().to_owned(),
            note: step.note.clone(),
            failure,
        });
    }
    let report = Report { steps };
    let mut left = Vec::new();
    let mut first_error = None;
    for game_id in created {
        if let Err(error) = store.delete(&game_id).await {
            left.push(game_id);
            first_error.get_or_insert(error);
        }
    }
    match first_error {
        None => Ok(report),
        Some(source) => Err(RunError::Cleanup {
            report: Box::new(report),
            left,
            source,
        }),
    }
}

/// Keeps `created` up to date: the game ids whose records this run's steps created and
/// have not deleted since.
fn track(call: &Call, outcome: &Result<OkValue, StoreError>, created: &mut BTreeSet<String>) {
    match (call, outcome) {
        (Call::Insert(record), Ok(_))
        | (Call::Insert(record), Err(StoreError::Backend { .. } | StoreError::Sandbox { .. })) => {
            created.insert(record.game_id.clone());
        }
        (Call::Delete { game_id }, Ok(_)) => {
            created.remove(game_id);
        }
        _ => {}
    }
}

/// A list result cut down to the records whose game ids the file uses, in the order the
/// store returned them. Pages stay whole: only `alone` files hold page steps.
fn restricted(value: OkValue, own_ids: &BTreeSet<&str>) -> OkValue {
    match value {
        OkValue::Records(records) => OkValue::Records(
            records
                .into_iter()
                .filter(|record: &RuntimeRecord| own_ids.contains(record.game_id.as_str()))
                .collect(),
        ),
        other => other,
    }
}

/// Makes `call` on `store` (its `rules` for the rules functions) and returns its answer.
pub async fn execute(
    store: &RuntimeStore,
    rules: &Rules,
    call: &Call,
) -> Result<OkValue, StoreError> {
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
        Call::ListDueRunningPage { now, cursor, limit } => page(
            store
                .list_due_running_page(*now, cursor.as_deref(), *limit)
                .await,
        ),
        Call::ListByStatusPage {
            status,
            cursor,
            limit,
        } => page(
            store
                .list_by_status_page(*status, cursor.as_deref(), *limit)
                .await,
        ),
        Call::ListPage { cursor, limit } => page(store.list_page(cursor.as_deref(), *limit).await),
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

fn page(result: Result<RecordPage, StoreError>) -> Result<OkValue, StoreError> {
    result.map(|page| OkValue::Page {
        records: page.records,
        next_cursor: page.next_cursor,
    })
}

/// Expected versus actual in words, or `None` when the outcome is the expected one. A
/// backend or sandbox error never matches any expectation.
fn difference(expected: &Expectation, actual: &Result<OkValue, StoreError>) -> Option<String> {
    match (expected, actual) {
        (Expectation::Ok(expected), Ok(actual)) => describe::ok_difference(expected, actual),
        (
            Expectation::Page {
                records,
                has_next_cursor,
            },
            Ok(actual),
        ) => describe::page_difference(records, *has_next_cursor, actual),
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
