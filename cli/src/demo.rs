//! `demo`: three games driven through their lifecycle, narrated step by step.
//!
//! The demo keeps to a namespace of its own: its games are `demo:andromeda`,
//! `demo:betelgeuse` and `demo:cygnus`. It replaces exactly those at the start (so a
//! second run starts afresh), leaves them in the store for inspection afterwards, and
//! never writes, deletes or shows a record with any other game id: a store shared with a
//! Game Master in production is safe to run it against.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use runtime_store_host::{
    RuntimeRecord, RuntimeStore, Status, StoreError, Timestamp, UpdateEngineHealthInput,
    UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};

/// The prefix of every game id the demo writes.
pub const NAMESPACE: &str = "demo:";
const ANDROMEDA: &str = "demo:andromeda";
const BETELGEUSE: &str = "demo:betelgeuse";
const CYGNUS: &str = "demo:cygnus";
/// The demo's games: the only records it writes, deletes or shows.
pub const GAMES: [&str; 3] = [ANDROMEDA, BETELGEUSE, CYGNUS];

/// Whether `record` is one of the demo's own games.
fn is_demo_game(record: &RuntimeRecord) -> bool {
    GAMES.contains(&record.game_id.as_str())
}

/// Instants of the demo: whole minutes after the minute it started, so the output
/// differs between runs only in its clock times.
#[derive(Clone, Copy)]
struct Clock {
    start: i64,
}

impl Clock {
    fn now() -> anyhow::Result<Self> {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("read the system clock")?
            .as_secs();
        let seconds = i64::try_from(seconds).context("the system clock is beyond year 2262")?;
        Ok(Clock {
            start: seconds - seconds % 60,
        })
    }

    fn at(self, minutes: i64) -> Timestamp {
        Timestamp {
            seconds: self.start + minutes * 60,
            nanoseconds: 0,
        }
    }
}

/// `HH:MM:SS` (UTC) of a timestamp.
fn time_of_day(at: Timestamp) -> String {
    let seconds = at.seconds.rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3_600,
        seconds % 3_600 / 60,
        seconds % 60
    )
}

