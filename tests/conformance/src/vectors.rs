//! Reading vector files: the JSON format of `tests/conformance/README.md`, checked strictly
//! and turned into typed calls and expectations before anything runs.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use runtime_store_host::{
    RuntimeRecord, Status, Timestamp, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Why a vector file could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The conformance folder could not be listed.
    #[error("list conformance vectors in {dir}: {source}")]
    ListDir {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file could not be read.
    #[error("read conformance vectors {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a JSON object with `description` and `steps`.
    #[error("conformance vectors {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// One step does not follow the format.
    #[error("conformance vectors {path}, step {index}{}: {reason}", op_suffix(op.as_deref()))]
    Step {
        /// The file.
        path: PathBuf,
        /// The step's position in `steps`, from 0.
        index: usize,
        /// The step's `op`, when it has a readable one.
        op: Option<String>,
        /// What is wrong.
        reason: String,
    },
}

fn op_suffix(op: Option<&str>) -> String {
    op.map(|op| format!(" ({op})")).unwrap_or_default()
}

/// One vector file: a description and steps run in order against an empty store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorFile {
    /// What the file covers.
    pub description: String,
    /// Whether the file's expectations need a store holding no records but its own (its
    /// page steps see the whole store): `"alone": true`.
    pub alone: bool,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One call and what it must return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Position in the file's `steps`, from 0.
    pub index: usize,
    /// What the step shows, if the file says.
    pub note: Option<String>,
    /// The call, with its arguments. When [`Step::continues`], its cursor is filled in
    /// when the step runs.
    pub call: Call,
    /// The step's cursor is `{"previous-page": true}`: the `next-cursor` the latest earlier
    /// step expecting a page answered.
    pub continues: bool,
    /// The expected result.
    pub expect: Expectation,
}

/// A call of the `store` or `rules` interface with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `store.get`.
    Get {
        /// The game id.
        game_id: String,
    },
    /// `store.insert`.
    Insert(RuntimeRecord),
    /// `store.update-status`.
    UpdateStatus(UpdateStatusInput),
    /// `store.update-scheduling`.
    UpdateScheduling(UpdateSchedulingInput),
    /// `store.update-image`.
    UpdateImage(UpdateImageInput),
    /// `store.update-engine-health`.
    UpdateEngineHealth(UpdateEngineHealthInput),
    /// `store.delete`.
    Delete {
        /// The game id.
        game_id: String,
    },
    /// `store.list-due-running`.
    ListDueRunning {
        /// The instant due records are compared with.
        now: Timestamp,
    },
    /// `store.list-by-status`.
    ListByStatus {
        /// The status listed.
        status: Status,
    },
    /// `store.list`.
    List,
    /// `store.list-due-running-page`.
    ListDueRunningPage {
        /// The instant due records are compared with.
        now: Timestamp,
        /// Where the page starts (none: the first page).
        cursor: Option<String>,
        /// The most records the page holds.
        limit: u32,
    },
    /// `store.list-by-status-page`.
    ListByStatusPage {
        /// The status listed.
        status: Status,
        /// Where the page starts (none: the first page).
        cursor: Option<String>,
        /// The most records the page holds.
        limit: u32,
    },
    /// `store.list-page`.
    ListPage {
        /// Where the page starts (none: the first page).
        cursor: Option<String>,
        /// The most records the page holds.
        limit: u32,
    },
    /// `rules.transition`.
    Transition {
        /// The current status.
        from: Status,
        /// The next status.
        to: Status,
    },
    /// `rules.allowed-transitions`.
    AllowedTransitions {
        /// The current status.
        from: Status,
    },
    /// `rules.validate-record`.
    ValidateRecord(RuntimeRecord),
    /// `rules.validate-update-status`.
    ValidateUpdateStatus(UpdateStatusInput),
    /// `rules.validate-update-scheduling`.
    ValidateUpdateScheduling(UpdateSchedulingInput),
    /// `rules.validate-update-image`.
    ValidateUpdateImage(UpdateImageInput),
    /// `rules.validate-update-engine-health`.
    ValidateUpdateEngineHealth(UpdateEngineHealthInput),
}

