//! `runtime-store`: the runtime record store from the command line.
//!
//! A guided demo, the embedded rules component (write it out, inspect it), the
//! language-neutral conformance vectors, and PostgreSQL and SQLite migrations. Every failure is one
//! line on stderr and a non-zero exit status.

mod component;
mod conformance;
mod demo;
mod trace;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use runtime_store_host::{BackendFactory, CompilationCache, Registry, RuntimeStore};
use runtime_store_memory::MemoryFactory;
use runtime_store_postgres::PostgresArgs;
use runtime_store_sqlite::SqliteFactory;

/// How each command picks its backend; shown at the end of `--help`.
const BACKEND_PRECEDENCE: &str = "\
Backend selection, first match wins:
  demo, run:  --backend, then RUNTIME_STORE_BACKEND, then memory:
              (DATABASE_URL is not consulted: these stay in memory unless asked)
  migrate:    --backend, then RUNTIME_STORE_BACKEND, then DATABASE_URL";

/// The runtime record store of a Game Master: rules in a sandboxed WebAssembly
/// component, storage in a pluggable backend.
#[derive(Debug, Parser)]
#[command(name = "runtime-store", version, after_help = BACKEND_PRECEDENCE)]
struct Cli {
    #[command(flatten)]
    sandbox: SandboxOptions,
    #[command(flatten)]
    postgres: PostgresArgs,
    #[command(subcommand)]
    command: Command,
}

/// Limits of the sandbox every store call runs in.
#[derive(Debug, Args)]
struct SandboxOptions {
    /// CPU budget of one call, in fuel units (about one per wasm instruction).
    #[arg(long, global = true, value_name = "FUEL")]
    fuel: Option<u64>,
    /// Linear memory limit of one component instance, in bytes.
    #[arg(long, global = true, value_name = "BYTES")]
    memory_limit: Option<usize>,
    /// Wall-clock deadline of one call while the guest runs, in milliseconds.
    #[arg(long, global = true, value_name = "MILLISECONDS")]
    deadline_ms: Option<u64>,
    /// How long a call waits for a free component instance, in milliseconds.
    #[arg(long, global = true, value_name = "MILLISECONDS")]
    max_instance_wait_ms: Option<u64>,
    /// Run this build of the rules component instead of the embedded one (demo, run).
    #[arg(long, global = true, value_name = "FILE")]
    component: Option<PathBuf>,
    /// Print every store call's span (operation, game id, outcome, time in the guest
    /// and in the backend, rules SHA-256) to standard error, and the metrics at the end.
    #[arg(long, global = true)]
    trace: bool,
    /// Compile the rules component in this process and keep nothing on disk. Otherwise
    /// compiled code is kept in RUNTIME_STORE_CACHE_DIR (set but empty: no cache), else
    /// $XDG_CACHE_HOME/runtime-store, else $HOME/.cache/runtime-store, and a later run
    /// loads it instead of compiling (demo, run).
    #[arg(long, global = true)]
    no_compilation_cache: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Drive three games through their lifecycle and print the records.
    ///
    /// The demo's games are demo:andromeda, demo:betelgeuse and demo:cygnus: it replaces
    /// exactly those at the start, leaves them for inspection and never writes, deletes or
    /// shows a record with any other game id.
    Demo {
        #[command(flatten)]
        backend: BackendOption,
    },
    /// Write the embedded rules component, byte for byte, to a file.
    Component {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Show a component's imports, exports, size and SHA-256 (default: the embedded one).
    Inspect {
        /// A component file instead of the embedded component.
        file: Option<PathBuf>,
        /// Print one JSON object: {"size", "sha256", "imports", "exports"}.
        #[arg(long)]
        json: bool,
    },
    /// Run conformance vector files (default: every file in tests/conformance).
    #[command(after_help = conformance::SHARED_STORE_HELP)]
    Run {
        /// Vector files (tests/conformance/*.json format).
        files: Vec<PathBuf>,
        #[command(flatten)]
        backend: BackendOption,
    },
    /// Create or update the PostgreSQL schema, or a SQLite file's (created when missing).
    #[command(after_help = BACKEND_PRECEDENCE)]
    Migrate {
        /// The database, postgres://user@host:port/database or sqlite://path; without it,
        /// RUNTIME_STORE_BACKEND, then DATABASE_URL.
        #[arg(long, env = "RUNTIME_STORE_BACKEND", value_name = "URL")]
        backend: Option<String>,
    },
}

#[derive(Debug, Args)]
struct BackendOption {
    /// Storage backend: memory:, postgres://user@host:port/database, sqlite://path or
    /// sqlite::memory:. DATABASE_URL is not consulted.
    #[arg(
        long,
        env = "RUNTIME_STORE_BACKEND",
        default_value = "memory:",
        value_name = "URL"
    )]
    backend: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)))
        .map_err(|error| match error.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::BrokenPipe => {
                error.context("write to stdout (the reader went away)")
            }
            _ => error,
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let out = &mut std::io::stdout();
    let summary = if cli.sandbox.trace {
        Some(trace::install()?)
    } else {
        None
    };
    let outcome = command(cli, out).await;
    if let Some(summary) = summary {
        summary.write(&mut std::io::stderr())?;
    }
    outcome
}

