//! A reference model of the store and random operation sequences to hold it against.
//!
//! [`Model`] predicts what every store operation returns from the contract (docs/contract.md) alone: a
//! `BTreeMap` of records, the transition table (§2.3), the lifecycle stamps (§2.4),
//! microsecond truncation (§2.1), not-found / conflict / compare-and-swap (§3) and the
//! result orders (§3), and the three page calls (§7.1: limit 1..=500, keyset pages after
//! the position a cursor names, a next cursor exactly when more records follow; a page
//! continuing the previous one starts after the position the model kept, so records that
//! change between pages are predicted too). It shares no code with the rules component. For input that fails
//! validation it predicts the error kind and that nothing changes; the exact messages are
//! pinned by the conformance vectors, except the transition message, which it predicts
//! exactly.
//!
//! [`steps`] generates sequences over a small pool of game ids ([`GAME_IDS`], which
//! differ only in case or byte order, plus occasional blank ones), all seven statuses
//! and timestamps with sub-microsecond nanoseconds, occasionally zero or invalid.
//! [`check_sequence`] runs one sequence against a [`RuntimeStore`] and the model side by
//! side, compares every result and the final `list()`, and on the first difference says
//! which step differed and what ran before it.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! use runtime_store_conformance::model::{check_sequence, steps};
//! use runtime_store_host::RuntimeStore;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = RuntimeStore::builder().backend_url("memory:").build().await.unwrap();
//! let sequence = steps(20).new_tree(&mut TestRunner::deterministic()).unwrap().current();
//! check_sequence(&store, &sequence).await.unwrap();
//! # });
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use runtime_store_host::{
    Operation, RuntimeRecord, RuntimeStore, Status, StoreError, Timestamp, UpdateEngineHealthInput,
    UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};

use crate::describe;
use crate::vectors::OkValue;

/// The game ids operations draw from: few, so operations collide, and differing only in
/// case (`game-a`, `Game-A`) or in byte order versus a collation (`game-ä` sorts after
/// `game-b` by bytes).
pub const GAME_IDS: [&str; 4] = ["game-a", "Game-A", "game-b", "game-ä"];

/// Blank game ids (Unicode white space included), which every operation must refuse.
pub const BLANK_IDS: [&str; 3] = ["", " ", "\t\u{3000}"];

/// The earliest valid `seconds` (0001-01-01T00:00:00Z).
const MIN_SECONDS: i64 = -62_135_596_800;
/// The latest valid `seconds` (9999-12-31T23:59:59Z).
const MAX_SECONDS: i64 = 253_402_300_799;

const NANOS_PER_SECOND: u32 = 1_000_000_000;
const NANOS_PER_MICRO: u32 = 1_000;

/// "Not set" in Go's sense: a value that truncates to the epoch.
fn is_zero(at: Timestamp) -> bool {
    at.seconds == 0 && at.nanoseconds < NANOS_PER_MICRO
}

/// Nanoseconds below one second and a year within 0001..9999.
fn is_valid(at: Timestamp) -> bool {
    at.nanoseconds < NANOS_PER_SECOND && (MIN_SECONDS..=MAX_SECONDS).contains(&at.seconds)
}

/// Accepted by validation: neither zero nor invalid.
fn is_usable(at: Timestamp) -> bool {
    !is_zero(at) && is_valid(at)
}

/// `at` cut down to whole microseconds, as every backend stores it.
fn truncate(at: Timestamp) -> Timestamp {
    Timestamp {
        seconds: at.seconds,
        nanoseconds: at.nanoseconds - at.nanoseconds % NANOS_PER_MICRO,
    }
}

/// The statuses the transition table (contract §2.3) allows from `from`.
fn allowed_targets(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        Starting => &[Running, Stopped],
        Running => &[GenerationInProgress, EngineUnreachable, Stopped, Finished],
        GenerationInProgress => &[Running, GenerationFailed, EngineUnreachable, Finished],
        GenerationFailed => &[Running, Stopped, Finished],
        EngineUnreachable => &[Running, Stopped],
        Stopped => &[Starting, Finished],
        Finished => &[],
    }
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// One store operation with concrete arguments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Op {
    /// `get(game-id)`.
    Get(String),
    /// `insert(record)`.
    Insert(RuntimeRecord),
    /// `update-status(input)`.
    UpdateStatus(UpdateStatusInput),
    /// `update-scheduling(input)`.
    UpdateScheduling(UpdateSchedulingInput),
    /// `update-image(input)`.
    UpdateImage(UpdateImageInput),
    /// `update-engine-health(input)`.
    UpdateEngineHealth(UpdateEngineHealthInput),
    /// `delete(game-id)`.
    Delete(String),
    /// `list-due-running(now)`.
    ListDueRunning(Timestamp),
    /// `list-by-status(status)`.
    ListByStatus(Status),
    /// `list()`.
    List,
    /// `list-due-running-page(now, cursor, limit)`.
    ListDueRunningPage {
        /// The instant due records are compared with.
        now: Timestamp,
        /// Where the page starts.
        start: PageStart,
        /// The most records the page holds.
        limit: u32,
    },
    /// `list-by-status-page(status, cursor, limit)`.
    ListByStatusPage {
        /// The status listed.
        status: Status,
        /// Where the page starts.
        start: PageStart,
        /// The most records the page holds.
        limit: u32,
    },
    /// `list-page(cursor, limit)`.
    ListPage {
        /// Where the page starts.
        start: PageStart,
        /// The most records the page holds.
        limit: u32,
    },
}

/// Where a page call starts: the cursor it passes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PageStart {
    /// No cursor: the first page.
    First,
    /// The `next-cursor` of the latest page call answered with a page (of any of the
    /// three lists); no cursor when that page was the last, or no page was answered yet.
    /// The model keeps that page's last position; [`check_sequence`] keeps the store's
    /// cursor text.
    Previous,
    /// This text. The model predicts every such cursor refused (`invalid-input`): the
    /// generated ones are all malformed ([`MALFORMED_CURSORS`]).
    Cursor(String),
}