impl Call {
    /// The WIT function name, as the `op` of a step.
    pub fn op(&self) -> &'static str {
        match self {
            Call::Get { .. } => "get",
            Call::Insert(_) => "insert",
            Call::UpdateStatus(_) => "update-status",
            Call::UpdateScheduling(_) => "update-scheduling",
            Call::UpdateImage(_) => "update-image",
            Call::UpdateEngineHealth(_) => "update-engine-health",
            Call::Delete { .. } => "delete",
            Call::ListDueRunning { .. } => "list-due-running",
            Call::ListByStatus { .. } => "list-by-status",
            Call::List => "list",
            Call::ListDueRunningPage { .. } => "list-due-running-page",
            Call::ListByStatusPage { .. } => "list-by-status-page",
            Call::ListPage { .. } => "list-page",
            Call::Transition { .. } => "transition",
            Call::AllowedTransitions { .. } => "allowed-transitions",
            Call::ValidateRecord(_) => "validate-record",
            Call::ValidateUpdateStatus(_) => "validate-update-status",
            Call::ValidateUpdateScheduling(_) => "validate-update-scheduling",
            Call::ValidateUpdateImage(_) => "validate-update-image",
            Call::ValidateUpdateEngineHealth(_) => "validate-update-engine-health",
        }
    }

    /// The game id of a `store` call that names one; `None` for the lists and every
    /// `rules` call.
    pub fn game_id(&self) -> Option<&str> {
        match self {
            Call::Get { game_id } | Call::Delete { game_id } => Some(game_id),
            Call::Insert(record) => Some(&record.game_id),
            Call::UpdateStatus(input) => Some(&input.game_id),
            Call::UpdateScheduling(input) => Some(&input.game_id),
            Call::UpdateImage(input) => Some(&input.game_id),
            Call::UpdateEngineHealth(input) => Some(&input.game_id),
            _ => None,
        }
    }

    /// The shape of the value the call returns on success.
    pub fn ok_shape(&self) -> OkShape {
        match self {
            Call::Get { .. } => OkShape::Record,
            Call::ListDueRunning { .. } | Call::ListByStatus { .. } | Call::List => {
                OkShape::Records
            }
            Call::ListDueRunningPage { .. }
            | Call::ListByStatusPage { .. }
            | Call::ListPage { .. } => OkShape::Page,
            Call::AllowedTransitions { .. } => OkShape::Statuses,
            _ => OkShape::Unit,
        }
    }

    /// The same call starting after `next`, when it is a page call.
    pub fn with_cursor(&self, next: Option<String>) -> Call {
        let mut call = self.clone();
        match &mut call {
            Call::ListDueRunningPage { cursor, .. }
            | Call::ListByStatusPage { cursor, .. }
            | Call::ListPage { cursor, .. } => *cursor = next,
            _ => {}
        }
        call
    }
}

/// What a successful call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OkShape {
    /// Nothing (`null` in a vector).
    Unit,
    /// One record.
    Record,
    /// A list of records.
    Records,
    /// A list of statuses.
    Statuses,
    /// A page: records and whether a next cursor exists.
    Page,
}

/// The value of a successful call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OkValue {
    /// Nothing.
    Unit,
    /// One record.
    Record(Box<RuntimeRecord>),
    /// Records, in order.
    Records(Vec<RuntimeRecord>),
    /// Statuses, in order.
    Statuses(Vec<Status>),
    /// A page as the store answered it.
    Page {
        /// Its records, in order.
        records: Vec<RuntimeRecord>,
        /// The cursor of the next page, none after the last.
        next_cursor: Option<String>,
    },
}

/// What a step must return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Success with this value.
    Ok(OkValue),
    /// Success with a page of exactly these records, with a next cursor or not (its text
    /// is never pinned).
    Page {
        /// The records, in order.
        records: Vec<RuntimeRecord>,
        /// Whether the page has a next cursor.
        has_next_cursor: bool,
    },
    /// `not-found`.
    NotFound,
    /// `conflict`.
    Conflict,
    /// `invalid-input` with exactly this message.
    InvalidInput(String),
    /// `invalid-transition` with exactly this message.
    InvalidTransition(String),
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Ok(value) => write!(f, "ok {}", crate::describe::ok_value(value)),
            Expectation::Page {
                records,
                has_next_cursor,
            } => write!(
                f,
                "ok page {}",
                crate::describe::page(records, *has_next_cursor)
            ),
            Expectation::NotFound => f.write_str("error not-found"),
            Expectation::Conflict => f.write_str("error conflict"),
            Expectation::InvalidInput(message) => write!(f, "error invalid-input {message:?}"),
            Expectation::InvalidTransition(message) => {
                write!(f, "error invalid-transition {message:?}")
            }
        }
    }
}

