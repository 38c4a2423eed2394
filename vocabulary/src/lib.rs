//! The words of the runtime record store, written once.
//!
//! Every host says the same thing for the same failure, and every layer names a status the
//! same way. The rules component, the adapters' port and the Rust host take their words
//! from this crate; the Python and JavaScript hosts get them as generated modules
//! (`hosts/python/runtime_store/_vocabulary.py`, `hosts/js/src/vocabulary.js`), and
//! `tests/messages.json` lists whole messages every host's tests compare with.
//! This crate's test `generated` renders all three from the items below and fails when a
//! committed copy differs; `UPDATE_GENERATED=1 cargo test -p runtime-store-vocabulary`
//! rewrites them.
//!
//! ```
//! use runtime_store_vocabulary::{Operation, Status, store_error_message, StoreErrorCase};
//!
//! assert_eq!(Status::GenerationInProgress.stored_text(), "generation_in_progress");
//! assert_eq!(Status::GenerationInProgress.wit_name(), "generation-in-progress");
//! assert_eq!(
//!     store_error_message(Operation::UpdateStatus, Some("game-1"), &StoreErrorCase::Conflict),
//!     r#"update runtime status "game-1": the stored status differs from the expected one"#,
//! );
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;

/// The lifecycle status of a runtime (WIT `status`), in WIT declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case")
)]
pub enum Status {
    /// The engine container is being set up.
    Starting,
    /// The game runs and turns are generated on schedule.
    Running,
    /// A turn is being generated.
    GenerationInProgress,
    /// The last turn generation failed.
    GenerationFailed,
    /// The engine does not answer.
    EngineUnreachable,
    /// The runtime was stopped; it may start again.
    Stopped,
    /// The game is over (terminal).
    Finished,
}

impl Status {
    /// Every status, in WIT declaration order (the index is the WIT discriminant).
    pub const ALL: [Status; 7] = [
        Status::Starting,
        Status::Running,
        Status::GenerationInProgress,
        Status::GenerationFailed,
        Status::EngineUnreachable,
        Status::Stopped,
        Status::Finished,
    ];

    /// The status with this WIT discriminant (its index in [`Status::ALL`]).
    pub fn from_index(index: usize) -> Option<Status> {
        Status::ALL.get(index).copied()
    }

    /// The text adapters persist and messages quote (`generation_in_progress`).
    pub fn stored_text(self) -> &'static str {
        self.names().1
    }

    /// The WIT case name (`generation-in-progress`), which the hosts' APIs use.
    pub fn wit_name(self) -> &'static str {
        self.names().0
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Status::Starting => ("starting", "starting"),
            Status::Running => ("running", "running"),
            Status::GenerationInProgress => ("generation-in-progress", "generation_in_progress"),
            Status::GenerationFailed => ("generation-failed", "generation_failed"),
            Status::EngineUnreachable => ("engine-unreachable", "engine_unreachable"),
            Status::Stopped => ("stopped", "stopped"),
            Status::Finished => ("finished", "finished"),
        }
    }
}

impl fmt::Display for Status {
    /// The stored text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.stored_text())
    }
}

/// A stored status text that names no [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown runtime status {}", quote(&self.0))
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for Status {
    type Err = UnknownStatus;

    /// Parses a stored text (`generation_in_progress`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.stored_text() == text)
            .ok_or_else(|| UnknownStatus(text.to_owned()))
    }
}

/// A call of the component: the thirteen `store` functions (the ten operations and three
/// page functions) and the seven `rules` functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `store.get`.
    Get,
    /// `store.insert`.
    Insert,
    /// `store.update-status`.
    UpdateStatus,
    /// `store.update-scheduling`.
    UpdateScheduling,
    /// `store.update-image`.
    UpdateImage,
    /// `store.update-engine-health`.
    UpdateEngineHealth,
    /// `store.delete`.
    Delete,
    /// `store.list-due-running`.
    ListDueRunning,
    /// `store.list-by-status`.
    ListByStatus,
    /// `store.list`.
    List,
    /// `store.list-due-running-page`.
    ListDueRunningPage,
    /// `store.list-by-status-page`.
    ListByStatusPage,
    /// `store.list-page`.
    ListPage,
    /// `rules.transition`.
    Transition,
    /// `rules.allowed-transitions`.
    AllowedTransitions,
    /// `rules.validate-record`.
    ValidateRecord,
    /// `rules.validate-update-status`.
    ValidateUpdateStatus,
    /// `rules.validate-update-scheduling`.
    ValidateUpdateScheduling,
    /// `rules.validate-update-image`.
    ValidateUpdateImage,
    /// `rules.validate-update-engine-health`.
    ValidateUpdateEngineHealth,
}

