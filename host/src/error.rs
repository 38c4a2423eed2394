//! The errors of the host: one type for every store and rules call, one for building.

use std::fmt;
use std::path::PathBuf;

use runtime_store_backend::{BackendError, OpenError};

/// Which call failed. `Display` gives the prefix the SPEC uses for messages of the
/// operation (`update runtime status`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `store.get`.
    Get,
    /// `store.insert`.
    Insert,
    /// `store.update-status`.
    UpdateStatus,
    /// `store.update-scheduling`.
    UpdateScheduling,
    /// `store.update-image`.
    UpdateImage,
    /// `store.update-engine-health`.
    UpdateEngineHealth,
    /// `store.delete`.
    Delete,
    /// `store.list-due-running`.
    ListDueRunning,
    /// `store.list-by-status`.
    ListByStatus,
    /// `store.list`.
    List,
    /// `rules.transition`.
    Transition,
    /// `rules.allowed-transitions`.
    AllowedTransitions,
    /// `rules.validate-record`.
    ValidateRecord,
    /// `rules.validate-update-status`.
    ValidateUpdateStatus,
    /// `rules.validate-update-scheduling`.
    ValidateUpdateScheduling,
    /// `rules.validate-update-image`.
    ValidateUpdateImage,
    /// `rules.validate-update-engine-health`.
    ValidateUpdateEngineHealth,
}

impl Operation {
    /// The words that start every message about this operation.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Get => "get runtime record",
            Operation::Insert => "insert runtime record",
            Operation::UpdateStatus => "update runtime status",
            Operation::UpdateScheduling => "update runtime scheduling",
            Operation::UpdateImage => "update runtime image",
            Operation::UpdateEngineHealth => "update runtime engine health",
            Operation::Delete => "delete runtime record",
            Operation::ListDueRunning => "list due runtimes",
            Operation::ListByStatus => "list runtimes by status",
            Operation::List => "list runtimes",
            Operation::Transition => "check runtime status transition",
            Operation::AllowedTransitions => "list allowed runtime status transitions",
            Operation::ValidateRecord => "validate runtime record",
            Operation::ValidateUpdateStatus => "validate runtime status update",
            Operation::ValidateUpdateScheduling => "validate runtime scheduling update",
            Operation::ValidateUpdateImage => "validate runtime image update",
            Operation::ValidateUpdateEngineHealth => "validate runtime engine health update",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// The guest trapped for another reason (a panic in the guest, a bad memory access).
    Trap(String),
    /// No instance could be created for the call.
    Instantiation(String),
}

impl fmt::Display for SandboxFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SandboxFailure::OutOfFuel { budget } => {
                write!(f, "the guest ran out of fuel (budget {budget} per call)")
            }
            SandboxFailure::MemoryLimit { limit, requested } => write!(
                f,
                "the guest exceeded its memory limit of {limit} bytes (asked for {requested})"
            ),
            SandboxFailure::Trap(reason) => write!(f, "the guest trapped: {reason}"),
            SandboxFailure::Instantiation(reason) => {
                write!(f, "the rules component could not be instantiated: {reason}")
            }
        }
    }
}

/// Why a store or rules call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No record exists for the game id.
    #[error("{operation} {game_id:?}: runtime record not found")]
    NotFound {
        /// The failed call.
        operation: Operation,
        /// The game id it was about.
        game_id: String,
    },
    /// The record exists already (insert) or its stored status differs from the
    /// expected one (a lost compare-and-swap).
    #[error("{operation} {game_id:?}: {}", conflict_reason(*.operation))]
    Conflict {
        /// The failed call.
        operation: Operation,
        /// The game id it was about.
        game_id: String,
    },
    /// The status transition is not allowed; the rules' exact message.
    #[error("{0}")]
    InvalidTransition(String),
    /// The input failed validation; the rules' exact message.
    #[error("{0}")]
    InvalidInput(String),
    /// The storage backend failed; its error is carried unchanged.
    #[error("{operation}{}: {source}", quoted_game_id(game_id.as_deref()))]
    Backend {
        /// The failed call.
        operation: Operation,
        /// The game id it was about, if it has one.
        game_id: Option<String>,
        /// The backend's error, unchanged.
        #[source]
        source: BackendError,
    },
    /// The sandbox stopped the call (fuel, memory limit, trap); the instance was discarded
    /// and the next call gets a fresh one.
    #[error("{operation}{}: {reason}", quoted_game_id(game_id.as_deref()))]
    Sandbox {
        /// The failed call.
        operation: Operation,
        /// The game id it was about, if it has one.
        game_id: Option<String>,
        /// What the sandbox detected.
        reason: SandboxFailure,
    },
}

fn conflict_reason(operation: Operation) -> &'static str {
    match operation {
        Operation::Insert => "a runtime record with this game id exists already",
        _ => "the stored status differs from the expected one",
    }
}

fn quoted_game_id(game_id: Option<&str>) -> String {
    game_id.map(|id| format!(" {id:?}")).unwrap_or_default()
}

/// Why a [`crate::RuntimeStore`] could not be built or a component not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The backend URL could not be opened.
    #[error(transparent)]
    Backend(#[from] OpenError),
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
    #[error("configure the wasm engine: {0}")]
    Engine(String),
    /// The bytes are not a valid component.
    #[error("compile the rules component: {0}")]
    Compile(String),
    /// The component does not fit the `runtime-store` world: it imports something the
    /// host does not provide or lacks an export.
    #[error(
        "link the rules component (it may import only galaxy:gamemaster/backend@0.1.0 and must export rules and store): {0}"
    )]
    Link(String),
}