/// Every field of a WIT record, in kebab-case. serde fills a missing `option` field
/// with none; the format requires every field, so presence is checked first.
const RECORD_FIELDS: &[&str] = &[
    "game-id",
    "status",
    "engine-endpoint",
    "current-image-ref",
    "current-engine-version",
    "engine-health",
    "current-turn",
    "next-generation-at",
    "skip-next-tick",
    "created-at",
    "updated-at",
    "started-at",
    "stopped-at",
    "finished-at",
];
const UPDATE_STATUS_FIELDS: &[&str] = &[
    "game-id",
    "expected-from",
    "to",
    "now",
    "engine-health-summary",
    "current-image-ref",
    "current-engine-version",
];
const UPDATE_SCHEDULING_FIELDS: &[&str] = &[
    "game-id",
    "next-generation-at",
    "skip-next-tick",
    "current-turn",
    "now",
];
const UPDATE_IMAGE_FIELDS: &[&str] = &[
    "game-id",
    "expected-status",
    "current-image-ref",
    "current-engine-version",
    "now",
];
const UPDATE_ENGINE_HEALTH_FIELDS: &[&str] = &["game-id", "engine-health-summary", "now"];
const TIMESTAMP_FIELDS: &[&str] = &["seconds", "nanoseconds"];

/// The fields of records and inputs that hold a timestamp (or none).
const TIMESTAMP_VALUED: &[&str] = &[
    "now",
    "next-generation-at",
    "created-at",
    "updated-at",
    "started-at",
    "stopped-at",
    "finished-at",
];

impl VectorFile {
    /// The game ids the file's `store` calls name (the `rules` calls touch no storage):
    /// the ids a run of the file may read or write, and so the only ones it looks at.
    pub fn game_ids(&self) -> BTreeSet<&str> {
        self.steps
            .iter()
            .filter_map(|step| step.call.game_id())
            .collect()
    }