/// Cursors no store may accept: the wrong shape, an unknown order tag, bad or odd hex, an
/// empty game id.
pub const MALFORMED_CURSORS: [&str; 6] =
    ["", "page-2", "x.1.0.67", "n.1.0.zz", "d.1.0.6", "n.1.0."];

/// The page limits the contract accepts.
const PAGE_LIMITS: std::ops::RangeInclusive<u32> = 1..=500;

impl Op {
    /// The operation as the host names it in errors.
    pub fn operation(&self) -> Operation {
        match self {
            Op::Get(_) => Operation::Get,
            Op::Insert(_) => Operation::Insert,
            Op::UpdateStatus(_) => Operation::UpdateStatus,
            Op::UpdateScheduling(_) => Operation::UpdateScheduling,
            Op::UpdateImage(_) => Operation::UpdateImage,
            Op::UpdateEngineHealth(_) => Operation::UpdateEngineHealth,
            Op::Delete(_) => Operation::Delete,
            Op::ListDueRunning(_) => Operation::ListDueRunning,
            Op::ListByStatus(_) => Operation::ListByStatus,
            Op::List => Operation::List,
            Op::ListDueRunningPage { .. } => Operation::ListDueRunningPage,
            Op::ListByStatusPage { .. } => Operation::ListByStatusPage,
            Op::ListPage { .. } => Operation::ListPage,
        }
    }

    /// Whether it is one of the three page calls.
    pub fn is_page(&self) -> bool {
        matches!(
            self,
            Op::ListDueRunningPage { .. } | Op::ListByStatusPage { .. } | Op::ListPage { .. }
        )
    }
}

impl fmt::Display for PageStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageStart::First => f.write_str("first"),
            PageStart::Previous => f.write_str("previous"),
            PageStart::Cursor(text) => write!(f, "{text:?}"),
        }
    }
}

/// A timestamp as `seconds.nanoseconds`.
struct At(Timestamp);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.0.seconds, self.0.nanoseconds)
    }
}

/// An optional timestamp, `-` when unset.
struct MaybeAt(Option<Timestamp>);

impl fmt::Display for MaybeAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(at) => At(at).fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// An optional string, `-` when unset.
struct MaybeText<'a>(&'a Option<String>);

impl fmt::Display for MaybeText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(text) => write!(f, "{text:?}"),
            None => f.write_str("-"),
        }
    }
}

impl fmt::Display for Op {
    /// One line with every argument, for failure transcripts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Get(game_id) => write!(f, "get {game_id:?}"),
            Op::Insert(record) => write!(
                f,
                "insert {:?} {} endpoint={:?} image={:?} version={:?} health={:?} turn={} \
                 next={} skip={} created={} updated={} started={} stopped={} finished={}",
                record.game_id,
                record.status,
                record.engine_endpoint,
                record.current_image_ref,
                record.current_engine_version,
                record.engine_health,
                record.current_turn,
                MaybeAt(record.next_generation_at),
                record.skip_next_tick,
                At(record.created_at),
                At(record.updated_at),
                MaybeAt(record.started_at),
                MaybeAt(record.stopped_at),
                MaybeAt(record.finished_at),
            ),
            Op::UpdateStatus(input) => write!(
                f,
                "update-status {:?} {} -> {} now={} health={} image={} version={}",
                input.game_id,
                input.expected_from,
                input.to,
                At(input.now),
                MaybeText(&input.engine_health_summary),
                MaybeText(&input.current_image_ref),
                MaybeText(&input.current_engine_version),
            ),
            Op::UpdateScheduling(input) => write!(
                f,
                "update-scheduling {:?} next={} skip={} turn={} now={}",
                input.game_id,
                MaybeAt(input.next_generation_at),
                input.skip_next_tick,
                input.current_turn,
                At(input.now),
            ),
            Op::UpdateImage(input) => write!(
                f,
                "update-image {:?} expected={} image={:?} version={:?} now={}",
                input.game_id,
                input.expected_status,
                input.current_image_ref,
                input.current_engine_version,
                At(input.now),
            ),
            Op::UpdateEngineHealth(input) => write!(
                f,
                "update-engine-health {:?} health={:?} now={}",
                input.game_id,
                input.engine_health_summary,
                At(input.now),
            ),
            Op::Delete(game_id) => write!(f, "delete {game_id:?}"),
            Op::ListDueRunning(now) => write!(f, "list-due-running now={}", At(*now)),
            Op::ListByStatus(status) => write!(f, "list-by-status {status}"),
            Op::List => f.write_str("list"),
            Op::ListDueRunningPage { now, start, limit } => write!(
                f,
                "list-due-running-page now={} cursor={start} limit={limit}",
                At(*now)
            ),
            Op::ListByStatusPage {
                status,
                start,
                limit,
            } => write!(
                f,
                "list-by-status-page {status} cursor={start} limit={limit}"
            ),
            Op::ListPage { start, limit } => {
                write!(f, "list-page cursor={start} limit={limit}")
            }
        }
    }
}

/// One generated step: an operation as generated, or one steered by the model's state.
#[derive(Clone)]
pub enum Step {
    /// Run the operation as generated.
    Op(Op),
    /// An `update-status` or `update-image` whose expected status is the one the model
    /// holds for its game id (so the compare-and-swap mostly succeeds), and, for
    /// `update-status`, whose target is the allowed one `target` picks. Random statuses
    /// alone would almost never get past the compare-and-swap.
    Steered {
        /// The operation; its statuses stand when the game id is unknown.
        op: Op,
        /// Picks the target among those the table allows.
        target: Index,
    },
}

