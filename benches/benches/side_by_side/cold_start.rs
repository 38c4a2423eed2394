//! Cold start: compiling the component against loading a precompiled artifact of it,
//! building a store (engine, compilation, linking), and the first operation on a fresh
//! instance against one on a pooled instance.
//!
//! Stores in one process share the engine and the compiled component of their
//! configuration, so building the first store of a configuration compiles and a further
//! one does not: `store_build/first_in_process` uses a memory limit no other store of this
//! run has (the shared entry is released when each built store drops, so every iteration
//! compiles), `store_build_again/shared` the default one, which the stores kept for the `get`
//! measurements share.
//!
//! The host compiles the embedded component when a store is built unless its persistent
//! compilation cache (`RuntimeStoreBuilder::compilation_cache`) holds it: `store_build_cached`
//! times the first build of a process with a cache directory an earlier build filled
//! against the first build without a cache, and `process` the whole `runtime-store demo`
//! process (start to exit, its first operation included) with and without the cache. The
//! `compile` and `first_in_process` sides turn the cache off. The precompiled load
//! (`Component::deserialize`, which the host does not use: it is `unsafe`) is measured on
//! wasmtime directly, with the one code-generation setting of the host's engine that
//! changes the machine code (fuel metering).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use criterion::{Criterion, SamplingMode};
use runtime_store_benches::{Estimates, Time};
use runtime_store_host::{
    CompilationCache, DEFAULT_MEMORY_LIMIT, RuntimeStore, Status, compilation_cache_stats,
    embedded_component,
};
use tokio::runtime::Runtime;
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

use crate::Group;
use crate::fixtures::record;
use crate::timing::{repeat, sequential};

const GROUP: &str = "cold_start";

pub fn bench(
    criterion: &mut Criterion,
    runtime: &Runtime,
    estimates: &Estimates,
) -> anyhow::Result<Vec<String>> {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).map_err(|error| anyhow!("creating an engine: {error:#}"))?;
    let component_bytes = embedded_component();
    let artifact = Component::new(&engine, component_bytes)
        .and_then(|component| component.serialize())
        .map_err(|error| anyhow!("precompiling the embedded component: {error:#}"))?;

    let game = record("game-cold-0001", Status::Running, 60, None);
    let pooled = runtime
        .block_on(RuntimeStore::builder().build())
        .context("building the store with an instance pool")?;
    // No idle instance is kept: every call instantiates, as the first call after a build does.
    let unpooled = runtime
        .block_on(RuntimeStore::builder().max_idle_instances(0).build())
        .context("building the store without idle instances")?;
    for store in [&pooled, &unpooled] {
        runtime
            .block_on(store.insert(&game))
            .with_context(|| format!("insert runtime record {}", game.game_id))?;
    }
    let first_get = |store: &RuntimeStore, side: &'static str, iters| {
        sequential(runtime, iters, || async {
            let found = store.get(black_box(&game.game_id)).await;
            black_box(found.unwrap_or_else(|error| panic!("{side}: {error}")));
        })
    };

    let mut group = Group::new(criterion, GROUP, estimates);
    group
        .criterion
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let compile = |iters| {
        repeat(iters, || {
            Component::new(&engine, black_box(component_bytes))
                .unwrap_or_else(|error| panic!("compiling the embedded component: {error:#}"))
        })
    };
    let mut lines = group.compare(
        "component",
        &[
            ("compile", &compile),
            ("precompiled", &|iters| {
                repeat(iters, || {
                    load_precompiled(&engine, black_box(&artifact)).unwrap_or_else(|error| {
                        panic!("loading the precompiled component: {error:#}")
                    })
                })
            }),
        ],
        &[("compile", "precompiled")],
    );
    // A memory limit of its own: no store alive shares this configuration's engine.
    let first_in_process = |iters| {
        sequential(runtime, iters, || async {
            let built = RuntimeStore::builder()
                .memory_limit(DEFAULT_MEMORY_LIMIT + (64 << 10))
                .compilation_cache(CompilationCache::Off)
                .build()
                .await;
            black_box(built.unwrap_or_else(|error| panic!("building a store: {error}")));
        })
    };
    // The same first build with a cache directory of this run (filled by the first
    // iteration, the warm-up's): a new engine each time, the code loaded from the disk.
    let cache_dir = std::env::temp_dir().join(format!("rst-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let first_in_process_cached = |iters| {
        sequential(runtime, iters, || async {
            let built = RuntimeStore::builder()
                .memory_limit(DEFAULT_MEMORY_LIMIT + (64 << 10))
                .compilation_cache(CompilationCache::Dir(cache_dir.clone()))
                .build()
                .await;
            black_box(built.unwrap_or_else(|error| panic!("building a store: {error}")));
        })
    };
    // The first build against the compilation alone, interleaved: what the build adds
    // (engine, linking) as a fraction of the compilation, which a drifting load leaves alone.
    let build_over_compile = group.compare_paired(
        "store_build",
        &[
            ("first_in_process", &first_in_process),
            ("compile", &compile),
        ],
        &[("first_in_process", "compile")],
    );
    lines.extend(group.compare(
        "store_build_again",
        &[
            ("shared", &|iters| {
                sequential(runtime, iters, || async {
                    let built = RuntimeStore::builder().build().await;
                    black_box(built.unwrap_or_else(|error| panic!("building a store: {error}")));
                })
            }),
            ("first_in_process", &first_in_process),
        ],
        &[("shared", "first_in_process")],
    ));
    let build_over_compile = build_over_compile.into_iter().next().map(|(line, paired)| {
        lines.push(line);
        paired.median
    });
    lines.extend(group.compare(
        "store_build_cached",
        &[
            ("disk_cache", &first_in_process_cached),
            ("no_cache", &first_in_process),
        ],
        &[("disk_cache", "no_cache")],
    ));
    if let Some(stats) = compilation_cache_stats().into_iter().find(|stats| {
        cache_dir
            .canonicalize()
            .is_ok_and(|dir| dir == stats.directory)
    }) {
        lines.push(format!(
            "cold_start/store_build_cached: disk cache hits {}, misses {} (the misses: the first build)",
            stats.hits, stats.misses
        ));
    }
    // Whole processes: the CLI's demo (its first operation comes right after the build).
    match cli_binary() {
        Some(cli) => {
            let process_cache = cache_dir.join("process");
            let demo = |cached: bool| {
                let cli = cli.clone();
                let process_cache = process_cache.clone();
                move |iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += run_demo(&cli, cached.then_some(process_cache.as_path()))
                            .unwrap_or_else(|error| panic!("runtime-store demo: {error:#}"));
                    }
                    total
                }
            };
            lines.extend(group.compare(
                "process",
                &[
                    ("cli_disk_cache", &demo(true)),
                    ("cli_no_cache", &demo(false)),
                ],
                &[("cli_disk_cache", "cli_no_cache")],
            ));
        }
        None => lines.push(
            "cold_start/process: not measured (build the CLI first: cargo build --release -p \
             runtime-store-cli, or set RUNTIME_STORE_CLI)"
                .to_owned(),
        ),
    }
    group
        .criterion
        .sampling_mode(SamplingMode::Auto)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    lines.extend(group.compare(
        "get",
        &[
            ("fresh_instance", &|iters| {
                first_get(&unpooled, "fresh instance", iters)
            }),
            ("pooled_instance", &|iters| {
                first_get(&pooled, "pooled instance", iters)
            }),
        ],
        &[("fresh_instance", "pooled_instance")],
    ));
    group.finish();
    if let Some(build_over_compile) = build_over_compile {
        lines.extend(derived_cold_starts(estimates, build_over_compile));
    }
    let _ = std::fs::remove_dir_all(&cache_dir);
    Ok(lines)
}

