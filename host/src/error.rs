//! The errors of the host: one type for every store and rules call, one for building.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use runtime_store_backend::{BackendError, DuplicateScheme, OpenError};

use crate::identity::RulesIdentity;
pub use runtime_store_vocabulary::Operation;
use runtime_store_vocabulary::{
    StoreErrorCase, fill, sandbox, sandbox_message, store_error_message,
};

/// Why the sandbox stopped a call. The instance that ran it is discarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxFailure {
    /// The call used up its CPU budget ([`crate::RuntimeStoreBuilder::fuel_per_call`]).
    OutOfFuel {
        /// The fuel the call was given.
        budget: u64,
    },
    /// The guest asked for more linear memory than
    /// [`crate::RuntimeStoreBuilder::memory_limit`] allows.
    MemoryLimit {
        /// The limit in bytes.
        limit: usize,
        /// The memory size the guest asked for, in bytes.
        requested: usize,
    },
    /// The call's time outside the backend ran past
    /// [`crate::RuntimeStoreBuilder::deadline_per_call`]: the running guest was interrupted.
    Deadline {
        /// The configured deadline, in milliseconds.
        milliseconds: u64,
    },
    /// The guest called the backend more often than its operation needs (contract §7.1:
    /// once for each store operation, never for the rules); the extra call was refused.
    BackendCalls {
        /// The backend calls the operation needs.
        limit: u32,
    },
    /// The guest trapped for another reason (a panic in the guest, a bad memory access, a
    /// stack overflow).
    Trap(String),
    /// No instance could be created for the call.
    Instantiation(String),
    /// Not a failure of the guest: every instance the store allows
    /// ([`crate::RuntimeStoreBuilder::max_instances`]) stayed busy for
    /// [`crate::RuntimeStoreBuilder::max_instance_wait`], so the call did not start and no
    /// instance was discarded. The store is overloaded, not broken; retrying later may
    /// succeed.
    Busy {
        /// How long the call waited.
        waited: Duration,
        /// The instances that were all busy.
        max_instances: usize,
    },
}

impl fmt::Display for SandboxFailure {
    /// The vocabulary's sandbox texts, as every host words them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SandboxFailure::OutOfFuel { budget } => {
                fill(sandbox::OUT_OF_FUEL, &[("budget", &budget.to_string())])
            }
            SandboxFailure::MemoryLimit { limit, requested } => fill(
                sandbox::MEMORY_LIMIT,
                &[
                    ("limit", &limit.to_string()),
                    ("requested", &requested.to_string()),
                ],
            ),
            SandboxFailure::Deadline { milliseconds } => fill(
                sandbox::DEADLINE,
                &[("milliseconds", &milliseconds.to_string())],
            ),
            SandboxFailure::BackendCalls { limit } => {
                fill(sandbox::BACKEND_CALLS, &[("limit", &limit.to_string())])
            }
            SandboxFailure::Trap(reason) => fill(sandbox::TRAPPED, &[("reason", reason)]),
            SandboxFailure::Instantiation(reason) => {
                fill(sandbox::INSTANTIATION, &[("reason", reason)])
            }
            SandboxFailure::Busy {
                waited,
                max_instances,
            } => fill(
                sandbox::BUSY,
                &[
                    ("milliseconds", &waited.as_millis().to_string()),
                    ("instances", &max_instances.to_string()),
                ],
            ),
        };
        f.write_str(&text)
    }
}