    /// Reads and checks the vector file at `path`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Checks the JSON text of a vector file; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, LoadError> {
        let file_error = |reason: String| LoadError::File {
            path: path.to_owned(),
            reason,
        };
        let document: Value =
            serde_json::from_str(text).map_err(|error| file_error(format!("not JSON: {error}")))?;
        let Value::Object(mut document) = document else {
            return Err(file_error("the file must hold one JSON object".into()));
        };
        let description = match document.remove("description") {
            Some(Value::String(description)) => description,
            _ => return Err(file_error("\"description\" must be a string".into())),
        };
        let steps = match document.remove("steps") {
            Some(Value::Array(steps)) => steps,
            _ => return Err(file_error("\"steps\" must be an array".into())),
        };
        let alone = match document.remove("alone") {
            None => false,
            Some(Value::Bool(alone)) => alone,
            Some(_) => return Err(file_error("\"alone\" must be a boolean".into())),
        };
        if let Some(key) = document.keys().next() {
            return Err(file_error(format!("unknown key {key:?}")));
        }
        if steps.is_empty() {
            return Err(file_error("\"steps\" is empty".into()));
        }
        let steps = steps
            .into_iter()
            .enumerate()
            .map(|(index, step)| {
                parse_step(index, step).map_err(|(op, reason)| LoadError::Step {
                    path: path.to_owned(),
                    index,
                    op,
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        check_pages(&steps, alone).map_err(|(index, reason)| LoadError::Step {
            path: path.to_owned(),
            index,
            op: Some(steps[index].call.op().to_owned()),
            reason,
        })?;
        Ok(VectorFile {
            description,
            alone,
            steps,
        })
    }
}

/// Page steps only in `alone` files; a step continuing the previous page only after a step
/// expecting a page with a next cursor.
fn check_pages(steps: &[Step], alone: bool) -> Result<(), (usize, String)> {
    let mut previous_has_next = false;
    for step in steps {
        let is_page = step.call.ok_shape() == OkShape::Page;
        if is_page && !alone {
            return Err((step.index, "page steps need \"alone\": true".into()));
        }
        if step.continues && !previous_has_next {
            return Err((
                step.index,
                "the cursor continues the previous page, but the latest earlier step expecting a \
                 page expects no next cursor (or there is none)"
                    .into(),
            ));
        }
        if let Expectation::Page {
            has_next_cursor, ..
        } = &step.expect
        {
            previous_has_next = *has_next_cursor;
        }
    }
    Ok(())
}

/// A step's problem: the op when known, and what is wrong.
type StepProblem = (Option<String>, String);

fn parse_step(index: usize, step: Value) -> Result<Step, StepProblem> {
    let Value::Object(mut step) = step else {
        return Err((None, "a step must be a JSON object".into()));
    };
    let op = match step.remove("op") {
        Some(Value::String(op)) => op,
        _ => return Err((None, "\"op\" must be a string".into())),
    };
    let with_op = |reason: String| (Some(op.clone()), reason);
    let note = match step.remove("note") {
        None => None,
        Some(Value::String(note)) => Some(note),
        Some(_) => return Err(with_op("\"note\" must be a string".into())),
    };
    let mut args = match step.remove("args") {
        None => Map::new(),
        Some(Value::Object(args)) => args,
        Some(_) => return Err(with_op("\"args\" must be an object".into())),
    };
    let expect = step
        .remove("expect")
        .ok_or_else(|| with_op("\"expect\" is missing".into()))?;
    if let Some(key) = step.keys().next() {
        return Err(with_op(format!("unknown key {key:?}")));
    }
    let continues = args.get("cursor") == Some(&serde_json::json!({ "previous-page": true }));
    if continues {
        args.insert("cursor".into(), Value::Null);
    }
    let call = parse_call(&op, args).map_err(|reason| with_op(format!("args: {reason}")))?;
    let expect = parse_expectation(call.ok_shape(), expect)
        .map_err(|reason| with_op(format!("expect: {reason}")))?;
    Ok(Step {
        index,
        note,
        call,
        continues,
        expect,
    })
}

fn parse_call(op: &str, mut args: Map<String, Value>) -> Result<Call, String> {
    let mut arg = |name: &str| {
        args.remove(name)
            .ok_or_else(|| format!("missing argument {name:?}"))
    };
    let call = match op {
        "get" => Call::Get {
            game_id: typed(arg("game-id")?, "game-id")?,
        },
        "delete" => Call::Delete {
            game_id: typed(arg("game-id")?, "game-id")?,
        },
        "insert" => Call::Insert(record(arg("record")?, "record")?),
        "validate-record" => Call::ValidateRecord(record(arg("record")?, "record")?),
        "update-status" => Call::UpdateStatus(input(arg("input")?, UPDATE_STATUS_FIELDS)?),
        "validate-update-status" => {
            Call::ValidateUpdateStatus(input(arg("input")?, UPDATE_STATUS_FIELDS)?)
        }
        "update-scheduling" => {
            Call::UpdateScheduling(input(arg("input")?, UPDATE_SCHEDULING_FIELDS)?)
        }
        "validate-update-scheduling" => {
            Call::ValidateUpdateScheduling(input(arg("input")?, UPDATE_SCHEDULING_FIELDS)?)
        }
        "update-image" => Call::UpdateImage(input(arg("input")?, UPDATE_IMAGE_FIELDS)?),
        "validate-update-image" => {
            Call::ValidateUpdateImage(input(arg("input")?, UPDATE_IMAGE_FIELDS)?)
        }
        "update-engine-health" => {
            Call::UpdateEngineHealth(input(arg("input")?, UPDATE_ENGINE_HEALTH_FIELDS)?)
        }
        "validate-update-engine-health" => {
            Call::ValidateUpdateEngineHealth(input(arg("input")?, UPDATE_ENGINE_HEALTH_FIELDS)?)
        }
        "list-due-running" => Call::ListDueRunning {
            now: timestamp(arg("now")?, "now")?,
        },
        "list-by-status" => Call::ListByStatus {
            status: typed(arg("status")?, "status")?,
        },
        "list" => Call::List,
        "list-due-running-page" => Call::ListDueRunningPage {
            now: timestamp(arg("now")?, "now")?,
            cursor: cursor(arg("cursor")?)?,
            limit: typed(arg("limit")?, "limit")?,
        },
        "list-by-status-page" => Call::ListByStatusPage {
            status: typed(arg("status")?, "status")?,
            cursor: cursor(arg("cursor")?)?,
            limit: typed(arg("limit")?, "limit")?,
        },
        "list-page" => Call::ListPage {
            cursor: cursor(arg("cursor")?)?,
            limit: typed(arg("limit")?, "limit")?,
        },
        "transition" => Call::Transition {
            from: typed(arg("from")?, "from")?,
            to: typed(arg("to")?, "to")?,
        },
        "allowed-transitions" => Call::AllowedTransitions {
            from: typed(arg("from")?, "from")?,
        },
        _ => return Err(format!("unknown op {op:?}")),
    };
    match args.keys().next() {
        Some(unknown) => Err(format!("unknown argument {unknown:?} for {op}")),
        None => Ok(call),
    }
}

fn parse_expectation(shape: OkShape, expect: Value) -> Result<Expectation, String> {
    let Value::Object(mut expect) = expect else {
        return Err("must be an object with \"ok\" or \"error\"".into());
    };
    if let Some(value) = expect.remove("ok") {
        if let Some(key) = expect.keys().next() {
            return Err(format!("unknown key {key:?} next to \"ok\""));
        }
        if shape == OkShape::Page {
            return page(value);
        }
        return ok_value(shape, value).map(Expectation::Ok);
    }
    let kind = match expect.remove("error") {
        Some(Value::String(kind)) => kind,
        Some(_) => return Err("\"error\" must be a string".into()),
        None => return Err("needs \"ok\" or \"error\"".into()),
    };
    let message = match expect.remove("message") {
        None => None,
        Some(Value::String(message)) => Some(message),
        Some(_) => return Err("\"message\" must be a string".into()),
    };
    if let Some(key) = expect.keys().next() {
        return Err(format!("unknown key {key:?}"));
    }
    match (kind.as_str(), message) {
        ("not-found", None) => Ok(Expectation::NotFound),
        ("conflict", None) => Ok(Expectation::Conflict),
        ("invalid-input", Some(message)) => Ok(Expectation::InvalidInput(message)),
        ("invalid-transition", Some(message)) => Ok(Expectation::InvalidTransition(message)),
        ("not-found" | "conflict", Some(_)) => Err(format!("error {kind:?} takes no message")),
        ("invalid-input" | "invalid-transition", None) => {
            Err(format!("error {kind:?} needs a message"))
        }
        _ => Err(format!(
            "unknown error {kind:?} (expected not-found, conflict, invalid-input or invalid-transition)"
        )),
    }
}

fn ok_value(shape: OkShape, value: Value) -> Result<OkValue, String> {
    match shape {
        OkShape::Unit if value.is_null() => Ok(OkValue::Unit),
        OkShape::Unit => Err(format!(
            "this op returns nothing: \"ok\" must be null, not {value}"
        )),
        OkShape::Record => record(value, "ok").map(|record| OkValue::Record(Box::new(record))),
        OkShape::Records => record_list(value, "ok").map(OkValue::Records),
        OkShape::Statuses => typed(value, "ok").map(OkValue::Statuses),
        OkShape::Page => Err("a page is read by `page`".into()),
    }
}

fn record_list(value: Value, what: &str) -> Result<Vec<RuntimeRecord>, String> {
    let Value::Array(items) = value else {
        return Err(format!("{what:?} must be a list of records"));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(position, item)| record(item, &format!("{what}[{position}]")))
        .collect()
}

/// A cursor argument: `null` or a literal string (`{"previous-page": true}` is taken out
/// before).
fn cursor(value: Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text)),
        other => Err(format!(
            "\"cursor\" must be null, a string or {{\"previous-page\": true}}, not {other}"
        )),
    }
}

