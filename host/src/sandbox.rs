//! The wasmtime side: the compiled component (shared by every store of the process with
//! the same settings), a bounded pool of instances (each in its own `Store`), the bounds of
//! every call, and the host implementation of the imported `backend` interface.
//!
//! Every call is bounded whatever the guest does:
//!
//! * CPU: fuel ([`Limits::fuel_per_call`]), deterministic, counting wasm instructions;
//! * wall-clock time: a deadline ([`Limits::deadline_per_call`]) on the time the call
//!   spends outside the backend, enforced by epoch interruption. The process's ticker
//!   advances the epoch every [`clock::TICK`]; a running guest then yields to the executor, and
//!   traps once its deadline has passed;
//! * storage: as many backend calls as the operation needs (one for each store operation,
//!   none for the rules; contract §7.1);
//! * memory: [`Limits::memory_limit`] bytes of linear memory, and a wasm stack of
//!   [`shared::MAX_WASM_STACK`] bytes.
//!
//! An instance stopped by any of them is discarded; the next call gets a fresh one. Waiting
//! for a free instance is bounded too ([`Limits::max_instance_wait`]).

mod clock;
mod exports;
mod shared;

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::{Duration, Instant};

use tracing::Instrument;

use runtime_store_backend::Backend;
use tokio::sync::{Semaphore, SemaphorePermit};
use wasmtime::{ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap, UpdateDeadline};

use crate::bindings::RuntimeStore as Guest;
use crate::bindings::galaxy::gamemaster::{backend as wit_backend, types as wit};
use crate::cache::CacheId;
use crate::error::{BuildError, Operation, SandboxFailure, StoreError};
use crate::identity::RulesIdentity;
use crate::observe::{CallReport, Meters};
use crate::pure_bindings::RuntimeStore as PureGuest;
use crate::pure_bindings::galaxy::gamemaster::backend as pure_backend;
use shared::{Compiled, EngineSettings};

/// The limits a [`Sandbox`] enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) fuel_per_call: u64,
    pub(crate) memory_limit: usize,
    pub(crate) max_instances: usize,
    pub(crate) max_idle_instances: usize,
    pub(crate) deadline_per_call: Duration,
    pub(crate) max_instance_wait: Duration,
    /// The persistent compilation cache the engine uses, if any.
    pub(crate) compilation_cache: Option<CacheId>,
}

/// The compiled component, ready to instantiate, and the instances not in use.
pub(crate) struct Sandbox {
    compiled: Arc<Compiled>,
    backend: Arc<dyn Backend>,
    limits: Limits,
    /// One permit per instance that may exist at once; a call waits here (at most
    /// `max_instance_wait`) when all are busy.
    permits: Semaphore,
    idle: Mutex<Vec<Pooled<Guest>>>,
    pure_idle: Mutex<Vec<Pooled<PureGuest>>>,
    /// The largest linear memory any instance has been granted, in bytes.
    memory_peak: Arc<AtomicUsize>,
    identity: RulesIdentity,
    /// The backend's `db.system.name`.
    system: &'static str,
    /// Shared with every instance, which counts itself out when dropped.
    meters: Arc<Meters>,
}

/// An instantiated component in its own store. `G` is how it is called: [`Guest`] through
/// async exports with the backend imports linked (store operations), [`PureGuest`]
/// synchronously with the backend imports refused (the pure rules: no fiber, no yield).
pub(crate) struct Instance<G> {
    store: Store<HostState>,
    guest: G,
    meters: Arc<Meters>,
}

/// The two ways of calling the component, each with its own pool of instances.
pub(crate) trait GuestKind: Sized + Send + 'static {
    /// The idle instances of this kind.
    fn pool(sandbox: &Sandbox) -> &Mutex<Vec<Pooled<Self>>>;

    /// A new instance of this kind in a store prepared by [`Sandbox::new_store`].
    fn instantiate(
        sandbox: &Sandbox,
        store: Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Pooled<Self>>> + Send;
}

impl GuestKind for Guest {
    fn pool(sandbox: &Sandbox) -> &Mutex<Vec<Pooled<Self>>> {
        &sandbox.idle
    }

