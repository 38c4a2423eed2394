//! Input validation with the exact messages and check order of contract §2.5.
//!
//! Each operation runs its listed checks first, then the length limits (game id first,
//! then every other string in WIT field order), then timestamp validity in WIT field
//! order, then (the project's decision, where the original contract is silent) a NUL character in any
//! string, in the same order as the lengths: PostgreSQL text cannot hold U+0000, so
//! rejecting it here gives the same answer on every backend. The first failing check is
//! the answer.

use runtime_store_vocabulary::{fill, page};

use crate::cursor;
use crate::ordering::ListOrder;
use crate::time;
use crate::transitions;
use crate::types::{
    RuntimeRecord, ScanKey, StoreError, Timestamp, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};

/// The most UTF-8 bytes a game id may have.
pub const MAX_GAME_ID_BYTES: usize = 256;
/// The most UTF-8 bytes any other string may have.
pub const MAX_TEXT_BYTES: usize = 4096;

pub use runtime_store_vocabulary::Operation;

/// The checks every operation shares; each message starts with the operation's words.
trait Checks: Copy {
    fn prefix(self) -> &'static str;

    fn invalid_input(self, detail: core::fmt::Arguments<'_>) -> StoreError {
        StoreError::InvalidInput(format!("{}: {detail}", self.prefix()))
    }

    fn not_blank(self, field: &str, value: &str) -> Result<(), StoreError> {
        if is_blank(value) {
            return Err(self.invalid_input(format_args!("{field} must not be empty")));
        }
        Ok(())
    }

    fn not_blank_when_set(self, field: &str, value: Option<&str>) -> Result<(), StoreError> {
        if value.is_some_and(is_blank) {
            return Err(self.invalid_input(format_args!("{field} must not be empty when set")));
        }
        Ok(())
    }

    fn not_zero(self, field: &str, at: Timestamp) -> Result<(), StoreError> {
        if time::is_zero(at) {
            return Err(self.invalid_input(format_args!("{field} must not be zero")));
        }
        Ok(())
    }

    fn not_zero_when_set(self, field: &str, at: Option<Timestamp>) -> Result<(), StoreError> {
        if at.is_some_and(time::is_zero) {
            return Err(self.invalid_input(format_args!("{field} must not be zero when set")));
        }
        Ok(())
    }

    /// The checks that follow every operation's listed ones: the length of each string,
    /// then the validity of each timestamp, then each string for NUL characters. `stamps`
    /// are (field words, value) in WIT field order, none for an optional one not set.
    fn field_checks(
        self,
        texts: &[TextField<'_>],
        stamps: &[(&str, Option<Timestamp>)],
    ) -> Result<(), StoreError> {
        for (field, value, max_bytes) in set_texts(texts) {
            self.at_most(field, value, max_bytes)?;
        }
        for &(field, at) in stamps {
            at.map_or(Ok(()), |at| self.valid(field, at))?;
        }
        for (field, value, _) in set_texts(texts) {
            self.without_nul(field, value)?;
        }
        Ok(())
    }

    fn at_most(self, field: &str, value: &str, max_bytes: usize) -> Result<(), StoreError> {
        if value.len() > max_bytes {
            return Err(
                self.invalid_input(format_args!("{field} must not exceed {max_bytes} bytes"))
            );
        }
        Ok(())
    }

    fn valid(self, field: &str, at: Timestamp) -> Result<(), StoreError> {
        if !time::is_valid(at) {
            return Err(self.invalid_input(format_args!("{field} is not a valid timestamp")));
        }
        Ok(())
    }

    fn without_nul(self, field: &str, value: &str) -> Result<(), StoreError> {
        if value.contains('\0') {
            return Err(self.invalid_input(format_args!("{field} must not contain NUL characters")));
        }
        Ok(())
    }

    /// The game id checks of `get` and `delete`: not blank, its length, no NUL.
    fn game_id(self, game_id: &str) -> Result<(), StoreError> {
        self.not_blank("game id", game_id)?;
        self.field_checks(&[TextField::game_id(game_id)], &[])
    }
}

impl Checks for Operation {
    fn prefix(self) -> &'static str {
        self.words()
    }
}

