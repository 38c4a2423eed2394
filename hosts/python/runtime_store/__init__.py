"""The runtime record store of a Game Master, embedded from Python.

The rules (validation, the status state machine, lifecycle stamps, ordering) run in the
WebAssembly component the Rust host embeds, shipped inside this package; wasmtime-py runs
it in a sandbox (fuel and a wall-clock deadline per call, one backend call per store
operation, memory per instance), and any Python object implementing
`Backend` provides the storage.

    from runtime_store import MemoryBackend, RuntimeStore
    store = RuntimeStore(MemoryBackend())

Supported wasmtime-py releases: `SUPPORTED_WASMTIME`. Where wasmtime-py's private C
bindings match what this package verified at import (`FAST_PATH_AVAILABLE`), stores call
wasmtime through them; otherwise through wasmtime-py's public API, with one warning.
"""

# First: imports wasmtime-py and verifies its private bindings once.
from ._wasmtime import (  # isort: skip
    BINDING_ENV,
    FAST_PATH_AVAILABLE,
    SUPPORTED_WASMTIME,
    WASMTIME_VERSION,
)

from ._codec import ComponentMismatch
from .backend import Backend
from .component import WASM_ENV, RuntimeComponent
from .errors import (
    BackendFailure,
    ComponentTrap,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    SandboxError,
    SandboxFailure,
    StoreError,
    SwapError,
    SwapStep,
)
from .identity import RulesIdentity
from .memory import MemoryBackend
from .sqlite import SqliteBackend
from .store import (
    BACKEND_CALLS_PER_OPERATION,
    DEADLINE_PER_CALL_RANGE,
    DEFAULT_DEADLINE_PER_CALL,
    DEFAULT_FUEL_PER_CALL,
    DEFAULT_MEMORY_LIMIT,
    LARGEST_PAGE_LIMIT,
    RuntimeStore,
)
from .types import (
    BackendError,
    BackendErrorKind,
    InsertOutcome,
    ListPosition,
    PatchOutcome,
    PatchOutcomeKind,
    RecordPatch,
    RuntimePage,
    RuntimeRecord,
    ScanFilter,
    ScanKey,
    ScanKind,
    Scheduling,
    Status,
    StatusChange,
    Timestamp,
    UpdateEngineHealthInput,
    UpdateImageInput,
    UpdateSchedulingInput,
    UpdateStatusInput,
)

__all__ = [
    "BACKEND_CALLS_PER_OPERATION",
    "BINDING_ENV",
    "DEADLINE_PER_CALL_RANGE",
    "DEFAULT_DEADLINE_PER_CALL",
    "DEFAULT_FUEL_PER_CALL",
    "DEFAULT_MEMORY_LIMIT",
    "FAST_PATH_AVAILABLE",
    "LARGEST_PAGE_LIMIT",
    "SUPPORTED_WASMTIME",
    "WASMTIME_VERSION",
    "WASM_ENV",
    "Backend",
    "BackendError",
    "BackendErrorKind",
    "BackendFailure",
    "ComponentMismatch",
    "ComponentTrap",
    "Conflict",
    "InsertOutcome",
    "InvalidInput",
    "InvalidTransition",
    "ListPosition",
    "MemoryBackend",
    "NotFound",
    "PatchOutcome",
    "PatchOutcomeKind",
    "RecordPatch",
    "RulesIdentity",
    "RuntimeComponent",
    "RuntimePage",
    "RuntimeRecord",
    "RuntimeStore",
    "SandboxError",
    "SandboxFailure",
    "ScanFilter",
    "ScanKey",
    "ScanKind",
    "Scheduling",
    "SqliteBackend",
    "Status",
    "StatusChange",
    "StoreError",
    "SwapError",
    "SwapStep",
    "Timestamp",
    "UpdateEngineHealthInput",
    "UpdateImageInput",
    "UpdateSchedulingInput",
    "UpdateStatusInput",
]