impl Operation {
    /// Every operation: the `store` functions, then the `rules` functions, in WIT order.
    pub const ALL: [Operation; 20] = [
        Operation::Get,
        Operation::Insert,
        Operation::UpdateStatus,
        Operation::UpdateScheduling,
        Operation::UpdateImage,
        Operation::UpdateEngineHealth,
        Operation::Delete,
        Operation::ListDueRunning,
        Operation::ListByStatus,
        Operation::List,
        Operation::ListDueRunningPage,
        Operation::ListByStatusPage,
        Operation::ListPage,
        Operation::Transition,
        Operation::AllowedTransitions,
        Operation::ValidateRecord,
        Operation::ValidateUpdateStatus,
        Operation::ValidateUpdateScheduling,
        Operation::ValidateUpdateImage,
        Operation::ValidateUpdateEngineHealth,
    ];

    /// The WIT function name (`update-status`).
    pub fn wit_name(self) -> &'static str {
        self.names().0
    }

    /// The words that start every message about this operation (`update runtime status`).
    pub fn words(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Operation::Get => ("get", "get runtime record"),
            Operation::Insert => ("insert", "insert runtime record"),
            Operation::UpdateStatus => ("update-status", "update runtime status"),
            Operation::UpdateScheduling => ("update-scheduling", "update runtime scheduling"),
            Operation::UpdateImage => ("update-image", "update runtime image"),
            Operation::UpdateEngineHealth => {
                ("update-engine-health", "update runtime engine health")
            }
            Operation::Delete => ("delete", "delete runtime record"),
            Operation::ListDueRunning => ("list-due-running", "list due runtimes"),
            Operation::ListByStatus => ("list-by-status", "list runtimes by status"),
            Operation::List => ("list", "list runtimes"),
            Operation::ListDueRunningPage => ("list-due-running-page", "list due runtimes"),
            Operation::ListByStatusPage => ("list-by-status-page", "list runtimes by status"),
            Operation::ListPage => ("list-page", "list runtimes"),
            Operation::Transition => ("transition", "check runtime status transition"),
            Operation::AllowedTransitions => (
                "allowed-transitions",
                "list allowed runtime status transitions",
            ),
            Operation::ValidateRecord => ("validate-record", "validate runtime record"),
            Operation::ValidateUpdateStatus => {
                ("validate-update-status", "validate runtime status update")
            }
            Operation::ValidateUpdateScheduling => (
                "validate-update-scheduling",
                "validate runtime scheduling update",
            ),
            Operation::ValidateUpdateImage => {
                ("validate-update-image", "validate runtime image update")
            }
            Operation::ValidateUpdateEngineHealth => (
                "validate-update-engine-health",
                "validate runtime engine health update",
            ),
        }
    }
}