/// A string of an input as the length and NUL checks see it, listed in WIT field order
/// with the game id first.
struct TextField<'a> {
    words: &'static str,
    /// None for an optional string that is not set: it is not checked.
    value: Option<&'a str>,
    max_bytes: usize,
}

impl<'a> TextField<'a> {
    fn game_id(value: &'a str) -> Self {
        TextField {
            words: "game id",
            value: Some(value),
            max_bytes: MAX_GAME_ID_BYTES,
        }
    }

    fn text(words: &'static str, value: &'a str) -> Self {
        Self::text_when_set(words, Some(value))
    }

    fn text_when_set(words: &'static str, value: Option<&'a str>) -> Self {
        TextField {
            words,
            value,
            max_bytes: MAX_TEXT_BYTES,
        }
    }
}

/// The strings that are set, with their field words and limits.
fn set_texts<'a>(
    texts: &'a [TextField<'a>],
) -> impl Iterator<Item = (&'static str, &'a str, usize)> + 'a {
    texts
        .iter()
        .filter_map(|text| text.value.map(|value| (text.words, value, text.max_bytes)))
}

/// Go's `strings.TrimSpace(s) == ""`: empty or Unicode white space only.
pub fn is_blank(value: &str) -> bool {
    value.trim().is_empty()
}

/// The checks of `store.get`.
pub fn validate_get(game_id: &str) -> Result<(), StoreError> {
    Operation::Get.game_id(game_id)
}

/// The checks of `store.delete`.
pub fn validate_delete(game_id: &str) -> Result<(), StoreError> {
    Operation::Delete.game_id(game_id)
}

/// The checks of `store.list-due-running` (and the first of its page function, whose
/// `operation` is given): `now` not zero, then valid.
pub fn validate_list_due_running(operation: Operation, now: Timestamp) -> Result<(), StoreError> {
    operation.not_zero("now", now)?;
    operation.field_checks(&[], &[("now", Some(now))])
}

/// The checks of a page function after those of its list's arguments: `limit` in range,
/// then the cursor, which must be one the same list order handed out. Answers where the
/// page starts.
pub fn validate_page(
    operation: Operation,
    order: ListOrder,
    cursor: Option<&str>,
    limit: u32,
) -> Result<Option<ScanKey>, StoreError> {
    let fill = |template: &str| fill(template, &[("operation", operation.words())]);
    if !(page::SMALLEST_LIMIT..=page::LARGEST_LIMIT).contains(&limit) {
        return Err(StoreError::InvalidInput(fill(page::LIMIT_OUT_OF_RANGE)));
    }
    cursor
        .map(|text| {
            cursor::decode(order, text)
                .ok_or_else(|| StoreError::InvalidInput(fill(page::MALFORMED_CURSOR)))
        })
        .transpose()
}

/// The checks of `store.insert` and `rules.validate-record`. Fields only: a record may
/// carry any status with any stamps.
pub fn validate_record(record: &RuntimeRecord) -> Result<(), StoreError> {
    let operation = Operation::Insert;
    operation.not_blank("game id", &record.game_id)?;
    operation.not_blank("engine endpoint", &record.engine_endpoint)?;
    operation.not_blank("current image ref", &record.current_image_ref)?;
    operation.not_blank("current engine version", &record.current_engine_version)?;
    operation.not_zero("created at", record.created_at)?;
    operation.not_zero("updated at", record.updated_at)?;
    if time::compare(record.updated_at, record.created_at).is_lt() {
        return Err(
            operation.invalid_input(format_args!("updated at must not be before created at"))
        );
    }
    operation.not_zero_when_set("next generation at", record.next_generation_at)?;
    operation.not_zero_when_set("started at", record.started_at)?;
    operation.not_zero_when_set("stopped at", record.stopped_at)?;
    operation.not_zero_when_set("finished at", record.finished_at)?;

    operation.field_checks(
        &[
            TextField::game_id(&record.game_id),
            TextField::text("engine endpoint", &record.engine_endpoint),
            TextField::text("current image ref", &record.current_image_ref),
            TextField::text("current engine version", &record.current_engine_version),
            TextField::text("engine health", &record.engine_health),
        ],
        &[
            ("next generation at", record.next_generation_at),
            ("created at", Some(record.created_at)),
            ("updated at", Some(record.updated_at)),
            ("started at", record.started_at),
            ("stopped at", record.stopped_at),
            ("finished at", record.finished_at),
        ],
    )
}

