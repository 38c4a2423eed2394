//! Timestamps: "zero", validity, truncation to microseconds and chronological order.

use core::cmp::Ordering;

use crate::types::Timestamp;

/// The first second of year 0001, UTC.
pub const MIN_SECONDS: i64 = -62_135_596_800;
/// The last second of year 9999, UTC.
pub const MAX_SECONDS: i64 = 253_402_300_799;
/// Nanoseconds in one second; a valid `nanoseconds` is below it.
pub const NANOS_PER_SECOND: u32 = 1_000_000_000;
/// Nanoseconds in one microsecond, the resolution PostgreSQL keeps.
pub const NANOS_PER_MICRO: u32 = 1_000;

/// Whether `at` means "not set": it truncates to the epoch, so storing it would store zero.
pub fn is_zero(at: Timestamp) -> bool {
    at.seconds == 0 && at.nanoseconds < NANOS_PER_MICRO
}

/// Whether `at` is an instant of years 0001..=9999 with a sub-second part below one second.
pub fn is_valid(at: Timestamp) -> bool {
    at.nanoseconds < NANOS_PER_SECOND && (MIN_SECONDS..=MAX_SECONDS).contains(&at.seconds)
}

/// `at` rounded down to whole microseconds, so every backend stores and returns the same value.
pub fn truncate_to_micros(at: Timestamp) -> Timestamp {
    Timestamp {
        seconds: at.seconds,
        nanoseconds: at.nanoseconds - at.nanoseconds % NANOS_PER_MICRO,
    }
}

/// [`truncate_to_micros`] of an optional timestamp.
pub fn truncate_optional(at: Option<Timestamp>) -> Option<Timestamp> {
    at.map(truncate_to_micros)
}

/// Chronological order of two timestamps as given (seconds, then nanoseconds).
pub fn compare(a: Timestamp, b: Timestamp) -> Ordering {
    a.seconds
        .cmp(&b.seconds)
        .then(a.nanoseconds.cmp(&b.nanoseconds))
}