impl fmt::Debug for Step {
    /// The one-line form, so shrunk sequences read as a list of operations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Op(op) => write!(f, "{op}"),
            Step::Steered { op, target } => write!(f, "steered({op}; target {target:?})"),
        }
    }
}

/// What an operation returned, in the terms the model predicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Success with this value.
    Ok(OkValue),
    /// No record for the game id.
    NotFound {
        /// The operation refused.
        operation: Operation,
        /// Its game id.
        game_id: String,
    },
    /// The record exists (insert) or its status is not the expected one.
    Conflict {
        /// The operation refused.
        operation: Operation,
        /// Its game id.
        game_id: String,
    },
    /// Success with a page: these records, and a next cursor or not (its text is the
    /// store's own and not predicted).
    Page {
        /// The page's records, in order.
        records: Vec<RuntimeRecord>,
        /// Whether the page has a next cursor.
        has_next_cursor: bool,
    },
    /// Validation failed (the message is not compared).
    InvalidInput,
    /// The transition is not allowed, with the exact message.
    InvalidTransition(String),
}

impl Outcome {
    /// Why `actual` is not this outcome, or `None` when they agree.
    fn difference(&self, actual: &Outcome) -> Option<String> {
        match (self, actual) {
            (Outcome::Ok(expected), Outcome::Ok(actual)) => {
                describe::ok_difference(expected, actual)
            }
            (
                Outcome::Page {
                    records,
                    has_next_cursor,
                },
                Outcome::Page {
                    records: actual,
                    has_next_cursor: actual_has_next,
                },
            ) => describe::ok_difference(
                &OkValue::Records(records.clone()),
                &OkValue::Records(actual.clone()),
            )
            .map(|difference| format!("page records: {difference}"))
            .or_else(|| {
                (has_next_cursor != actual_has_next).then(|| {
                    format!(
                        "expected a page {} a next cursor, got one {}",
                        if *has_next_cursor { "with" } else { "without" },
                        if *actual_has_next { "with" } else { "without" },
                    )
                })
            }),
            (expected, actual) => {
                (expected != actual).then(|| format!("expected {expected}, got {actual}"))
            }
        }
    }

    /// The outcome's kind: `ok`, `not-found`, `conflict`, `invalid-input` or
    /// `invalid-transition`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Ok(_) | Outcome::Page { .. } => "ok",
            Outcome::NotFound { .. } => "not-found",
            Outcome::Conflict { .. } => "conflict",
            Outcome::InvalidInput => "invalid-input",
            Outcome::InvalidTransition(_) => "invalid-transition",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(value) => write!(f, "ok {}", describe::ok_value(value)),
            Outcome::Page {
                records,
                has_next_cursor,
            } => write!(f, "ok page {}", describe::page(records, *has_next_cursor)),
            Outcome::NotFound { operation, game_id } => {
                write!(f, "not-found ({operation} {game_id:?})")
            }
            Outcome::Conflict { operation, game_id } => {
                write!(f, "conflict ({operation} {game_id:?})")
            }
            Outcome::InvalidInput => f.write_str("invalid-input"),
            Outcome::InvalidTransition(message) => write!(f, "invalid-transition {message:?}"),
        }
    }
}

/// How often each operation had each kind of outcome: shows what a run of sequences
/// exercised, so a test can insist that every path was taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Keyed by the operation's WIT name and the outcome kind.
    counts: BTreeMap<(&'static str, &'static str), usize>,
}

impl Tally {
    fn record(&mut self, operation: Operation, outcome: &Outcome) {
        *self
            .counts
            .entry((operation.wit_name(), outcome.kind()))
            .or_default() += 1;
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &Tally) {
        for (key, count) in &other.counts {
            *self.counts.entry(*key).or_default() += count;
        }
    }

    /// How many calls were counted, whatever their outcome.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// How many `operation` calls had an outcome of `kind` (see [`Outcome::kind`]).
    pub fn count(&self, operation: Operation, kind: &str) -> usize {
        self.counts
            .get(&(operation.wit_name(), kind))
            .copied()
            .unwrap_or(0)
    }
}

impl fmt::Display for Tally {
    /// One `operation kind: count` entry per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for ((operation, kind), count) in &self.counts {
            writeln!(f, "{operation} {kind}: {count}")?;
        }
        Ok(())
    }
}

/// The reference model: the records the store should hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Model {
    records: BTreeMap<String, RuntimeRecord>,
    /// Where [`PageStart::Previous`] starts: the last record of the latest page answered,
    /// when more followed it.
    previous_page: Option<PagePosition>,
}

/// A record's position in a list order: what a cursor names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PagePosition {
    /// Due first (`list-due-running`) rather than newest first.
    due_first: bool,
    /// `next-generation-at` (due first) or `created-at` (newest first).
    at: Timestamp,
    game_id: String,
}

impl PagePosition {
    fn of(record: &RuntimeRecord, due_first: bool) -> PagePosition {
        PagePosition {
            due_first,
            at: if due_first {
                record.next_generation_at.unwrap_or_default()
            } else {
                record.created_at
            },
            game_id: record.game_id.clone(),
        }
    }

    /// Whether `record` comes after this position in its order.
    fn precedes(&self, record: &RuntimeRecord) -> bool {
        let other = PagePosition::of(record, self.due_first);
        let by_time = if self.due_first {
            self.at.cmp(&other.at)
        } else {
            other.at.cmp(&self.at)
        };
        by_time
            .then_with(|| self.game_id.as_bytes().cmp(other.game_id.as_bytes()))
            .is_lt()
    }
}

/// Orders records as `list` and `list-by-status` do: created-at descending, then game id
/// ascending by bytes.
fn newest_first(records: &mut [RuntimeRecord]) {
    records.sort_by(|left, right| {
        right
            .created_at
            .cmp(&left.created_at)
            .then_with(|| left.game_id.cmp(&right.game_id))
    });
}