async fn command(cli: Cli, out: &mut impl Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo { backend } => {
            let store = open_store(&cli.sandbox, &cli.postgres, &backend.backend).await?;
            demo::run(&store, &redact(&backend.backend), out).await
        }
        Command::Component { out: file } => component::write(&file, out),
        Command::Inspect { file, json } => component::inspect(file.as_deref(), json, out),
        Command::Run { files, backend } => {
            let store = open_store(&cli.sandbox, &cli.postgres, &backend.backend).await?;
            conformance::run(&store, files, out).await
        }
        Command::Migrate { backend } => migrate(backend, &cli.postgres, out).await,
    }
}

/// Brings the PostgreSQL schema at `backend`, or else at `DATABASE_URL`, up to date.
async fn migrate(
    backend: Option<String>,
    postgres: &PostgresArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let backend = match backend {
        Some(url) => url,
        None => match std::env::var("DATABASE_URL") {
            Ok(url) => url,
            Err(std::env::VarError::NotPresent) => bail!(
                "migrate: no database given: pass --backend postgres://... or set RUNTIME_STORE_BACKEND or DATABASE_URL"
            ),
            Err(std::env::VarError::NotUnicode(_)) => {
                bail!("migrate: DATABASE_URL is not valid UTF-8")
            }
        },
    };
    let shown = redact(&backend);
    // The adapters' own scheme lists and options, as `open_store` registers them.
    let factory = postgres.factory();
    let scheme = backend
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    if scheme
        .as_deref()
        .is_some_and(|scheme| SqliteFactory::new().schemes().contains(&scheme))
    {
        // Opening a SQLite database creates a missing file and applies the migrations.
        let backend = runtime_store_sqlite::SqliteBackend::open(&backend, Default::default())
            .await
            .with_context(|| format!("migrate {shown}"))?;
        backend.close().await;
        let migrations = runtime_store_sqlite::MIGRATOR.iter().count();
        writeln!(
            out,
            "SQLite database at {shown} is up to date ({migrations} migration{})",
            if migrations == 1 { "" } else { "s" }
        )?;
        return Ok(());
    }
    if !scheme.is_some_and(|scheme| factory.schemes().contains(&scheme.as_str())) {
        bail!(
            "migrate: {shown} is not a PostgreSQL or SQLite URL (postgres://..., sqlite://...); only those have a schema to migrate"
        );
    }
    runtime_store_postgres::migrate(&backend, factory.options())
        .await
        .with_context(|| format!("migrate {shown}"))?;
    let migrations = runtime_store_postgres::MIGRATOR.iter().count();
    let search_path = factory
        .options()
        .get_schema()
        .map(|schema| format!(" (search_path {schema:?})"))
        .unwrap_or_default();
    writeln!(
        out,
        "PostgreSQL schema at {shown}{search_path} is up to date ({migrations} migration{})",
        if migrations == 1 { "" } else { "s" }
    )?;
    Ok(())
}

