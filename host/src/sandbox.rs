//! The wasmtime side: one engine and one pre-linked component, a bounded pool of
//! instances (each in its own `Store`), per-call fuel and memory limits, and the host
//! implementation of the imported `backend` interface.

use std::sync::{Arc, Mutex, MutexGuard};

use runtime_store_backend::Backend;
use tokio::sync::{Semaphore, SemaphorePermit};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    StoreLimits, StoreLimitsBuilder, Trap,
};

use crate::bindings::galaxy::gamemaster::{backend as wit_backend, types as wit};
use crate::bindings::{RuntimeStore as Guest, RuntimeStorePre};
use crate::error::{BuildError, Operation, SandboxFailure, StoreError};

/// The limits a [`Sandbox`] enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) fuel_per_call: u64,
    pub(crate) memory_limit: usize,
    pub(crate) max_instances: usize,
    pub(crate) max_idle_instances: usize,
}

/// The compiled component, ready to instantiate, and the instances not in use.
pub(crate) struct Sandbox {
    pre: RuntimeStorePre<HostState>,
    engine: Engine,
    backend: Arc<dyn Backend>,
    limits: Limits,
    /// One permit per instance that may exist at once (the pooling allocator has exactly
    /// that many slots); a call waits here rather than failing when all are busy.
    permits: Semaphore,
    idle: Mutex<Vec<Instance>>,
}

/// An instantiated component in its own store.
struct Instance {
    store: Store<HostState>,
    guest: Guest,
}

/// What each store holds: the backend the guest's imports reach and the memory limiter.
pub(crate) struct HostState {
    backend: Arc<dyn Backend>,
    limiter: MemoryLimiter,
}

/// [`StoreLimits`] that turns a refused memory growth into a trap carrying
/// [`MemoryLimitExceeded`], so the failure is reported as such and not as whatever the
/// guest's allocator does when memory runs out.
struct MemoryLimiter {
    limit: usize,
    limits: StoreLimits,
}

#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes exceeded (asked for {requested})")]
struct MemoryLimitExceeded {
    limit: usize,
    requested: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if self.limits.memory_growing(current, desired, maximum)? {
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

    fn sandbox_error(self, reason: SandboxFailure) -> StoreError {
        StoreError::Sandbox {
            operation: self.operation,
            game_id: self.game_id.map(str::to_owned),
            reason,
        }
    }
}

/// An instance checked out of the pool for one call. Dropping it without
/// [`Lease::finish`] (a cancelled call) discards the instance, whose state is unknown.
pub(crate) struct Lease<'a> {
    sandbox: &'a Sandbox,
    call: Call<'a>,
    instance: Instance,
    _permit: SemaphorePermit<'a>,
}

impl Lease<'_> {
    /// Returns the instance to the pool when the call completed, or discards it and
    /// reports the sandbox failure when it did not.
    fn finish<T>(self, outcome: wasmtime::Result<T>) -> Result<T, StoreError> {
        match outcome {
            Ok(value) => {
                let mut idle = self.sandbox.idle();
                if idle.len() < self.sandbox.limits.max_idle_instances {
                    idle.push(self.instance);
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
                Err(self.call.sandbox_error(failure))
            }
        }
    }
}