impl Model {
    /// An empty store.
    pub fn new() -> Model {
        Model::default()
    }

    /// The concrete operation of `step` given the records held now.
    pub fn resolve(&self, step: &Step) -> Op {
        let (op, target) = match step {
            Step::Op(op) => return op.clone(),
            Step::Steered { op, target } => (op, target),
        };
        let mut op = op.clone();
        match &mut op {
            Op::UpdateStatus(input) => {
                if let Some(stored) = self.records.get(&input.game_id) {
                    input.expected_from = stored.status;
                }
                let allowed = allowed_targets(input.expected_from);
                if !allowed.is_empty() {
                    input.to = *target.get(allowed);
                }
            }
            Op::UpdateImage(input) => {
                if let Some(stored) = self.records.get(&input.game_id) {
                    input.expected_status = stored.status;
                }
            }
            _ => {}
        }
        op
    }

    /// Every record in `list()` order.
    pub fn list(&self) -> Vec<RuntimeRecord> {
        let mut records: Vec<RuntimeRecord> = self.records.values().cloned().collect();
        newest_first(&mut records);
        records
    }

    /// What `op` returns, applying its changes to the model.
    pub fn apply(&mut self, op: &Op) -> Outcome {
        match op {
            Op::Get(game_id) => self.get(game_id),
            Op::Insert(record) => self.insert(record),
            Op::UpdateStatus(input) => self.update_status(input),
            Op::UpdateScheduling(input) => self.update_scheduling(input),
            Op::UpdateImage(input) => self.update_image(input),
            Op::UpdateEngineHealth(input) => self.update_engine_health(input),
            Op::Delete(game_id) => {
                if is_blank(game_id) {
                    return Outcome::InvalidInput;
                }
                self.records.remove(game_id);
                Outcome::Ok(OkValue::Unit)
            }
            Op::ListDueRunning(now) => {
                if !is_usable(*now) {
                    return Outcome::InvalidInput;
                }
                let now = truncate(*now);
                let mut due: Vec<RuntimeRecord> = self
                    .records
                    .values()
                    .filter(|record| {
                        record.status == Status::Running
                            && record.next_generation_at.is_some_and(|at| at <= now)
                    })
                    .cloned()
                    .collect();
                due.sort_by(|left, right| {
                    left.next_generation_at
                        .cmp(&right.next_generation_at)
                        .then_with(|| left.game_id.cmp(&right.game_id))
                });
                Outcome::Ok(OkValue::Records(due))
            }
            Op::ListByStatus(status) => {
                let mut records: Vec<RuntimeRecord> = self
                    .records
                    .values()
                    .filter(|record| record.status == *status)
                    .cloned()
                    .collect();
                newest_first(&mut records);
                Outcome::Ok(OkValue::Records(records))
            }
            Op::List => Outcome::Ok(OkValue::Records(self.list())),
            Op::ListDueRunningPage { now, start, limit } => {
                let whole = self.apply(&Op::ListDueRunning(*now));
                self.page(whole, true, start, *limit)
            }
            Op::ListByStatusPage {
                status,
                start,
                limit,
            } => {
                let whole = self.apply(&Op::ListByStatus(*status));
                self.page(whole, false, start, *limit)
            }
            Op::ListPage { start, limit } => {
                let whole = self.apply(&Op::List);
                self.page(whole, false, start, *limit)
            }
        }
    }

    /// A page of the list `whole` answered (due first or newest first): `now` (in
    /// `whole`), then the limit, then the cursor refused; otherwise the records after the
    /// cursor's position, at most `limit`, and a next cursor when more follow. A page
    /// answered becomes the start of [`PageStart::Previous`].
    fn page(&mut self, whole: Outcome, due_first: bool, start: &PageStart, limit: u32) -> Outcome {
        let Outcome::Ok(OkValue::Records(whole)) = whole else {
            return whole;
        };
        if !PAGE_LIMITS.contains(&limit) {
            return Outcome::InvalidInput;
        }
        let after = match start {
            PageStart::First => None,
            PageStart::Previous => match &self.previous_page {
                Some(position) if position.due_first != due_first => {
                    return Outcome::InvalidInput;
                }
                position => position.clone(),
            },
            PageStart::Cursor(_) => return Outcome::InvalidInput,
        };
        let mut records: Vec<RuntimeRecord> = whole
            .into_iter()
            .filter(|record| after.as_ref().is_none_or(|after| after.precedes(record)))
            .collect();
        let has_next_cursor = records.len() > limit as usize;
        records.truncate(limit as usize);
        self.previous_page = records
            .last()
            .filter(|_| has_next_cursor)
            .map(|last| PagePosition::of(last, due_first));
        Outcome::Page {
            records,
            has_next_cursor,
        }
    }

    fn get(&self, game_id: &str) -> Outcome {
        if is_blank(game_id) {
            return Outcome::InvalidInput;
        }
        match self.records.get(game_id) {
            Some(record) => Outcome::Ok(OkValue::Record(Box::new(record.clone()))),
            None => Outcome::NotFound {
                operation: Operation::Get,
                game_id: game_id.to_owned(),
            },
        }
    }