/// Why a store or rules call failed.
///
/// Reads the same in every host (the store's vocabulary): `<operation words>[ "<game id>"]:
/// <detail>` (`update runtime status "game-1": the stored status differs from the expected
/// one`); invalid input and invalid transitions read as the rules' exact message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// No record exists for the game id.
    NotFound {
        /// The failed call.
        operation: Operation,
        /// The game id it was about.
        game_id: String,
    },
    /// The record exists already (insert) or its stored status differs from the
    /// expected one (a lost compare-and-swap).
    Conflict {
        /// The failed call.
        operation: Operation,
        /// The game id it was about.
        game_id: String,
    },
    /// The status transition is not allowed; the rules' exact message.
    InvalidTransition(String),
    /// The input failed validation; the rules' exact message.
    InvalidInput(String),
    /// The storage backend failed; its error is carried unchanged.
    Backend {
        /// The failed call.
        operation: Operation,
        /// The game id it was about, if it has one.
        game_id: Option<String>,
        /// The backend's error, unchanged.
        source: BackendError,
    },
    /// The sandbox stopped the call (fuel, deadline, backend calls, memory limit, trap):
    /// the instance was discarded and the next call gets a fresh one. Or the call found
    /// no free instance in time ([`SandboxFailure::Busy`]) and did not run.
    Sandbox {
        /// The failed call.
        operation: Operation,
        /// The game id it was about, if it has one.
        game_id: Option<String>,
        /// What the sandbox detected.
        reason: SandboxFailure,
        /// The rules build that was running: the message names its first 12 hex digits.
        rules: RulesIdentity,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            StoreError::NotFound { operation, game_id } => {
                store_error_message(*operation, Some(game_id), &StoreErrorCase::NotFound)
            }
            StoreError::Conflict { operation, game_id } => {
                store_error_message(*operation, Some(game_id), &StoreErrorCase::Conflict)
            }
            StoreError::InvalidTransition(message) | StoreError::InvalidInput(message) => {
                return f.write_str(message);
            }
            StoreError::Backend {
                operation,
                game_id,
                source,
            } => store_error_message(
                *operation,
                game_id.as_deref(),
                &StoreErrorCase::Backend(source.kind(), source.reason()),
            ),
            StoreError::Sandbox {
                operation,
                game_id,
                reason,
                rules,
            } => sandbox_message(
                *operation,
                game_id.as_deref(),
                &reason.to_string(),
                rules.short(),
            ),
        };
        f.write_str(&message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Backend { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The error wasmtime gave, kept whole so its causes stay reachable through `source()`.
pub type WasmtimeError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a [`crate::RuntimeStore`] could not be built or a component not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The backend URL could not be opened.
    #[error(transparent)]
    Backend(#[from] OpenError),
    /// Two storage adapters were registered for one URL scheme.
    #[error(transparent)]
    Registry(#[from] DuplicateScheme),
    /// The component file could not be read.
    #[error("read component file {path}: {source}")]
    ReadComponent {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The wasm engine rejected the configuration (e.g. a memory limit it cannot pool).
    #[error("configure the wasm engine")]
    Engine(#[source] WasmtimeError),
    /// A limit given to the builder is out of its range.
    #[error("{0}")]
    Limit(String),
    /// The bytes are not a valid component.
    #[error("compile the rules component")]
    Compile(#[source] WasmtimeError),
    /// An export of the component is missing or has another type than the
    /// `runtime-store` world gives it.
    #[error("the rules component's export `{function}` of {interface} {reason}")]
    Export {
        /// The exported interface (`galaxy:gamemaster/store@0.2.0`).
        interface: &'static str,
        /// The function (`get`).
        function: &'static str,
        /// What is wrong with it.
        reason: String,
        /// wasmtime's account of the type mismatch, if that is the problem.
        #[source]
        source: Option<WasmtimeError>,
    },
    /// The component does not fit the `runtime-store` world: it imports something the
    /// host does not provide or lacks an export.
    #[error(
        "link the rules component (it may import only galaxy:gamemaster/backend@0.2.0 and must export rules and store)"
    )]
    Link(#[source] WasmtimeError),
    /// The compilation cache directory cannot be used
    /// ([`crate::RuntimeStoreBuilder::compilation_cache`]): not trusted (another user's,
    /// or writable by group or others), or not creatable (only when it was named; a
    /// default directory that cannot be created means no cache).
    #[error("compilation cache directory {}: {reason}", directory.display())]
    CompilationCache {
        /// The directory, as asked for.
        directory: PathBuf,
        /// It exists but is not trusted, rather than unusable.
        untrusted: bool,
        /// What is wrong with it.
        reason: String,
    },
}
