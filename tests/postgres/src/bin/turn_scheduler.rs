//! A turn scheduler process for the multi-process test: shares one PostgreSQL schema
//! with other schedulers and generates every due tick it can claim.
//!
//! Usage: `turn_scheduler <database-url> <schema> <now-seconds> <last-turn> <tick-seconds>`.
//! Prints `ready` once connected, waits for a line on stdin (so every process starts
//! together), then loops: list the runtimes due at `now`, claim each with
//! running → generation-in-progress (a compare-and-swap: only one process wins), read the
//! claimed record, "generate" its next turn (prints `generated <game-id> <turn>`), move
//! its tick on by `tick-seconds` (none after `last-turn`) and hand it back to running. It
//! exits when nothing is due and no process holds a claim.

use std::io::{BufRead, Write};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use runtime_store_host::{
    RuntimeStore, Status, StoreError, Timestamp, UpdateSchedulingInput, UpdateStatusInput,
};
use runtime_store_postgres::{PostgresBackend, PostgresOptions};

struct Settings {
    url: String,
    schema: String,
    now: Timestamp,
    last_turn: u32,
    tick_seconds: i64,
}

fn settings() -> Result<Settings> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [url, schema, now, last_turn, tick_seconds] = arguments.as_slice() else {
        bail!(
            "usage: turn_scheduler <database-url> <schema> <now-seconds> <last-turn> <tick-seconds>"
        );
    };
    Ok(Settings {
        url: url.clone(),
        schema: schema.clone(),
        now: Timestamp {
            seconds: now.parse().context("now-seconds")?,
            nanoseconds: 0,
        },
        last_turn: last_turn.parse().context("last-turn")?,
        tick_seconds: tick_seconds.parse().context("tick-seconds")?,
    })
}

fn status_input(game_id: &str, from: Status, to: Status, now: Timestamp) -> UpdateStatusInput {
    UpdateStatusInput {
        game_id: game_id.to_owned(),
        expected_from: from,
        to,
        now,
        engine_health_summary: None,
        current_image_ref: None,
        current_engine_version: None,
    }
}

/// Generates the next turn of `game_id` if this process wins its claim and the tick is
/// still due; returns the turn generated.
async fn generate_if_claimed(
    store: &RuntimeStore,
    settings: &Settings,
    game_id: &str,
) -> Result<Option<u32>> {
    let now = settings.now;
    let claim = status_input(game_id, Status::Running, Status::GenerationInProgress, now);
    match store.update_status(&claim).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(error).context("claiming a due runtime"),
    }
    // The list this process read may be stale: the claim makes the record ours, so decide
    // on what it holds now. Another process may have generated this tick already.
    let claimed = store
        .get(game_id)
        .await
        .context("reading the claimed runtime")?;
    let generated = match claimed.next_generation_at {
        Some(due) if due <= now => {
            let turn = claimed.current_turn + 1;
            println!("generated {game_id} {turn}");
            let next_tick = Timestamp {
                seconds: due.seconds + settings.tick_seconds,
                nanoseconds: due.nanoseconds,
            };
            store
                .update_scheduling(&UpdateSchedulingInput {
                    game_id: game_id.to_owned(),
                    next_generation_at: (turn < settings.last_turn).then_some(next_tick),
                    skip_next_tick: false,
                    current_turn: turn,
                    now,
                })
                .await
                .context("scheduling the next turn")?;
            Some(turn)
        }
        _ => None,
    };
    let release = status_input(game_id, Status::GenerationInProgress, Status::Running, now);
    store
        .update_status(&release)
        .await
        .context("handing the runtime back")?;
    Ok(generated)
}

async fn schedule(settings: Settings) -> Result<usize> {
    let options = PostgresOptions::default()
        .schema(&settings.schema)
        .application_name(format!("{}_scheduler", settings.schema))
        .max_connections(2);
    let backend = PostgresBackend::connect(&settings.url, options)
        .await
        .context("connecting to PostgreSQL")?;
    let store = RuntimeStore::builder()
        .backend(Arc::new(backend))
        .build()
        .await
        .context("building the runtime store")?;

    println!("ready");
    std::io::stdout().flush()?;
    let mut go = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut go)
        .context("waiting for the start signal")?;

    let mut generated = 0;
    loop {
        let due = store
            .list_due_running(settings.now)
            .await
            .context("listing due runtimes")?;
        if due.is_empty() {
            let claimed = store
                .list_by_status(Status::GenerationInProgress)
                .await
                .context("listing claimed runtimes")?;
            if claimed.is_empty() {
                return Ok(generated);
            }
            tokio::task::yield_now().await;
            continue;
        }
        for record in due {
            if generate_if_claimed(&store, &settings, &record.game_id)
                .await?
                .is_some()
            {
                generated += 1;
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let settings = settings()?;
    let generated = schedule(settings).await?;
    println!("done {generated}");
    Ok(())
}