impl fmt::Display for Operation {
    /// The operation's words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

/// The detail of `not-found`.
pub const NOT_FOUND: &str = "runtime record not found";
/// The detail of `conflict` answering an insert.
pub const RECORD_EXISTS: &str = "a runtime record with this game id exists already";
/// The detail of `conflict` answering a compare-and-swap.
pub const STATUS_DIFFERS: &str = "the stored status differs from the expected one";

/// The messages of the page functions' own checks (after the checks of the whole list's
/// arguments); `{operation}` is the operation's words.
pub mod page {
    /// The fewest records a page may ask for.
    pub const SMALLEST_LIMIT: u32 = 1;
    /// The most records a page may ask for: a page of the largest records (a 256-byte game
    /// id and four 4096-byte texts) stays well inside the guest's 16 MiB memory.
    pub const LARGEST_LIMIT: u32 = 500;
    /// `limit` outside `SMALLEST_LIMIT..=LARGEST_LIMIT`.
    pub const LIMIT_OUT_OF_RANGE: &str = "{operation}: limit must be between 1 and 500";
    /// A cursor the same list's page function did not hand out.
    pub const MALFORMED_CURSOR: &str = "{operation}: cursor is malformed";
    /// The reason of the `failed` backend error the rules answer when a backend's page
    /// breaks the scan contract.
    pub const SCAN_OUT_OF_ORDER: &str =
        "scan answered records out of order, not matching its filter or beyond its limit";
}

/// The case of a WIT `backend-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendErrorKind {
    /// The store cannot be reached; retrying later may succeed.
    Unavailable,
    /// A stored value cannot be decoded.
    Corrupt,
    /// Any other storage failure.
    Failed,
}

impl BackendErrorKind {
    /// Every kind, in WIT order.
    pub const ALL: [BackendErrorKind; 3] = [
        BackendErrorKind::Unavailable,
        BackendErrorKind::Corrupt,
        BackendErrorKind::Failed,
    ];

    /// The WIT case name (`unavailable`).
    pub fn wit_name(self) -> &'static str {
        self.names().0
    }

    /// The words that start the message of a backend error of this kind.
    pub fn words(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            BackendErrorKind::Unavailable => ("unavailable", "storage unavailable"),
            BackendErrorKind::Corrupt => ("corrupt", "corrupt stored value"),
            BackendErrorKind::Failed => ("failed", "storage failed"),
        }
    }
}

/// `<kind words>: <reason>`, how a backend error reads on its own.
pub fn backend_error_message(kind: BackendErrorKind, reason: &str) -> String {
    format!("{}: {reason}", kind.words())
}

/// Templates of the sandbox failures; `{name}` is a placeholder [`fill`] replaces (the same
/// syntax as Python's `str.format`).
pub mod sandbox {
    /// The call used up its CPU budget (fuel).
    pub const OUT_OF_FUEL: &str = "the guest ran out of fuel (budget {budget} per call)";
    /// The guest asked for more memory than its limit; the host knows the request.
    pub const MEMORY_LIMIT: &str =
        "the guest exceeded its memory limit of {limit} bytes (asked for {requested})";
    /// The guest trapped for another reason.
    pub const TRAPPED: &str = "the guest trapped: {reason}";
    /// The guest trapped and the host cannot tell whether its memory limit was the cause.
    pub const TRAPPED_NEAR_LIMIT: &str =
        "the guest trapped (its memory limit is {limit} bytes): {reason}";
    /// The call ran past its wall-clock deadline.
    pub const DEADLINE: &str = "the call exceeded its deadline of {milliseconds} ms";
    /// The guest called the backend more often than its operation needs (contract §7.1:
    /// once for each store operation, never for the rules).
    pub const BACKEND_CALLS: &str =
        "the guest called the backend more than the {limit} time(s) its operation needs";
    /// Every instance the host allows stayed busy while the call waited for one (not a
    /// failure of the guest: the host is overloaded; retrying later may succeed).
    pub const BUSY: &str = "no instance of the rules component became free within {milliseconds} ms (at most {instances} at once)";
    /// No instance could be created for the call.
    pub const INSTANTIATION: &str = "the rules component could not be instantiated: {reason}";
    /// What ends every sandbox failure's message: the rules build, by the first 12 hex
    /// digits of its SHA-256.
    pub const RULES: &str = "(rules {rules})";
}

/// Templates of the values a host refuses before the rules see them (WIT types cannot hold
/// them). `MUST_BE` takes the operation's words, the field's words and one of the others.
pub mod boundary {
    /// The whole message: `<operation words>: <field words> must be <expected>`.
    pub const MUST_BE: &str = "{operation}: {field} must be {expected}";
    /// An integer type's range.
    pub const INTEGER_IN: &str = "an integer in {min}..={max}";
    /// A string (a lone surrogate cannot be encoded).
    pub const STRING: &str = "a string of Unicode scalar values (no lone surrogates)";
    /// A boolean.
    pub const BOOLEAN: &str = "a boolean";
    /// A status, by WIT case name.
    pub const STATUS: &str = "one of the statuses {statuses}";
    /// A timestamp record.
    pub const TIMESTAMP: &str = "a timestamp with seconds and nanoseconds";
    /// A value of a record or variant type, by WIT name.
    pub const RECORD: &str = "a value of type {record}";
}

