//! Fuzzing the runtime record store on stable Rust, with proptest as the input engine.
//!
//! A case is a few valid inserts and then up to twelve [`Call`]s, any of the thirteen
//! `store` operations (the three page calls with any limit and cursors that are absent,
//! the previous page's, well formed or not) and the seven `rules` functions, with arbitrary arguments: strings of any Unicode scalar
//! values, white space of every kind, NUL, lengths at and around every limit, strings of
//! up to two million characters; timestamps with any `seconds` and `nanoseconds`; any
//! turn; any status. Game ids come often from a small pool so calls meet the same record.
//!
//! * [`fuzz_native`] runs cases through the rules crate compiled natively
//!   (`runtime-store-rules` over its `MemoryStorage`): no call may panic, every answer
//!   is a result or a typed error, and every refusal carries its operation's prefix.
//! * [`fuzz_wasm`] runs cases through the wasm host (`runtime-store-host` on the memory
//!   adapter) and natively side by side: no call may trap or fail in the sandbox or the
//!   backend, and every answer must equal the native one (the component is the native
//!   rules compiled to wasm; huge strings reach it as the host's stand-in, which must not
//!   change any answer).
//!
//! Every page answer, on either path, is also checked against the whole list and the
//! cursor's position (`check_page`): the records after the cursor, at most the limit, a
//! next cursor exactly when more follow.
//!
//! Both return [`Stats`] (cases, calls, answers by operation and kind); a failing case
//! comes back shrunk. [`CASES_VARIABLE`] sets the number of cases of the tests.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use runtime_store_backend::{Backend, ScanFilter};
use runtime_store_conformance::{Call, OkValue, execute};
use runtime_store_host::{
    RuntimeRecord, RuntimeStore, Status, StoreError, Timestamp, UpdateEngineHealthInput,
    UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
use runtime_store_memory::MemoryBackend;
use runtime_store_rules::memory::MemoryStorage;
use runtime_store_rules::types as native;

/// The environment variable with the number of cases a fuzz test runs (a few hundred by
/// default; the soak sizes are a million natively and a hundred thousand through wasm).
pub const CASES_VARIABLE: &str = "RUNTIME_STORE_FUZZ_CASES";

/// `cases` unless [`CASES_VARIABLE`] is set (to a positive integer, or this panics).
pub fn cases_from_env(cases: u32) -> u32 {
    match std::env::var(CASES_VARIABLE) {
        Err(_) => cases,
        Ok(text) => text
            .trim()
            .parse()
            .ok()
            .filter(|cases| *cases > 0)
            .unwrap_or_else(|| panic!("{CASES_VARIABLE} must be a positive integer, not {text:?}")),
    }
}

/// What a call answered, in terms both paths share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Success with this value.
    Ok(OkValue),
    /// `not-found`.
    NotFound,
    /// `conflict`.
    Conflict,
    /// `invalid-input` with its message.
    InvalidInput(String),
    /// `invalid-transition` with its message.
    InvalidTransition(String),
}

impl Answer {
    fn kind(&self) -> &'static str {
        match self {
            Answer::Ok(_) => "ok",
            Answer::NotFound => "not-found",
            Answer::Conflict => "conflict",
            Answer::InvalidInput(_) => "invalid-input",
            Answer::InvalidTransition(_) => "invalid-transition",
        }
    }
}

/// How many cases and calls ran, and what they answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Cases (sequences of calls) run.
    pub cases: u64,
    /// Calls made (on each path).
    pub calls: u64,
    /// Calls whose input held a string beyond the host's stand-in size (8192 characters).
    pub huge_inputs: u64,
    /// Answers by function name and answer kind.
    pub answers: BTreeMap<(&'static str, &'static str), u64>,
    /// Wall time.
    pub elapsed: Duration,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for ((name, kind), count) in &self.answers {
            writeln!(f, "  {name} {kind}: {count}")?;
        }
        write!(
            f,
            "{} cases, {} calls ({} with a string over 8192 characters) in {:.1} s",
            self.cases,
            self.calls,
            self.huge_inputs,
            self.elapsed.as_secs_f64()
        )
    }
}

// ---------------------------------------------------------------------------------------
// Inputs

const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// Characters that matter to the rules: NUL, every kind of white space, other controls,
/// one to four UTF-8 bytes.
const SPECIAL: &[char] = &[
    '\0',
    ' ',
    '\t',
    '\n',
    '\r',
    '\u{b}',
    '\u{c}',
    '\u{85}',
    '\u{a0}',
    '\u{1680}',
    '\u{2000}',
    '\u{200a}',
    '\u{2028}',
    '\u{2029}',
    '\u{202f}',
    '\u{205f}',
    '\u{3000}',
    '\u{1c}',
    '\u{1f}',
    '\u{7f}',
    '\u{200b}',
    '\u{feff}',
    'a',
    'Z',
    '-',
    '"',
    '\\',
    'é',
    '€',
    '😀',
    '\u{10ffff}',
];

/// A string of `unit` repeated to `bytes` UTF-8 bytes or just over, then `tail`.
fn sized(unit: char, bytes: usize, tail: Option<char>) -> String {
    let mut text = unit.to_string().repeat(bytes.div_ceil(unit.len_utf8()));
    text.extend(tail);
    text
}

