//! The Rust host of the runtime record store.
//!
//! Every rule of the store (validation, the status state machine, lifecycle stamps,
//! normalisation, ordering) lives in a WebAssembly component built from
//! `guest-validation/` and embedded in this crate. [`RuntimeStore`] runs it under
//! wasmtime: the component is compiled once per process (stores with the same settings
//! share it), instances come from a bounded pool and are reused, and an instance that
//! trapped is discarded. Storage is a [`Backend`], given as a value or opened from a URL
//! (`memory:`, `postgres://...`) through a [`Registry`].
//!
//! Every call is bounded whatever the component does, and each bound is a builder
//! setting with a documented default and range:
//!
//! | bound | setting | failure |
//! |---|---|---|
//! | CPU (wasm instructions, deterministic) | [`RuntimeStoreBuilder::fuel_per_call`] | [`SandboxFailure::OutOfFuel`] |
//! | wall-clock time outside the backend | [`RuntimeStoreBuilder::deadline_per_call`] | [`SandboxFailure::Deadline`] |
//! | backend calls: one per store operation, none for the rules (contract §7.1) | — | [`SandboxFailure::BackendCalls`] |
//! | linear memory | [`RuntimeStoreBuilder::memory_limit`] | [`SandboxFailure::MemoryLimit`] |
//! | wasm stack (512 KiB) | — | [`SandboxFailure::Trap`] (stack overflow) |
//! | instances at once, and the wait for one | [`RuntimeStoreBuilder::max_instances`], [`RuntimeStoreBuilder::max_instance_wait`] | [`SandboxFailure::Busy`] (the call did not run) |
//!
//! A store operation runs on a fiber and yields to the async executor every 10 ms, so it
//! never holds a worker thread for long and a caller's own timeout around a call fires. A
//! pure [`Rules`] call imports nothing and runs synchronously on the calling thread (no
//! fiber: it costs about a function call), bounded by fuel and the deadline but without
//! yielding. A component whose
//! exports do not have the world's types is refused at build ([`BuildError::Export`],
//! naming the function).
//!
//! Address space is reserved per instance, sized from the limits: the memory limit, a
//! 2 MiB guard and a 2 MiB stack (about 20 MiB with the defaults), and only for instances
//! that exist — at most [`RuntimeStoreBuilder::max_instances`] of them per store.
//!
//! ```
//! use runtime_store_host::{RuntimeRecord, RuntimeStore, Status, StoreError, Timestamp, UpdateStatusInput};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = RuntimeStore::builder().backend_url("memory:").build().await?;
//! let at = |seconds| Timestamp { seconds, nanoseconds: 0 };
//! store
//!     .insert(&RuntimeRecord {
//!         game_id: "game-1".into(),
//!         status: Status::Starting,
//!         engine_endpoint: "http://engine-1:8080".into(),
//!         current_image_ref: "registry.local/engine:1.4.0".into(),
//!         current_engine_version: "1.4.0".into(),
//!         engine_health: String::new(),
//!         current_turn: 0,
//!         next_generation_at: None,
//!         skip_next_tick: false,
//!         created_at: at(1_700_000_000),
//!         updated_at: at(1_700_000_000),
//!         started_at: None,
//!         stopped_at: None,
//!         finished_at: None,
//!     })
//!     .await?;
//! store
//!     .update_status(&UpdateStatusInput {
//!         game_id: "game-1".into(),
//!         expected_from: Status::Starting,
//!         to: Status::Running,
//!         now: at(1_700_000_060),
//!         engine_health_summary: Some("healthy".into()),
//!         current_image_ref: None,
//!         current_engine_version: None,
//!     })
//!     .await?;
//! let record = store.get("game-1").await?;
//! assert_eq!(record.status, Status::Running);
//! assert_eq!(record.started_at, Some(at(1_700_000_060)));
//! assert_eq!(record.engine_health, "healthy");
//!
//! // The rules decide; the store reports their exact message.
//! let back_to_starting = store.rules().transition(Status::Running, Status::Starting).await;
//! assert_eq!(
//!     back_to_starting,
//!     Err(StoreError::InvalidTransition(
//!         r#"runtime status transition from "running" to "starting" is not allowed"#.into()
//!     ))
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![deny(missing_docs)]

mod cache;
mod convert;
mod error;
mod identity;
mod inputs;
mod inspect;
pub mod observe;
mod sandbox;
mod store;
mod swap;

mod bindings {
    wasmtime::component::bindgen!({
        world: "runtime-store",
        path: "wit",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

/// The same world called synchronously, for the pure `rules` functions: they import
/// nothing, so their calls need no fiber. The shared types are those of [`bindings`].
mod pure_bindings {
    wasmtime::component::bindgen!({
        world: "runtime-store",
        path: "wit",
        imports: { default: trappable },
        with: {
            "galaxy:gamemaster/types": crate::bindings::galaxy::gamemaster::types,
        },
    });
}

pub use cache::{CACHE_DIR_ENV, CompilationCache, CompilationCacheStats, compilation_cache_stats};
pub use error::{BuildError, Operation, SandboxFailure, StoreError};
pub use identity::RulesIdentity;
pub use inputs::{
    UpdateEngineHealthInput, UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
pub use inspect::{ComponentInfo, inspect_component};
pub use runtime_store_backend::{
    Backend, BackendError, BackendFactory, OpenError, Registry, RuntimeRecord, Status, Timestamp,
};
pub use store::{
    DEADLINE_PER_CALL_RANGE, DEFAULT_DEADLINE_PER_CALL, DEFAULT_FUEL_PER_CALL,
    DEFAULT_MAX_IDLE_INSTANCES, DEFAULT_MAX_INSTANCE_WAIT, DEFAULT_MAX_INSTANCES,
    DEFAULT_MEMORY_LIMIT, FUEL_PER_CALL_RANGE, LARGEST_PAGE_LIMIT, MAX_IDLE_INSTANCES_RANGE,
    MAX_INSTANCE_WAIT_RANGE, MAX_INSTANCES_RANGE, MEMORY_LIMIT_RANGE, RecordPage, Rules,
    RuntimeStore, RuntimeStoreBuilder, default_registry,
};
pub use swap::{RulesGate, SwapError, SwapStep};

/// The rules component, built from `guest-validation/` and committed with this crate
/// (`component/runtime-store.wasm`): byte for byte the file the Python wheel and the npm
/// package carry.
pub fn embedded_component() -> &'static [u8] {
    include_bytes!("../component/runtime-store.wasm")
}
