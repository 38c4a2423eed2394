//! Filling a table fast for tests and benchmarks that need thousands to millions of rows:
//! records written through sqlx with one `COPY runtime_records (...) FROM STDIN (FORMAT
//! binary)`, not through the store or the adapter.
//!
//! The binary format carries every value exactly as the adapter binds it (text as UTF-8,
//! `current_turn` as a bigint, timestamps as [`PgInstant`] microseconds since 2000), so a
//! copied row reads back through the adapter as the record it came from. Rows are sent in
//! chunks of about [`CHUNK_BYTES`] as the iterator yields them: a million generated
//! records never sit in memory at once.

use anyhow::Context;
use runtime_store_backend::{RuntimeRecord, Timestamp};
use runtime_store_postgres::timestamp::PgInstant;
use sqlx::PgPool;
use sqlx::postgres::PgPoolCopyExt;

/// The statement: the columns in the order of the adapter's select list.
pub const COPY_RECORDS: &str = "COPY runtime_records (game_id, status, engine_endpoint, \
     current_image_ref, current_engine_version, engine_health, current_turn, \
     next_generation_at, skip_next_tick, created_at, updated_at, started_at, stopped_at, \
     finished_at) FROM STDIN (FORMAT binary)";

/// How many bytes are gathered before they are sent.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The signature, flags and header extension length of a binary `COPY` stream.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Columns per row.
const COLUMNS: i16 = 14;

/// Writes `records` into `runtime_records` (in the pool's search path) with one `COPY`
/// and returns how many rows it wrote. A game id that exists already fails the whole
/// copy (the primary key), and nothing is written.
pub async fn copy_records(
    pool: &PgPool,
    records: impl IntoIterator<Item = RuntimeRecord>,
) -> anyhow::Result<u64> {
    let mut copy = pool
        .copy_in_raw(COPY_RECORDS)
        .await
        .context("starting COPY runtime_records")?;
    let mut buffer = Vec::with_capacity(CHUNK_BYTES + 4096);
    buffer.extend_from_slice(HEADER);
    let mut encoded = Ok(());
    for record in records {
        if let Err(error) = encode(&mut buffer, &record) {
            encoded = Err(error);
            break;
        }
        if buffer.len() >= CHUNK_BYTES {
            copy.send(std::mem::take(&mut buffer))
                .await
                .context("sending COPY data")?;
            buffer.reserve(CHUNK_BYTES + 4096);
        }
    }
    if let Err(error) = encoded {
        copy.abort(error.to_string())
            .await
            .context("aborting COPY runtime_records")?;
        return Err(error);
    }
    buffer.extend_from_slice(&(-1_i16).to_be_bytes());
    copy.send(buffer).await.context("sending COPY data")?;
    copy.finish()
        .await
        .context("finishing COPY runtime_records")
}

/// Appends `record` as one row of a binary `COPY` stream.
fn encode(buffer: &mut Vec<u8>, record: &RuntimeRecord) -> anyhow::Result<()> {
    let instant = |column: &str, at: Timestamp| {
        PgInstant::from_timestamp(at)
            .map(PgInstant::micros_since_2000)
            .with_context(|| format!("runtime record {:?}: {column}", record.game_id))
    };
    let optional =
        |column: &str, at: Option<Timestamp>| at.map(|at| instant(column, at)).transpose();
    buffer.extend_from_slice(&COLUMNS.to_be_bytes());
    for text in [
        &record.game_id,
        record.status.stored_text(),
        &record.engine_endpoint,
        &record.current_image_ref,
        &record.current_engine_version,
        &record.engine_health,
    ] {
        field(buffer, Some(text.as_bytes()));
    }
    field(buffer, Some(&i64::from(record.current_turn).to_be_bytes()));
    let next = optional("next_generation_at", record.next_generation_at)?;
    field(buffer, next.map(i64::to_be_bytes).as_ref().map(|b| &b[..]));
    field(buffer, Some(&[u8::from(record.skip_next_tick)]));
    field(
        buffer,
        Some(&instant("created_at", record.created_at)?.to_be_bytes()),
    );
    field(
        buffer,
        Some(&instant("updated_at", record.updated_at)?.to_be_bytes()),
    );
    for (column, at) in [
        ("started_at", record.started_at),
        ("stopped_at", record.stopped_at),
        ("finished_at", record.finished_at),
    ] {
        let micros = optional(column, at)?;
        field(
            buffer,
            micros.map(i64::to_be_bytes).as_ref().map(|b| &b[..]),
        );
    }
    Ok(())
}

/// Appends one field: its length and bytes, or length -1 for NULL.
fn field(buffer: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(bytes) => {
            let length = i32::try_from(bytes.len()).expect("a field shorter than 2 GiB");
            buffer.extend_from_slice(&length.to_be_bytes());
            buffer.extend_from_slice(bytes);
        }
        None => buffer.extend_from_slice(&(-1_i32).to_be_bytes()),
    }
}
