//! Bounded resources: address space sized from the limits, what stores share in one
//! process, and every numeric builder option range-checked.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::common::record;
use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, ScanFilter, ScanKey,
    async_trait,
};
use runtime_store_host::{BuildError, RuntimeRecord, RuntimeStore, RuntimeStoreBuilder, Status};
use runtime_store_memory::MemoryBackend;
use tokio::sync::Barrier;

/// This process's address space, resident memory and memory mappings, for the test
/// output (Linux; empty elsewhere).
fn memory_figures() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mut figures: Vec<String> = status
        .lines()
        .filter(|line| {
            ["VmPeak:", "VmSize:", "VmHWM:"]
                .iter()
                .any(|key| line.starts_with(key))
        })
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if let Ok(maps) = std::fs::read_to_string("/proc/self/maps") {
        figures.push(format!("mappings: {}", maps.lines().count()));
    }
    figures.join(", ")
}

/// The address-space limit (`ulimit -v`, KiB) a store with the default limits must run
/// under: about 3.8 GiB.
const ULIMIT_V_KIB: u64 = 4_000_000;

#[tokio::test]
async fn a_store_reserves_address_space_for_its_instances_only() {
    let store = RuntimeStore::builder().build().await.unwrap();
    // 64 instances of 16 MiB memory + 2 MiB guard + 2 MiB stack (+ a guard page).
    assert_eq!(
        store.reserved_address_space_bound(),
        64 * ((16 << 20) + (2 << 20) + (2 << 20) + 4096)
    );
    assert!(store.reserved_address_space_bound() < ULIMIT_V_KIB * 1024 / 2);
}

/// Runs this test binary's `child` test under `ulimit -v`, which builds a store with the
/// default limits and keeps all 64 instances alive at once.
#[test]
fn a_store_with_the_default_limits_runs_under_ulimit_v_4000000() {
    let test_binary = std::env::current_exe().unwrap();
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {ULIMIT_V_KIB} && exec \"$0\" \"$@\""))
        .arg(test_binary)
        .args([
            "--exact",
            "resources::child_runs_a_default_store_at_full_load",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUNTIME_STORE_ULIMIT_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the store did not run under ulimit -v {ULIMIT_V_KIB}:\n{stdout}\n{stderr}"
    );
    let report = stderr
        .lines()
        .find(|line| line.starts_with("child: 64 instances"));
    assert!(report.is_some(), "the child did not run: {stderr}");
    eprintln!(
        "under ulimit -v {ULIMIT_V_KIB}: {}",
        report.unwrap_or_default()
    );
}

/// The child of the test above (ignored unless that test runs it).
#[test]
#[ignore = "run by a_store_with_the_default_limits_runs_under_ulimit_v_4000000"]
fn child_runs_a_default_store_at_full_load() {
    if std::env::var_os("RUNTIME_STORE_ULIMIT_CHILD").is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Every fetch waits until 64 are waiting: 64 instances are alive at once.
        let backend = Arc::new(Gathering {
            inner: MemoryBackend::new(),
            all_here: Barrier::new(64),
        });
        let store = RuntimeStore::builder()
            .backend(backend.clone())
            .build()
            .await
            .unwrap();
        for index in 0..64 {
            let game_id = format!("game-{index}");
            backend
                .inner
                .insert(record(&game_id, Status::Starting, 1 + index))
                .await
                .unwrap();
        }
        let calls: Vec<_> = (0..64)
            .map(|index| {
                let store = store.clone();
                tokio::spawn(async move { store.get(&format!("game-{index}")).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(store.list().await.unwrap().len(), 64);
        eprintln!(
            "child: 64 instances, every call answered ({})",
            memory_figures()
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_stores_live_in_one_process() {
    let started = std::time::Instant::now();
    let mut stores = Vec::new();
    for index in 0..1_000 {
        let store = RuntimeStore::builder()
            .build()
            .await
            .unwrap_or_else(|error| panic!("store {index}: {error}"));
        let game_id = format!("game-{index}");
        store
            .insert(&record(&game_id, Status::Starting, 1))
            .await
            .unwrap_or_else(|error| panic!("store {index}: {error}"));
        stores.push(store);
    }
    // Every store is still usable, and each holds only its own records.
    for (index, store) in stores.iter().enumerate() {
        let listed = store.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].game_id, format!("game-{index}"));
    }
    eprintln!(
        "1 000 stores built and used in {:?} ({})",
        started.elapsed(),
        memory_figures()
    );
}

/// A memory backend whose `fetch` waits until every expected caller is in it.
struct Gathering {
    inner: MemoryBackend,
    all_here: Barrier,
}

#[async_trait]
impl Backend for Gathering {
    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        self.all_here.wait().await;
        self.inner.fetch(game_id).await
    }
    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        self.inner.insert(record).await
    }
    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        self.inner.patch(game_id, expected_status, changes).await
    }
    async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
        self.inner.remove(game_id).await
    }
    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        self.inner.scan(filter, after, limit).await
    }
}

async fn limit_error(builder: RuntimeStoreBuilder) -> String {
    match builder.build().await {
        Err(BuildError::Limit(message)) => message,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_numeric_option_is_range_checked_naming_the_option_and_its_range() {
    let builder = RuntimeStore::builder;
    assert_eq!(
        limit_error(builder().fuel_per_call(0)).await,
        "fuel_per_call must be in 1..=18446744073709551615 (got 0)"
    );
    assert_eq!(
        limit_error(builder().deadline_per_call(Duration::from_millis(5))).await,
        "deadline_per_call must be in 10 ms..=3600000 ms (got 5 ms)"
    );
    assert_eq!(
        limit_error(builder().deadline_per_call(Duration::from_secs(7200))).await,
        "deadline_per_call must be in 10 ms..=3600000 ms (got 7200000 ms)"
    );
    assert_eq!(
        limit_error(builder().memory_limit(1024)).await,
        "memory_limit must be in 65536..=4294967296 (got 1024)"
    );
    assert_eq!(
        limit_error(builder().memory_limit(5 << 30)).await,
        "memory_limit must be in 65536..=4294967296 (got 5368709120)"
    );
    assert_eq!(
        limit_error(builder().max_instances(0)).await,
        "max_instances must be in 1..=4096 (got 0)"
    );
    assert_eq!(
        limit_error(builder().max_instances(5_000)).await,
        "max_instances must be in 1..=4096 (got 5000)"
    );
    assert_eq!(
        limit_error(builder().max_idle_instances(4097)).await,
        "max_idle_instances must be in 0..=4096 (got 4097)"
    );
    assert_eq!(
        limit_error(builder().max_instance_wait(Duration::from_secs(3601))).await,
        "max_instance_wait must be in 0 ms..=3600000 ms (got 3601000 ms)"
    );
}

#[tokio::test]
async fn the_edges_of_every_range_build() {
    RuntimeStore::builder()
        .fuel_per_call(1)
        .deadline_per_call(Duration::from_millis(10))
        .max_instances(1)
        .max_idle_instances(0)
        .max_instance_wait(Duration::ZERO)
        .build()
        .await
        .unwrap();
    RuntimeStore::builder()
        .fuel_per_call(u64::MAX)
        .deadline_per_call(Duration::from_secs(3600))
        .max_instances(4096)
        .max_idle_instances(4096)
        .max_instance_wait(Duration::from_secs(3600))
        .build()
        .await
        .unwrap();
}