    fn insert(&mut self, record: &RuntimeRecord) -> Outcome {
        let stamps = [
            record.next_generation_at,
            record.started_at,
            record.stopped_at,
            record.finished_at,
        ];
        let refused = [
            &record.game_id,
            &record.engine_endpoint,
            &record.current_image_ref,
            &record.current_engine_version,
        ]
        .into_iter()
        .any(|text| is_blank(text))
            || !is_usable(record.created_at)
            || !is_usable(record.updated_at)
            || record.updated_at < record.created_at
            || stamps.into_iter().flatten().any(|at| !is_usable(at));
        if refused {
            return Outcome::InvalidInput;
        }
        if self.records.contains_key(&record.game_id) {
            return Outcome::Conflict {
                operation: Operation::Insert,
                game_id: record.game_id.clone(),
            };
        }
        let truncate_stamp = |at: Option<Timestamp>| at.map(truncate);
        let stored = RuntimeRecord {
            next_generation_at: truncate_stamp(record.next_generation_at),
            created_at: truncate(record.created_at),
            updated_at: truncate(record.updated_at),
            started_at: truncate_stamp(record.started_at),
            stopped_at: truncate_stamp(record.stopped_at),
            finished_at: truncate_stamp(record.finished_at),
            ..record.clone()
        };
        self.records.insert(record.game_id.clone(), stored);
        Outcome::Ok(OkValue::Unit)
    }

    /// The stored record of `game_id` for an update, provided its status is `expected`
    /// (when given); otherwise the not-found or conflict outcome.
    fn stored_for_update(
        &mut self,
        operation: Operation,
        game_id: &str,
        expected: Option<Status>,
    ) -> Result<&mut RuntimeRecord, Outcome> {
        let Some(record) = self.records.get_mut(game_id) else {
            return Err(Outcome::NotFound {
                operation,
                game_id: game_id.to_owned(),
            });
        };
        if expected.is_some_and(|expected| record.status != expected) {
            return Err(Outcome::Conflict {
                operation,
                game_id: game_id.to_owned(),
            });
        }
        Ok(record)
    }

    fn update_status(&mut self, input: &UpdateStatusInput) -> Outcome {
        if is_blank(&input.game_id) {
            return Outcome::InvalidInput;
        }
        let (from, to) = (input.expected_from, input.to);
        if !allowed_targets(from).contains(&to) {
            return Outcome::InvalidTransition(format!(
                "update runtime status: runtime status transition from \"{from}\" to \"{to}\" \
                 is not allowed"
            ));
        }
        let blank_when_set = |text: &Option<String>| text.as_deref().is_some_and(is_blank);
        if !is_usable(input.now)
            || blank_when_set(&input.current_image_ref)
            || blank_when_set(&input.current_engine_version)
        {
            return Outcome::InvalidInput;
        }
        let record =
            match self.stored_for_update(Operation::UpdateStatus, &input.game_id, Some(from)) {
                Ok(record) => record,
                Err(refusal) => return refusal,
            };
        let now = truncate(input.now);
        record.status = to;
        record.updated_at = now;
        if from == Status::Starting && to == Status::Running {
            record.started_at = Some(now);
        }
        if to == Status::Stopped {
            record.stopped_at = Some(now);
        }
        if to == Status::Finished {
            record.finished_at = Some(now);
        }
        if let Some(health) = &input.engine_health_summary {
            record.engine_health.clone_from(health);
        }
        if let Some(image) = &input.current_image_ref {
            record.current_image_ref.clone_from(image);
        }
        if let Some(version) = &input.current_engine_version {
            record.current_engine_version.clone_from(version);
        }
        Outcome::Ok(OkValue::Unit)
    }

    fn update_scheduling(&mut self, input: &UpdateSchedulingInput) -> Outcome {
        if is_blank(&input.game_id)
            || input.next_generation_at.is_some_and(|at| !is_usable(at))
            || !is_usable(input.now)
        {
            return Outcome::InvalidInput;
        }
        let record = match self.stored_for_update(Operation::UpdateScheduling, &input.game_id, None)
        {
            Ok(record) => record,
            Err(refusal) => return refusal,
        };
        record.next_generation_at = input.next_generation_at.map(truncate);
        record.skip_next_tick = input.skip_next_tick;
        record.current_turn = input.current_turn;
        record.updated_at = truncate(input.now);
        Outcome::Ok(OkValue::Unit)
    }

    fn update_image(&mut self, input: &UpdateImageInput) -> Outcome {
        if is_blank(&input.game_id)
            || is_blank(&input.current_image_ref)
            || is_blank(&input.current_engine_version)
            || !is_usable(input.now)
        {
            return Outcome::InvalidInput;
        }
        let record = match self.stored_for_update(
            Operation::UpdateImage,
            &input.game_id,
            Some(input.expected_status),
        ) {
            Ok(record) => record,
            Err(refusal) => return refusal,
        };
        record
            .current_image_ref
            .clone_from(&input.current_image_ref);
        record
            .current_engine_version
            .clone_from(&input.current_engine_version);
        record.updated_at = truncate(input.now);
        Outcome::Ok(OkValue::Unit)
    }

    fn update_engine_health(&mut self, input: &UpdateEngineHealthInput) -> Outcome {
        if is_blank(&input.game_id) || !is_usable(input.now) {
            return Outcome::InvalidInput;
        }
        let record =
            match self.stored_for_update(Operation::UpdateEngineHealth, &input.game_id, None) {
                Ok(record) => record,
                Err(refusal) => return refusal,
            };
        record
            .engine_health
            .clone_from(&input.engine_health_summary);
        record.updated_at = truncate(input.now);
        Outcome::Ok(OkValue::Unit)
    }
}

/// Runs `op` on `store`. Refusals become [`Outcome`]s; a backend or sandbox failure,
/// which the model never predicts, is returned as the error. [`PageStart::Previous`]
/// passes no cursor here (a first page); [`execute_continuing`] passes the previous one.
pub async fn execute(store: &RuntimeStore, op: &Op) -> Result<Outcome, StoreError> {
    execute_continuing(store, op, None)
        .await
        .map(|(outcome, _)| outcome)
}

