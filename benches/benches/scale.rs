//! Scale: the whole list-due iteration in pages of 500 and the whole `list()` over stores
//! of 10k, 100k and 1M records, on memory and on PostgreSQL; how the time grows with what
//! is returned and stays flat per page, and the process's peak memory.
//!
//! ```text
//! cargo bench -p runtime-store-benches --bench scale                          # 10k and 100k
//! cargo bench -p runtime-store-benches --bench scale -- --sizes 10000,100000,1000000
//! cargo bench -p runtime-store-benches --bench scale -- --sizes 1000000 --backends postgres
//! ```
//!
//! Under `cargo test --benches` (no `--bench` argument) it runs at tiny sizes (2,000 and
//! 6,000 records: one and two pages of due records) and checks every answer, asserting no
//! time.
//!
//! Each store holds `size` records, a tenth of them running and due at [`NOW`] (1M: 100k
//! due), the rest spread over the other statuses (running ones due later); creation
//! instants and due instants are shared by several records (ties broken by game id).
//! Memory is filled through the adapter; PostgreSQL with one binary `COPY` through sqlx
//! (`runtime_store_postgres_tests::bulk`) into a schema of its own, analysed, and dropped at
//! the end, also after a panic.
//!
//! Measured per backend and size:
//! * `list-due`: every due record through the store (`list_due_running_page`, pages of 500
//!   by cursor), each page timed;
//! * the same walk without the wasm rules: raw sqlx issuing the adapter's keyset
//!   statements (`SCAN_DUE_RUNNING`, then `SCAN_DUE_RUNNING_AFTER` from the last row, limit
//!   501 as the rules ask) on PostgreSQL, the adapter's `scan` with the same keys on memory;
//! * `list()`: every record through the store (the host assembles pages of 500);
//! * peak memory: `VmHWM` of `/proc/self/status`, the peak resident set of the whole
//!   process, reset before each phase by writing `5` to `/proc/self/clear_refs`; it
//!   includes what the process already holds (the memory store's own table).

use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use runtime_store_backend::{Backend, RuntimeRecord, ScanFilter, ScanKey};
use runtime_store_benches::Time;
use runtime_store_host::{LARGEST_PAGE_LIMIT, RuntimeStore, Status, Timestamp};
use runtime_store_memory::MemoryBackend;
use runtime_store_postgres::statements::{SCAN_DUE_RUNNING, SCAN_DUE_RUNNING_AFTER};
use runtime_store_postgres::timestamp::PgInstant;
use runtime_store_postgres_tests::bulk::copy_records;
use runtime_store_postgres_tests::database::TestSchema;
use sqlx::PgPool;
use tokio::runtime::Runtime;

/// "Now" of every list-due: after every creation instant.
const NOW: Timestamp = Timestamp {
    seconds: 1_800_000_000,
    nanoseconds: 250_000,
};

/// The page the store's whole lists use, and what the rules ask the backend for.
const PAGE: u32 = LARGEST_PAGE_LIMIT;
const SCAN_LIMIT: u32 = LARGEST_PAGE_LIMIT + 1;

/// Record `index` of a store of any size: every tenth running and due (due instants in
/// runs of 7, so ties), every tenth plus five running and due an hour after [`NOW`], the
/// others in the other statuses; created in runs of two per second, newest last.
fn nth_record(index: u64) -> RuntimeRecord {
    let seconds = i64::try_from(index).expect("a size below 2^63");
    let created_at = Timestamp {
        seconds: 1_700_000_000 + seconds / 2,
        nanoseconds: 0,
    };
    let (status, next_generation_at) = match index % 10 {
        0 => (
            Status::Running,
            Some(Timestamp {
                seconds: NOW.seconds - 1 - (seconds / 7) % 86_400,
                nanoseconds: 0,
            }),
        ),
        5 => (
            Status::Running,
            Some(Timestamp {
                seconds: NOW.seconds + 3_600,
                nanoseconds: 0,
            }),
        ),
        digit => {
            let others = [
                Status::Starting,
                Status::GenerationInProgress,
                Status::GenerationFailed,
                Status::EngineUnreachable,
                Status::Stopped,
                Status::Finished,
            ];
            (
                others[usize::try_from(digit).unwrap_or(0) % others.len()],
                None,
            )
        }
    };
    RuntimeRecord {
        next_generation_at,
        current_turn: 42,
        engine_health: "healthy: 12 ms ping".to_owned(),
        started_at: (status != Status::Starting).then_some(created_at),
        ..runtime_store_backend::sample::record(&format!("game-{index:08}"), status, created_at)
    }
}

