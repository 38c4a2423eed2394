//! What the stores of one process share: one [`Engine`] per engine configuration, and one
//! compiled and linked component per engine and component (by SHA-256). A thousand stores
//! with the same settings compile the component once and map nothing up front: each
//! instance reserves only its own memory, guard and stack (see [`EngineSettings`]).
//!
//! Entries live as long as a store uses them (the caches hold weak references). Across
//! processes, an engine with a compilation cache ([`crate::CompilationCache`]) loads what
//! an earlier process compiled instead of compiling.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, EngineWeak, InstanceAllocationStrategy};

use super::{HostState, clock, exports};
use crate::bindings::{RuntimeStore as Guest, RuntimeStorePre};
use crate::cache::CacheId;
use crate::error::BuildError;

/// Wasm page size: linear memories grow by whole pages.
const WASM_PAGE: u64 = 64 << 10;
/// The unmapped region after each linear memory. The reservation is sized to the memory
/// limit, so generated code checks bounds explicitly; the guard lets one check cover
/// accesses with static offsets below it.
const MEMORY_GUARD: u64 = 2 << 20;
/// The deepest the guest's wasm stack may grow before it traps (stack overflow).
pub(super) const MAX_WASM_STACK: usize = 512 << 10;
/// The stack each instance runs on (wasm frames plus the host's backend futures): one per
/// instance, kept with it, with a guard page below.
const ASYNC_STACK: usize = 2 << 20;

/// The settings that shape an engine (and the code it compiles). Everything else a store
/// configures (fuel, deadline, pool sizes) is per store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EngineSettings {
    /// Address space reserved for each linear memory: the memory limit rounded up to whole
    /// pages. Memories never move and never grow beyond it.
    memory_reservation: u64,
    /// The persistent compilation cache, if any: an engine with one loads code an earlier
    /// process compiled (and stores what it compiles), so it is another engine.
    cache: Option<CacheId>,
}

impl EngineSettings {
    pub(crate) fn for_memory_limit(memory_limit: usize) -> Self {
        let limit = u64::try_from(memory_limit).unwrap_or(u64::MAX);
        EngineSettings {
            memory_reservation: limit.div_ceil(WASM_PAGE).saturating_mul(WASM_PAGE),
            cache: None,
        }
    }

    /// These settings with the compilation cache `cache`.
    pub(crate) fn with_cache(self, cache: Option<CacheId>) -> Self {
        EngineSettings { cache, ..self }
    }

    /// The address space one instance reserves: its linear memory, the guard after it and
    /// its stack (with one guard page).
    pub(crate) fn reserved_per_instance(self) -> u64 {
        self.memory_reservation + MEMORY_GUARD + ASYNC_STACK as u64 + 4096
    }

    fn config(self) -> Config {
        let mut config = Config::new();
        config
            // The deterministic CPU bound.
            .consume_fuel(true)
            // The wall-clock deadline and the yield points (the ticker advances the epoch).
            .epoch_interruption(true)
            // The guest is stripped, and the trap kind is what callers need.
            .wasm_backtrace_max_frames(None)
            // Instances are allocated on demand and kept in each store's pool; nothing is
            // reserved for instances that do not exist.
            .allocation_strategy(InstanceAllocationStrategy::OnDemand)
            .memory_reservation(self.memory_reservation)
            .memory_reservation_for_growth(0)
            .memory_may_move(false)
            .memory_guard_size(MEMORY_GUARD)
            .guard_before_linear_memory(false)
            .max_wasm_stack(MAX_WASM_STACK)
            .async_stack_size(ASYNC_STACK)
            .cache(self.cache.map(CacheId::cache));
        config
    }
}

/// A component compiled for an engine and linked against the host's `backend`.
pub(crate) struct Compiled {
    pub(crate) engine: Engine,
    pub(crate) pre: RuntimeStorePre<HostState>,
    /// The same component linked for synchronous calls of the pure rules.
    pub(crate) pure_pre: crate::pure_bindings::RuntimeStorePre<HostState>,
    /// The linear memory the component needs to start, in bytes, when it says.
    pub(crate) initial_memory: Option<u64>,
}

type ComponentKey = (EngineSettings, [u8; 32]);

static ENGINES: Mutex<BTreeMap<EngineSettings, EngineWeak>> = Mutex::new(BTreeMap::new());
static COMPILED: Mutex<BTreeMap<ComponentKey, Weak<Compiled>>> = Mutex::new(BTreeMap::new());

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A cache holds only complete entries; a panic elsewhere leaves it usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The engine for `settings`, shared with every store of this process that has them.
fn engine(settings: EngineSettings) -> Result<Engine, BuildError> {
    let mut engines = locked(&ENGINES);
    if let Some(engine) = engines.get(&settings).and_then(EngineWeak::upgrade) {
        return Ok(engine);
    }
    engines.retain(|_, weak| weak.upgrade().is_some());
    let engine =
        Engine::new(&settings.config()).map_err(|error| BuildError::Engine(error.into()))?;
    clock::tick(&engine);
    engines.insert(settings, engine.weak());
    Ok(engine)
}

/// `component_bytes` compiled and linked for `settings`: from the cache when a live store
/// has it, otherwise compiled now (holding the cache, so concurrent builds compile once).
pub(crate) fn compiled(
    component_bytes: &[u8],
    settings: EngineSettings,
) -> Result<Arc<Compiled>, BuildError> {
    let key = (settings, Sha256::digest(component_bytes).into());
    let mut cache = locked(&COMPILED);
    if let Some(compiled) = cache.get(&key).and_then(Weak::upgrade) {
        return Ok(compiled);
    }
    cache.retain(|_, weak| weak.strong_count() > 0);
    let compiled = Arc::new(compile(component_bytes, settings)?);
    cache.insert(key, Arc::downgrade(&compiled));
    Ok(compiled)
}

fn compile(component_bytes: &[u8], settings: EngineSettings) -> Result<Compiled, BuildError> {
    let engine = engine(settings)?;
    let component = Component::new(&engine, component_bytes)
        .map_err(|error| BuildError::Compile(error.into()))?;
    let initial_memory = component
        .resources_required()
        .and_then(|required| required.max_initial_memory_size)
        .map(|pages| pages.saturating_mul(WASM_PAGE));
    let mut linker = Linker::<HostState>::new(&engine);
    Guest::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
        .map_err(|error| BuildError::Link(error.into()))?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|error| BuildError::Link(error.into()))?;
    exports::check(&pre)?;
    let pre = RuntimeStorePre::new(pre).map_err(|error| BuildError::Link(error.into()))?;
    let mut pure_linker = Linker::<HostState>::new(&engine);
    crate::pure_bindings::RuntimeStore::add_to_linker::<HostState, HasSelf<HostState>>(
        &mut pure_linker,
        |state| state,
    )
    .map_err(|error| BuildError::Link(error.into()))?;
    let pure_pre = pure_linker
        .instantiate_pre(&component)
        .map_err(|error| BuildError::Link(error.into()))
        .and_then(|pre| {
            crate::pure_bindings::RuntimeStorePre::new(pre)
                .map_err(|error| BuildError::Link(error.into()))
        })?;
    Ok(Compiled {
        engine,
        pre,
        pure_pre,
        initial_memory,
    })
}
