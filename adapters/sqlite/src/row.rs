//! Decoding stored rows, where a value that fits no record field is reported, not trusted.

use runtime_store_backend::{RuntimeRecord, Status, Timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Row, Sqlite, Type};

use crate::timestamp::valid_from_micros;

/// A stored value that does not decode: which record, which column, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CorruptColumn {
    /// The game id of the row, as far as it could be read.
    pub(crate) game_id: String,
    /// The column holding the bad value.
    pub(crate) column: &'static str,
    /// What is wrong with it.
    pub(crate) problem: String,
}

impl std::fmt::Display for CorruptColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "runtime record {:?}: column {} {}",
            self.game_id, self.column, self.problem
        )
    }
}

/// Reads the columns of one row, naming the row's game id in every failure.
struct RowReader<'r> {
    row: &'r SqliteRow,
    game_id: String,
}

impl<'r> RowReader<'r> {
    fn corrupt(&self, column: &'static str, problem: impl Into<String>) -> CorruptColumn {
        CorruptColumn {
            game_id: self.game_id.clone(),
            column,
            problem: problem.into(),
        }
    }

    fn value<T: Decode<'r, Sqlite> + Type<Sqlite>>(
        &self,
        column: &'static str,
    ) -> Result<T, CorruptColumn> {
        self.row
            .try_get(column)
            .map_err(|error| self.corrupt(column, format!("cannot be decoded: {error}")))
    }

    fn status(&self, column: &'static str) -> Result<Status, CorruptColumn> {
        let text: &str = self.value(column)?;
        parse_status(text).map_err(|problem| self.corrupt(column, problem))
    }

    fn turn(&self, column: &'static str) -> Result<u32, CorruptColumn> {
        let turn: i64 = self.value(column)?;
        u32::try_from(turn).map_err(|_| {
            self.corrupt(
                column,
                format!("holds {turn}, outside the turn range 0..=4294967295"),
            )
        })
    }

    fn flag(&self, column: &'static str) -> Result<bool, CorruptColumn> {
        match self.value::<i64>(column)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.corrupt(column, format!("holds {other}, not 0 or 1"))),
        }
    }

    fn timestamp(&self, column: &'static str) -> Result<Timestamp, CorruptColumn> {
        self.optional_timestamp(column)?
            .ok_or_else(|| self.corrupt(column, "is NULL"))
    }

    fn optional_timestamp(&self, column: &'static str) -> Result<Option<Timestamp>, CorruptColumn> {
        self.value::<Option<i64>>(column)?
            .map(|micros| {
                valid_from_micros(micros).map_err(|problem| self.corrupt(column, problem))
            })
            .transpose()
    }
}

/// `text` as a status, or what is wrong with it.
pub(crate) fn parse_status(text: &str) -> Result<Status, String> {
    text.parse()
        .map_err(|_| format!("holds {text:?}, which is no runtime status"))
}

/// The record stored in `row` (selected with the columns of [`FETCH`](crate::statements::FETCH)).
pub(crate) fn record_from_row(row: &SqliteRow) -> Result<RuntimeRecord, CorruptColumn> {
    let mut reader = RowReader {
        row,
        game_id: String::new(),
    };
    reader.game_id = reader.value("game_id")?;
    Ok(RuntimeRecord {
        status: reader.status("status")?,
        engine_endpoint: reader.value("engine_endpoint")?,
        current_image_ref: reader.value("current_image_ref")?,
        current_engine_version: reader.value("current_engine_version")?,
        engine_health: reader.value("engine_health")?,
        current_turn: reader.turn("current_turn")?,
        next_generation_at: reader.optional_timestamp("next_generation_at_us")?,
        skip_next_tick: reader.flag("skip_next_tick")?,
        created_at: reader.timestamp("created_at_us")?,
        updated_at: reader.timestamp("updated_at_us")?,
        started_at: reader.optional_timestamp("started_at_us")?,
        stopped_at: reader.optional_timestamp("stopped_at_us")?,
        finished_at: reader.optional_timestamp("finished_at_us")?,
        game_id: reader.game_id,
    })
}