/// Any string: mostly short, of any characters or the special ones; sometimes at a
/// length limit (256, 4096 bytes) or the host's stand-in size (8192 characters); rarely
/// up to two million characters.
pub fn text() -> BoxedStrategy<String> {
    let special = prop::collection::vec(select(SPECIAL), 0..12)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    let unit = select(SPECIAL);
    let tail = prop::option::of(select(SPECIAL));
    let near_limit = (
        unit.clone(),
        select(&[255_usize, 256, 257, 4095, 4096, 4097][..]),
        tail.clone(),
    )
        .prop_map(|(unit, bytes, tail)| sized(unit, bytes, tail));
    let stand_in = (unit.clone(), 8190_usize..8195, tail.clone())
        .prop_map(|(unit, chars, tail)| sized(unit, chars * unit.len_utf8(), tail));
    let huge = (unit, 10_000_usize..2_000_000, tail)
        .prop_map(|(unit, chars, tail)| sized(unit, chars * unit.len_utf8(), tail));
    prop_oneof![
        400 => any::<String>(),
        400 => special,
        20 => near_limit,
        8 => stand_in,
        1 => huge,
    ]
    .boxed()
}

/// A game id: mostly from a small pool (so calls meet the same record), sometimes a
/// blank or NUL one, otherwise any [`text`].
pub fn game_id() -> BoxedStrategy<String> {
    prop_oneof![
        6 => select(&["g", "G", "game-1", "ü"][..]).prop_map(str::to_owned),
        1 => select(&[" g", "g\u{0}", "", "\u{3000}"][..]).prop_map(str::to_owned),
        3 => text(),
    ]
    .boxed()
}

/// Any timestamp: near the present, any bit pattern, or at the edges of validity.
pub fn timestamp() -> BoxedStrategy<Timestamp> {
    let seconds_edges = select(
        &[
            0,
            -1,
            1,
            MIN_SECONDS - 1,
            MIN_SECONDS,
            MAX_SECONDS,
            MAX_SECONDS + 1,
            i64::MIN,
            i64::MAX,
        ][..],
    );
    let nanos_edges = select(&[0_u32, 999, 1_000, 999_999_999, 1_000_000_000, u32::MAX][..]);
    prop_oneof![
        4 => (1_700_000_000_i64..1_700_000_100, 0_u32..1_000_000_000),
        2 => (any::<i64>(), any::<u32>()),
        2 => (seconds_edges, nanos_edges),
    ]
    .prop_map(|(seconds, nanoseconds)| Timestamp {
        seconds,
        nanoseconds,
    })
    .boxed()
}

fn optional_timestamp() -> BoxedStrategy<Option<Timestamp>> {
    prop::option::of(timestamp()).boxed()
}

/// Any of the seven statuses.
pub fn status() -> BoxedStrategy<Status> {
    select(&Status::ALL[..]).boxed()
}

/// A non-blank text most of the time (so records pass validation and later calls find
/// them), any [`text`] otherwise.
fn plausible_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(&["x", "registry.local/engine:1", "é€😀", "a\u{1}b", "1.0"][..])
            .prop_map(str::to_owned),
        1 => text(),
    ]
    .boxed()
}

/// A timestamp near the present most of the time, any [`timestamp`] otherwise.
fn plausible_timestamp() -> BoxedStrategy<Timestamp> {
    prop_oneof![
        6 => (1_700_000_000_i64..1_700_000_100, 0_u32..1_000_000_000).prop_map(
            |(seconds, nanoseconds)| Timestamp { seconds, nanoseconds }
        ),
        1 => timestamp(),
    ]
    .boxed()
}

/// A record: half with every field arbitrary, half mostly valid (so it is stored and the
/// updates, conflicts and lists that follow have something to work on).
pub fn record() -> BoxedStrategy<RuntimeRecord> {
    prop_oneof![arbitrary_record(), plausible_record()].boxed()
}

/// The strings of a record (game id, status, endpoint, image, version, health), its
/// scheduling (turn, next tick, skip) and its five timestamps (created, updated, started,
/// stopped, finished), as the record strategies generate them.
type RecordParts = (
    (String, Status, String, String, String, String),
    (u32, Option<Timestamp>, bool),
    (
        Timestamp,
        Timestamp,
        Option<Timestamp>,
        Option<Timestamp>,
        Option<Timestamp>,
    ),
);

fn assemble(parts: RecordParts) -> RuntimeRecord {
    let (
        (
            game_id,
            status,
            engine_endpoint,
            current_image_ref,
            current_engine_version,
            engine_health,
        ),
        (current_turn, next_generation_at, skip_next_tick),
        (created_at, updated_at, started_at, stopped_at, finished_at),
    ) = parts;
    RuntimeRecord {
        game_id,
        status,
        engine_endpoint,
        current_image_ref,
        current_engine_version,
        engine_health,
        current_turn,
        next_generation_at,
        skip_next_tick,
        created_at,
        updated_at,
        started_at,
        stopped_at,
        finished_at,
    }
}

