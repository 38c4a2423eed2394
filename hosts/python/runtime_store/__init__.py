"""The runtime record store of a Game Master, embedded from Python.

The rules (validation, the status state machine, lifecycle stamps, ordering) run in the
WebAssembly component that the Rust host embeds; this package loads it with wasmtime and
lets any Python object implementing `Backend` provide the storage.

    from runtime_store import MemoryBackend, RuntimeStore
    store = RuntimeStore(MemoryBackend())

It needs wasmtime-py exactly at `WASMTIME_VERSION`: importing it with any other release
raises `ImportError` naming the release to install.
"""

# First, so a wasmtime release other than the pinned one is refused before any use of it.
from ._wasmtime import WASMTIME_VERSION  # isort: skip

from ._codec import ComponentMismatch
from .backend import Backend
from .component import DEFAULT_WASM, WASM_ENV, RuntimeComponent, component_path
from .errors import (
    BackendFailure,
    ComponentTrap,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StoreError,
)
from .memory import MemoryBackend
from .sqlite import SqliteBackend
from .store import RuntimeStore
from .types import (
    BackendError,
    BackendErrorKind,
    InsertOutcome,
    PatchOutcome,
    PatchOutcomeKind,
    RecordPatch,
    RuntimeRecord,
    ScanFilter,
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
    "Backend",
    "BackendError",
    "BackendErrorKind",
    "BackendFailure",
    "ComponentMismatch",
    "ComponentTrap",
    "Conflict",
    "DEFAULT_WASM",
    "InsertOutcome",
    "InvalidInput",
    "InvalidTransition",
    "MemoryBackend",
    "NotFound",
    "PatchOutcome",
    "PatchOutcomeKind",
    "RecordPatch",
    "RuntimeComponent",
    "RuntimeRecord",
    "RuntimeStore",
    "ScanFilter",
    "ScanKind",
    "Scheduling",
    "SqliteBackend",
    "Status",
    "StatusChange",
    "StoreError",
    "Timestamp",
    "UpdateEngineHealthInput",
    "UpdateImageInput",
    "UpdateSchedulingInput",
    "UpdateStatusInput",
    "WASM_ENV",
    "WASMTIME_VERSION",
    "component_path",
]
