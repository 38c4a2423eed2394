//! Decoding stored rows, where a value that fits no record field is reported, not trusted.

use runtime_store_backend::{RuntimeRecord, Status, Timestamp};
use sqlx::postgres::PgRow;
use sqlx::{Decode, Postgres, Row, Type};

use crate::timestamp::PgInstant;

/// A stored value that does not decode: which record, which column, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("runtime record {game_id:?}: column {column} {problem}")]
pub(crate) struct CorruptColumn {
    /// The game id of the row, as far as it could be read.
    pub(crate) game_id: String,
    /// The column holding the bad value.
    pub(crate) column: &'static str,
    /// What is wrong with it.
    pub(crate) problem: String,
}

/// Reads the columns of one row, naming the row's game id in every failure.
struct RowReader<'r> {
    row: &'r PgRow,
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

    fn value<T: Decode<'r, Postgres> + Type<Postgres>>(
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

    fn timestamp(&self, column: &'static str) -> Result<Timestamp, CorruptColumn> {
        self.optional_timestamp(column)?
            .ok_or_else(|| self.corrupt(column, "is NULL"))
    }

    fn optional_timestamp(&self, column: &'static str) -> Result<Option<Timestamp>, CorruptColumn> {
        let Some(instant) = self.value::<Option<PgInstant>>(column)? else {
            return Ok(None);
        };
        let timestamp = instant
            .to_timestamp()
            .ok_or_else(|| self.corrupt(column, "holds an infinite timestamp"))?;
        if !(FIRST_VALID_SECOND..=LAST_VALID_SECOND).contains(&timestamp.seconds) {
            return Err(self.corrupt(
                column,
                format!(
                    "holds a timestamp in year {} ({}s), outside years 0001..9999",
                    year_of(timestamp.seconds),
                    timestamp.seconds
                ),
            ));
        }
        Ok(Some(timestamp))
    }
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the range of a valid
/// timestamp (contract §2.1). `timestamptz` holds more (4713 BC to 294276 AD); a stored
/// value outside is no record's.
const FIRST_VALID_SECOND: i64 = -62_135_596_800;
const LAST_VALID_SECOND: i64 = 253_402_300_799;

/// The proleptic Gregorian year (astronomical: 0 is 1 BC) of the Unix second `seconds`
/// (H. Hinnant's `civil_from_days`).
fn year_of(seconds: i64) -> i64 {
    let days = seconds.div_euclid(86_400) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // March = 0
    year_of_era + era * 400 + i64::from(month_index >= 10)
}

/// `text` as a status, or what is wrong with it.
pub(crate) fn parse_status(text: &str) -> Result<Status, String> {
    text.parse()
        .map_err(|_| format!("holds {text:?}, which is no runtime status"))
}

/// The record stored in `row` (selected with the columns of [`FETCH`](crate::statements::FETCH)).
pub(crate) fn record_from_row(row: &PgRow) -> Result<RuntimeRecord, CorruptColumn> {
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
        next_generation_at: reader.optional_timestamp("next_generation_at")?,
        skip_next_tick: reader.value("skip_next_tick")?,
        created_at: reader.timestamp("created_at")?,
        updated_at: reader.timestamp("updated_at")?,
        started_at: reader.optional_timestamp("started_at")?,
        stopped_at: reader.optional_timestamp("stopped_at")?,
        finished_at: reader.optional_timestamp("finished_at")?,
        game_id: reader.game_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_of_unix_seconds() {
        for (seconds, year) in [
            (0, 1970),
            (-1, 1969),
            (FIRST_VALID_SECOND, 1),
            (FIRST_VALID_SECOND - 1, 0),
            (LAST_VALID_SECOND, 9999),
            (LAST_VALID_SECOND + 1, 10_000),
            (951_782_400, 2000), // 2000-02-29
            (978_307_199, 2000), // 2000-12-31T23:59:59
            (568_971_820_800, 20_000),
        ] {
            assert_eq!(year_of(seconds), year, "{seconds}");
        }
    }
}
