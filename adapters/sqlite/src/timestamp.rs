//! Timestamps as stored: whole microseconds since the Unix epoch in an INTEGER column.

use runtime_store_backend::Timestamp;

const MICROS_PER_SECOND: i64 = 1_000_000;
const NANOS_PER_MICRO: u32 = 1_000;

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the range of a valid
/// timestamp (contract §2.1). A stored value outside it is no record's.
const FIRST_VALID_SECOND: i64 = -62_135_596_800;
const LAST_VALID_SECOND: i64 = 253_402_300_799;

/// `timestamp` as stored: whole microseconds since 1970-01-01T00:00:00Z, floored (the
/// rules have already truncated every timestamp they hand over, so nothing is lost in
/// practice); `None` when it does not fit in 64 bits.
///
/// ```
/// use runtime_store_backend::Timestamp;
/// use runtime_store_sqlite::{from_micros, micros};
///
/// let at = Timestamp { seconds: -1, nanoseconds: 999_999_999 };
/// assert_eq!(micros(at), Some(-1));
/// assert_eq!(from_micros(-1), Timestamp { seconds: -1, nanoseconds: 999_999_000 });
/// assert_eq!(micros(Timestamp { seconds: i64::MAX, nanoseconds: 0 }), None);
/// ```
pub fn micros(timestamp: Timestamp) -> Option<i64> {
    timestamp
        .seconds
        .checked_mul(MICROS_PER_SECOND)?
        .checked_add(i64::from(timestamp.nanoseconds / NANOS_PER_MICRO))
}

/// The timestamp `micros` microseconds after the Unix epoch.
pub fn from_micros(micros: i64) -> Timestamp {
    let sub_second = micros.rem_euclid(MICROS_PER_SECOND);
    Timestamp {
        seconds: micros.div_euclid(MICROS_PER_SECOND),
        nanoseconds: u32::try_from(sub_second).unwrap_or_default() * NANOS_PER_MICRO,
    }
}

/// The stored `micros` as a timestamp of a valid record, or what is wrong with it.
pub(crate) fn valid_from_micros(micros: i64) -> Result<Timestamp, String> {
    let timestamp = from_micros(micros);
    if (FIRST_VALID_SECOND..=LAST_VALID_SECOND).contains(&timestamp.seconds) {
        Ok(timestamp)
    } else {
        Err(format!(
            "holds {micros} µs ({}s), outside years 0001..9999",
            timestamp.seconds
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64, nanoseconds: u32) -> Timestamp {
        Timestamp {
            seconds,
            nanoseconds,
        }
    }

    #[test]
    fn whole_microseconds_round_trip_over_the_valid_year_range() {
        for timestamp in [
            at(FIRST_VALID_SECOND, 0),
            at(FIRST_VALID_SECOND, 999_999_000),
            at(-1, 999_999_000),
            at(0, 0),
            at(0, 1_000),
            at(1_795_000_000, 123_456_000),
            at(LAST_VALID_SECOND, 999_999_000),
        ] {
            let stored = micros(timestamp).unwrap();
            assert_eq!(valid_from_micros(stored), Ok(timestamp), "{timestamp:?}");
        }
    }

    #[test]
    fn stored_integers_order_as_the_instants() {
        let instants = [
            at(FIRST_VALID_SECOND, 0),
            at(-1, 0),
            at(-1, 999_999_000),
            at(0, 0),
            at(0, 1_000),
            at(1, 0),
            at(LAST_VALID_SECOND, 0),
        ];
        let stored: Vec<i64> = instants.iter().map(|at| micros(*at).unwrap()).collect();
        assert!(stored.is_sorted(), "{stored:?}");
    }

    #[test]
    fn out_of_range_values_are_reported_not_wrapped() {
        assert_eq!(micros(at(i64::MIN, 0)), None);
        assert!(valid_from_micros(i64::MAX).is_err());
        assert!(valid_from_micros(micros(at(FIRST_VALID_SECOND - 1, 0)).unwrap()).is_err());
        assert!(valid_from_micros(micros(at(LAST_VALID_SECOND + 1, 0)).unwrap()).is_err());
    }
}
