//! Short, readable renderings of values for failure messages: long strings are cut to a
//! prefix with their length, records are compared field by field.

use runtime_store_host::{RuntimeRecord, Status};
use serde_json::Value;

use crate::vectors::OkValue;

/// Strings longer than this many characters are shown cut, with their length.
const SHOWN_CHARS: usize = 60;

/// A string as a quoted literal, cut when long (vectors hold strings of 4097 bytes).
pub(crate) fn text(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= SHOWN_CHARS {
        return format!("{text:?}");
    }
    let prefix: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{prefix:?}… ({} bytes, {chars} characters)", text.len())
}

fn json(value: &Value) -> String {
    match value {
        Value::String(string) => text(string),
        other => other.to_string(),
    }
}

fn statuses(list: &[Status]) -> String {
    let names: Vec<String> = list.iter().map(|status| format!("{status:?}")).collect();
    format!("[{}]", names.join(", "))
}

fn game_ids(records: &[RuntimeRecord]) -> String {
    let ids: Vec<String> = records.iter().map(|record| text(&record.game_id)).collect();
    format!("[{}]", ids.join(", "))
}

/// A successful result in a line.
pub(crate) fn ok_value(value: &OkValue) -> String {
    match value {
        OkValue::Unit => "null".into(),
        OkValue::Record(record) => format!("record {}", text(&record.game_id)),
        OkValue::Records(records) => format!("{} records {}", records.len(), game_ids(records)),
        OkValue::Statuses(list) => statuses(list),
        OkValue::Page {
            records,
            next_cursor,
        } => format!("page {}", page(records, next_cursor.is_some())),
    }
}

/// A page in a line: its records and whether it has a next cursor.
pub(crate) fn page(records: &[RuntimeRecord], has_next_cursor: bool) -> String {
    let next = if has_next_cursor {
        "a next cursor"
    } else {
        "no next cursor"
    };
    format!("{} records {}, {next}", records.len(), game_ids(records))
}

/// Why the page `actual` is not the expected one, or `None` when it is.
pub(crate) fn page_difference(
    records: &[RuntimeRecord],
    has_next_cursor: bool,
    actual: &OkValue,
) -> Option<String> {
    let OkValue::Page {
        records: actual_records,
        next_cursor,
    } = actual
    else {
        return Some(format!(
            "expected page {}, got {}",
            page(records, has_next_cursor),
            ok_value(actual)
        ));
    };
    records_difference(records, actual_records).or_else(|| {
        (has_next_cursor != next_cursor.is_some()).then(|| {
            format!(
                "expected page {}, got {}",
                page(records, has_next_cursor),
                ok_value(actual)
            )
        })
    })
}

fn record_fields(record: &RuntimeRecord) -> Vec<(String, Value)> {
    match serde_json::to_value(record) {
        Ok(Value::Object(fields)) => fields.into_iter().collect(),
        // A record always serializes to an object; should that ever change, the whole
        // value still shows up in the comparison under one name.
        Ok(other) => vec![("record".into(), other)],
        Err(error) => vec![("record".into(), Value::String(error.to_string()))],
    }
}

/// The fields in which `actual` differs from `expected`, in WIT order and joined by "; ";
/// `None` when the records are equal.
fn record_differences(expected: &RuntimeRecord, actual: &RuntimeRecord) -> Option<String> {
    let actual_fields = record_fields(actual);
    let differences: Vec<String> = record_fields(expected)
        .into_iter()
        .zip(actual_fields)
        .filter(|((_, expected), (_, actual))| expected != actual)
        .map(|((name, expected), (_, actual))| {
            format!(
                "{name}: expected {}, got {}",
                json(&expected),
                json(&actual)
            )
        })
        .collect();
    (!differences.is_empty()).then(|| differences.join("; "))
}

/// Why `actual` is not `expected`, or `None` when they are equal.
pub(crate) fn ok_difference(expected: &OkValue, actual: &OkValue) -> Option<String> {
    match (expected, actual) {
        (OkValue::Unit, OkValue::Unit) => None,
        (OkValue::Record(expected), OkValue::Record(actual)) => {
            record_differences(expected, actual).map(|differences| {
                format!("record {} differs: {differences}", text(&expected.game_id))
            })
        }
        (OkValue::Records(expected), OkValue::Records(actual)) => {
            records_difference(expected, actual)
        }
        (OkValue::Statuses(expected), OkValue::Statuses(actual)) => (expected != actual)
            .then(|| format!("expected {}, got {}", statuses(expected), statuses(actual))),
        (expected, actual) => Some(format!(
            "expected {}, got {}",
            ok_value(expected),
            ok_value(actual)
        )),
    }
}

fn records_difference(expected: &[RuntimeRecord], actual: &[RuntimeRecord]) -> Option<String> {
    let same_ids = expected.len() == actual.len()
        && expected
            .iter()
            .zip(actual)
            .all(|(expected, actual)| expected.game_id == actual.game_id);
    if !same_ids {
        return Some(format!(
            "expected {} records {}, got {} records {}",
            expected.len(),
            game_ids(expected),
            actual.len(),
            game_ids(actual)
        ));
    }
    let differences: Vec<String> = expected
        .iter()
        .zip(actual)
        .enumerate()
        .filter_map(|(position, (expected, actual))| {
            record_differences(expected, actual).map(|differences| {
                format!("[{position}] {}: {differences}", text(&expected.game_id))
            })
        })
        .collect();
    (!differences.is_empty()).then(|| format!("records differ: {}", differences.join(" | ")))
}
