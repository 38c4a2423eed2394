//! Page cursors: the position of a page's last record, in text a caller treats as opaque.
//!
//! A cursor reads `<order>.<seconds>.<nanoseconds>.<game id as lowercase hex>`, the order
//! being `n` (newest first) or `d` (due first), so a cursor of one list order is refused by
//! the other. Only the exact text [`encode`] gives decodes: a cursor is the component's own
//! answer handed back, never something a caller composes.

use core::fmt::Write as _;

use crate::ordering::{ListOrder, Position};
use crate::time;
use crate::types::{ScanKey, Timestamp};
use crate::validation::MAX_GAME_ID_BYTES;

fn tag(order: ListOrder) -> &'static str {
    match order {
        ListOrder::NewestFirst => "n",
        ListOrder::DueFirst => "d",
    }
}

/// The cursor of the page that starts after `position`.
pub fn encode(order: ListOrder, position: Position<'_>) -> String {
    let mut cursor = format!(
        "{}.{}.{}.",
        tag(order),
        position.at.seconds,
        position.at.nanoseconds
    );
    for byte in position.game_id.as_bytes() {
        // Writing to a String cannot fail.
        let _ = write!(cursor, "{byte:02x}");
    }
    cursor
}

/// The position `cursor` names in `order`, or none when `encode` could not have given it.
pub fn decode(order: ListOrder, cursor: &str) -> Option<ScanKey> {
    let mut parts = cursor.split('.');
    let (Some(found_tag), Some(seconds), Some(nanoseconds), Some(hex), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if found_tag != tag(order) {
        return None;
    }
    let at = Timestamp {
        seconds: seconds.parse().ok()?,
        nanoseconds: nanoseconds.parse().ok()?,
    };
    let game_id = String::from_utf8(decode_hex(hex)?).ok()?;
    let sensible = time::is_valid(at)
        && !game_id.is_empty()
        && game_id.len() <= MAX_GAME_ID_BYTES
        && !game_id.contains('\0');
    let key = ScanKey { at, game_id };
    (sensible && encode(order, Position::of_key(&key)) == cursor).then_some(key)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(core::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seconds: i64, nanoseconds: u32, game_id: &str) -> ScanKey {
        ScanKey {
            at: Timestamp {
                seconds,
                nanoseconds,
            },
            game_id: game_id.to_owned(),
        }
    }

    #[test]
    fn a_cursor_decodes_to_the_position_it_encodes() {
        for order in [ListOrder::NewestFirst, ListOrder::DueFirst] {
            for original in [
                key(1_700_000_000, 123_000, "game-1"),
                key(-62_135_596_800, 0, "é.ü/\"x\""),
                key(253_402_300_799, 999_999_000, &"g".repeat(256)),
            ] {
                let cursor = encode(order, Position::of_key(&original));
                assert_eq!(decode(order, &cursor), Some(original));
            }
        }
    }

    #[test]
    fn anything_encode_could_not_give_is_refused() {
        let good = encode(ListOrder::NewestFirst, Position::of_key(&key(5, 0, "g")));
        assert_eq!(good, "n.5.0.67");
        for bad in [
            "",
            "n.5.0",
            "n.5.0.67.",
            "d.5.0.67",
            "n.5.0.6",
            "n.5.0.6G",
            "n.5.0.67 ",
            "n.+5.0.67",
            "n.05.0.67",
            "n.5.0.4F",
            "n.5.1000000000.67",
            "n.253402300800.0.67",
            "n.5.0.",
            "n.5.0.00",
            "n.5.0.ff",
        ] {
            assert_eq!(decode(ListOrder::NewestFirst, bad), None, "{bad:?}");
        }
        let too_long = encode(
            ListOrder::NewestFirst,
            Position::of_key(&key(5, 0, &"g".repeat(257))),
        );
        assert_eq!(decode(ListOrder::NewestFirst, &too_long), None);
    }
}