    async fn instantiate(
        sandbox: &Sandbox,
        mut store: Store<HostState>,
    ) -> wasmtime::Result<Pooled<Self>> {
        // At each epoch tick the running guest yields to the executor, until its
        // deadline has passed: then it traps.
        store.epoch_deadline_callback(|context| {
            let budget = &context.data().budget;
            if clock::ticks() >= budget.deadline {
                Err(budget.deadline_exceeded())
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let guest = sandbox.compiled.pre.instantiate_async(&mut store).await?;
        Ok(sandbox.instance(store, guest))
    }
}

impl GuestKind for PureGuest {
    fn pool(sandbox: &Sandbox) -> &Mutex<Vec<Pooled<Self>>> {
        &sandbox.pure_idle
    }

    async fn instantiate(
        sandbox: &Sandbox,
        mut store: Store<HostState>,
    ) -> wasmtime::Result<Pooled<Self>> {
        // A synchronous call cannot yield: the deadline is checked at each tick and traps
        // once passed; fuel bounds the call deterministically before that.
        store.epoch_deadline_callback(|context| {
            let budget = &context.data().budget;
            if clock::ticks() >= budget.deadline {
                Err(budget.deadline_exceeded())
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        let guest = sandbox.compiled.pure_pre.instantiate(&mut store)?;
        Ok(sandbox.instance(store, guest))
    }
}

/// An instance as the pool and a call hold it: boxed, so handing it over moves a pointer,
/// not the store and the guest's export table.
type Pooled<G> = Box<Instance<G>>;

impl<G> Drop for Instance<G> {
    fn drop(&mut self) {
        self.meters.live(-1.0);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let idle = self.idle::<Guest>().len() + self.idle::<PureGuest>().len();
        self.meters.idle(-(idle as f64));
    }
}

/// What each store holds: the backend the guest's imports reach, the memory limiter and
/// the budget of the call in progress.
pub(crate) struct HostState {
    backend: Arc<dyn Backend>,
    limiter: MemoryLimiter,
    budget: CallBudget,
}

/// The bounds of the call in progress that fuel and memory do not cover.
#[derive(Debug, Clone, Copy)]
struct CallBudget {
    /// The tick of the coarse clock ([`clock::ticks`]) at which the call's time outside
    /// the backend has run out; pushed back by the ticks each backend call takes.
    deadline: u64,
    /// The configured deadline, for the message.
    deadline_per_call: Duration,
    /// Backend calls made so far.
    backend_calls: u32,
    /// The time those backend calls took.
    backend_time: Duration,
    /// Backend calls the operation needs.
    backend_call_limit: u32,
}

impl CallBudget {
    fn new(limits: &Limits, backend_call_limit: u32) -> Self {
        // One tick more than the deadline holds: the clock may be most of a tick behind,
        // and a call is never stopped before its deadline.
        let ticks = clock::ticks_in(limits.deadline_per_call).saturating_add(1);
        CallBudget {
            deadline: clock::ticks().saturating_add(ticks),
            deadline_per_call: limits.deadline_per_call,
            backend_calls: 0,
            backend_time: Duration::ZERO,
            backend_call_limit,
        }
    }

    fn deadline_exceeded(&self) -> wasmtime::Error {
        wasmtime::Error::new(DeadlineExceeded {
            milliseconds: millis(self.deadline_per_call),
        })
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// [`StoreLimits`] that turns a refused memory growth into a trap carrying
/// [`MemoryLimitExceeded`], so the failure is reported as such and not as whatever the
/// guest's allocator does when memory runs out.
struct MemoryLimiter {
    limit: usize,
    limits: StoreLimits,
    /// Shared with the [`Sandbox`]: raised to every size granted.
    peak: Arc<AtomicUsize>,
}

#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes exceeded (asked for {requested})")]
struct MemoryLimitExceeded {
    limit: usize,
    requested: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("deadline of {milliseconds} ms exceeded")]
struct DeadlineExceeded {
    milliseconds: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("more than {limit} backend call(s)")]
struct BackendCallsExceeded {
    limit: u32,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if self.limits.memory_growing(current, desired, maximum)? {
            self.peak.fetch_max(desired, Ordering::Relaxed);
            Ok(true)
        } else {
            Err(wasmtime::Error::new(MemoryLimitExceeded {
                limit: self.limit,
                requested: desired,
            }))
        }
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }
}

/// The call being made, for error messages: the operation and its game id, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) operation: Operation,
    pub(crate) game_id: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(operation: Operation, game_id: Option<&'a str>) -> Self {
        Call { operation, game_id }
    }

    /// The sandbox stopped the call, running `rules`.
    fn sandbox_error(self, reason: SandboxFailure, rules: &RulesIdentity) -> StoreError {
        StoreError::Sandbox {
            operation: self.operation,
            game_id: self.game_id.map(str::to_owned),
            reason,
            rules: rules.clone(),
        }
    }

    /// The backend calls the operation needs (contract §7.1): one for each store
    /// operation, none for the pure rules.
    fn backend_call_limit(self) -> u32 {
        match self.operation {
            Operation::Get
            | Operation::Insert
            | Operation::UpdateStatus
            | Operation::UpdateScheduling
            | Operation::UpdateImage
            | Operation::UpdateEngineHealth
            | Operation::Delete
            | Operation::ListDueRunning
            | Operation::ListByStatus
            | Operation::List
            | Operation::ListDueRunningPage
            | Operation::ListByStatusPage
            | Operation::ListPage => 1,
            Operation::Transition
            | Operation::AllowedTransitions
            | Operation::ValidateRecord
            | Operation::ValidateUpdateStatus
            | Operation::ValidateUpdateScheduling
            | Operation::ValidateUpdateImage
            | Operation::ValidateUpdateEngineHealth => 0,
        }
    }
}

/// An instance checked out of the pool for one call. Dropping it without
/// [`Lease::finish`] (a cancelled call) discards the instance, whose state is unknown.
pub(crate) struct Lease<'a, G: GuestKind> {
    sandbox: &'a Sandbox,
    call: Call<'a>,
    instance: Pooled<G>,
    _permit: SemaphorePermit<'a>,
}

impl<G: GuestKind> Lease<'_, G> {
    /// Returns the instance to the pool when the call completed, or discards it and
    /// reports the sandbox failure when it did not.
    fn finish<T>(self, outcome: wasmtime::Result<T>) -> Result<T, StoreError> {
        match outcome {
            Ok(value) => {
                let mut idle = self.sandbox.idle::<G>();
                if idle.len() < self.sandbox.limits.max_idle_instances {
                    idle.push(self.instance);
                    self.sandbox.meters.idle(1.0);
                }
                Ok(value)
            }
            Err(error) => {
                let failure = self.sandbox.classify(&error, SandboxFailure::Trap);
                // Operators see sandbox failures even where callers swallow the error.
                tracing::warn!(
                    operation = %self.call.operation,
                    game_id = self.call.game_id,
                    %failure,
                    "component instance discarded after a sandbox failure"
                );
                Err(self.call.sandbox_error(failure, &self.sandbox.identity))
            }
        }
    }
}

impl Sandbox {
    /// Compiles `component_bytes` (or takes them from the process's cache) and links them
    /// against the host's `backend`.
    pub(crate) fn new(
        component_bytes: &[u8],
        backend: Arc<dyn Backend>,
        limits: Limits,
    ) -> Result<Self, BuildError> {
        let settings = EngineSettings::for_memory_limit(limits.memory_limit)
            .with_cache(limits.compilation_cache);
        let compiled = shared::compiled(component_bytes, settings)?;
        if let Some(needed) = compiled.initial_memory
            && needed > limits.memory_limit as u64
        {
            return Err(BuildError::Limit(format!(
                "memory_limit of {} bytes is below the {needed} bytes the component needs to start",
                limits.memory_limit
            )));
        }
        Ok(Sandbox {
            compiled,
            system: backend.system_name(),
            backend,
            identity: RulesIdentity::of(component_bytes),
            meters: Arc::default(),
            limits,
            permits: Semaphore::new(limits.max_instances),
            idle: Mutex::new(Vec::new()),
            pure_idle: Mutex::new(Vec::new()),
            memory_peak: Arc::default(),
        })
    }

    /// Makes one instance and keeps it for the first call: a component whose start code
    /// traps is refused here rather than by a caller's call.
    pub(crate) async fn warm_up(&self) -> Result<(), SandboxFailure> {
        let budget = CallBudget::new(&self.limits, 0);
        let instance = self
            .instantiate::<Guest>(budget)
            .await
            .map_err(|error| self.classify(&error, SandboxFailure::Instantiation))?;
        if self.limits.max_idle_instances > 0 {
            self.idle::<Guest>().push(instance);
            self.meters.idle(1.0);
        }
        Ok(())
    }

    /// Which rules this sandbox runs.
    pub(crate) fn identity(&self) -> &RulesIdentity {
        &self.identity
    }

    /// The largest linear memory any instance of this sandbox has been granted, in bytes.
    pub(crate) fn memory_peak(&self) -> usize {
        self.memory_peak.load(Ordering::Relaxed)
    }

    /// The most address space the store's instances reserve at once: `max_instances`
    /// times one instance's memory reservation, guard and stack.
    pub(crate) fn reserved_address_space_bound(&self) -> u64 {
        EngineSettings::for_memory_limit(self.limits.memory_limit)
            .reserved_per_instance()
            .saturating_mul(self.limits.max_instances as u64)
    }

    /// Runs a pure rules export (one call) for `call` in a leased instance, synchronously on
    /// the calling thread (the rules import nothing, so no fiber is needed; fuel and the
    /// deadline bound it), and gives back its answer; a sandbox failure is the call's
    /// [`StoreError::Sandbox`].
    pub(crate) async fn pure_call<T>(
        &self,
        call: Call<'_>,
        export: impl FnOnce(&PureGuest, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, StoreError> {
        self.observed(call, async |guest, store| export(guest, store), Ok)
            .await
    }

    /// [`Sandbox::pure_call`] of an export that can fail, as [`Sandbox::checked_call`].
    pub(crate) async fn checked_pure_call<T>(
        &self,
        call: Call<'_>,
        export: impl FnOnce(
            &PureGuest,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, wit::StoreError>>,
    ) -> Result<T, StoreError> {
        self.observed(
            call,
            async |guest, store| export(guest, store),
            |answer| answer.map_err(|error| call.store_error(error)),
        )
        .await
    }

    /// Runs a store export (one async call, on a fiber: the guest calls the backend) for
    /// `call` in a leased instance; an error the guest returns becomes the call's
    /// [`StoreError`], a sandbox failure [`StoreError::Sandbox`].
    pub(crate) async fn checked_call<T>(
        &self,
        call: Call<'_>,
        export: impl AsyncFnOnce(
            &Guest,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, wit::StoreError>>,
    ) -> Result<T, StoreError> {
        self.observed(call, export, |answer| {
            answer.map_err(|error| call.store_error(error))
        })
        .await
    }

    /// Runs the call inside its span and reports how it ended (see [`observe`]).
    async fn observed<G: GuestKind, A, T>(
        &self,
        call: Call<'_>,
        export: impl AsyncFnOnce(&G, &mut Store<HostState>) -> wasmtime::Result<A>,
        settle: impl FnOnce(A) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let report = CallReport::start(call.operation, call.game_id, &self.identity, self.system);
        let mut backend_time = Duration::ZERO;
        let work = async {
            let mut lease = self.lease::<G>(call).await?;
            let Instance { store, guest, .. } = &mut *lease.instance;
            let outcome = Box::pin(export(guest, store)).await;
            backend_time = store.data().budget.backend_time;
            lease.finish(outcome)
        };
        // Entering a span no subscriber wants at every poll costs more than the rules.
        let answer = if report.span().is_disabled() {
            work.await
        } else {
            work.instrument(report.span().clone()).await
        };
        let result = answer.and_then(settle);
        report.finish(&self.meters, &result, backend_time);
        result
    }

    /// Waits at most `max_instance_wait` for a free slot in the pool.
    async fn permit(&self, call: Call<'_>) -> Result<SemaphorePermit<'_>, StoreError> {
        let busy = || {
            call.sandbox_error(
                SandboxFailure::Busy {
                    waited: self.limits.max_instance_wait,
                    max_instances: self.limits.max_instances,
                },
                &self.identity,
            )
        };
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let closed = || {
            call.sandbox_error(
                SandboxFailure::Instantiation("the instance pool was closed".into()),
                &self.identity,
            )
        };
        // Boxed: waiting is the rare path, and its future would otherwise make every
        // call's future (moved at each await) larger.
        match Box::pin(within(
            Instant::now() + self.limits.max_instance_wait,
            self.permits.acquire(),
        ))
        .await
        {
            Some(Ok(permit)) => Ok(permit),
            Some(Err(_)) => Err(closed()),
            None => Err(busy()),
        }
    }

    /// An instance for one call, idle or new, with a full fuel tank, a fresh deadline and
    /// the operation's backend calls.
    async fn lease<'a, G: GuestKind>(&'a self, call: Call<'a>) -> Result<Lease<'a, G>, StoreError> {
        let permit = self.permit(call).await?;
        let budget = CallBudget::new(&self.limits, call.backend_call_limit());
        let pooled = self.idle::<G>().pop();
        if pooled.is_some() {
            self.meters.idle(-1.0);
        }
        let mut instance = match pooled {
            Some(instance) => instance,
            // Boxed for the same reason: most calls find an idle instance.
            None => Box::pin(self.instantiate::<G>(budget))
                .await
                .map_err(|error| {
                    call.sandbox_error(
                        self.classify(&error, SandboxFailure::Instantiation),
                        &self.identity,
                    )
                })?,
        };
        let store = &mut instance.store;
        // The budget starts after instantiation, which a new instance may have spent some of.
        store.data_mut().budget = CallBudget::new(&self.limits, call.backend_call_limit());
        store.set_epoch_deadline(1);
        store.set_fuel(self.limits.fuel_per_call).map_err(|error| {
            call.sandbox_error(
                SandboxFailure::Instantiation(format!("{error:#}")),
                &self.identity,
            )
        })?;
        Ok(Lease {
            sandbox: self,
            call,
            instance,
            _permit: permit,
        })
    }

    /// A new instance of kind `G` for a call with `budget`.
    async fn instantiate<G: GuestKind>(&self, budget: CallBudget) -> wasmtime::Result<Pooled<G>> {
        G::instantiate(self, self.new_store(budget)?).await
    }

    /// A store for one instance: memory limit, fuel, the call's budget.
    fn new_store(&self, budget: CallBudget) -> wasmtime::Result<Store<HostState>> {
        let state = HostState {
            backend: Arc::clone(&self.backend),
            limiter: MemoryLimiter {
                limit: self.limits.memory_limit,
                limits: StoreLimitsBuilder::new()
                    .memory_size(self.limits.memory_limit)
                    .build(),
                peak: Arc::clone(&self.memory_peak),
            },
            budget,
        };
        let mut store = Store::new(&self.compiled.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_fuel(self.limits.fuel_per_call)?;
        store.set_epoch_deadline(1);
        Ok(store)
    }

    fn instance<G>(&self, store: Store<HostState>, guest: G) -> Pooled<G> {
        self.meters.live(1.0);
        Box::new(Instance {
            store,
            guest,
            meters: Arc::clone(&self.meters),
        })
    }

    fn idle<G: GuestKind>(&self) -> MutexGuard<'_, Vec<Pooled<G>>> {
        // A panic while the lock was held leaves at worst a shorter list of valid
        // instances, so the pool stays usable.
        G::pool(self)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Names what stopped a call; `otherwise` wraps the reason of any other failure.
    fn classify(
        &self,
        error: &wasmtime::Error,
        otherwise: impl FnOnce(String) -> SandboxFailure,
    ) -> SandboxFailure {
        if let Some(exceeded) = error.downcast_ref::<MemoryLimitExceeded>() {
            return SandboxFailure::MemoryLimit {
                limit: exceeded.limit,
                requested: exceeded.requested,
            };
        }
        if let Some(exceeded) = error.downcast_ref::<DeadlineExceeded>() {
            return SandboxFailure::Deadline {
                milliseconds: exceeded.milliseconds,
            };
        }
        if let Some(exceeded) = error.downcast_ref::<BackendCallsExceeded>() {
            return SandboxFailure::BackendCalls {
                limit: exceeded.limit,
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => SandboxFailure::OutOfFuel {
                budget: self.limits.fuel_per_call,
            },
            Some(Trap::Interrupt) => SandboxFailure::Deadline {
                milliseconds: millis(self.limits.deadline_per_call),
            },
            Some(trap) => otherwise(trap.to_string()),
            None => otherwise(error.root_cause().to_string()),
        }
    }
}

/// `future`'s output, or `None` when `deadline` passes first.
async fn within<F: Future>(deadline: Instant, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut sleep = pin!(clock::Sleep::until(deadline));
    poll_fn(|context| {
        if let Poll::Ready(output) = future.as_mut().poll(context) {
            return Poll::Ready(Some(output));
        }
        sleep.as_mut().poll(context).map(|()| None)
    })
    .await
}

impl HostState {
    /// The trap of a backend call from a pure rules call, which may make none.
    fn backend_refused(&self) -> wasmtime::Error {
        wasmtime::Error::new(BackendCallsExceeded {
            limit: self.budget.backend_call_limit,
        })
    }

    /// Counts one backend call of the guest's and returns the tick it starts at; a call
    /// beyond what the operation needs traps instead.
    fn backend_call_starts(&mut self) -> wasmtime::Result<BackendCallStart> {
        let budget = &mut self.budget;
        if budget.backend_calls >= budget.backend_call_limit {
            return Err(wasmtime::Error::new(BackendCallsExceeded {
                limit: budget.backend_call_limit,
            }));
        }
        budget.backend_calls += 1;
        Ok(BackendCallStart {
            tick: clock::ticks(),
            at: Instant::now(),
        })
    }

    /// Keeps the backend call's time off the call's deadline: the backend's own timeouts
    /// bound it.
    fn backend_call_ended(&mut self, started: BackendCallStart) {
        let took = clock::ticks().saturating_sub(started.tick);
        self.budget.deadline = self.budget.deadline.saturating_add(took);
        self.budget.backend_time += started.at.elapsed();
    }
}

/// When a backend call started, on the deadline's coarse clock and on the precise one.
#[derive(Debug, Clone, Copy)]
struct BackendCallStart {
    tick: u64,
    at: Instant,
}

impl wit::Host for HostState {}

/// The backend as the pure rules' instances see it: every call is one more than the rules
/// need (none), so it traps like any call beyond an operation's limit.
impl crate::pure_bindings::galaxy::gamemaster::backend::Host for HostState {
    fn fetch(
        &mut self,
        _game_id: String,
    ) -> wasmtime::Result<Result<pure_backend::Lookup, wit::BackendError>> {
        Err(self.backend_refused())
    }

    fn insert(
        &mut self,
        _record: wit::RuntimeRecord,
    ) -> wasmtime::Result<Result<pure_backend::InsertOutcome, wit::BackendError>> {
        Err(self.backend_refused())
    }

    fn patch(
        &mut self,
        _game_id: String,
        _expected_status: Option<wit::Status>,
        _changes: pure_backend::RecordPatch,
    ) -> wasmtime::Result<Result<pure_backend::PatchOutcome, wit::BackendError>> {
        Err(self.backend_refused())
    }

    fn remove(&mut self, _game_id: String) -> wasmtime::Result<Result<(), wit::BackendError>> {
        Err(self.backend_refused())
    }

    fn scan(
        &mut self,
        _filter: pure_backend::ScanFilter,
        _after: Option<pure_backend::ScanKey>,
        _limit: u32,
    ) -> wasmtime::Result<Result<Vec<wit::RuntimeRecord>, wit::BackendError>> {
        Err(self.backend_refused())
    }
}

impl wit_backend::Host for HostState {
    async fn fetch(
        &mut self,
        game_id: String,
    ) -> wasmtime::Result<Result<wit_backend::Lookup, wit::BackendError>> {
        let started = self.backend_call_starts()?;
        let found = self.backend.fetch(&game_id).await;
        self.backend_call_ended(started);
        Ok(found
            .map(|found| wit_backend::Lookup {
                found: found.map(Into::into),
            })
            .map_err(Into::into))
    }

    async fn insert(
        &mut self,
        record: wit::RuntimeRecord,
    ) -> wasmtime::Result<Result<wit_backend::InsertOutcome, wit::BackendError>> {
        let started = self.backend_call_starts()?;
        let outcome = self.backend.insert(record.into()).await;
        self.backend_call_ended(started);
        Ok(outcome.map(Into::into).map_err(Into::into))
    }

    async fn patch(
        &mut self,
        game_id: String,
        expected_status: Option<wit::Status>,
        changes: wit_backend::RecordPatch,
    ) -> wasmtime::Result<Result<wit_backend::PatchOutcome, wit::BackendError>> {
        let started = self.backend_call_starts()?;
        let outcome = self
            .backend
            .patch(&game_id, expected_status.map(Into::into), changes.into())
            .await;
        self.backend_call_ended(started);
        Ok(outcome.map(Into::into).map_err(Into::into))
    }

    async fn remove(&mut self, game_id: String) -> wasmtime::Result<Result<(), wit::BackendError>> {
        let started = self.backend_call_starts()?;
        let outcome = self.backend.remove(&game_id).await;
        self.backend_call_ended(started);
        Ok(outcome.map_err(Into::into))
    }

    async fn scan(
        &mut self,
        filter: wit_backend::ScanFilter,
        after: Option<wit_backend::ScanKey>,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<wit::RuntimeRecord>, wit::BackendError>> {
        let started = self.backend_call_starts()?;
        let after = after.map(Into::into);
        let records = self
            .backend
            .scan(filter.into(), after.as_ref(), limit)
            .await;
        self.backend_call_ended(started);
        Ok(records
            .map(|records| records.into_iter().map(Into::into).collect())
            .map_err(Into::into))
    }
}