fn plausible_record() -> BoxedStrategy<RuntimeRecord> {
    let stamp = || prop::option::weighted(0.3, plausible_timestamp());
    let created_and_updated = (plausible_timestamp(), 0_i64..3).prop_map(|(created_at, later)| {
        let updated_at = Timestamp {
            seconds: created_at.seconds.saturating_add(later),
            ..created_at
        };
        (created_at, updated_at)
    });
    (
        (
            game_id(),
            status(),
            plausible_text(),
            plausible_text(),
            plausible_text(),
            text(),
        ),
        (any::<u32>(), stamp(), any::<bool>()),
        (created_and_updated, stamp(), stamp(), stamp()),
    )
        .prop_map(
            |(texts, scheduling, ((created_at, updated_at), started, stopped, finished))| {
                assemble((
                    texts,
                    scheduling,
                    (created_at, updated_at, started, stopped, finished),
                ))
            },
        )
        .boxed()
}

fn arbitrary_record() -> BoxedStrategy<RuntimeRecord> {
    (
        (game_id(), status(), text(), text(), text(), text()),
        (any::<u32>(), optional_timestamp(), any::<bool>()),
        (
            timestamp(),
            timestamp(),
            optional_timestamp(),
            optional_timestamp(),
            optional_timestamp(),
        ),
    )
        .prop_map(assemble)
        .boxed()
}

