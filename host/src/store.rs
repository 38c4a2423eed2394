//! The public async API: [`RuntimeStore`], [`Rules`] and [`RuntimeStoreBuilder`].

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use runtime_store_backend::{
    Backend, BackendFactory, DuplicateScheme, Registry, RuntimeRecord, Status, Timestamp,
};
use runtime_store_memory::MemoryFactory;

use crate::bindings::exports::galaxy::gamemaster::{
    store as wit_store, store::Guest as StoreExports,
};
use crate::bindings::galaxy::gamemaster::types as wit;
use crate::cache::CompilationCache;
use crate::convert::handed_over;
use crate::embedded_component;
use crate::error::{BuildError, Operation, StoreError};
use crate::identity::RulesIdentity;
use crate::inputs::{
    UpdateEngineHealthInput, UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
use crate::pure_bindings::exports::galaxy::gamemaster::rules::Guest as PureRulesExports;
use crate::sandbox::{Call, HostState, Limits, Sandbox};
use crate::swap::{ActiveRules, RulesGate, SwapError};

pub use runtime_store_vocabulary::page::LARGEST_LIMIT as LARGEST_PAGE_LIMIT;

/// The default CPU budget of one call, in fuel units (roughly wasm instructions):
/// enough to list some 25 000 records (a listed record costs 4 000 to 8 000), and a
/// runaway guest is stopped within a fraction of a second. Fuel is the deterministic bound:
/// the same call stops at the same instruction on every machine.
pub const DEFAULT_FUEL_PER_CALL: u64 = 200_000_000;
/// The default wall-clock deadline of one call's time outside the backend (the guest
/// running, the host converting its values). It stops what fuel does not count, and while
/// a guest runs it yields to the async executor every 10 ms.
pub const DEFAULT_DEADLINE_PER_CALL: Duration = Duration::from_secs(1);
/// The default linear memory limit of one instance, in bytes.
pub const DEFAULT_MEMORY_LIMIT: usize = 16 << 20;
/// The default number of instances that may exist at once (and run calls in parallel).
pub const DEFAULT_MAX_INSTANCES: usize = 64;
/// The default number of idle instances kept for reuse.
pub const DEFAULT_MAX_IDLE_INSTANCES: usize = 16;
/// The default longest wait of a call for a free instance when all are busy.
pub const DEFAULT_MAX_INSTANCE_WAIT: Duration = Duration::from_secs(10);

/// The fuel a call may be given.
pub const FUEL_PER_CALL_RANGE: RangeInclusive<u64> = 1..=u64::MAX;
/// The deadlines a call may be given: from the ticker's granularity (10 ms) to an hour.
pub const DEADLINE_PER_CALL_RANGE: RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(3600);
/// The memory limits an instance may be given: one wasm page to the 4 GiB a 32-bit
/// memory can address.
pub const MEMORY_LIMIT_RANGE: RangeInclusive<usize> = (64 << 10)..=(4 << 30);
/// The numbers of instances a store may keep at once.
pub const MAX_INSTANCES_RANGE: RangeInclusive<usize> = 1..=4096;
/// The numbers of idle instances a store may keep (never more than
/// [`RuntimeStoreBuilder::max_instances`] are kept).
pub const MAX_IDLE_INSTANCES_RANGE: RangeInclusive<usize> = 0..=4096;
/// The waits for a free instance a store may allow (zero: fail at once when all are busy).
pub const MAX_INSTANCE_WAIT_RANGE: RangeInclusive<Duration> =
    Duration::ZERO..=Duration::from_secs(3600);

/// The runtime record store: every call runs the rules component in a sandboxed
/// instance, which reaches storage through the configured backend.
///
/// Cheap to clone; clones share the compiled component, the instance pool and the
/// backend. Usable from many tasks at once.
#[derive(Clone)]
pub struct RuntimeStore {
    active: Arc<ActiveRules>,
}

impl std::fmt::Debug for RuntimeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeStore").finish_non_exhaustive()
    }
}

/// The pure `rules` functions of the component: validation without storage. The
/// messages are exactly those the store returns. Obtained from [`RuntimeStore::rules`].
#[derive(Clone)]
pub struct Rules {
    active: Arc<ActiveRules>,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules").finish_non_exhaustive()
    }
}

