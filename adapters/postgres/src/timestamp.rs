//! Exact conversion between [`Timestamp`] and PostgreSQL `timestamptz`.
//!
//! On the wire (binary format) a `timestamptz` is a signed count of microseconds since
//! 2000-01-01T00:00:00Z. Binding that integer directly keeps every value exact over the
//! whole range the rules accept (years 0001..9999, negative seconds included), needs no
//! date library, and decodes `infinity` into an error instead of a panic.
//!
//! Public so that other sqlx code on the same table binds and reads timestamps exactly as
//! the adapter does, without sqlx's `time` or `chrono` feature:
//!
//! ```
//! use runtime_store_backend::Timestamp;
//! use runtime_store_postgres::timestamp::PgInstant;
//!
//! let now = Timestamp { seconds: 1_700_000_000, nanoseconds: 123_456_789 };
//! let instant = PgInstant::from_timestamp(now)?;
//! // `sqlx::query(runtime_store_postgres::statements::SCAN_DUE_RUNNING).bind(instant)`
//! assert_eq!(
//!     instant.to_timestamp(),
//!     Some(Timestamp { seconds: 1_700_000_000, nanoseconds: 123_456_000 })
//! );
//! # Ok::<(), runtime_store_postgres::timestamp::OutOfRange>(())
//! ```

use runtime_store_backend::Timestamp;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01T00:00:00Z.
const POSTGRES_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

const MICROS_PER_SECOND: i64 = 1_000_000;
const NANOS_PER_MICRO: u32 = 1_000;

/// The built-in type OID of `timestamptz`, fixed in every PostgreSQL release; declaring it
/// by OID spares sqlx a type look-up round trip.
const TIMESTAMPTZ_OID: Oid = Oid(1184);

/// A `timestamptz` as PostgreSQL sends it: microseconds since 2000-01-01T00:00:00Z.
/// Binds and decodes as `timestamptz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgInstant(i64);

/// A timestamp that has no `timestamptz` representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {seconds}s {nanoseconds}ns is outside the range PostgreSQL can store")]
pub struct OutOfRange {
    seconds: i64,
    nanoseconds: u32,
}

impl PgInstant {
    /// The instant of `timestamp`, floored to whole microseconds (the rules have already
    /// truncated every timestamp they hand over, so nothing is lost in practice).
    pub fn from_timestamp(timestamp: Timestamp) -> Result<Self, OutOfRange> {
        timestamp
            .seconds
            .checked_mul(MICROS_PER_SECOND)
            .and_then(|micros| {
                micros.checked_add(i64::from(timestamp.nanoseconds / NANOS_PER_MICRO))
            })
            .and_then(|unix_micros| unix_micros.checked_sub(POSTGRES_EPOCH_UNIX_MICROS))
            .map(PgInstant)
            .ok_or(OutOfRange {
                seconds: timestamp.seconds,
                nanoseconds: timestamp.nanoseconds,
            })
    }

    /// Microseconds since 2000-01-01T00:00:00Z: the value PostgreSQL sends and accepts for
    /// a `timestamptz` in binary form, e.g. in a `COPY ... (FORMAT binary)` stream.
    pub fn micros_since_2000(self) -> i64 {
        self.0
    }

    /// The timestamp of this instant; `None` for `infinity` and `-infinity`, which no
    /// [`Timestamp`] represents.
    pub fn to_timestamp(self) -> Option<Timestamp> {
        if self.0 == i64::MAX || self.0 == i64::MIN {
            return None;
        }
        let unix_micros = self.0.checked_add(POSTGRES_EPOCH_UNIX_MICROS)?;
        let sub_second_micros = u32::try_from(unix_micros.rem_euclid(MICROS_PER_SECOND)).ok()?;
        Some(Timestamp {
            seconds: unix_micros.div_euclid(MICROS_PER_SECOND),
            nanoseconds: sub_second_micros * NANOS_PER_MICRO,
        })
    }
}

impl Type<Postgres> for PgInstant {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(TIMESTAMPTZ_OID)
    }
}

impl Encode<'_, Postgres> for PgInstant {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for PgInstant {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        // Prepared statements always return binary values; text would need date parsing.
        if value.format() != PgValueFormat::Binary {
            return Err(
                "timestamptz arrived in text format; only the binary format is decoded".into(),
            );
        }
        let bytes: [u8; 8] = value
            .as_bytes()?
            .try_into()
            .map_err(|_| "timestamptz value is not 8 bytes long")?;
        Ok(PgInstant(i64::from_be_bytes(bytes)))
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
    fn micros_count_from_the_postgres_epoch() {
        let epoch = PgInstant::from_timestamp(at(946_684_800, 0)).unwrap();
        assert_eq!(epoch.micros_since_2000(), 0);
        let before = PgInstant::from_timestamp(at(946_684_799, 999_999_999)).unwrap();
        assert_eq!(before.micros_since_2000(), -1);
    }

    #[test]
    fn whole_microseconds_round_trip_over_the_valid_year_range() {
        for timestamp in [
            at(-62_135_596_800, 0),
            at(-62_135_596_800, 999_999_000),
            at(-1, 999_999_000),
            at(0, 1_000),
            at(946_684_800, 0),
            at(946_684_799, 999_999_000),
            at(1_795_000_000, 123_456_000),
            at(253_402_300_799, 999_999_000),
        ] {
            let instant = PgInstant::from_timestamp(timestamp).unwrap();
            assert_eq!(instant.to_timestamp(), Some(timestamp), "{timestamp:?}");
        }
    }

    #[test]
    fn postgres_epoch_is_zero_on_the_wire() {
        assert_eq!(
            PgInstant::from_timestamp(at(946_684_800, 0)),
            Ok(PgInstant(0))
        );
        assert_eq!(
            PgInstant::from_timestamp(at(946_684_799, 999_999_000)),
            Ok(PgInstant(-1))
        );
    }

    #[test]
    fn sub_microsecond_parts_are_floored_even_before_the_epoch() {
        assert_eq!(
            PgInstant::from_timestamp(at(-1, 999_999_999))
                .unwrap()
                .to_timestamp(),
            Some(at(-1, 999_999_000))
        );
    }

    #[test]
    fn infinities_and_overflow_are_errors_not_panics() {
        assert_eq!(PgInstant(i64::MAX).to_timestamp(), None);
        assert_eq!(PgInstant(i64::MIN).to_timestamp(), None);
        assert!(PgInstant::from_timestamp(at(i64::MAX, 0)).is_err());
        assert!(PgInstant::from_timestamp(at(i64::MIN, 0)).is_err());
    }
}