/// [`execute`] with [`PageStart::Previous`] passing `previous`; also returns the next
/// cursor of a page answered.
pub async fn execute_continuing(
    store: &RuntimeStore,
    op: &Op,
    previous: Option<&str>,
) -> Result<(Outcome, Option<String>), StoreError> {
    let cursor = |start: &PageStart| -> Option<String> {
        match start {
            PageStart::First => None,
            PageStart::Previous => previous.map(str::to_owned),
            PageStart::Cursor(text) => Some(text.clone()),
        }
    };
    let page = |result: Result<runtime_store_host::RecordPage, StoreError>| {
        result.map(|page| OkValue::Page {
            records: page.records,
            next_cursor: page.next_cursor,
        })
    };
    let unit = |()| OkValue::Unit;
    let result = match op {
        Op::Get(game_id) => store
            .get(game_id)
            .await
            .map(|record| OkValue::Record(Box::new(record))),
        Op::Insert(record) => store.insert(record).await.map(unit),
        Op::UpdateStatus(input) => store.update_status(input).await.map(unit),
        Op::UpdateScheduling(input) => store.update_scheduling(input).await.map(unit),
        Op::UpdateImage(input) => store.update_image(input).await.map(unit),
        Op::UpdateEngineHealth(input) => store.update_engine_health(input).await.map(unit),
        Op::Delete(game_id) => store.delete(game_id).await.map(unit),
        Op::ListDueRunning(now) => store.list_due_running(*now).await.map(OkValue::Records),
        Op::ListByStatus(status) => store.list_by_status(*status).await.map(OkValue::Records),
        Op::List => store.list().await.map(OkValue::Records),
        Op::ListDueRunningPage { now, start, limit } => page(
            store
                .list_due_running_page(*now, cursor(start).as_deref(), *limit)
                .await,
        ),
        Op::ListByStatusPage {
            status,
            start,
            limit,
        } => page(
            store
                .list_by_status_page(*status, cursor(start).as_deref(), *limit)
                .await,
        ),
        Op::ListPage { start, limit } => {
            page(store.list_page(cursor(start).as_deref(), *limit).await)
        }
    };
    let outcome = match result {
        Ok(OkValue::Page {
            records,
            next_cursor,
        }) => {
            return Ok((
                Outcome::Page {
                    records,
                    has_next_cursor: next_cursor.is_some(),
                },
                next_cursor,
            ));
        }
        Ok(value) => Ok(Outcome::Ok(value)),
        Err(StoreError::NotFound { operation, game_id }) => {
            Ok(Outcome::NotFound { operation, game_id })
        }
        Err(StoreError::Conflict { operation, game_id }) => {
            Ok(Outcome::Conflict { operation, game_id })
        }
        Err(StoreError::InvalidInput(_)) => Ok(Outcome::InvalidInput),
        Err(StoreError::InvalidTransition(message)) => Ok(Outcome::InvalidTransition(message)),
        Err(other) => Err(other),
    };
    outcome.map(|outcome| (outcome, None))
}

/// Where a store and the model parted ways.
#[derive(Debug, thiserror::Error)]
pub enum Divergence {
    /// The store held records before the sequence started; the model starts empty.
    #[error("the store holds {records} records before the sequence; it must start empty")]
    NotEmpty {
        /// How many.
        records: usize,
    },
    /// `list()` failed before the sequence started.
    #[error("list() before the sequence failed: {0}")]
    EmptinessCheck(StoreError),
    /// A step returned something other than the model's prediction.
    #[error("step {step}: {op}\n  {difference}\nsteps run before it:\n{transcript}")]
    Step {
        /// Its position, from 1.
        step: usize,
        /// The operation as run.
        op: String,
        /// What differed.
        difference: String,
        /// The operations run before it and their results, one a line.
        transcript: String,
    },
    /// After the sequence, `list()` differs from the model's records.
    #[error("final list(): {difference}\nsteps run:\n{transcript}")]
    Final {
        /// What differed.
        difference: String,
        /// The operations run and their results, one a line.
        transcript: String,
    },
}

/// Runs `steps` on `store`, which must be empty, and on a fresh [`Model`]; compares every
/// result and then `list()` with the model's records. Returns what the steps did.
pub async fn check_sequence(store: &RuntimeStore, steps: &[Step]) -> Result<Tally, Divergence> {
    let before = store.list().await.map_err(Divergence::EmptinessCheck)?;
    if !before.is_empty() {
        return Err(Divergence::NotEmpty {
            records: before.len(),
        });
    }
    let mut model = Model::new();
    let mut tally = Tally::default();
    let mut transcript = String::new();
    // The store's next cursor of the latest page it answered: PageStart::Previous.
    let mut previous_cursor: Option<String> = None;
    for (position, step) in steps.iter().enumerate() {
        let op = model.resolve(step);
        let expected = model.apply(&op);
        let difference = match execute_continuing(store, &op, previous_cursor.as_deref()).await {
            Ok((actual, next_cursor)) => {
                if let Outcome::Page { .. } = actual {
                    previous_cursor = next_cursor;
                }
                expected.difference(&actual)
            }
            Err(error) => Some(format!("expected {expected}, got error {error}")),
        };
        if let Some(difference) = difference {
            return Err(Divergence::Step {
                step: position + 1,
                op: op.to_string(),
                difference,
                transcript,
            });
        }
        tally.record(op.operation(), &expected);
        transcript.push_str(&format!("  {}. {op}\n     -> {expected}\n", position + 1));
    }
    let expected = Outcome::Ok(OkValue::Records(model.list()));
    let difference = match execute(store, &Op::List).await {
        Ok(actual) => expected.difference(&actual),
        Err(error) => Some(format!("got error {error}")),
    };
    match difference {
        Some(difference) => Err(Divergence::Final {
            difference,
            transcript,
        }),
        None => Ok(tally),
    }
}

/// How many random sequences a run checks and how far it shrinks a failing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Sequences to generate.
    pub cases: u32,
    /// The most steps in one sequence.
    pub max_steps: usize,
    /// The most shrinking steps after a failure.
    pub max_shrink_iters: u32,
}