impl RuntimeStore {
    /// A builder with the [`default_registry`], the embedded component and the
    /// default limits.
    pub fn builder() -> RuntimeStoreBuilder {
        RuntimeStoreBuilder::default()
    }

    /// The record of `game_id`; [`StoreError::NotFound`] when there is none.
    pub async fn get(&self, game_id: &str) -> Result<RuntimeRecord, StoreError> {
        let call = Call::new(Operation::Get, Some(game_id));
        let argument = handed_over(game_id);
        let record = self
            .run(call, async |guest, store| {
                guest.call_get(store, &argument).await
            })
            .await?;
        Ok(record.into())
    }

    /// Installs a new record; [`StoreError::Conflict`] when the game id exists.
    pub async fn insert(&self, record: &RuntimeRecord) -> Result<(), StoreError> {
        let call = Call::new(Operation::Insert, Some(&record.game_id));
        let argument = wit::RuntimeRecord::from(record);
        self.run(call, async |guest, store| {
            guest.call_insert(store, &argument).await
        })
        .await
    }

    /// Applies one status transition under a compare-and-swap on the stored status.
    pub async fn update_status(&self, input: &UpdateStatusInput) -> Result<(), StoreError> {
        let call = Call::new(Operation::UpdateStatus, Some(&input.game_id));
        let argument = wit::UpdateStatusInput::from(input);
        self.run(call, async |guest, store| {
            guest.call_update_status(store, &argument).await
        })
        .await
    }

    /// Sets the scheduling columns, in any status.
    pub async fn update_scheduling(&self, input: &UpdateSchedulingInput) -> Result<(), StoreError> {
        let call = Call::new(Operation::UpdateScheduling, Some(&input.game_id));
        let argument = wit::UpdateSchedulingInput::from(input);
        self.run(call, async |guest, store| {
            guest.call_update_scheduling(store, &argument).await
        })
        .await
    }

    /// Sets the engine image under a compare-and-swap on the stored status.
    pub async fn update_image(&self, input: &UpdateImageInput) -> Result<(), StoreError> {
        let call = Call::new(Operation::UpdateImage, Some(&input.game_id));
        let argument = wit::UpdateImageInput::from(input);
        self.run(call, async |guest, store| {
            guest.call_update_image(store, &argument).await
        })
        .await
    }

    /// Sets the engine health summary, in any status.
    pub async fn update_engine_health(
        &self,
        input: &UpdateEngineHealthInput,
    ) -> Result<(), StoreError> {
        let call = Call::new(Operation::UpdateEngineHealth, Some(&input.game_id));
        let argument = wit::UpdateEngineHealthInput::from(input);
        self.run(call, async |guest, store| {
            guest.call_update_engine_health(store, &argument).await
        })
        .await
    }

    /// Removes the record; succeeds when there is none.
    pub async fn delete(&self, game_id: &str) -> Result<(), StoreError> {
        let call = Call::new(Operation::Delete, Some(game_id));
        let argument = handed_over(game_id);
        self.run(call, async |guest, store| {
            guest.call_delete(store, &argument).await
        })
        .await
    }

    /// Running records whose next generation is due at `now`, by due time then game id.
    ///
    /// Assembled from pages of [`LARGEST_PAGE_LIMIT`] records, so it works over any number
    /// of records; it is not a snapshot: a record that moves while the list is read
    /// appears at most once (one moved into the part already read may be missing).
    pub async fn list_due_running(&self, now: Timestamp) -> Result<Vec<RuntimeRecord>, StoreError> {
        self.whole_list(WholeList::DueRunning(now)).await
    }

    /// Records in `status`, newest first (then by game id); assembled from pages, as
    /// [`RuntimeStore::list_due_running`].
    pub async fn list_by_status(&self, status: Status) -> Result<Vec<RuntimeRecord>, StoreError> {
        self.whole_list(WholeList::ByStatus(status)).await
    }

    /// Every record, newest first (then by game id); assembled from pages, as
    /// [`RuntimeStore::list_due_running`].
    pub async fn list(&self) -> Result<Vec<RuntimeRecord>, StoreError> {
        self.whole_list(WholeList::All).await
    }