fn update_status() -> BoxedStrategy<UpdateStatusInput> {
    (
        game_id(),
        status(),
        status(),
        timestamp(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(
            |(game_id, expected_from, to, now, health, image, version)| UpdateStatusInput {
                game_id,
                expected_from,
                to,
                now,
                engine_health_summary: health,
                current_image_ref: image,
                current_engine_version: version,
            },
        )
        .boxed()
}

fn update_scheduling() -> BoxedStrategy<UpdateSchedulingInput> {
    (
        game_id(),
        optional_timestamp(),
        any::<bool>(),
        any::<u32>(),
        plausible_timestamp(),
    )
        .prop_map(
            |(game_id, next_generation_at, skip_next_tick, current_turn, now)| {
                UpdateSchedulingInput {
                    game_id,
                    next_generation_at,
                    skip_next_tick,
                    current_turn,
                    now,
                }
            },
        )
        .boxed()
}

fn update_image() -> BoxedStrategy<UpdateImageInput> {
    (
        game_id(),
        status(),
        plausible_text(),
        plausible_text(),
        plausible_timestamp(),
    )
        .prop_map(
            |(game_id, expected_status, current_image_ref, current_engine_version, now)| {
                UpdateImageInput {
                    game_id,
                    expected_status,
                    current_image_ref,
                    current_engine_version,
                    now,
                }
            },
        )
        .boxed()
}

fn update_engine_health() -> BoxedStrategy<UpdateEngineHealthInput> {
    (game_id(), text(), timestamp())
        .prop_map(
            |(game_id, engine_health_summary, now)| UpdateEngineHealthInput {
                game_id,
                engine_health_summary,
                now,
            },
        )
        .boxed()
}

/// The cursor a page call carries as a stand-in for the `next-cursor` of the latest page
/// answered on the same path (none when that page was the last): [`run_native`] and
/// [`run_wasm`] see the call after [`continued`] put the real cursor in its place.
pub const PREVIOUS_PAGE: &str = "\u{0}previous-page";

/// A page limit: mostly small (so a few records make several pages), sometimes at and
/// around the ends of 1..=500, sometimes any.
pub fn limit() -> BoxedStrategy<u32> {
    prop_oneof![
        6 => 1_u32..=4,
        2 => select(&[0_u32, 1, 2, 499, 500, 501, u32::MAX][..]),
        1 => any::<u32>(),
    ]
    .boxed()
}

/// A cursor the component could have answered: either list order's tag, a timestamp near
/// the seed records' (or any), a game id of the pool or any text.
fn valid_cursor() -> BoxedStrategy<String> {
    use runtime_store_rules::cursor::encode;
    use runtime_store_rules::ordering::{ListOrder, Position};
    (
        select(&[ListOrder::NewestFirst, ListOrder::DueFirst][..]),
        plausible_timestamp(),
        prop_oneof![3 => select(&["g", "G", "game-1", "ü"][..]).prop_map(str::to_owned), 1 => text()],
    )
        .prop_map(|(order, at, game_id)| {
            encode(
                order,
                Position {
                    at: to_native_time(at),
                    game_id: &game_id,
                },
            )
        })
        .boxed()
}

/// A page cursor: none (the first page), the previous page's ([`PREVIOUS_PAGE`]), one the
/// component could have made, one almost so (cut, of the wrong case, with a stray dot) or
/// any text.
pub fn cursor() -> BoxedStrategy<Option<String>> {
    let almost = (valid_cursor(), 0_usize..4).prop_map(|(cursor, how)| match how {
        0 => cursor[..cursor.len() - 1].to_owned(),
        1 => cursor.to_uppercase(),
        2 => format!("{cursor}."),
        _ => format!("{cursor}0"),
    });
    prop_oneof![
        3 => Just(None),
        5 => Just(Some(PREVIOUS_PAGE.to_owned())),
        3 => valid_cursor().prop_map(Some),
        1 => almost.prop_map(Some),
        1 => text().prop_map(Some),
    ]
    .boxed()
}

/// `call` with [`PREVIOUS_PAGE`] replaced by `previous` (the next cursor of the latest page
/// this path answered).
pub fn continued(call: &Call, previous: Option<&str>) -> Call {
    match call {
        Call::ListDueRunningPage { cursor, .. }
        | Call::ListByStatusPage { cursor, .. }
        | Call::ListPage { cursor, .. }
            if cursor.as_deref() == Some(PREVIOUS_PAGE) =>
        {
            call.with_cursor(previous.map(str::to_owned))
        }
        _ => call.clone(),
    }
}

/// Keeps `previous` up to date: every page answered replaces it by its next cursor.
fn remember_cursor(answer: &Answer, previous: &mut Option<String>) {
    if let Answer::Ok(OkValue::Page { next_cursor, .. }) = answer {
        previous.clone_from(next_cursor);
    }
}

/// Any call with arbitrary arguments; the store's operations more often than the rules'.
pub fn call() -> BoxedStrategy<Call> {
    prop_oneof![
        3 => game_id().prop_map(|game_id| Call::Get { game_id }),
        6 => record().prop_map(Call::Insert),
        4 => update_status().prop_map(Call::UpdateStatus),
        3 => update_scheduling().prop_map(Call::UpdateScheduling),
        3 => update_image().prop_map(Call::UpdateImage),
        3 => update_engine_health().prop_map(Call::UpdateEngineHealth),
        2 => game_id().prop_map(|game_id| Call::Delete { game_id }),
        2 => timestamp().prop_map(|now| Call::ListDueRunning { now }),
        1 => status().prop_map(|status| Call::ListByStatus { status }),
        1 => Just(Call::List),
        2 => (timestamp(), cursor(), limit())
            .prop_map(|(now, cursor, limit)| Call::ListDueRunningPage { now, cursor, limit }),
        2 => (status(), cursor(), limit())
            .prop_map(|(status, cursor, limit)| Call::ListByStatusPage { status, cursor, limit }),
        2 => (cursor(), limit()).prop_map(|(cursor, limit)| Call::ListPage { cursor, limit }),
        1 => (status(), status()).prop_map(|(from, to)| Call::Transition { from, to }),
        1 => status().prop_map(|from| Call::AllowedTransitions { from }),
        1 => record().prop_map(Call::ValidateRecord),
        1 => update_status().prop_map(Call::ValidateUpdateStatus),
        1 => update_scheduling().prop_map(Call::ValidateUpdateScheduling),
        1 => update_image().prop_map(Call::ValidateUpdateImage),
        1 => update_engine_health().prop_map(Call::ValidateUpdateEngineHealth),
    ]
    .boxed()
}

/// A valid record on one of the pool's game ids, in any status: what a case starts with,
/// so its updates find records in every status.
fn seed_record() -> BoxedStrategy<RuntimeRecord> {
    (
        select(&["g", "G", "game-1", "ü"][..]),
        status(),
        1_700_000_000_i64..1_700_000_100,
        0_u32..1_000_000_000,
        prop::option::of(1_700_000_000_i64..1_700_000_100),
    )
        .prop_map(
            |(game_id, status, seconds, nanoseconds, due)| RuntimeRecord {
                next_generation_at: due.map(runtime_store_backend::sample::at),
                ..runtime_store_backend::sample::record(
                    game_id,
                    status,
                    Timestamp {
                        seconds,
                        nanoseconds,
                    },
                )
            },
        )
        .boxed()
}

/// A walk through one list: a first page of one or two records, then two to four pages
/// continuing the previous one (random calls are seldom that orderly).
fn walk() -> BoxedStrategy<Vec<Call>> {
    let first = prop_oneof![
        (plausible_timestamp(), 1_u32..=2).prop_map(|(now, limit)| Call::ListDueRunningPage {
            now: Timestamp {
                seconds: now.seconds + 200,
                ..now
            },
            cursor: None,
            limit,
        }),
        (status(), 1_u32..=2).prop_map(|(status, limit)| Call::ListByStatusPage {
            status,
            cursor: None,
            limit,
        }),
        (1_u32..=2).prop_map(|limit| Call::ListPage {
            cursor: None,
            limit,
        }),
    ];
    (first, 2_usize..=4)
        .prop_map(|(first, more)| {
            let next = first.with_cursor(Some(PREVIOUS_PAGE.to_owned()));
            std::iter::once(first)
                .chain(std::iter::repeat_n(next, more))
                .collect()
        })
        .boxed()
}

/// A case: up to three valid inserts on the pool's game ids, then one to twelve calls of
/// any kind, half the time with a walk through a list (`walk`) among them, on one store.
pub fn case() -> BoxedStrategy<Vec<Call>> {
    (
        prop::collection::vec(seed_record().prop_map(Call::Insert), 0..=3),
        prop::collection::vec(call(), 1..=12),
        prop::option::weighted(0.5, (walk(), any::<prop::sample::Index>())),
    )
        .prop_map(|(mut seeds, mut calls, walk)| {
            if let Some((walk, at)) = walk {
                let at = at.index(calls.len() + 1);
                calls.splice(at..at, walk);
            }
            seeds.extend(calls);
            seeds
        })
        .boxed()
}

/// Whether any string of the call is longer than the host passes whole.
fn has_huge_string(call: &Call) -> bool {
    let huge = |text: &str| text.len() > runtime_store_vocabulary::LARGEST_STRING_PASSED;
    let optional = |text: &Option<String>| text.as_deref().is_some_and(huge);
    let record = |record: &RuntimeRecord| {
        [
            &record.game_id,
            &record.engine_endpoint,
            &record.current_image_ref,
            &record.current_engine_version,
            &record.engine_health,
        ]
        .into_iter()
        .any(|text| huge(text))
    };
    match call {
        Call::Get { game_id } | Call::Delete { game_id } => huge(game_id),
        Call::Insert(input) | Call::ValidateRecord(input) => record(input),
        Call::UpdateStatus(input) | Call::ValidateUpdateStatus(input) => {
            huge(&input.game_id)
                || optional(&input.engine_health_summary)
                || optional(&input.current_image_ref)
                || optional(&input.current_engine_version)
        }
        Call::UpdateScheduling(input) | Call::ValidateUpdateScheduling(input) => {
            huge(&input.game_id)
        }
        Call::UpdateImage(input) | Call::ValidateUpdateImage(input) => {
            huge(&input.game_id)
                || huge(&input.current_image_ref)
                || huge(&input.current_engine_version)
        }
        Call::UpdateEngineHealth(input) | Call::ValidateUpdateEngineHealth(input) => {
            huge(&input.game_id) || huge(&input.engine_health_summary)
        }
        Call::ListDueRunningPage { cursor, .. }
        | Call::ListByStatusPage { cursor, .. }
        | Call::ListPage { cursor, .. } => optional(cursor),
        Call::ListDueRunning { .. }
        | Call::ListByStatus { .. }
        | Call::List
        | Call::Transition { .. }
        | Call::AllowedTransitions { .. } => false,
    }
}

// ---------------------------------------------------------------------------------------
// The native path: the rules crate over its MemoryStorage

fn to_native_status(status: Status) -> native::Status {
    match status {
        Status::Starting => native::Status::Starting,
        Status::Running => native::Status::Running,
        Status::GenerationInProgress => native::Status::GenerationInProgress,
        Status::GenerationFailed => native::Status::GenerationFailed,
        Status::EngineUnreachable => native::Status::EngineUnreachable,
        Status::Stopped => native::Status::Stopped,
        Status::Finished => native::Status::Finished,
    }
}

fn from_native_status(status: native::Status) -> Status {
    match status {
        native::Status::Starting => Status::Starting,
        native::Status::Running => Status::Running,
        native::Status::GenerationInProgress => Status::GenerationInProgress,
        native::Status::GenerationFailed => Status::GenerationFailed,
        native::Status::EngineUnreachable => Status::EngineUnreachable,
        native::Status::Stopped => Status::Stopped,
        native::Status::Finished => Status::Finished,
    }
}

fn to_native_time(at: Timestamp) -> native::Timestamp {
    native::Timestamp {
        seconds: at.seconds,
        nanoseconds: at.nanoseconds,
    }
}

fn from_native_time(at: native::Timestamp) -> Timestamp {
    Timestamp {
        seconds: at.seconds,
        nanoseconds: at.nanoseconds,
    }
}

fn to_native_record(record: &RuntimeRecord) -> native::RuntimeRecord {
    native::RuntimeRecord {
        game_id: record.game_id.clone(),
        status: to_native_status(record.status),
        engine_endpoint: record.engine_endpoint.clone(),
        current_image_ref: record.current_image_ref.clone(),
        current_engine_version: record.current_engine_version.clone(),
        engine_health: record.engine_health.clone(),
        current_turn: record.current_turn,
        next_generation_at: record.next_generation_at.map(to_native_time),
        skip_next_tick: record.skip_next_tick,
        created_at: to_native_time(record.created_at),
        updated_at: to_native_time(record.updated_at),
        started_at: record.started_at.map(to_native_time),
        stopped_at: record.stopped_at.map(to_native_time),
        finished_at: record.finished_at.map(to_native_time),
    }
}

fn from_native_record(record: native::RuntimeRecord) -> RuntimeRecord {
    RuntimeRecord {
        game_id: record.game_id,
        status: from_native_status(record.status),
        engine_endpoint: record.engine_endpoint,
        current_image_ref: record.current_image_ref,
        current_engine_version: record.current_engine_version,
        engine_health: record.engine_health,
        current_turn: record.current_turn,
        next_generation_at: record.next_generation_at.map(from_native_time),
        skip_next_tick: record.skip_next_tick,
        created_at: from_native_time(record.created_at),
        updated_at: from_native_time(record.updated_at),
        started_at: record.started_at.map(from_native_time),
        stopped_at: record.stopped_at.map(from_native_time),
        finished_at: record.finished_at.map(from_native_time),
    }
}

fn to_native_update_status(input: &UpdateStatusInput) -> native::UpdateStatusInput {
    native::UpdateStatusInput {
        game_id: input.game_id.clone(),
        expected_from: to_native_status(input.expected_from),
        to: to_native_status(input.to),
        now: to_native_time(input.now),
        engine_health_summary: input.engine_health_summary.clone(),
        current_image_ref: input.current_image_ref.clone(),
        current_engine_version: input.current_engine_version.clone(),
    }
}

fn to_native_update_scheduling(input: &UpdateSchedulingInput) -> native::UpdateSchedulingInput {
    native::UpdateSchedulingInput {
        game_id: input.game_id.clone(),
        next_generation_at: input.next_generation_at.map(to_native_time),
        skip_next_tick: input.skip_next_tick,
        current_turn: input.current_turn,
        now: to_native_time(input.now),
    }
}

fn to_native_update_image(input: &UpdateImageInput) -> native::UpdateImageInput {
    native::UpdateImageInput {
        game_id: input.game_id.clone(),
        expected_status: to_native_status(input.expected_status),
        current_image_ref: input.current_image_ref.clone(),
        current_engine_version: input.current_engine_version.clone(),
        now: to_native_time(input.now),
    }
}

fn to_native_update_engine_health(
    input: &UpdateEngineHealthInput,
) -> native::UpdateEngineHealthInput {
    native::UpdateEngineHealthInput {
        game_id: input.game_id.clone(),
        engine_health_summary: input.engine_health_summary.clone(),
        now: to_native_time(input.now),
    }
}

/// The native answer, or why it is not a typed one (a backend error from a storage that
/// cannot fail).
fn native_answer<T>(
    result: Result<T, native::StoreError>,
    ok: impl FnOnce(T) -> Answer,
) -> Result<Answer, String> {
    match result {
        Ok(value) => Ok(ok(value)),
        Err(native::StoreError::NotFound) => Ok(Answer::NotFound),
        Err(native::StoreError::Conflict) => Ok(Answer::Conflict),
        Err(native::StoreError::InvalidInput(message)) => Ok(Answer::InvalidInput(message)),
        Err(native::StoreError::InvalidTransition(message)) => {
            Ok(Answer::InvalidTransition(message))
        }
        Err(native::StoreError::Backend(error)) => {
            Err(format!("the memory storage failed: {error:?}"))
        }
    }
}

fn records(list: Vec<native::RuntimeRecord>) -> Answer {
    Answer::Ok(OkValue::Records(
        list.into_iter().map(from_native_record).collect(),
    ))
}

fn page(page: native::RuntimePage) -> Answer {
    Answer::Ok(OkValue::Page {
        records: page.records.into_iter().map(from_native_record).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Runs `call` natively on `storage`.
pub fn run_native(storage: &mut MemoryStorage, call: &Call) -> Result<Answer, String> {
    use runtime_store_rules::{store, transitions, validation};
    let unit = |()| Answer::Ok(OkValue::Unit);
    match call {
        Call::Get { game_id } => native_answer(store::get(storage, game_id), |record| {
            Answer::Ok(OkValue::Record(Box::new(from_native_record(record))))
        }),
        Call::Insert(record) => {
            native_answer(store::insert(storage, to_native_record(record)), unit)
        }
        Call::UpdateStatus(input) => native_answer(
            store::update_status(storage, to_native_update_status(input)),
            unit,
        ),
        Call::UpdateScheduling(input) => native_answer(
            store::update_scheduling(storage, to_native_update_scheduling(input)),
            unit,
        ),
        Call::UpdateImage(input) => native_answer(
            store::update_image(storage, to_native_update_image(input)),
            unit,
        ),
        Call::UpdateEngineHealth(input) => native_answer(
            store::update_engine_health(storage, to_native_update_engine_health(input)),
            unit,
        ),
        Call::Delete { game_id } => native_answer(store::delete(storage, game_id), unit),
        Call::ListDueRunning { now } => native_answer(
            store::list_due_running(storage, to_native_time(*now)),
            records,
        ),
        Call::ListByStatus { status } => native_answer(
            store::list_by_status(storage, to_native_status(*status)),
            records,
        ),
        Call::List => native_answer(store::list(storage), records),
        Call::ListDueRunningPage { now, cursor, limit } => native_answer(
            store::list_due_running_page(storage, to_native_time(*now), cursor.as_deref(), *limit),
            page,
        ),
        Call::ListByStatusPage {
            status,
            cursor,
            limit,
        } => native_answer(
            store::list_by_status_page(
                storage,
                to_native_status(*status),
                cursor.as_deref(),
                *limit,
            ),
            page,
        ),
        Call::ListPage { cursor, limit } => {
            native_answer(store::list_page(storage, cursor.as_deref(), *limit), page)
        }
        Call::Transition { from, to } => native_answer(
            transitions::transition(to_native_status(*from), to_native_status(*to)),
            unit,
        ),
        Call::AllowedTransitions { from } => Ok(Answer::Ok(OkValue::Statuses(
            transitions::allowed_transitions(to_native_status(*from))
                .iter()
                .copied()
                .map(from_native_status)
                .collect(),
        ))),
        Call::ValidateRecord(record) => {
            native_answer(validation::validate_record(&to_native_record(record)), unit)
        }
        Call::ValidateUpdateStatus(input) => native_answer(
            validation::validate_update_status(&to_native_update_status(input)),
            unit,
        ),
        Call::ValidateUpdateScheduling(input) => native_answer(
            validation::validate_update_scheduling(&to_native_update_scheduling(input)),
            unit,
        ),
        Call::ValidateUpdateImage(input) => native_answer(
            validation::validate_update_image(&to_native_update_image(input)),
            unit,
        ),
        Call::ValidateUpdateEngineHealth(input) => native_answer(
            validation::validate_update_engine_health(&to_native_update_engine_health(input)),
            unit,
        ),
    }
}

/// The largest page limit of the contract (the smallest is 1).
const LARGEST_LIMIT: u32 = 500;

/// Checks a page answer against what the whole list (natively, on `storage` as the page
/// saw it) and the cursor's position say, independently of how the rules cut pages: the
/// records after the cursor, at most `limit` of them, in the list's order; a next cursor
/// exactly when more follow, naming the page's last record; `invalid-input` exactly when
/// `now` (of the due list), the limit or the cursor is refused. Other calls pass.
fn check_page(storage: &mut MemoryStorage, call: &Call, answer: &Answer) -> Result<(), String> {
    use runtime_store_rules::cursor;
    use runtime_store_rules::ordering::{ListOrder, Position};
    use runtime_store_rules::store;
    let (whole, order, cursor_text, limit) = match call {
        Call::ListDueRunningPage { now, cursor, limit } => (
            store::list_due_running(storage, to_native_time(*now)),
            ListOrder::DueFirst,
            cursor,
            *limit,
        ),
        Call::ListByStatusPage {
            status,
            cursor,
            limit,
        } => (
            store::list_by_status(storage, to_native_status(*status)),
            ListOrder::NewestFirst,
            cursor,
            *limit,
        ),
        Call::ListPage { cursor, limit } => {
            (store::list(storage), ListOrder::NewestFirst, cursor, *limit)
        }
        _ => return Ok(()),
    };
    let refused = |why: &str| match answer {
        Answer::InvalidInput(_) => Ok(()),
        other => Err(format!(
            "{why}, so the page must be refused; it answered {other:?}"
        )),
    };
    let whole = match whole {
        Ok(whole) => whole,
        Err(native::StoreError::InvalidInput(_)) => return refused("the whole list refuses now"),
        Err(other) => return Err(format!("the whole list failed: {other:?}")),
    };
    if !(1..=LARGEST_LIMIT).contains(&limit) {
        return refused("the limit is outside 1..=500");
    }
    let after = match cursor_text
        .as_deref()
        .map(|text| cursor::decode(order, text))
    {
        None => None,
        Some(Some(key)) => Some(key),
        Some(None) => return refused("the cursor does not decode in this list's order"),
    };
    let mut rest: Vec<native::RuntimeRecord> = whole
        .into_iter()
        .filter(|record| {
            after.as_ref().is_none_or(|key| {
                order
                    .compare(order.position(record), Position::of_key(key))
                    .is_gt()
            })
        })
        .collect();
    let more = rest.len() > limit as usize;
    rest.truncate(limit as usize);
    let expected_next = rest
        .last()
        .filter(|_| more)
        .map(|last| order.position(last).to_key());
    let expected: Vec<RuntimeRecord> = rest.into_iter().map(from_native_record).collect();
    let Answer::Ok(OkValue::Page {
        records,
        next_cursor,
    }) = answer
    else {
        return Err(format!(
            "expected a page of {} records, got {answer:?}",
            expected.len()
        ));
    };
    if *records != expected {
        return Err(format!(
            "the page is not the whole list's records after the cursor:
page: {records:?}
expected: {expected:?}"
        ));
    }
    let named = next_cursor
        .as_deref()
        .map(|text| cursor::decode(order, text));
    match (named, expected_next) {
        (None, None) => Ok(()),
        (Some(Some(named)), Some(last)) if named == last => Ok(()),
        (named, last) => Err(format!(
            "next cursor {next_cursor:?} (naming {named:?}), expected one naming the page's last record when more follow ({last:?})"
        )),
    }
}

/// The prefix of the call's refusals: its operation's words (contract §2.5; a `validate-*`
/// function uses its store operation's), empty for `rules.transition`, `None` for the
/// calls that cannot refuse their input.
fn refusal_prefix(call: &Call) -> Option<String> {
    use runtime_store_vocabulary::Operation;
    let operation = match call {
        Call::Get { .. } => Operation::Get,
        Call::Insert(_) | Call::ValidateRecord(_) => Operation::Insert,
        Call::UpdateStatus(_) | Call::ValidateUpdateStatus(_) => Operation::UpdateStatus,
        Call::UpdateScheduling(_) | Call::ValidateUpdateScheduling(_) => {
            Operation::UpdateScheduling
        }
        Call::UpdateImage(_) | Call::ValidateUpdateImage(_) => Operation::UpdateImage,
        Call::UpdateEngineHealth(_) | Call::ValidateUpdateEngineHealth(_) => {
            Operation::UpdateEngineHealth
        }
        Call::Delete { .. } => Operation::Delete,
        Call::ListDueRunning { .. } => Operation::ListDueRunning,
        Call::ListDueRunningPage { .. } => Operation::ListDueRunningPage,
        Call::ListByStatusPage { .. } => Operation::ListByStatusPage,
        Call::ListPage { .. } => Operation::ListPage,
        Call::Transition { .. } => return Some(String::new()),
        Call::ListByStatus { .. } | Call::List | Call::AllowedTransitions { .. } => return None,
    };
    Some(format!("{}: ", operation.words()))
}

/// Checks what holds for every answer whichever path gave it: refusals carry the call's
/// prefix, and calls that cannot refuse never do.
fn check_answer(call: &Call, answer: &Answer) -> Result<(), String> {
    let prefix = refusal_prefix(call);
    match (answer, prefix.as_deref()) {
        (Answer::InvalidInput(message), Some(prefix))
            if message.starts_with(prefix) && message.len() > prefix.len() =>
        {
            Ok(())
        }
        (Answer::InvalidTransition(message), Some(prefix))
            if message.starts_with(prefix)
                && message[prefix.len()..].starts_with("runtime status transition from \"") =>
        {
            Ok(())
        }
        (Answer::InvalidInput(_) | Answer::InvalidTransition(_), _) => Err(format!(
            "{}: refusal without the prefix {prefix:?}: {answer:?}",
            call.op()
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// The wasm path: the host on the memory adapter

/// Runs `call` through the wasm host; a backend or sandbox failure is an error.
pub async fn run_wasm(store: &RuntimeStore, call: &Call) -> Result<Answer, String> {
    let result = execute(store, &store.rules(), call).await;
    match result {
        Ok(value) => Ok(Answer::Ok(value)),
        Err(StoreError::NotFound { .. }) => Ok(Answer::NotFound),
        Err(StoreError::Conflict { .. }) => Ok(Answer::Conflict),
        Err(StoreError::InvalidInput(message)) => Ok(Answer::InvalidInput(message)),
        Err(StoreError::InvalidTransition(message)) => Ok(Answer::InvalidTransition(message)),
        Err(error @ (StoreError::Backend { .. } | StoreError::Sandbox { .. })) => {
            Err(format!("{}: not a typed answer: {error}", call.op()))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Runs

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    })
}

fn tally(stats: &RefCell<Stats>, call: &Call, answer: &Answer) {
    let mut stats = stats.borrow_mut();
    stats.calls += 1;
    stats.huge_inputs += u64::from(has_huge_string(call));
    *stats.answers.entry((call.op(), answer.kind())).or_default() += 1;
}

/// A case as text for a failure: each call, long strings cut.
fn shown(call: &Call) -> String {
    let text = format!("{call:?}");
    if text.len() <= 600 {
        return text;
    }
    let cut: String = text.chars().take(600).collect();
    format!("{cut}… ({} bytes)", text.len())
}

/// Runs `cases` random cases natively. Returns the counts, or the shrunk failing case.
pub fn fuzz_native(cases: u32) -> Result<Stats, String> {
    let started = Instant::now();
    let stats = RefCell::new(Stats::default());
    runner(cases)
        .run(&case(), |calls| {
            let mut storage = MemoryStorage::default();
            let mut previous = None;
            for (position, call) in calls.iter().enumerate() {
                let call = &continued(call, previous.as_deref());
                let answer = run_native(&mut storage, call)
                    .and_then(|answer| check_answer(call, &answer).map(|()| answer))
                    .and_then(|answer| check_page(&mut storage, call, &answer).map(|()| answer))
                    .map_err(|problem| {
                        TestCaseError::fail(format!("call {position}: {}\n{problem}", shown(call)))
                    })?;
                remember_cursor(&answer, &mut previous);
                tally(&stats, call, &answer);
            }
            stats.borrow_mut().cases += 1;
            Ok(())
        })
        .map_err(|failure| failure.to_string())?;
    let mut stats = stats.into_inner();
    stats.elapsed = started.elapsed();
    Ok(stats)
}

/// Runs `cases` random cases through the wasm host on the memory adapter and natively,
/// comparing every answer. Returns the counts, or the shrunk failing case.
pub fn fuzz_wasm(cases: u32) -> Result<Stats, String> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("start a runtime: {error}"))?;
    let backend = Arc::new(MemoryBackend::new());
    let store = runtime
        .block_on(RuntimeStore::builder().backend(backend.clone()).build())
        .map_err(|error| format!("build a store on the memory adapter: {error}"))?;
    let stats = RefCell::new(Stats::default());
    runner(cases)
        .run(&case(), |calls| {
            runtime.block_on(async {
                for record in backend
                    .scan(ScanFilter::All, None, u32::MAX)
                    .await
                    .expect("scan memory")
                {
                    backend.remove(&record.game_id).await.expect("remove");
                }
                let mut storage = MemoryStorage::default();
                // Each path continues its own pages: the cursors must agree anyway.
                let (mut previous_wasm, mut previous_native) = (None, None);
                for (position, call) in calls.iter().enumerate() {
                    let wasm_call = &continued(call, previous_wasm.as_deref());
                    let native_call = &continued(call, previous_native.as_deref());
                    let fail = |problem: String| {
                        TestCaseError::fail(format!(
                            "call {position}: {}\n{problem}",
                            shown(wasm_call)
                        ))
                    };
                    let answer = run_wasm(&store, wasm_call).await.map_err(fail)?;
                    check_answer(wasm_call, &answer).map_err(fail)?;
                    let expected = run_native(&mut storage, native_call).map_err(fail)?;
                    if answer != expected || wasm_call != native_call {
                        return Err(fail(format!(
                            "through wasm: {answer:?}\nnatively: {expected:?}\n\
                             (natively the call was {})",
                            shown(native_call)
                        )));
                    }
                    check_page(&mut storage, wasm_call, &answer).map_err(fail)?;
                    remember_cursor(&answer, &mut previous_wasm);
                    remember_cursor(&expected, &mut previous_native);
                    tally(&stats, wasm_call, &answer);
                }
                stats.borrow_mut().cases += 1;
                Ok(())
            })
        })
        .map_err(|failure| failure.to_string())?;
    let mut stats = stats.into_inner();
    stats.elapsed = started.elapsed();
    Ok(stats)
}