async fn open_store(
    sandbox: &SandboxOptions,
    postgres: &PostgresArgs,
    url: &str,
) -> anyhow::Result<RuntimeStore> {
    // The built-in adapters, PostgreSQL with the options of the command line.
    let registry = Registry::new()
        .with(MemoryFactory)
        .and_then(|registry| registry.with(postgres.factory()))
        .and_then(|registry| registry.with(SqliteFactory::new()))
        .context("register the storage adapters")?;
    let mut builder = RuntimeStore::builder().registry(registry).backend_url(url);
    if sandbox.no_compilation_cache {
        builder = builder.compilation_cache(CompilationCache::Off);
    }
    if let Some(fuel) = sandbox.fuel {
        builder = builder.fuel_per_call(fuel);
    }
    if let Some(bytes) = sandbox.memory_limit {
        builder = builder.memory_limit(bytes);
    }
    if let Some(milliseconds) = sandbox.deadline_ms {
        builder = builder.deadline_per_call(Duration::from_millis(milliseconds));
    }
    if let Some(milliseconds) = sandbox.max_instance_wait_ms {
        builder = builder.max_instance_wait(Duration::from_millis(milliseconds));
    }
    if let Some(component) = &sandbox.component {
        builder = builder.component_file(component);
    }
    builder
        .build()
        .await
        .with_context(|| format!("open the store on {}", redact(url)))
}

/// The error and its causes on one line. Many errors already quote their source in
/// their own message; a cause is shown only when it adds something.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
}

/// The URL with any password replaced, fit for messages: the adapter's redaction (userinfo
/// in every spelling, `password=` parameters), the one its own errors rely on.
fn redact(url: &str) -> String {
    runtime_store_postgres::redact_url(url)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use runtime_store_postgres::PostgresOptions;

    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://gm:s3cret@db:5432/games"),
            "postgres://gm:***@db:5432/games"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact("memory:"), "memory:");
    }

    #[test]
    fn postgres_options_default_to_the_adapters_and_apply_when_given() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["runtime-store"].iter().chain(args))
                .unwrap()
                .postgres
                .options()
        };
        assert_eq!(parse(&["demo"]), PostgresOptions::default());
        let expected = PostgresOptions::default()
            .max_connections(3)
            .acquire_timeout(Duration::from_millis(1_500))
            .schema("games");
        assert_eq!(
            parse(&[
                "--pg-max-connections",
                "3",
                "--pg-acquire-timeout",
                "1.5",
                "--pg-schema",
                "games",
                "demo"
            ]),
            expected
        );
        assert_eq!(
            parse(&[
                "migrate",
                "--pg-schema=games",
                "--pg-acquire-timeout=1.5",
                "--pg-max-connections=3"
            ]),
            expected
        );
    }

    #[test]
    fn unusable_pool_settings_are_refused() {
        for args in [
            ["--pg-max-connections=0", "demo"],
            ["--pg-max-connections=2147483648", "demo"],
            ["--pg-schema=with space", "demo"],
            ["--pg-schema=back\\slash", "demo"],
            ["--pg-acquire-timeout=-1", "demo"],
            ["--pg-acquire-timeout=inf", "demo"],
            ["--pg-acquire-timeout=soon", "demo"],
        ] {
            let error = Cli::try_parse_from(["runtime-store"].iter().chain(&args)).unwrap_err();
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{args:?}"
            );
        }
    }

    #[test]
    fn causes_already_quoted_are_not_repeated() {
        let error = anyhow::Error::msg("storage unavailable: refused")
            .context("opening backend postgres: storage unavailable: refused")
            .context("open the store on postgres://x");
        assert_eq!(
            one_line(&error),
            "open the store on postgres://x: opening backend postgres: storage unavailable: refused"
        );
    }
}