    /// At most `limit` (1..=[`LARGEST_PAGE_LIMIT`]) running records due at `now`, after
    /// `cursor` (from the start when `None`), in the order of
    /// [`RuntimeStore::list_due_running`]. Pass [`RecordPage::next_cursor`] to get the next
    /// page; it is `None` after the last one. A limit out of range or a cursor this list
    /// cannot read (malformed, or of another list order) is [`StoreError::InvalidInput`].
    pub async fn list_due_running_page(
        &self,
        now: Timestamp,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RecordPage, StoreError> {
        self.due_running_page(Operation::ListDueRunningPage, now, cursor, limit)
            .await
    }

    /// A page of [`RuntimeStore::list_by_status`]; limit and cursor as for
    /// [`RuntimeStore::list_due_running_page`].
    pub async fn list_by_status_page(
        &self,
        status: Status,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RecordPage, StoreError> {
        self.by_status_page(Operation::ListByStatusPage, status, cursor, limit)
            .await
    }

    /// A page of [`RuntimeStore::list`]; limit and cursor as for
    /// [`RuntimeStore::list_due_running_page`].
    pub async fn list_page(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RecordPage, StoreError> {
        self.all_page(Operation::ListPage, cursor, limit).await
    }

    async fn due_running_page(
        &self,
        operation: Operation,
        now: Timestamp,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RecordPage, StoreError> {
        let cursor = cursor.map(handed_over);
        let page = self
            .run(Call::new(operation, None), async |guest, store| {
                guest
                    .call_list_due_running_page(store, now.into(), cursor.as_deref(), limit)
                    .await
            })
            .await?;
        Ok(page.into())
    }

    async fn by_status_page(
        &self,
        operation: Operation,
        status: Status,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RecordPage, StoreError> {
        let cursor = cursor.map(handed_over);
        let page = self
            .run(Call::new(operation, None), async |guest, store| {
                guest
                    .call_list_by_status_page(store, status.into(), cursor.as_deref(), limit)
                    .await
            })
            .await?;
        Ok(page.into())
    }

    async fn all_page(
        &self,
        operation: Operation,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RecordPage, StoreError> {
        let cursor = cursor.map(handed_over);
        let page = self
            .run(Call::new(operation, None), async |guest, store| {
                guest.call_list_page(store, cursor.as_deref(), limit).await
            })
            .await?;
        Ok(page.into())
    }

    /// Reads pages until the last one, keeping each game's first appearance: pages follow
    /// the list order and each starts after the one before, so what is kept stays in order.
    /// One page never holds a game twice, so the game ids are only collected once a second
    /// page comes (most lists are one page).
    async fn whole_list(&self, list: WholeList) -> Result<Vec<RuntimeRecord>, StoreError> {
        let mut records = Vec::new();
        let mut seen: Option<HashSet<String>> = None;
        let mut cursor: Option<String> = None;
        loop {
            let cursor_now = cursor.as_deref();
            let page = match list {
                WholeList::All => {
                    self.all_page(Operation::List, cursor_now, LARGEST_PAGE_LIMIT)
                        .await
                }
                WholeList::ByStatus(status) => {
                    let operation = Operation::ListByStatus;
                    self.by_status_page(operation, status, cursor_now, LARGEST_PAGE_LIMIT)
                        .await
                }
                WholeList::DueRunning(now) => {
                    let operation = Operation::ListDueRunning;
                    self.due_running_page(operation, now, cursor_now, LARGEST_PAGE_LIMIT)
                        .await
                }
            }?;
            match (cursor.is_some(), &mut seen) {
                (false, _) => records = page.records,
                (true, Some(seen)) => keep_unseen(&mut records, seen, page.records),
                (true, None) => {
                    let first_page = records.iter().map(|record| record.game_id.clone());
                    let seen = seen.insert(first_page.collect());
                    keep_unseen(&mut records, seen, page.records);
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(records),
            }
        }
    }

    /// The most address space this store's instances reserve at once, in bytes:
    /// [`RuntimeStoreBuilder::max_instances`] times one instance's linear memory
    /// reservation (the memory limit), its 2 MiB guard and its 2 MiB stack. Nothing is
    /// reserved for instances that do not exist, and the compiled component is shared with
    /// every store of the process that has the same memory limit.
    pub fn reserved_address_space_bound(&self) -> u64 {
        self.active.current().reserved_address_space_bound()
    }

    pub(crate) fn from_active(active: ActiveRules) -> Self {
        RuntimeStore {
            active: Arc::new(active),
        }
    }

    /// Which build of the rules serves calls that start now.
    pub fn rules_identity(&self) -> RulesIdentity {
        self.active.current().identity().clone()
    }

    /// Replaces the rules while the store serves: `component` is compiled and type-checked
    /// against the world, instantiated, then must pass `gate` on a scratch in-memory
    /// backend; only then do calls that start later take it. Calls in flight finish on the
    /// rules they started with; a clone of this store and its [`Rules`] follow the swap.
    /// A candidate refused at any step is a [`SwapError`] naming the step and why, and the
    /// active rules keep serving. One swap runs at a time. Answers the new rules' identity.
    pub async fn swap_rules(
        &self,
        component: &[u8],
        gate: &dyn RulesGate,
    ) -> Result<RulesIdentity, SwapError> {
        self.active.swap(component, gate).await
    }

    /// The largest linear memory any of this store's instances has had, in bytes: what the
    /// busiest call needed (memory a guest grew stays with its instance). Whole lists are
    /// read in pages, so it does not grow with the number of records stored.
    pub fn guest_memory_peak(&self) -> usize {
        self.active.current().memory_peak()
    }

    /// The pure rules of the same component, run in the same sandbox.
    pub fn rules(&self) -> Rules {
        Rules {
            active: Arc::clone(&self.active),
        }
    }

    /// Calls `export` of the guest's `store` interface for `call`; an error the guest
    /// returns becomes the call's [`StoreError`].
    async fn run<T>(
        &self,
        call: Call<'_>,
        export: impl AsyncFnOnce(
            &StoreExports,
            &mut wasmtime::Store<HostState>,
        ) -> wasmtime::Result<Result<T, wit::StoreError>>,
    ) -> Result<T, StoreError> {
        self.active
            .current()
            .checked_call(call, async move |guest, store| {
                export(guest.galaxy_gamemaster_store(), store).await
            })
            .await
    }
}

/// Appends the records of `page` whose game is not in `seen`, and notes them.
fn keep_unseen(
    records: &mut Vec<RuntimeRecord>,
    seen: &mut HashSet<String>,
    page: Vec<RuntimeRecord>,
) {
    for record in page {
        if seen.insert(record.game_id.clone()) {
            records.push(record);
        }
    }
}

/// A whole list a host assembles from pages.
#[derive(Debug, Clone, Copy)]
enum WholeList {
    All,
    ByStatus(Status),
    DueRunning(Timestamp),
}

/// One page of a list: at most the asked number of records, in the list's order, and the
/// cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPage {
    /// The page's records.
    pub records: Vec<RuntimeRecord>,
    /// Where the next page starts; `None` when this page ends the list. Opaque: hand it
    /// back unchanged to the same list's page function.
    pub next_cursor: Option<String>,
}

impl From<wit_store::RuntimePage> for RecordPage {
    fn from(page: wit_store::RuntimePage) -> Self {
        RecordPage {
            records: page.records.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

impl Rules {
    /// Ok when `to` may follow `from`; otherwise [`StoreError::InvalidTransition`].
    pub async fn transition(&self, from: Status, to: Status) -> Result<(), StoreError> {
        let call = Call::new(Operation::Transition, None);
        self.run(call, |guest, store| {
            guest.call_transition(store, from.into(), to.into())
        })
        .await
    }

    /// The statuses that may follow `from`, in declaration order.
    pub async fn allowed_transitions(&self, from: Status) -> Result<Vec<Status>, StoreError> {
        let call = Call::new(Operation::AllowedTransitions, None);
        let statuses = self
            .active
            .current()
            .pure_call(call, |guest, store| {
                let rules = guest.galaxy_gamemaster_rules();
                rules.call_allowed_transitions(store, from.into())
            })
            .await?;
        Ok(statuses.into_iter().map(Into::into).collect())
    }

    /// The checks [`RuntimeStore::insert`] runs.
    pub async fn validate_record(&self, record: &RuntimeRecord) -> Result<(), StoreError> {
        let call = Call::new(Operation::ValidateRecord, Some(&record.game_id));
        let argument = wit::RuntimeRecord::from(record);
        self.run(call, |guest, store| {
            guest.call_validate_record(store, &argument)
        })
        .await
    }

    /// The checks [`RuntimeStore::update_status`] runs.
    pub async fn validate_update_status(
        &self,
        input: &UpdateStatusInput,
    ) -> Result<(), StoreError> {
        let call = Call::new(Operation::ValidateUpdateStatus, Some(&input.game_id));
        let argument = wit::UpdateStatusInput::from(input);
        self.run(call, |guest, store| {
            guest.call_validate_update_status(store, &argument)
        })
        .await
    }

    /// The checks [`RuntimeStore::update_scheduling`] runs.
    pub async fn validate_update_scheduling(
        &self,
        input: &UpdateSchedulingInput,
    ) -> Result<(), StoreError> {
        let call = Call::new(Operation::ValidateUpdateScheduling, Some(&input.game_id));
        let argument = wit::UpdateSchedulingInput::from(input);
        self.run(call, |guest, store| {
            guest.call_validate_update_scheduling(store, &argument)
        })
        .await
    }

    /// The checks [`RuntimeStore::update_image`] runs.
    pub async fn validate_update_image(&self, input: &UpdateImageInput) -> Result<(), StoreError> {
        let call = Call::new(Operation::ValidateUpdateImage, Some(&input.game_id));
        let argument = wit::UpdateImageInput::from(input);
        self.run(call, |guest, store| {
            guest.call_validate_update_image(store, &argument)
        })
        .await
    }

    /// The checks [`RuntimeStore::update_engine_health`] runs.
    pub async fn validate_update_engine_health(
        &self,
        input: &UpdateEngineHealthInput,
    ) -> Result<(), StoreError> {
        let call = Call::new(Operation::ValidateUpdateEngineHealth, Some(&input.game_id));
        let argument = wit::UpdateEngineHealthInput::from(input);
        self.run(call, |guest, store| {
            guest.call_validate_update_engine_health(store, &argument)
        })
        .await
    }

    /// Calls `export` of the guest's `rules` interface for `call`; an error the guest
    /// returns becomes the call's [`StoreError`].
    async fn run(
        &self,
        call: Call<'_>,
        export: impl FnOnce(
            &PureRulesExports,
            &mut wasmtime::Store<HostState>,
        ) -> wasmtime::Result<Result<(), wit::StoreError>>,
    ) -> Result<(), StoreError> {
        self.active
            .current()
            .checked_pure_call(call, move |guest, store| {
                export(guest.galaxy_gamemaster_rules(), store)
            })
            .await
    }
}

/// Where the backend comes from.
enum BackendChoice {
    Value(Arc<dyn Backend>),
    Url(String),
}

/// Configures and builds a [`RuntimeStore`].
pub struct RuntimeStoreBuilder {
    backend: Option<BackendChoice>,
    registry: Result<Registry, DuplicateScheme>,
    component_file: Option<PathBuf>,
    limits: Limits,
    compilation_cache: CompilationCache,
}

impl std::fmt::Debug for RuntimeStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeStoreBuilder")
            .field("registry", &self.registry)
            .field("component_file", &self.component_file)
            .field("limits", &self.limits)
            .field("compilation_cache", &self.compilation_cache)
            .finish_non_exhaustive()
    }
}

impl Default for RuntimeStoreBuilder {
    fn default() -> Self {
        RuntimeStoreBuilder {
            backend: None,
            registry: Ok(default_registry()),
            component_file: None,
            limits: Limits {
                fuel_per_call: DEFAULT_FUEL_PER_CALL,
                memory_limit: DEFAULT_MEMORY_LIMIT,
                max_instances: DEFAULT_MAX_INSTANCES,
                max_idle_instances: DEFAULT_MAX_IDLE_INSTANCES,
                deadline_per_call: DEFAULT_DEADLINE_PER_CALL,
                max_instance_wait: DEFAULT_MAX_INSTANCE_WAIT,
                compilation_cache: None,
            },
            compilation_cache: CompilationCache::Default,
        }
    }
}

/// The adapters every host knows without registration: `memory:`, with the `postgres`
/// feature (on by default) `postgres://` / `postgresql://`, and with the `sqlite` feature
/// (on by default) `sqlite://path` / `sqlite::memory:`.
pub fn default_registry() -> Registry {
    let registry = Registry::new().with(MemoryFactory);
    #[cfg(feature = "postgres")]
    let registry =
        registry.and_then(|registry| registry.with(runtime_store_postgres::PostgresFactory::new()));
    #[cfg(feature = "sqlite")]
    let registry =
        registry.and_then(|registry| registry.with(runtime_store_sqlite::SqliteFactory::new()));
    registry.expect("the built-in adapters have distinct schemes")
}

impl RuntimeStoreBuilder {
    /// Uses `backend` as storage.
    pub fn backend(mut self, backend: Arc<dyn Backend>) -> Self {
        self.backend = Some(BackendChoice::Value(backend));
        self
    }

    /// Opens the storage `url` names (`memory:`, `postgres://...`) through the registry
    /// when the store is built.
    pub fn backend_url(mut self, url: impl Into<String>) -> Self {
        self.backend = Some(BackendChoice::Url(url.into()));
        self
    }

    /// Adds a storage adapter to the registry [`Self::backend_url`] uses. A scheme that
    /// is registered already (`memory`, `postgres`, or one added before) makes
    /// [`Self::build`] fail with [`BuildError::Registry`]; to configure a built-in adapter,
    /// give a whole registry with [`Self::registry`].
    pub fn register(mut self, factory: impl BackendFactory) -> Self {
        self.registry = self.registry.and_then(|registry| registry.with(factory));
        self
    }

    /// Replaces the registry [`Self::backend_url`] uses (default [`default_registry`]).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Ok(registry);
        self
    }

    /// Loads the rules component from `path` instead of the embedded one.
    pub fn component_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.component_file = Some(path.into());
        self
    }

    /// The CPU budget of each call, in fuel units (default [`DEFAULT_FUEL_PER_CALL`],
    /// within [`FUEL_PER_CALL_RANGE`]). A call that uses it up is
    /// [`SandboxFailure::OutOfFuel`](crate::SandboxFailure::OutOfFuel).
    pub fn fuel_per_call(mut self, fuel: u64) -> Self {
        self.limits.fuel_per_call = fuel;
        self
    }

    /// The wall-clock deadline of each call (default [`DEFAULT_DEADLINE_PER_CALL`], within
    /// [`DEADLINE_PER_CALL_RANGE`]), measured to within 10 ms. It bounds the call's time
    /// outside the backend: a guest still running when it passes is interrupted
    /// ([`SandboxFailure::Deadline`](crate::SandboxFailure::Deadline)), whatever it does
    /// (fuel counts only wasm instructions). The one backend call an operation makes is
    /// bounded by the backend's own timeouts, and is cancelled when the caller drops the
    /// call's future. A running guest yields to the executor every 10 ms, so a caller's
    /// own timeout around a call fires too.
    pub fn deadline_per_call(mut self, deadline: Duration) -> Self {
        self.limits.deadline_per_call = deadline;
        self
    }

    /// The linear memory limit of each instance, in bytes (default
    /// [`DEFAULT_MEMORY_LIMIT`], within [`MEMORY_LIMIT_RANGE`]). The rules component needs
    /// a little over 1 MiB to start; a smaller limit fails the build. Each instance
    /// reserves this much address space plus a 2 MiB guard and a 2 MiB stack, and nothing
    /// is reserved for instances that do not exist: a store reserves at most
    /// [`Self::max_instances`] times that.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.limits.memory_limit = bytes;
        self
    }

    /// How many idle instances are kept for reuse (default [`DEFAULT_MAX_IDLE_INSTANCES`],
    /// within [`MAX_IDLE_INSTANCES_RANGE`]; never more than [`Self::max_instances`]).
    pub fn max_idle_instances(mut self, count: usize) -> Self {
        self.limits.max_idle_instances = count;
        self
    }

    /// How many instances may exist at once, which bounds the calls running in parallel;
    /// further calls wait for a free instance (default [`DEFAULT_MAX_INSTANCES`], within
    /// [`MAX_INSTANCES_RANGE`]).
    pub fn max_instances(mut self, count: usize) -> Self {
        self.limits.max_instances = count;
        self
    }

    /// How long a call waits for a free instance when [`Self::max_instances`] are busy
    /// (default [`DEFAULT_MAX_INSTANCE_WAIT`], within [`MAX_INSTANCE_WAIT_RANGE`]; zero
    /// fails at once), measured to within 10 ms. A call that waited in vain did not run:
    /// [`SandboxFailure::Busy`](crate::SandboxFailure::Busy).
    pub fn max_instance_wait(mut self, wait: Duration) -> Self {
        self.limits.max_instance_wait = wait;
        self
    }

    /// Where compiled components are kept for later processes (default
    /// [`CompilationCache::Default`]: `$RUNTIME_STORE_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/runtime-store`, else `$HOME/.cache/runtime-store`). A process whose
    /// component is in the cache loads its machine code instead of compiling it (see
    /// `docs/benchmarks.md` for the cold start with and without). The directory is created
    /// owner-only (0700); one that belongs to another user or is writable by group or
    /// others fails the build with [`BuildError::CompilationCache`].
    /// [`CompilationCache::Off`] compiles in every process and writes nothing.
    pub fn compilation_cache(mut self, cache: CompilationCache) -> Self {
        self.compilation_cache = cache;
        self
    }

    /// Opens the backend (the in-memory one when none was chosen), compiles the
    /// component (or loads it from the compilation cache) and links it.
    pub async fn build(mut self) -> Result<RuntimeStore, BuildError> {
        let registry = self.registry?;
        check_limits(&self.limits)?;
        self.limits.compilation_cache = self.compilation_cache.resolve()?;
        let backend = match self.backend {
            Some(BackendChoice::Value(backend)) => backend,
            Some(BackendChoice::Url(url)) => registry.open(&url).await?,
            None => registry.open("memory:").await?,
        };
        let sandbox = match &self.component_file {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| BuildError::ReadComponent {
                    path: path.clone(),
                    source,
                })?;
                Sandbox::new(&bytes, Arc::clone(&backend), self.limits)?
            }
            None => Sandbox::new(embedded_component(), Arc::clone(&backend), self.limits)?,
        };
        Ok(RuntimeStore::from_active(ActiveRules::new(
            sandbox,
            backend,
            self.limits,
        )))
    }
}

/// Refuses a limit outside its range, naming the builder option and the range.
fn check_limits(limits: &Limits) -> Result<(), BuildError> {
    fn check<T: PartialOrd>(
        option: &str,
        value: T,
        range: &RangeInclusive<T>,
        show: impl Fn(&T) -> String,
    ) -> Result<(), BuildError> {
        if range.contains(&value) {
            Ok(())
        } else {
            Err(BuildError::Limit(format!(
                "{option} must be in {}..={} (got {})",
                show(range.start()),
                show(range.end()),
                show(&value)
            )))
        }
    }
    let number = |value: &dyn std::fmt::Display| value.to_string();
    let milliseconds = |value: &Duration| format!("{} ms", value.as_millis());
    check(
        "fuel_per_call",
        limits.fuel_per_call,
        &FUEL_PER_CALL_RANGE,
        |v| number(v),
    )?;
    check(
        "deadline_per_call",
        limits.deadline_per_call,
        &DEADLINE_PER_CALL_RANGE,
        milliseconds,
    )?;
    check(
        "memory_limit",
        limits.memory_limit,
        &MEMORY_LIMIT_RANGE,
        |v| number(v),
    )?;
    check(
        "max_instances",
        limits.max_instances,
        &MAX_INSTANCES_RANGE,
        |v| number(v),
    )?;
    check(
        "max_idle_instances",
        limits.max_idle_instances,
        &MAX_IDLE_INSTANCES_RANGE,
        |v| number(v),
    )?;
    check(
        "max_instance_wait",
        limits.max_instance_wait,
        &MAX_INSTANCE_WAIT_RANGE,
        milliseconds,
    )
}