/// The environment variable that replaces [`Budget::cases`] in [`check_sequences`]: how
/// many random sequences every model-based test checks (CI and soak runs set it).
pub const CASES_VARIABLE: &str = "RUNTIME_STORE_MODEL_CASES";

impl Budget {
    /// This budget with `cases` taken from [`CASES_VARIABLE`] when it is set. Panics when
    /// it is set to something other than a positive integer (a typo must not silently run
    /// the default).
    pub fn from_env(self) -> Budget {
        match std::env::var(CASES_VARIABLE) {
            Err(std::env::VarError::NotPresent) => self,
            Ok(text) => match text.trim().parse::<u32>() {
                Ok(cases) if cases > 0 => Budget { cases, ..self },
                _ => panic!("{CASES_VARIABLE} must be a positive integer, not {text:?}"),
            },
            Err(std::env::VarError::NotUnicode(text)) => {
                panic!("{CASES_VARIABLE} must be a positive integer, not {text:?}")
            }
        }
    }
}

/// Checks random sequences of [`steps`] with `check_case`, which must give each one an
/// empty store and run [`check_sequence`] on it: `budget.cases` of them, or as many as
/// [`CASES_VARIABLE`] says when it is set ([`Budget::from_env`]). Returns the merged
/// [`Tally`], or the failure with the shrunk sequence (its `Display` shows both). Failing
/// sequences are not persisted: they are printed.
pub fn check_sequences(
    budget: Budget,
    check_case: impl Fn(&[Step]) -> Result<Tally, Divergence>,
) -> Result<Tally, TestError<Vec<Step>>> {
    run_sequences(budget.from_env(), check_case)
}

/// [`check_sequences`] with exactly `budget.cases` sequences, whatever the environment
/// says (the soak command counts its own).
pub fn run_sequences(
    budget: Budget,
    check_case: impl Fn(&[Step]) -> Result<Tally, Divergence>,
) -> Result<Tally, TestError<Vec<Step>>> {
    let config = Config {
        cases: budget.cases,
        max_shrink_iters: budget.max_shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    let tally = RefCell::new(Tally::default());
    TestRunner::new(config).run(&steps(budget.max_steps), |sequence| {
        let case = check_case(&sequence)
            .map_err(|divergence| TestCaseError::fail(divergence.to_string()))?;
        tally.borrow_mut().merge(&case);
        Ok(())
    })?;
    Ok(tally.into_inner())
}

/// A game id: mostly one of [`GAME_IDS`], sometimes one of [`BLANK_IDS`].
pub fn game_id() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => select(&GAME_IDS[..]),
        1 => select(&BLANK_IDS[..]),
    ]
    .prop_map(str::to_owned)
}

/// Any of the seven statuses.
pub fn status() -> impl Strategy<Value = Status> {
    select(&Status::ALL[..])
}

/// A valid, non-zero timestamp within a few seconds of the others (so orders tie and
/// due-times compare both ways), with nanoseconds that truncation changes; sometimes at
/// the ends of the valid range.
pub fn valid_timestamp() -> impl Strategy<Value = Timestamp> {
    let nanoseconds = prop_oneof![
        0..NANOS_PER_SECOND,
        select(&[0, 999, 1_000, 1_999, 500_000_500, 999_999_999][..]),
    ];
    prop_oneof![
        30 => (1_i64..4, nanoseconds).prop_map(at),
        1 => (Just(0_i64), NANOS_PER_MICRO..NANOS_PER_SECOND).prop_map(at),
        1 => (select(&[MIN_SECONDS, MAX_SECONDS][..]), Just(999_999_999)).prop_map(at),
    ]
}

/// A timestamp: mostly [`valid_timestamp`], sometimes zero or invalid (nanoseconds of a
/// second or more, or a year outside 0001..9999).
pub fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        20 => valid_timestamp(),
        1 => (Just(0_i64), 0..NANOS_PER_MICRO).prop_map(at),
        1 => (1_i64..4, NANOS_PER_SECOND..=u32::MAX).prop_map(at),
        1 => (select(&[MIN_SECONDS - 1, MAX_SECONDS + 1][..]), 0..NANOS_PER_SECOND).prop_map(at),
    ]
}

fn at((seconds, nanoseconds): (i64, u32)) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds,
    }
}

/// A text from `values`, sometimes blank.
fn text(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        30 => select(values),
        1 => select(&["", "  "][..]),
    ]
    .prop_map(str::to_owned)
}

fn image_ref() -> impl Strategy<Value = String> {
    text(&["registry.local/engine:1.0", "registry.local/engine:2.0"])
}

fn engine_version() -> impl Strategy<Value = String> {
    text(&["1.0.0", "2.0.0"])
}

fn engine_health() -> impl Strategy<Value = String> {
    select(&["", "healthy", "degraded", "unreachable"][..]).prop_map(str::to_owned)
}

fn optional_timestamp() -> impl Strategy<Value = Option<Timestamp>> {
    prop::option::weighted(0.5, timestamp())
}

/// A record's timestamp: seldom zero or invalid, so most inserts succeed.
fn record_timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![12 => valid_timestamp(), 1 => timestamp()]
}

/// An optional record stamp.
fn optional_stamp() -> impl Strategy<Value = Option<Timestamp>> {
    prop::option::weighted(0.4, record_timestamp())
}

/// How a record's updated-at relates to its created-at.
#[derive(Debug, Clone, Copy)]
enum UpdatedAt {
    /// The same instant.
    Same,
    /// `seconds` later (or earlier, when negative), at the given nanoseconds.
    Shifted(i64, u32),
}