/// Strings a host passes to the component whole have at most this many characters (code
/// units in JavaScript). A longer string is over every length limit of the rules, so a host
/// hands over a stand-in instead: its first `LARGEST_STRING_PASSED` characters, plus its
/// first character outside [`WHITE_SPACE`] after them when those are all white space. The
/// rules answer the stand-in exactly as they would answer the string (same blankness, over
/// the same limits), and a huge input never has to fit in the guest's memory.
pub const LARGEST_STRING_PASSED: usize = 8192;

/// The stand-in a host hands to the component for `text` (see [`LARGEST_STRING_PASSED`]), or
/// `None` when `text` is short enough to pass whole.
pub fn stand_in(text: &str) -> Option<String> {
    if text.len() <= LARGEST_STRING_PASSED {
        return None;
    }
    let (cut, _) = text.char_indices().nth(LARGEST_STRING_PASSED)?;
    let (head, rest) = text.split_at(cut);
    let mut stand_in = head.to_owned();
    if head.chars().all(char::is_whitespace) {
        stand_in.extend(rest.chars().find(|character| !character.is_whitespace()));
    }
    Some(stand_in)
}

/// The characters "blank" ignores: Unicode `White_Space`, what Rust's `str::trim` and Go's
/// `strings.TrimSpace` strip.
pub const WHITE_SPACE: &str = "\u{9}\u{a}\u{b}\u{c}\u{d}\u{20}\u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

/// Replaces each `{name}` in `template` by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// The words of a WIT field name (`next-generation-at` → `next generation at`).
pub fn field_words(wit_field: &str) -> String {
    wit_field.replace('-', " ")
}

/// A string as a JSON string literal (double quotes; `"`, `\` and control characters
/// escaped; everything else as is), exactly what Python's `json.dumps(s, ensure_ascii=False)`
/// and JavaScript's `JSON.stringify(s)` give, so game ids read the same in every host.
pub fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            control if u32::from(control) < 0x20 => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

/// Where a failure happened: the operation's words, then the quoted game id when the call
/// names one (`update runtime status "game-1"`).
pub fn located(operation: Operation, game_id: Option<&str>) -> String {
    match game_id {
        Some(id) => format!("{} {}", operation.words(), quote(id)),
        None => operation.words().to_owned(),
    }
}

/// The detail of `conflict` for `operation`.
pub fn conflict_detail(operation: Operation) -> &'static str {
    match operation {
        Operation::Insert => RECORD_EXISTS,
        _ => STATUS_DIFFERS,
    }
}