/// An expected page: `{"records": [...], "has-next-cursor": BOOL}`.
fn page(value: Value) -> Result<Expectation, String> {
    let Value::Object(mut page) = value else {
        return Err(
            "\"ok\" must be a page: {\"records\": [...], \"has-next-cursor\": BOOL}".into(),
        );
    };
    let records = page
        .remove("records")
        .ok_or("the page has no \"records\"")?;
    let Some(Value::Bool(has_next_cursor)) = page.remove("has-next-cursor") else {
        return Err("the page needs \"has-next-cursor\": true or false".into());
    };
    if let Some(key) = page.keys().next() {
        return Err(format!("unknown key {key:?} in the page"));
    }
    let records = record_list(records, "ok.records")?;
    Ok(Expectation::Page {
        records,
        has_next_cursor,
    })
}

fn record(value: Value, what: &str) -> Result<RuntimeRecord, String> {
    require_fields(&value, RECORD_FIELDS, what)?;
    typed(value, what)
}

fn input<T: DeserializeOwned>(value: Value, fields: &[&str]) -> Result<T, String> {
    require_fields(&value, fields, "input")?;
    typed(value, "input")
}

fn timestamp(value: Value, what: &str) -> Result<Timestamp, String> {
    check_timestamp(&value, what)?;
    typed(value, what)
}

/// Every field present (options included), and every timestamp exactly
/// `{seconds, nanoseconds}`; unknown fields are refused by the types themselves.
fn require_fields(value: &Value, fields: &[&str], what: &str) -> Result<(), String> {
    let Value::Object(object) = value else {
        return Err(format!("{what} must be an object"));
    };
    if let Some(missing) = fields.iter().find(|field| !object.contains_key(**field)) {
        return Err(format!(
            "{what} lacks field {missing:?} (every field is required)"
        ));
    }
    for field in TIMESTAMP_VALUED {
        match object.get(*field) {
            None | Some(Value::Null) => {}
            Some(moment) => check_timestamp(moment, &format!("{what}.{field}"))?,
        }
    }
    Ok(())
}