/// A record to insert: mostly valid, with updated-at mostly not before created-at.
pub fn record() -> BoxedStrategy<RuntimeRecord> {
    let identity = (
        game_id(),
        status(),
        text(&["http://engine-1:8080", "http://engine-2:8080"]),
        image_ref(),
        engine_version(),
        engine_health(),
    );
    let schedule = (0_u32..5, optional_stamp(), any::<bool>());
    let updated_at = prop_oneof![
        4 => Just(UpdatedAt::Same),
        5 => (prop_oneof![4 => Just(1_i64), 1 => Just(-1_i64)], 0..NANOS_PER_SECOND)
            .prop_map(|(seconds, nanoseconds)| UpdatedAt::Shifted(seconds, nanoseconds)),
    ];
    let times = (
        record_timestamp(),
        updated_at,
        optional_stamp(),
        optional_stamp(),
        optional_stamp(),
    );
    (identity, schedule, times)
        .prop_map(
            |(
                (
                    game_id,
                    status,
                    engine_endpoint,
                    current_image_ref,
                    current_engine_version,
                    health,
                ),
                (current_turn, next_generation_at, skip_next_tick),
                (created_at, updated_at, started_at, stopped_at, finished_at),
            )| RuntimeRecord {
                game_id,
                status,
                engine_endpoint,
                current_image_ref,
                current_engine_version,
                engine_health: health,
                current_turn,
                next_generation_at,
                skip_next_tick,
                created_at,
                updated_at: match updated_at {
                    UpdatedAt::Same => created_at,
                    UpdatedAt::Shifted(seconds, nanoseconds) => Timestamp {
                        seconds: created_at.seconds.saturating_add(seconds),
                        nanoseconds,
                    },
                },
                started_at,
                stopped_at,
                finished_at,
            },
        )
        .boxed()
}

/// A pair of statuses for `update-status`: mostly one the table allows (so the call gets
/// as far as the compare-and-swap), sometimes any pair.
fn transition() -> impl Strategy<Value = (Status, Status)> {
    let allowed = (status(), any::<Index>()).prop_map(|(from, pick)| {
        let targets = allowed_targets(from);
        // Finished allows nothing: the pair stays refused.
        let to = if targets.is_empty() {
            from
        } else {
            *pick.get(targets)
        };
        (from, to)
    });
    prop_oneof![2 => allowed, 1 => (status(), status())]
}

fn update_status() -> BoxedStrategy<Op> {
    (
        game_id(),
        transition(),
        timestamp(),
        prop::option::of(engine_health()),
        prop::option::of(image_ref()),
        prop::option::of(engine_version()),
    )
        .prop_map(
            |(game_id, (expected_from, to), now, health, image, version)| {
                Op::UpdateStatus(UpdateStatusInput {
                    game_id,
                    expected_from,
                    to,
                    now,
                    engine_health_summary: health,
                    current_image_ref: image,
                    current_engine_version: version,
                })
            },
        )
        .boxed()
}

fn update_image() -> BoxedStrategy<Op> {
    (
        game_id(),
        status(),
        image_ref(),
        engine_version(),
        timestamp(),
    )
        .prop_map(|(game_id, expected_status, image, version, now)| {
            Op::UpdateImage(UpdateImageInput {
                game_id,
                expected_status,
                current_image_ref: image,
                current_engine_version: version,
                now,
            })
        })
        .boxed()
}

fn steered(op: impl Strategy<Value = Op>) -> impl Strategy<Value = Step> {
    (op, any::<Index>()).prop_map(|(op, target)| Step::Steered { op, target })
}

/// One step: any of the thirteen operations, inserts, status changes and pages the most
/// often.
pub fn step() -> impl Strategy<Value = Step> {
    let plain = prop_oneof![
        2 => game_id().prop_map(Op::Get),
        4 => record().prop_map(Op::Insert),
        3 => update_status(),
        2 => (game_id(), optional_timestamp(), any::<bool>(), 0_u32..100, timestamp()).prop_map(
            |(game_id, next_generation_at, skip_next_tick, current_turn, now)| {
                Op::UpdateScheduling(UpdateSchedulingInput {
                    game_id,
                    next_generation_at,
                    skip_next_tick,
                    current_turn,
                    now,
                })
            }
        ),
        2 => update_image(),
        2 => (game_id(), engine_health(), timestamp()).prop_map(|(game_id, health, now)| {
            Op::UpdateEngineHealth(UpdateEngineHealthInput {
                game_id,
                engine_health_summary: health,
                now,
            })
        }),
        1 => game_id().prop_map(Op::Delete),
        2 => timestamp().prop_map(Op::ListDueRunning),
        1 => status().prop_map(Op::ListByStatus),
        1 => Just(Op::List),
        4 => page_op(),
    ];
    prop_oneof![
        20 => plain.prop_map(Step::Op),
        5 => steered(update_status()),
        2 => steered(update_image()),
    ]
}

/// Where a generated page starts: mostly after the previous page, so sequences walk
/// through whole lists while records change between pages.
fn page_start() -> impl Strategy<Value = PageStart> {
    prop_oneof![
        2 => Just(PageStart::First),
        5 => Just(PageStart::Previous),
        1 => select(&MALFORMED_CURSORS[..]).prop_map(|text| PageStart::Cursor(text.to_owned())),
    ]
}

/// A page limit: mostly small (a few records make several pages), sometimes at or out of
/// the ends of 1..=500.
fn page_limit() -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => 1_u32..=3,
        1 => select(&[0_u32, 500, 501, u32::MAX][..]),
    ]
}

/// One of the three page calls.
fn page_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (page_start(), page_limit()).prop_map(|(start, limit)| Op::ListPage { start, limit }),
        2 => (status(), page_start(), page_limit()).prop_map(|(status, start, limit)| {
            Op::ListByStatusPage { status, start, limit }
        }),
        2 => (timestamp(), page_start(), page_limit()).prop_map(|(now, start, limit)| {
            Op::ListDueRunningPage { now, start, limit }
        }),
    ]
}

/// A sequence of 1 to `max_len` steps.
pub fn steps(max_len: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..=max_len.max(1))
}