/// A WIT `store-error`, as the message functions need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreErrorCase<'a> {
    /// `not-found`.
    NotFound,
    /// `conflict`.
    Conflict,
    /// `invalid-transition(message)`.
    InvalidTransition(&'a str),
    /// `invalid-input(message)`.
    InvalidInput(&'a str),
    /// `backend(error)`.
    Backend(BackendErrorKind, &'a str),
}

/// The message of a store error, the same in every host:
///
/// * `not-found`, `conflict`, `backend`: `<operation words>[ "<game id>"]: <detail>`;
/// * `invalid-transition`, `invalid-input`: the rules' message unchanged (it starts with
///   the operation's words already, except `rules.transition`'s own).
pub fn store_error_message(
    operation: Operation,
    game_id: Option<&str>,
    error: &StoreErrorCase<'_>,
) -> String {
    let at = located(operation, game_id);
    match error {
        StoreErrorCase::NotFound => format!("{at}: {NOT_FOUND}"),
        StoreErrorCase::Conflict => format!("{at}: {}", conflict_detail(operation)),
        StoreErrorCase::InvalidTransition(message) | StoreErrorCase::InvalidInput(message) => {
            (*message).to_owned()
        }
        StoreErrorCase::Backend(kind, reason) => {
            format!("{at}: {}", backend_error_message(*kind, reason))
        }
    }
}

/// The message of a sandbox failure: `<operation words>[ "<game id>"]: <reason> (rules
/// <rules>)`, `rules` being the first 12 hex digits of the SHA-256 of the rules component
/// that ran, so an operator can tell which build misbehaved.
pub fn sandbox_message(
    operation: Operation,
    game_id: Option<&str>,
    reason: &str,
    rules: &str,
) -> String {
    format!(
        "{}: {reason} {}",
        located(operation, game_id),
        fill(sandbox::RULES, &[("rules", rules)])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_texts_parse_back_and_indices_follow_the_wit_order() {
        for (index, status) in Status::ALL.into_iter().enumerate() {
            assert_eq!(status.stored_text().parse::<Status>(), Ok(status));
            assert_eq!(Status::from_index(index), Some(status));
            assert_eq!(status.wit_name().replace('-', "_"), status.stored_text());
        }
        assert_eq!(Status::from_index(7), None);
        assert_eq!(
            "Running".parse::<Status>().unwrap_err().to_string(),
            r#"unknown runtime status "Running""#
        );
    }

    #[test]
    fn white_space_is_exactly_what_trim_strips() {
        let listed: Vec<char> = WHITE_SPACE.chars().collect();
        let trimmed: Vec<char> = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        assert_eq!(listed, trimmed);
    }

    #[test]
    fn the_limit_message_names_the_limit_range() {
        let expected = format!(
            "limit must be between {} and {}",
            page::SMALLEST_LIMIT,
            page::LARGEST_LIMIT
        );
        assert!(page::LIMIT_OUT_OF_RANGE.ends_with(&expected));
    }

    #[test]
    fn a_stand_in_keeps_blankness_and_is_over_every_limit() {
        assert_eq!(stand_in(&"x".repeat(LARGEST_STRING_PASSED)), None);
        let long = "é".repeat(LARGEST_STRING_PASSED + 1);
        assert_eq!(stand_in(&long), Some("é".repeat(LARGEST_STRING_PASSED)));
        let blank_then_text = format!("{}\u{3000}z tail", " ".repeat(LARGEST_STRING_PASSED));
        let kept = stand_in(&blank_then_text).unwrap();
        assert_eq!(kept.len(), LARGEST_STRING_PASSED + 1);
        assert!(kept.ends_with('z') && !kept.trim().is_empty());
        let all_blank = " ".repeat(LARGEST_STRING_PASSED * 2);
        assert!(stand_in(&all_blank).unwrap().trim().is_empty());
    }

    #[test]
    fn quote_escapes_what_json_escapes() {
        let awkward = "a\"b\\c\nd\te\u{1}f\u{7f}é\u{8}\u{c}\r";
        assert_eq!(quote(awkward), serde_json::to_string(awkward).unwrap());
    }

    #[test]
    fn fill_replaces_every_placeholder() {
        assert_eq!(
            fill(
                sandbox::MEMORY_LIMIT,
                &[("limit", "16"), ("requested", "32")]
            ),
            "the guest exceeded its memory limit of 16 bytes (asked for 32)"
        );
    }

    #[test]
    fn messages_name_the_operation_and_the_game() {
        let backend = StoreErrorCase::Backend(BackendErrorKind::Unavailable, "connection refused");
        assert_eq!(
            store_error_message(Operation::List, None, &backend),
            "list runtimes: storage unavailable: connection refused"
        );
        assert_eq!(
            store_error_message(Operation::Insert, Some("g\"1"), &StoreErrorCase::Conflict),
            r#"insert runtime record "g\"1": a runtime record with this game id exists already"#
        );
        assert_eq!(
            sandbox_message(
                Operation::Get,
                Some("g"),
                "the guest trapped: unreachable",
                "43ccc970f50c"
            ),
            r#"get runtime record "g": the guest trapped: unreachable (rules 43ccc970f50c)"#
        );
    }
}