/// How many records of a store of `size` are due at [`NOW`].
fn due_count(size: u64) -> u64 {
    size.div_ceil(10)
}

fn records(size: u64) -> impl Iterator<Item = RuntimeRecord> {
    (0..size).map(nth_record)
}

/// The peak resident set of this process since the last [`reset_peak`], in KiB.
fn peak_kib() -> anyhow::Result<u64> {
    status_kib("VmHWM:")
}

/// The resident set now, in KiB.
fn resident_kib() -> anyhow::Result<u64> {
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .with_context(|| format!("/proc/self/status has no {field}"))?;
    line.trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("/proc/self/status: {line:?}"))
}

/// Makes the peak resident set start again from the current one (Linux 4.0 and later).
fn reset_peak() -> anyhow::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("writing 5 to /proc/self/clear_refs")
}

/// A phase's memory: resident before, peak during.
struct Memory {
    before_kib: u64,
    peak_kib: u64,
}

impl Memory {
    fn line(&self) -> String {
        format!(
            "resident before {:.1} MiB, peak {:.1} MiB (+{:.1} MiB)",
            mib(self.before_kib),
            mib(self.peak_kib),
            mib(self.peak_kib.saturating_sub(self.before_kib))
        )
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Runs `phase`, recording the resident set before it and the peak during it.
fn measured<T>(phase: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, Memory)> {
    reset_peak()?;
    let before_kib = resident_kib()?;
    let value = phase()?;
    Ok((
        value,
        Memory {
            before_kib,
            peak_kib: peak_kib()?,
        },
    ))
}

/// The times of the pages of one walk.
struct Walk {
    records: u64,
    pages: Vec<Duration>,
    /// The game id of the first and last record, to compare walks.
    ends: (String, String),
}

impl Walk {
    fn total(&self) -> Duration {
        self.pages.iter().sum()
    }

    fn line(&self, what: &str) -> String {
        let total = self.total();
        let mut line = format!(
            "{what}: {} records in {} pages, {} ({} per record)",
            self.records,
            self.pages.len(),
            Time(total),
            Time(total / u32::try_from(self.records.max(1)).unwrap_or(u32::MAX))
        );
        let tenth = (self.pages.len() / 10).max(1);
        let full = &self.pages[..self.pages.len().saturating_sub(1).max(1)];
        let _ = write!(
            line,
            "; per page median {}, first tenth {}, last tenth {}",
            Time(median(full)),
            Time(median(&full[..tenth.min(full.len())])),
            Time(median(&full[full.len().saturating_sub(tenth)..]))
        );
        line
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// Every due record through the store, in pages of [`PAGE`].
async fn walk_store(store: &RuntimeStore) -> anyhow::Result<Walk> {
    let mut pages = Vec::new();
    let mut records = 0;
    let mut cursor: Option<String> = None;
    let (mut first, mut last) = (String::new(), String::new());
    loop {
        let start = Instant::now();
        let page = store
            .list_due_running_page(NOW, cursor.as_deref(), PAGE)
            .await
            .context("store: list due runtimes page")?;
        pages.push(start.elapsed());
        if first.is_empty()
            && let Some(record) = page.records.first()
        {
            first = record.game_id.clone();
        }
        if let Some(record) = page.records.last() {
            last = record.game_id.clone();
        }
        records += u64::try_from(page.records.len())?;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(Walk {
        records,
        pages,
        ends: (first, last),
    })
}

/// Every due record through `scan` (the memory adapter, no wasm), keyset pages as the
/// rules ask for them: [`SCAN_LIMIT`] records, the page is the first [`PAGE`], the next
/// page starts after its last record.
async fn walk_adapter(backend: &dyn Backend) -> anyhow::Result<Walk> {
    let filter = ScanFilter::DueRunning(NOW);
    let page_size = usize::try_from(PAGE)?;
    let mut pages = Vec::new();
    let mut records = 0;
    let mut after: Option<ScanKey> = None;
    let (mut first, mut last) = (String::new(), String::new());
    loop {
        let start = Instant::now();
        let mut page = backend
            .scan(filter, after.as_ref(), SCAN_LIMIT)
            .await
            .context("adapter: scan due running")?;
        let more = page.len() > page_size;
        page.truncate(page_size);
        pages.push(start.elapsed());
        if first.is_empty()
            && let Some(record) = page.first()
        {
            first = record.game_id.clone();
        }
        records += u64::try_from(page.len())?;
        match page.last() {
            Some(record) if more => {
                last = record.game_id.clone();
                after = Some(ScanKey {
                    at: record
                        .next_generation_at
                        .context("a due record has a tick")?,
                    game_id: record.game_id.clone(),
                });
            }
            Some(record) => {
                last = record.game_id.clone();
                break;
            }
            None => break,
        }
    }
    Ok(Walk {
        records,
        pages,
        ends: (first, last),
    })
}

/// One row of `runtime_records` decoded by position, as hand-written sqlx code would.
type RawRecord = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<PgInstant>,
    bool,
    PgInstant,
    PgInstant,
    Option<PgInstant>,
    Option<PgInstant>,
    Option<PgInstant>,
);

/// [`walk_adapter`] with raw sqlx issuing the adapter's keyset statements.
async fn walk_raw(pool: &PgPool) -> anyhow::Result<Walk> {
    let now = PgInstant::from_timestamp(NOW)?;
    let limit = i64::from(SCAN_LIMIT);
    let page_size = usize::try_from(PAGE)?;
    let mut pages = Vec::new();
    let mut records = 0;
    let mut after: Option<(PgInstant, String)> = None;
    let (mut first, mut last) = (String::new(), String::new());
    loop {
        let start = Instant::now();
        let mut page: Vec<RawRecord> = match &after {
            None => {
                sqlx::query_as(SCAN_DUE_RUNNING)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await
            }
            Some((at, game_id)) => {
                sqlx::query_as(SCAN_DUE_RUNNING_AFTER)
                    .bind(now)
                    .bind(*at)
                    .bind(game_id)
                    .bind(limit)
                    .fetch_all(pool)
                    .await
            }
        }
        .context("raw sqlx: scan due running")?;
        let more = page.len() > page_size;
        page.truncate(page_size);
        pages.push(start.elapsed());
        if first.is_empty()
            && let Some(row) = page.first()
        {
            first = row.0.clone();
        }
        records += u64::try_from(page.len())?;
        match page.last() {
            Some(row) if more => {
                last = row.0.clone();
                after = Some((row.7.context("a due row has a tick")?, row.0.clone()));
            }
            Some(row) => {
                last = row.0.clone();
                break;
            }
            None => break,
        }
    }
    Ok(Walk {
        records,
        pages,
        ends: (first, last),
    })
}

/// What one backend at one size measured.
struct Outcome {
    backend: &'static str,
    size: u64,
    load: Duration,
    store_walk: (Walk, Memory),
    baseline: &'static str,
    baseline_walk: (Walk, Memory),
    list: (Duration, u64, Memory),
}

impl Outcome {
    fn print(&self) {
        let Outcome {
            backend,
            size,
            load,
            store_walk,
            baseline,
            baseline_walk,
            list,
        } = self;
        println!(
            "\n== scale: {backend}, {size} records ({} due), loaded in {} ==",
            due_count(*size),
            Time(*load)
        );
        println!(
            "list-due through the store, pages of {PAGE}: {}",
            store_walk.0.line("walk")
        );
        println!("    memory: {}", store_walk.1.line());
        println!(
            "list-due with {baseline}, same keyset pages: {}",
            baseline_walk.0.line("walk")
        );
        println!("    memory: {}", baseline_walk.1.line());
        let store_total = store_walk.0.total().as_secs_f64();
        let baseline_total = baseline_walk.0.total().as_secs_f64().max(1e-9);
        println!("    store/{baseline} = {:.2}", store_total / baseline_total);
        let (took, listed, memory) = list;
        println!(
            "list(): {listed} records in {} ({} per record)",
            Time(*took),
            Time(*took / u32::try_from((*listed).max(1)).unwrap_or(u32::MAX))
        );
        println!("    memory: {}", memory.line());
    }

    fn summary(&self) -> String {
        let per_record = |walk: &Walk| {
            Time(walk.total() / u32::try_from(walk.records.max(1)).unwrap_or(u32::MAX))
        };
        let (took, listed, list_memory) = &self.list;
        format!(
            "| {} | {} | {} | {} ({}/record, page {}) | {} ({}/record, page {}) | {} ({}/record) | +{:.0} MiB |",
            self.backend,
            self.size,
            due_count(self.size),
            Time(self.store_walk.0.total()),
            per_record(&self.store_walk.0),
            Time(median(&self.store_walk.0.pages)),
            Time(self.baseline_walk.0.total()),
            per_record(&self.baseline_walk.0),
            Time(median(&self.baseline_walk.0.pages)),
            Time(*took),
            Time(*took / u32::try_from((*listed).max(1)).unwrap_or(u32::MAX)),
            mib(list_memory.peak_kib.saturating_sub(list_memory.before_kib)),
        )
    }
}

/// Checks what every walk and list returned: a benchmark of wrong answers measures
/// nothing.
fn check(outcome: &Outcome) -> anyhow::Result<()> {
    let due = due_count(outcome.size);
    for (what, walk) in [
        ("store", &outcome.store_walk.0),
        (outcome.baseline, &outcome.baseline_walk.0),
    ] {
        if walk.records != due {
            bail!(
                "{} {}: {what} walked {} due records, not {due}",
                outcome.backend,
                outcome.size,
                walk.records
            );
        }
        let pages = due.div_ceil(u64::from(PAGE)).max(1);
        if u64::try_from(walk.pages.len())? != pages {
            bail!(
                "{} {}: {what} took {} pages, not {pages}",
                outcome.backend,
                outcome.size,
                walk.pages.len()
            );
        }
    }
    if outcome.store_walk.0.ends != outcome.baseline_walk.0.ends {
        bail!(
            "{} {}: the store's walk spans {:?}, {}'s {:?}",
            outcome.backend,
            outcome.size,
            outcome.store_walk.0.ends,
            outcome.baseline,
            outcome.baseline_walk.0.ends
        );
    }
    if outcome.list.1 != outcome.size {
        bail!(
            "{} {}: list() returned {} records",
            outcome.backend,
            outcome.size,
            outcome.list.1
        );
    }
    Ok(())
}

/// `list()` through the store: time and number of records.
fn whole_list(runtime: &Runtime, store: &RuntimeStore) -> anyhow::Result<(Duration, u64, Memory)> {
    let ((took, listed), memory) = measured(|| {
        runtime.block_on(async {
            let start = Instant::now();
            let listed = store.list().await.context("store: list runtimes")?;
            let took = start.elapsed();
            anyhow::Ok((took, u64::try_from(listed.len())?))
        })
    })?;
    Ok((took, listed, memory))
}

fn on_memory(runtime: &Runtime, size: u64) -> anyhow::Result<Outcome> {
    let backend = Arc::new(MemoryBackend::new());
    let start = Instant::now();
    runtime.block_on(async {
        for record in records(size) {
            backend
                .insert(record)
                .await
                .context("insert into the memory adapter")?;
        }
        anyhow::Ok(())
    })?;
    let load = start.elapsed();
    let store = runtime
        .block_on(RuntimeStore::builder().backend(backend.clone()).build())
        .context("building the store on memory")?;
    let store_walk = measured(|| runtime.block_on(walk_store(&store)))?;
    let baseline_walk = measured(|| runtime.block_on(walk_adapter(backend.as_ref())))?;
    let list = whole_list(runtime, &store)?;
    Ok(Outcome {
        backend: "memory",
        size,
        load,
        store_walk,
        baseline: "the adapter alone",
        baseline_walk,
        list,
    })
}

fn on_postgres(runtime: &Runtime, schema: &TestSchema, size: u64) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    runtime.block_on(async {
        schema.truncate().await;
        let copied = copy_records(schema.admin(), records(size)).await?;
        if copied != size {
            bail!("COPY wrote {copied} rows, not {size}");
        }
        sqlx::query("ANALYZE runtime_records")
            .execute(schema.admin())
            .await
            .context("ANALYZE runtime_records")?;
        anyhow::Ok(())
    })?;
    let load = start.elapsed();
    let backend = runtime.block_on(schema.backend_with(schema.options().max_connections(2)));
    let pool = backend.pool().clone();
    let store = runtime
        .block_on(RuntimeStore::builder().backend(Arc::new(backend)).build())
        .context("building the store on PostgreSQL")?;
    // One walk each to warm the caches and prepare the statements, then the measured ones.
    runtime.block_on(walk_store(&store))?;
    runtime.block_on(walk_raw(&pool))?;
    let store_walk = measured(|| runtime.block_on(walk_store(&store)))?;
    let baseline_walk = measured(|| runtime.block_on(walk_raw(&pool)))?;
    let list = whole_list(runtime, &store)?;
    Ok(Outcome {
        backend: "postgres",
        size,
        load,
        store_walk,
        baseline: "raw sqlx",
        baseline_walk,
        list,
    })
}

/// The command line: `--sizes a,b,c` and `--backends memory,postgres`; `--bench` (what
/// `cargo bench` passes) selects the default sizes, its absence the tiny ones of a test run.
struct Arguments {
    sizes: Vec<u64>,
    memory: bool,
    postgres: bool,
}

fn arguments() -> anyhow::Result<Arguments> {
    let mut sizes = None;
    let mut backends = None;
    let mut bench = false;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--bench" => bench = true,
            "--sizes" => sizes = Some(arguments.next().context("--sizes needs a list")?),
            "--backends" => backends = Some(arguments.next().context("--backends needs a list")?),
            // criterion's and libtest's options, and filters: not for this target.
            _ => {}
        }
    }
    let sizes = match sizes {
        Some(list) => list
            .split(',')
            .map(|size| size.trim().replace('_', "").parse::<u64>())
            .collect::<Result<Vec<_>, _>>()
            .context("--sizes takes numbers separated by commas, e.g. 10000,100000,1000000")?,
        None if bench => vec![10_000, 100_000],
        None => vec![2_000, 6_000],
    };
    let backends = backends.unwrap_or_else(|| "memory,postgres".to_owned());
    let memory = backends.split(',').any(|backend| backend == "memory");
    let postgres = backends.split(',').any(|backend| backend == "postgres");
    if !memory && !postgres {
        bail!("--backends takes memory, postgres or both");
    }
    Ok(Arguments {
        sizes,
        memory,
        postgres,
    })
}

fn main() -> anyhow::Result<()> {
    let arguments = arguments()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    println!(
        "scale: sizes {:?}; memory is VmHWM of /proc/self/status (the peak resident set of \
         the whole process, reset before each phase through /proc/self/clear_refs)",
        arguments.sizes
    );
    let mut outcomes = Vec::new();
    if arguments.memory {
        for &size in &arguments.sizes {
            let outcome = on_memory(&runtime, size)?;
            outcome.print();
            check(&outcome)?;
            outcomes.push(outcome);
        }
    }
    if arguments.postgres {
        let schema = runtime.block_on(TestSchema::create("scale"));
        let measured = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut outcomes = Vec::new();
            for &size in &arguments.sizes {
                let outcome = on_postgres(&runtime, &schema, size)?;
                outcome.print();
                check(&outcome)?;
                outcomes.push(outcome);
            }
            anyhow::Ok(outcomes)
        }));
        runtime.block_on(schema.drop_schema());
        match measured {
            Ok(measured) => outcomes.extend(measured?),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    println!(
        "\n| backend | records | due | list-due via store (per record, median page) | baseline (per record, median page) | list() (per record) | list() peak over resident |"
    );
    println!("|---|---|---|---|---|---|---|");
    for outcome in &outcomes {
        println!("{}", outcome.summary());
    }
    Ok(())
}