impl Sandbox {
    /// Compiles `component_bytes` once and links it against the host's `backend`.
    pub(crate) fn new(
        component_bytes: &[u8],
        backend: Arc<dyn Backend>,
        limits: Limits,
    ) -> Result<Self, BuildError> {
        let engine = engine(limits)?;
        let component = Component::new(&engine, component_bytes)
            .map_err(|error| BuildError::Compile(error.into()))?;
        let mut linker = Linker::<HostState>::new(&engine);
        Guest::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(|error| BuildError::Link(error.into()))?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(RuntimeStorePre::new)
            .map_err(|error| BuildError::Link(error.into()))?;
        Ok(Sandbox {
            pre,
            engine,
            backend,
            limits,
            permits: Semaphore::new(limits.max_instances),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Runs `export` (one call of a guest export) for `call` in a leased instance and
    /// gives back its answer; a sandbox failure is the call's [`StoreError::Sandbox`].
    pub(crate) async fn call<T>(
        &self,
        call: Call<'_>,
        export: impl AsyncFnOnce(&Guest, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, StoreError> {
        let mut lease = self.lease(call).await?;
        let Instance { store, guest } = &mut lease.instance;
        let outcome = export(guest, store).await;
        lease.finish(outcome)
    }

    /// [`Sandbox::call`] of an export that can fail: an error the guest returns becomes
    /// the call's [`StoreError`].
    pub(crate) async fn checked_call<T>(
        &self,
        call: Call<'_>,
        export: impl AsyncFnOnce(
            &Guest,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, wit::StoreError>>,
    ) -> Result<T, StoreError> {
        self.call(call, export)
            .await?
            .map_err(|error| call.store_error(error))
    }

    /// An instance for one call, idle or new, with a full fuel tank. Waits while every
    /// instance the pool allows is busy.
    async fn lease<'a>(&'a self, call: Call<'a>) -> Result<Lease<'a>, StoreError> {
        let permit = self.permits.acquire().await.map_err(|_| {
            call.sandbox_error(SandboxFailure::Instantiation(
                "the instance pool was closed".into(),
            ))
        })?;
        let pooled = self.idle().pop();
        let mut instance = match pooled {
            Some(instance) => instance,
            None => self.instantiate().await.map_err(|error| {
                call.sandbox_error(self.classify(&error, SandboxFailure::Instantiation))
            })?,
        };
        instance
            .store
            .set_fuel(self.limits.fuel_per_call)
            .map_err(|error| {
                call.sandbox_error(SandboxFailure::Instantiation(format!("{error:#}")))
            })?;
        Ok(Lease {
            sandbox: self,
            call,
            instance,
            _permit: permit,
        })
    }

    async fn instantiate(&self) -> wasmtime::Result<Instance> {
        let state = HostState {
            backend: Arc::clone(&self.backend),
            limiter: MemoryLimiter {
                limit: self.limits.memory_limit,
                limits: StoreLimitsBuilder::new()
                    .memory_size(self.limits.memory_limit)
                    .build(),
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_fuel(self.limits.fuel_per_call)?;
        let guest = self.pre.instantiate_async(&mut store).await?;
        Ok(Instance { store, guest })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Instance>> {
        // A panic while the lock was held leaves at worst a shorter list of valid
        // instances, so the pool stays usable.
        self.idle
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
        match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => SandboxFailure::OutOfFuel {
                budget: self.limits.fuel_per_call,
            },
            Some(trap) => otherwise(trap.to_string()),
            None => otherwise(error.root_cause().to_string()),
        }
    }
}

/// One engine per store: fuel metering, no wasm backtraces (the guest is stripped, and
/// the trap kind is what callers need), and a pooling allocator sized to the limits.
fn engine(limits: Limits) -> Result<Engine, BuildError> {
    let slots = u32::try_from(limits.max_instances)
        .map_err(|_| BuildError::Limit("max_instances does not fit in u32".into()))?;
    let mut pooling = PoolingAllocationConfig::new();
    pooling
        .total_component_instances(slots)
        // A wit-component adapter adds shim and fixup core modules next to the guest.
        .total_core_instances(slots.saturating_mul(8))
        .total_memories(slots)
        .total_tables(slots.saturating_mul(2))
        .total_stacks(slots)
        .max_memory_size(limits.memory_limit);
    let mut config = Config::new();
    config
        .consume_fuel(true)
        .wasm_backtrace_max_frames(None)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config).map_err(|error| BuildError::Engine(error.into()))
}

impl wit::Host for HostState {}

impl wit_backend::Host for HostState {
    async fn fetch(&mut self, game_id: String) -> Result<wit_backend::Lookup, wit::BackendError> {
        let found = self.backend.fetch(&game_id).await?;
        Ok(wit_backend::Lookup {
            found: found.map(Into::into),
        })
    }

    async fn insert(
        &mut self,
        record: wit::RuntimeRecord,
    ) -> Result<wit_backend::InsertOutcome, wit::BackendError> {
        Ok(self.backend.insert(record.into()).await?.into())
    }

    async fn patch(
        &mut self,
        game_id: String,
        expected_status: Option<wit::Status>,
        changes: wit_backend::RecordPatch,
    ) -> Result<wit_backend::PatchOutcome, wit::BackendError> {
        let outcome = self
            .backend
            .patch(&game_id, expected_status.map(Into::into), changes.into())
            .await?;
        Ok(outcome.into())
    }

    async fn remove(&mut self, game_id: String) -> Result<(), wit::BackendError> {
        Ok(self.backend.remove(&game_id).await?)
    }

    async fn scan(
        &mut self,
        filter: wit_backend::ScanFilter,
    ) -> Result<Vec<wit::RuntimeRecord>, wit::BackendError> {
        let records = self.backend.scan(filter.into()).await?;
        Ok(records.into_iter().map(Into::into).collect())
    }
}