pub async fn run(store: &RuntimeStore, backend: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let clock = Clock::now()?;
    let mut demo = Demo { store, out, clock };
    writeln!(
        demo.out,
        "Backend {backend:?}; every rule runs in the wasm component, rules {}; times are UTC.",
        store.rules_identity()
    )?;
    let mut left = Vec::new();
    for game in GAMES {
        match store.get(game).await {
            Ok(record) => left.push(record),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let only = format!(
        "the demo writes only {}, never another game id",
        GAMES.join(", ")
    );
    if left.is_empty() {
        writeln!(
            demo.out,
            "No games of an earlier demo in this store; {only}."
        )?;
    } else {
        writeln!(demo.out, "An earlier demo left (replaced now; {only}):")?;
        for record in &left {
            writeln!(
                demo.out,
                "  {}: {}, turn {}, updated {}.",
                record.game_id,
                record.status,
                record.current_turn,
                time_of_day(record.updated_at)
            )?;
        }
    }
    for game in GAMES {
        store.delete(game).await?;
    }

    for game in GAMES {
        store.insert(&new_game(game, clock.at(0))).await?;
    }
    writeln!(
        demo.out,
        "Registered {ANDROMEDA}, {BETELGEUSE} and {CYGNUS}, status starting, at {}.",
        time_of_day(clock.at(0))
    )?;

    demo.transition(ANDROMEDA, Status::Starting, Status::Running, 1)
        .await?;
    demo.transition(BETELGEUSE, Status::Starting, Status::Running, 2)
        .await?;
    demo.transition(CYGNUS, Status::Starting, Status::Stopped, 3)
        .await?;
    demo.schedule(ANDROMEDA, 1, 5, 3).await?;
    demo.schedule(BETELGEUSE, 1, 4, 3).await?;

    let due = store.list_due_running(clock.at(6)).await?;
    let due_ids: Vec<&str> = due
        .iter()
        .filter(|record| is_demo_game(record))
        .map(|record| record.game_id.as_str())
        .collect();
    writeln!(
        demo.out,
        "Due at {}: {} (by due time).",
        time_of_day(clock.at(6)),
        due_ids.join(", ")
    )?;

    demo.transition(ANDROMEDA, Status::Running, Status::GenerationInProgress, 6)
        .await?;
    demo.transition(ANDROMEDA, Status::GenerationInProgress, Status::Running, 7)
        .await?;
    demo.schedule(ANDROMEDA, 2, 10, 7).await?;

    demo.race(BETELGEUSE, 7).await?;
    demo.transition(BETELGEUSE, Status::GenerationInProgress, Status::Running, 8)
        .await?;

    let rejected = store
        .update_status(&status_change(
            CYGNUS,
            Status::Stopped,
            Status::Running,
            clock.at(9),
        ))
        .await;
    match rejected {
        Err(error @ StoreError::InvalidTransition(_)) => {
            writeln!(demo.out, "Rejected {CYGNUS} stopped -> running: {error}")?;
        }
        other => bail!("expected the rules to reject stopped -> running, got {other:?}"),
    }

    store
        .update_engine_health(&UpdateEngineHealthInput {
            game_id: BETELGEUSE.into(),
            engine_health_summary: "degraded".into(),
            now: clock.at(9),
        })
        .await?;
    writeln!(
        demo.out,
        "{BETELGEUSE}: engine health degraded at {}.",
        time_of_day(clock.at(9))
    )?;
    store
        .update_image(&UpdateImageInput {
            game_id: BETELGEUSE.into(),
            expected_status: Status::Running,
            current_image_ref: "registry.local/galaxy/engine:1.5.0".into(),
            current_engine_version: "1.5.0".into(),
            now: clock.at(11),
        })
        .await?;
    writeln!(
        demo.out,
        "{BETELGEUSE}: engine image registry.local/galaxy/engine:1.5.0 while running, at {}.",
        time_of_day(clock.at(11))
    )?;

    demo.transition(ANDROMEDA, Status::Running, Status::Finished, 12)
        .await?;

    let records: Vec<RuntimeRecord> = store
        .list()
        .await?
        .into_iter()
        .filter(is_demo_game)
        .collect();
    writeln!(demo.out)?;
    write!(demo.out, "{}", table(&records))?;
    writeln!(
        demo.out,
        "\nThe demo's games stay in the store for inspection (game ids {NAMESPACE}*); the next demo replaces them."
    )?;
    Ok(())
}

fn new_game(game_id: &str, created: Timestamp) -> RuntimeRecord {
    RuntimeRecord {
        game_id: game_id.into(),
        status: Status::Starting,
        engine_endpoint: format!("http://{game_id}.engines.local:8080"),
        current_image_ref: "registry.local/galaxy/engine:1.4.0".into(),
        current_engine_version: "1.4.0".into(),
        engine_health: String::new(),
        current_turn: 0,
        next_generation_at: None,
        skip_next_tick: false,
        created_at: created,
        updated_at: created,
        started_at: None,
        stopped_at: None,
        finished_at: None,
    }
}

fn status_change(game_id: &str, from: Status, to: Status, now: Timestamp) -> UpdateStatusInput {
    UpdateStatusInput {
        game_id: game_id.into(),
        expected_from: from,
        to,
        now,
        engine_health_summary: (to == Status::Running).then(|| "healthy".into()),
        current_image_ref: None,
        current_engine_version: None,
    }
}

/// The steps the demo repeats, each narrated on `out`; times are minutes of `clock`.
struct Demo<'a, W> {
    store: &'a RuntimeStore,
    out: &'a mut W,
    clock: Clock,
}

impl<W: Write> Demo<'_, W> {
    async fn transition(
        &mut self,
        game_id: &str,
        from: Status,
        to: Status,
        minute: i64,
    ) -> anyhow::Result<()> {
        let now = self.clock.at(minute);
        self.store
            .update_status(&status_change(game_id, from, to, now))
            .await?;
        writeln!(
            self.out,
            "{game_id}: {from} -> {to} at {}.",
            time_of_day(now)
        )?;
        Ok(())
    }

    async fn schedule(
        &mut self,
        game_id: &str,
        turn: u32,
        due_minute: i64,
        minute: i64,
    ) -> anyhow::Result<()> {
        let due = self.clock.at(due_minute);
        self.store
            .update_scheduling(&UpdateSchedulingInput {
                game_id: game_id.into(),
                next_generation_at: Some(due),
                skip_next_tick: false,
                current_turn: turn,
                now: self.clock.at(minute),
            })
            .await?;
        writeln!(
            self.out,
            "{game_id}: turn {turn} scheduled for {}.",
            time_of_day(due)
        )?;
        Ok(())
    }

    /// Two schedulers start the same turn at once: both expect `running`, the store's
    /// compare-and-swap lets exactly one through.
    async fn race(&mut self, game_id: &str, minute: i64) -> anyhow::Result<()> {
        let now = self.clock.at(minute);
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let store = self.store.clone();
                let input =
                    status_change(game_id, Status::Running, Status::GenerationInProgress, now);
                tokio::spawn(async move { store.update_status(&input).await })
            })
            .collect();
        let mut won = 0;
        let mut lost = Vec::new();
        for racer in racers {
            match racer.await.context("join a racing scheduler")? {
                Ok(()) => won += 1,
                Err(error @ StoreError::Conflict { .. }) => lost.push(error),
                Err(error) => return Err(error.into()),
            }
        }
        let [conflict] = lost.as_slice() else {
            bail!("expected one winner and one conflict, got {won} winners and {lost:?}");
        };
        writeln!(
            self.out,
            "Race: two schedulers move {game_id} running -> generation_in_progress at once; {won} won, the other got: {conflict}"
        )?;
        Ok(())
    }
}

