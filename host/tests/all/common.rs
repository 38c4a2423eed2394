//! Helpers shared by the host's integration tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, ScanFilter, ScanKey,
    async_trait,
};
use runtime_store_host::observe;
use runtime_store_host::{RuntimeRecord, RuntimeStore, Status};
use runtime_store_memory::MemoryBackend;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

pub use runtime_store_backend::sample::at;

/// A valid record in `status`, created and updated at `created` seconds.
pub fn record(game_id: &str, status: Status, created: i64) -> RuntimeRecord {
    runtime_store_backend::sample::record(game_id, status, at(created))
}

pub async fn memory_store() -> RuntimeStore {
    RuntimeStore::builder()
        .backend_url("memory:")
        .build()
        .await
        .expect("the embedded component builds on the memory backend")
}

/// Fails every primitive with the same error.
pub struct FailingBackend(pub BackendError);

#[async_trait]
impl Backend for FailingBackend {
    async fn fetch(&self, _game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        Err(self.0.clone())
    }
    async fn insert(&self, _record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        Err(self.0.clone())
    }
    async fn patch(
        &self,
        _game_id: &str,
        _expected_status: Option<Status>,
        _changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        Err(self.0.clone())
    }
    async fn remove(&self, _game_id: &str) -> Result<(), BackendError> {
        Err(self.0.clone())
    }
    async fn scan(
        &self,
        _filter: ScanFilter,
        _after: Option<&ScanKey>,
        _limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        Err(self.0.clone())
    }
}

/// A memory store holding `count` running records `game-000000`... with engine
/// endpoints of `endpoint_len` bytes: a store too large to list within tight limits.
pub async fn large_memory_backend(count: usize, endpoint_len: usize) -> Arc<MemoryBackend> {
    let backend = MemoryBackend::new();
    for index in 0..count {
        let mut record = record(
            &format!("game-{index:06}"),
            Status::Running,
            1_000 + index as i64,
        );
        record.engine_endpoint = "e".repeat(endpoint_len);
        backend
            .insert(record)
            .await
            .expect("the memory backend stores every record");
    }
    Arc::new(backend)
}

/// A backend whose fetch never answers (a hung connection); everything else is a
/// working in-memory store.
pub struct HangingFetchBackend(pub MemoryBackend);

#[async_trait]
impl Backend for HangingFetchBackend {
    async fn fetch(&self, _game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        std::future::pending().await
    }
    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        self.0.insert(record).await
    }
    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        self.0.patch(game_id, expected_status, changes).await
    }
    async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
        self.0.remove(game_id).await
    }
    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        self.0.scan(filter, after, limit).await
    }
}

/// An error and its causes, `: `-separated, as a binary would print them.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// Runs the ignored test `name` of this binary in a child process of its own, where it
/// may install process-wide tracing subscribers and metrics recorders without other tests
/// running beside it, and fails unless it passed. The child sees
/// `RUNTIME_STORE_TEST_CHILD=<name>` (see [`is_child`]).
pub fn run_alone(name: &str) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUNTIME_STORE_TEST_CHILD", name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name} failed in its own process:\n{stdout}\n{stderr}"
    );
}

/// Whether this process is the child [`run_alone`] started for `name`: an ignored test
/// run by hand (`-- --ignored`) beside others returns early instead.
pub fn is_child(name: &str) -> bool {
    std::env::var("RUNTIME_STORE_TEST_CHILD").is_ok_and(|child| child == name)
}

/// The fields of every store call's span, as each span closes; installed as the
/// process's subscriber (so only in a test that runs alone, see [`run_alone`]).
#[derive(Clone, Default)]
pub struct SpanLog(Arc<std::sync::Mutex<Vec<BTreeMap<String, String>>>>);

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl SpanLog {
    /// Installs a log as the process's tracing subscriber.
    pub fn install() -> SpanLog {
        let log = SpanLog::default();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(log.clone()))
            .expect("no subscriber was installed before");
        log
    }

    /// The spans closed since the last call, oldest first.
    pub fn take(&self) -> Vec<BTreeMap<String, String>> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for SpanLog {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        if attributes.metadata().name() != observe::SPAN_NAME {
            return;
        }
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(fields);
        }
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        if let Some(span) = context.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(fields);
        }
    }
    fn on_close(&self, id: Id, context: Context<'_, S>) {
        if let Some(span) = context.span(&id)
            && let Some(fields) = span.extensions().get::<Fields>()
        {
            self.0.lock().unwrap().push(fields.0.clone());
        }
    }
}