fn check_timestamp(value: &Value, what: &str) -> Result<(), String> {
    match value {
        Value::Object(object)
            if object.len() == TIMESTAMP_FIELDS.len()
                && TIMESTAMP_FIELDS
                    .iter()
                    .all(|field| object.contains_key(*field)) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "{what} must be {{\"seconds\": INT, \"nanoseconds\": INT}}, not {value}"
        )),
    }
}

fn typed<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, String> {
    T::deserialize(value).map_err(|error| format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<VectorFile, LoadError> {
        VectorFile::parse(text, Path::new("/vectors/sample.json"))
    }

    fn step_error(step: &str) -> String {
        let text = format!(
            r#"{{"description": "d", "steps": [{{"op": "list", "expect": {{"ok": []}}}}, {step}]}}"#
        );
        let error = parse(&text).expect_err("the second step is bad");
        assert!(
            matches!(error, LoadError::Step { index: 1, .. }),
            "wrong error: {error:?}"
        );
        error.to_string()
    }

    const RECORD: &str = r#"{"game-id": "g", "status": "generation-in-progress",
        "engine-endpoint": "http://e", "current-image-ref": "i", "current-engine-version": "1",
        "engine-health": "", "current-turn": 4294967295, "next-generation-at": null,
        "skip-next-tick": true, "created-at": {"seconds": -62135596800, "nanoseconds": 0},
        "updated-at": {"seconds": 253402300799, "nanoseconds": 999999999},
        "started-at": {"seconds": 1, "nanoseconds": 2}, "stopped-at": null, "finished-at": null}"#;

    #[test]
    fn page_steps_read_their_cursor_and_need_an_alone_file() {
        let text = format!(
            r#"{{"description": "pages", "alone": true, "steps": [
                {{"op": "list-page", "args": {{"cursor": null, "limit": 1}},
                  "expect": {{"ok": {{"records": [{RECORD}], "has-next-cursor": true}}}}}},
                {{"op": "list-due-running-page", "args": {{"now": {{"seconds": 5, "nanoseconds": 0}},
                  "cursor": {{"previous-page": true}}, "limit": 1}},
                  "expect": {{"error": "invalid-input", "message": "list due runtimes: cursor is malformed"}}}},
                {{"op": "list-by-status-page", "args": {{"status": "running",
                  "cursor": "not a cursor", "limit": 500}},
                  "expect": {{"ok": {{"records": [], "has-next-cursor": false}}}}}}
            ]}}"#
        );
        let file = parse(&text).expect("a page file");
        assert!(file.alone);
        assert!(!file.steps[0].continues);
        assert_eq!(
            file.steps[0].expect,
            Expectation::Page {
                records: vec![record(serde_json::from_str(RECORD).unwrap(), "r").unwrap()],
                has_next_cursor: true
            }
        );
        assert!(file.steps[1].continues);
        assert!(matches!(
            &file.steps[1].call,
            Call::ListDueRunningPage {
                cursor: None,
                limit: 1,
                ..
            }
        ));
        assert!(matches!(
            &file.steps[2].call,
            Call::ListByStatusPage { cursor: Some(c), limit: 500, status: Status::Running } if c == "not a cursor"
        ));

        let not_alone = text.replace(r#""alone": true, "#, "");
        let error = parse(&not_alone).expect_err("pages need alone").to_string();
        assert!(error.contains("step 0 (list-page)"), "{error}");
        assert!(error.contains("alone"), "{error}");

        let nothing_to_continue =
            text.replace(r#""has-next-cursor": true"#, r#""has-next-cursor": false"#);
        let error = parse(&nothing_to_continue)
            .expect_err("no cursor to continue")
            .to_string();
        assert!(error.contains("step 1 (list-due-running-page)"), "{error}");

        for (bad, reason) in [
            (r#""cursor": 5"#, "\"cursor\" must be null, a string"),
            (
                r#""cursor": {"previous-page": false}"#,
                "\"cursor\" must be null, a string",
            ),
        ] {
            let broken = text.replace(r#""cursor": null"#, bad);
            let error = parse(&broken).expect_err(bad).to_string();
            assert!(error.contains(reason), "{bad}: {error}");
        }
        let no_flag = text.replace(r#", "has-next-cursor": false"#, "");
        let error = parse(&no_flag)
            .expect_err("a page needs has-next-cursor")
            .to_string();
        assert!(error.contains("has-next-cursor"), "{error}");
    }

    #[test]
    fn parses_every_kind_of_step() {
        let text = format!(
            r#"{{"description": "all kinds", "steps": [
                {{"note": "n", "op": "insert", "args": {{"record": {RECORD}}}, "expect": {{"ok": null}}}},
                {{"op": "get", "args": {{"game-id": "g"}}, "expect": {{"ok": {RECORD}}}}},
                {{"op": "list", "args": {{}}, "expect": {{"ok": [{RECORD}, {RECORD}]}}}},
                {{"op": "allowed-transitions", "args": {{"from": "stopped"}}, "expect": {{"ok": ["starting", "finished"]}}}},
                {{"op": "get", "args": {{"game-id": "x"}}, "expect": {{"error": "not-found"}}}},
                {{"op": "update-image", "args": {{"input": {{"game-id": "g", "expected-status": "running",
                    "current-image-ref": "i", "current-engine-version": "2", "now": {{"seconds": 5, "nanoseconds": 0}}}}}},
                    "expect": {{"error": "conflict"}}}},
                {{"op": "transition", "args": {{"from": "finished", "to": "running"}},
                    "expect": {{"error": "invalid-transition", "message": "m"}}}},
                {{"op": "list-due-running", "args": {{"now": {{"seconds": 0, "nanoseconds": 999}}}},
                    "expect": {{"error": "invalid-input", "message": "list due runtimes: now must not be zero"}}}}
            ]}}"#
        );
        let file = parse(&text).expect("valid file");
        assert_eq!(file.description, "all kinds");
        assert_eq!(file.steps.len(), 8);
        let Call::Insert(record) = &file.steps[0].call else {
            panic!("step 0 is an insert: {:?}", file.steps[0].call);
        };
        assert_eq!(record.status, Status::GenerationInProgress);
        assert_eq!(record.current_turn, u32::MAX);
        assert_eq!(record.created_at.seconds, -62_135_596_800);
        assert_eq!(
            record.started_at,
            Some(Timestamp {
                seconds: 1,
                nanoseconds: 2
            })
        );
        assert_eq!(file.steps[0].note.as_deref(), Some("n"));
        assert_eq!(file.steps[0].expect, Expectation::Ok(OkValue::Unit));
        assert!(
            matches!(&file.steps[1].expect, Expectation::Ok(OkValue::Record(r)) if **r == *record)
        );
        assert!(
            matches!(&file.steps[2].expect, Expectation::Ok(OkValue::Records(rs)) if rs.len() == 2)
        );
        assert_eq!(
            file.steps[3].expect,
            Expectation::Ok(OkValue::Statuses(vec![Status::Starting, Status::Finished]))
        );
        assert_eq!(file.steps[4].expect, Expectation::NotFound);
        assert_eq!(file.steps[5].expect, Expectation::Conflict);
        assert_eq!(
            file.steps[6].expect,
            Expectation::InvalidTransition("m".into())
        );
        assert_eq!(
            file.steps[7].call,
            Call::ListDueRunning {
                now: Timestamp {
                    seconds: 0,
                    nanoseconds: 999
                }
            }
        );
        assert_eq!(file.steps[7].index, 7);
        assert_eq!(file.steps[7].call.op(), "list-due-running");
    }

    #[test]
    fn bad_file_shapes_name_the_file() {
        for (text, reason) in [
            ("not json", "not JSON"),
            ("[]", "one JSON object"),
            (r#"{"steps": []}"#, "\"description\""),
            (r#"{"description": "d"}"#, "\"steps\""),
            (r#"{"description": "d", "steps": []}"#, "empty"),
            (
                r#"{"description": "d", "steps": [], "extra": 1}"#,
                "unknown key \"extra\"",
            ),
        ] {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains("/vectors/sample.json"), "{error}");
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn bad_steps_name_the_file_the_step_and_the_problem() {
        for (step, reason) in [
            (r#"[]"#, "must be a JSON object"),
            (
                r#"{"args": {}, "expect": {"ok": null}}"#,
                "\"op\" must be a string",
            ),
            (
                r#"{"op": "frobnicate", "expect": {"ok": null}}"#,
                "unknown op \"frobnicate\"",
            ),
            (
                r#"{"op": "get", "args": {"game-id": "g"}}"#,
                "\"expect\" is missing",
            ),
            (
                r#"{"op": "get", "args": {"game-id": "g", "id": "g"}, "expect": {"error": "not-found"}}"#,
                "unknown argument \"id\"",
            ),
            (
                r#"{"op": "get", "args": {}, "expect": {"error": "not-found"}}"#,
                "missing argument \"game-id\"",
            ),
            (
                r#"{"op": "get", "args": {"game-id": 7}, "expect": {"error": "not-found"}}"#,
                "game-id",
            ),
            (
                r#"{"op": "list", "expect": {"ok": []}, "extra": true}"#,
                "unknown key \"extra\"",
            ),
            (
                r#"{"op": "list", "note": 3, "expect": {"ok": []}}"#,
                "\"note\" must be a string",
            ),
            (
                r#"{"op": "list-by-status", "args": {"status": "generation_in_progress"}, "expect": {"ok": []}}"#,
                "unknown variant",
            ),
            (
                r#"{"op": "list-due-running", "args": {"now": {"seconds": 1}}, "expect": {"ok": []}}"#,
                "now must be",
            ),
            (
                r#"{"op": "list-due-running", "args": {"now": {"seconds": 1, "nanoseconds": 0, "x": 0}}, "expect": {"ok": []}}"#,
                "now must be",
            ),
            (
                r#"{"op": "list-due-running", "args": {"now": {"seconds": 1, "nanoseconds": -1}}, "expect": {"ok": []}}"#,
                "now",
            ),
            (
                r#"{"op": "list-due-running", "args": {"now": {"seconds": 1.5, "nanoseconds": 0}}, "expect": {"ok": []}}"#,
                "now",
            ),
            (
                r#"{"op": "list", "expect": {"ok": null}}"#,
                "list of records",
            ),
            (
                r#"{"op": "delete", "args": {"game-id": "g"}, "expect": {"ok": []}}"#,
                "must be null",
            ),
            (
                r#"{"op": "list", "expect": {"ok": [], "error": "conflict"}}"#,
                "next to \"ok\"",
            ),
            (
                r#"{"op": "list", "expect": {}}"#,
                "needs \"ok\" or \"error\"",
            ),
            (
                r#"{"op": "list", "expect": {"error": "boom"}}"#,
                "unknown error \"boom\"",
            ),
            (
                r#"{"op": "list", "expect": {"error": "invalid-input"}}"#,
                "needs a message",
            ),
            (
                r#"{"op": "list", "expect": {"error": "not-found", "message": "m"}}"#,
                "takes no message",
            ),
            (
                r#"{"op": "list", "expect": {"error": "conflict", "detail": "m"}}"#,
                "unknown key \"detail\"",
            ),
        ] {
            let error = step_error(step);
            assert!(error.contains("/vectors/sample.json, step 1"), "{error}");
            assert!(error.contains(reason), "{step}: {error}");
        }
    }

    #[test]
    fn records_and_inputs_need_every_field() {
        let without_option = RECORD.replace(r#""stopped-at": null, "#, "");
        let error = step_error(&format!(
            r#"{{"op": "insert", "args": {{"record": {without_option}}}, "expect": {{"ok": null}}}}"#
        ));
        assert!(error.contains("lacks field \"stopped-at\""), "{error}");

        let with_extra = RECORD.replace(
            r#""stopped-at": null, "#,
            r#""stopped-at": null, "colour": "red", "#,
        );
        let error = step_error(&format!(
            r#"{{"op": "insert", "args": {{"record": {with_extra}}}, "expect": {{"ok": null}}}}"#
        ));
        assert!(error.contains("colour"), "{error}");

        let bad_stamp = RECORD.replace(
            r#""started-at": {"seconds": 1, "nanoseconds": 2}"#,
            r#""started-at": {"seconds": 1, "nanoseconds": 2, "zone": "UTC"}"#,
        );
        let error = step_error(&format!(
            r#"{{"op": "get", "args": {{"game-id": "g"}}, "expect": {{"ok": {bad_stamp}}}}}"#
        ));
        assert!(error.contains("ok.started-at must be"), "{error}");

        let error = step_error(
            r#"{"op": "update-status", "args": {"input": {"game-id": "g", "expected-from": "running",
                "to": "stopped", "now": {"seconds": 1, "nanoseconds": 0},
                "engine-health-summary": null, "current-image-ref": null}}, "expect": {"ok": null}}"#,
        );
        assert!(
            error.contains("lacks field \"current-engine-version\""),
            "{error}"
        );
    }
}