/// The records as an aligned text table.
fn table(records: &[RuntimeRecord]) -> String {
    let optional_time = |at: Option<Timestamp>| at.map(time_of_day).unwrap_or_else(|| "-".into());
    let header = [
        "GAME",
        "STATUS",
        "TURN",
        "NEXT TICK",
        "HEALTH",
        "IMAGE",
        "STARTED",
        "STOPPED",
        "FINISHED",
        "UPDATED",
    ]
    .map(String::from);
    let rows: Vec<[String; 10]> = std::iter::once(header)
        .chain(records.iter().map(|record| {
            [
                record.game_id.clone(),
                record.status.to_string(),
                record.current_turn.to_string(),
                optional_time(record.next_generation_at),
                if record.engine_health.is_empty() {
                    "-".into()
                } else {
                    record.engine_health.clone()
                },
                record.current_image_ref.clone(),
                optional_time(record.started_at),
                optional_time(record.stopped_at),
                optional_time(record.finished_at),
                time_of_day(record.updated_at),
            ]
        }))
        .collect();
    let widths: Vec<usize> = (0..10)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_utc_and_wrap_at_midnight() {
        let at = |seconds| Timestamp {
            seconds,
            nanoseconds: 0,
        };
        assert_eq!(time_of_day(at(0)), "00:00:00");
        assert_eq!(time_of_day(at(86_399)), "23:59:59");
        assert_eq!(time_of_day(at(-1)), "23:59:59");
        assert_eq!(time_of_day(at(1_700_000_000)), "22:13:20");
    }

    #[test]
    fn table_columns_line_up() {
        let mut long = new_game("a-much-longer-game-id", Timestamp::default());
        long.engine_health = "healthy".into();
        let text = table(&[new_game("g", Timestamp::default()), long]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let status_column = lines[0].find("STATUS").unwrap();
        assert_eq!(lines[1].find("starting"), Some(status_column));
        assert_eq!(lines[2].find("starting"), Some(status_column));
    }
}
