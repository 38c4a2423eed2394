//! A client process for the "client killed mid-write" fault: walks one game through the
//! steps of `runtime_store_postgres_tests::workload` with the adapter's `patch`, printing
//! `acked <step>` after each acknowledged write, until it is killed (or reaches
//! `last-step`).
//!
//! Usage: `step_writer <database-url> <schema> <game-id> <last-step>`. The game must
//! exist. Its connections report application name `<schema>_writer`.

use std::io::Write;

use anyhow::{Context, Result, bail};
use runtime_store_backend::{Backend, PatchOutcome};
use runtime_store_postgres::{PostgresBackend, PostgresOptions};
use runtime_store_postgres_tests::workload::{step_of, step_patch};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [url, schema, game_id, last_step] = arguments.as_slice() else {
        bail!("usage: step_writer <database-url> <schema> <game-id> <last-step>");
    };
    let last_step: u32 = last_step.parse().context("last-step")?;
    let options = PostgresOptions::default()
        .schema(schema)
        .application_name(format!("{schema}_writer"))
        .max_connections(1);
    let backend = PostgresBackend::connect(url, options)
        .await
        .context("connecting to PostgreSQL")?;
    let stored = backend
        .fetch(game_id)
        .await
        .context("reading the game")?
        .context("the game does not exist")?;
    let mut step = step_of(&stored);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {step}")?;
    out.flush()?;
    while step < last_step {
        let (expected, patch) = step_patch(step + 1);
        match backend
            .patch(game_id, Some(expected), patch)
            .await
            .with_context(|| format!("step {}", step + 1))?
        {
            PatchOutcome::Applied => {}
            other => bail!("step {}: {other:?}", step + 1),
        }
        step += 1;
        writeln!(out, "acked {step}")?;
        out.flush()?;
    }
    Ok(())
}