/// The checks of `store.update-status` and `rules.validate-update-status`; a forbidden
/// transition is `invalid-transition`, every other failure `invalid-input`.
pub fn validate_update_status(input: &UpdateStatusInput) -> Result<(), StoreError> {
    let operation = Operation::UpdateStatus;
    operation.not_blank("game id", &input.game_id)?;
    if !transitions::is_allowed(input.expected_from, input.to) {
        return Err(StoreError::InvalidTransition(format!(
            "{}: {}",
            operation.prefix(),
            transitions::forbidden_message(input.expected_from, input.to)
        )));
    }
    operation.not_zero("now", input.now)?;
    operation.not_blank_when_set("current image ref", input.current_image_ref.as_deref())?;
    operation.not_blank_when_set(
        "current engine version",
        input.current_engine_version.as_deref(),
    )?;

    operation.field_checks(
        &[
            TextField::game_id(&input.game_id),
            TextField::text_when_set(
                "engine health summary",
                input.engine_health_summary.as_deref(),
            ),
            TextField::text_when_set("current image ref", input.current_image_ref.as_deref()),
            TextField::text_when_set(
                "current engine version",
                input.current_engine_version.as_deref(),
            ),
        ],
        &[("now", Some(input.now))],
    )
}

/// The checks of `store.update-scheduling` and `rules.validate-update-scheduling`.
pub fn validate_update_scheduling(input: &UpdateSchedulingInput) -> Result<(), StoreError> {
    let operation = Operation::UpdateScheduling;
    operation.not_blank("game id", &input.game_id)?;
    operation.not_zero_when_set("next generation at", input.next_generation_at)?;
    operation.not_zero("now", input.now)?;

    operation.field_checks(
        &[TextField::game_id(&input.game_id)],
        &[
            ("next generation at", input.next_generation_at),
            ("now", Some(input.now)),
        ],
    )
}

/// The checks of `store.update-image` and `rules.validate-update-image`.
pub fn validate_update_image(input: &UpdateImageInput) -> Result<(), StoreError> {
    let operation = Operation::UpdateImage;
    operation.not_blank("game id", &input.game_id)?;
    operation.not_blank("current image ref", &input.current_image_ref)?;
    operation.not_blank("current engine version", &input.current_engine_version)?;
    operation.not_zero("now", input.now)?;

    operation.field_checks(
        &[
            TextField::game_id(&input.game_id),
            TextField::text("current image ref", &input.current_image_ref),
            TextField::text("current engine version", &input.current_engine_version),
        ],
        &[("now", Some(input.now))],
    )
}

/// The checks of `store.update-engine-health` and `rules.validate-update-engine-health`.
pub fn validate_update_engine_health(input: &UpdateEngineHealthInput) -> Result<(), StoreError> {
    let operation = Operation::UpdateEngineHealth;
    operation.not_blank("game id", &input.game_id)?;
    operation.not_zero("now", input.now)?;

    operation.field_checks(
        &[
            TextField::game_id(&input.game_id),
            TextField::text("engine health summary", &input.engine_health_summary),
        ],
        &[("now", Some(input.now))],
    )
}