/// The `runtime-store` binary: `RUNTIME_STORE_CLI`, else the one next to this bench's
/// target directory (`target/release/runtime-store`).
fn cli_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RUNTIME_STORE_CLI") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("runtime-store");
    candidate.is_file().then_some(candidate)
}

/// Runs `runtime-store demo` on the memory backend, with the compilation cache in
/// `cache_dir` or without one, and answers how long the process took from spawn to exit.
fn run_demo(cli: &Path, cache_dir: Option<&Path>) -> anyhow::Result<Duration> {
    let mut command = Command::new(cli);
    command
        .arg("demo")
        .env_remove("RUNTIME_STORE_BACKEND")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match cache_dir {
        Some(dir) => command.env("RUNTIME_STORE_CACHE_DIR", dir),
        None => command.arg("--no-compilation-cache"),
    };
    let start = Instant::now();
    let output = command.output().context("spawning the CLI")?;
    let elapsed = start.elapsed();
    anyhow::ensure!(
        output.status.success(),
        "exit {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(elapsed)
}

/// Loads `artifact` into `engine`.
#[allow(unsafe_code)]
fn load_precompiled(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `artifact` is what `Component::serialize` produced with this same engine
    // earlier in this process, unmodified: the trusted input `deserialize` requires.
    unsafe { Component::deserialize(engine, artifact) }
}

/// The cold start measured (store build + first operation) and the one a precompiled
/// artifact would give: the build's own work besides compiling (`build_over_compile` - 1
/// times the compilation), the precompiled load and the first operation.
fn derived_cold_starts(estimates: &Estimates, build_over_compile: f64) -> Vec<String> {
    let median = |function, side| estimates.median(GROUP, function, side);
    let medians = median("store_build", "first_in_process").and_then(|build| {
        Ok((
            build,
            median("store_build", "compile")?,
            median("component", "precompiled")?,
            median("get", "fresh_instance")?,
        ))
    });
    match medians {
        Ok((build, compile, precompiled, first_get)) => {
            let today = build + first_get;
            let engine_and_linking = compile.mul_f64((build_over_compile - 1.0).max(0.0));
            let projected = engine_and_linking + precompiled + first_get;
            vec![
                format!(
                    "cold_start/total: store build {} + first get {} = {}",
                    Time(build),
                    Time(first_get),
                    Time(today)
                ),
                match median("store_build_cached", "disk_cache") {
                    Ok(cached) => format!(
                        "cold_start/total_cached: store build from the disk cache {} + first get {} = {}",
                        Time(cached),
                        Time(first_get),
                        Time(cached + first_get)
                    ),
                    Err(error) => format!("cold_start/total_cached: not derived ({error})"),
                },
                format!(
                    "cold_start/projected: with a precompiled artifact, engine and linking {} \
                     (interleaved build/compile - 1, times compile {}) + precompiled load {} + \
                     first get {} = {}; today/projected = {:.2}",
                    Time(engine_and_linking),
                    Time(compile),
                    Time(precompiled),
                    Time(first_get),
                    Time(projected),
                    today.as_secs_f64() / projected.as_secs_f64()
                ),
            ]
        }
        Err(error) => vec![format!("cold_start/total: not derived ({error})")],
    }
}
