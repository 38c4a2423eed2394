"""`RuntimeStore`: the rules component bound to a storage adapter."""

from __future__ import annotations

import ctypes
import itertools
import threading
from ctypes import byref
from typing import Any, Callable, List, Optional

from wasmtime import Store, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import Linker

from ._codec import CVal
from ._wit import (
    BACKEND_FUNCTIONS,
    BACKEND_INTERFACE,
    RULES_FUNCTIONS,
    RULES_INTERFACE,
    STORE_FUNCTIONS,
    STORE_INTERFACE,
    Lookup,
    Signature,
)
from .backend import Backend
from .component import RuntimeComponent
from .errors import (
    BackendFailure,
    ComponentTrap,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StoreError,
)
from .types import (
    BackendError,
    RuntimeRecord,
    Status,
    Timestamp,
    UpdateEngineHealthInput,
    UpdateImageInput,
    UpdateSchedulingInput,
    UpdateStatusInput,
)


class RuntimeStore:
    """The runtime record store: every rule runs in the component, storage is `backend`.

    One instance owns one wasmtime store and component instance; calls are serialised by a
    lock, so an instance may be shared between threads. Store operations raise a
    `StoreError` subclass per WIT `store-error` case; a trap raises `ComponentTrap` and the
    next call runs on a fresh instance.
    """

    def __init__(self, backend: Backend, component: Optional[RuntimeComponent] = None):
        self.component = component or RuntimeComponent.default()
        self.backend = backend
        self._lock = threading.Lock()
        self._escaped: list[BaseException] = []
        self._linker = Linker(self.component.engine)
        with self._linker.root() as root:
            with root.add_instance(BACKEND_INTERFACE) as instance:
                for name, call in self._backend_calls().items():
                    _HostFunction(name, BACKEND_FUNCTIONS[name], call, self._escaped).define(
                        instance
                    )
        self._instantiate()

    # --- store interface -------------------------------------------------------------

    def get(self, game_id: str) -> RuntimeRecord:
        """The record of `game_id`; `NotFound` when none exists."""
        return self._call("get", game_id, game_id)

    def insert(self, record: RuntimeRecord) -> None:
        """Installs a new record; `Conflict` when the game id exists."""
        self._call("insert", record.game_id, record)

    def update_status(self, update: UpdateStatusInput) -> None:
        """One transition under a compare-and-swap guard on the stored status."""
        self._call("update-status", update.game_id, update)

    def update_scheduling(self, update: UpdateSchedulingInput) -> None:
        """Sets the scheduling columns and `updated_at`, in any status."""
        self._call("update-scheduling", update.game_id, update)

    def update_image(self, update: UpdateImageInput) -> None:
        """Sets the image columns under a compare-and-swap guard on the stored status."""
        self._call("update-image", update.game_id, update)

    def update_engine_health(self, update: UpdateEngineHealthInput) -> None:
        """Sets `engine_health` and `updated_at`, in any status."""
        self._call("update-engine-health", update.game_id, update)

    def delete(self, game_id: str) -> None:
        """Removes the record; succeeds when none exists."""
        self._call("delete", game_id, game_id)

    def list_due_running(self, now: Timestamp) -> List[RuntimeRecord]:
        """Running records due at `now`, by `next_generation_at`, then game id."""
        return self._call("list-due-running", None, now)

    def list_by_status(self, status: Status) -> List[RuntimeRecord]:
        """Records in `status`, newest `created_at` first, then game id."""
        return self._call("list-by-status", None, status)

    def list(self) -> List[RuntimeRecord]:
        """Every record, newest `created_at` first, then game id (WIT `list`)."""
        return self._call("list", None)

    # --- rules interface -------------------------------------------------------------

    def transition(self, from_status: Status, to_status: Status) -> None:
        """Succeeds when `to_status` may follow `from_status`; else `InvalidTransition`."""
        self._call("transition", None, from_status, to_status)

    def allowed_transitions(self, from_status: Status) -> List[Status]:
        """The statuses that may follow `from_status`, in declaration order."""
        with self._lock:
            return self._invoke("allowed-transitions", None, (from_status,))

    def validate_record(self, record: RuntimeRecord) -> None:
        """The checks `insert` runs; `InvalidInput` on the first failure."""
        self._call("validate-record", record.game_id, record)

    def validate_update_status(self, update: UpdateStatusInput) -> None:
        """The checks `update_status` runs."""
        self._call("validate-update-status", update.game_id, update)

    def validate_update_scheduling(self, update: UpdateSchedulingInput) -> None:
        """The checks `update_scheduling` runs."""
        self._call("validate-update-scheduling", update.game_id, update)

    def validate_update_image(self, update: UpdateImageInput) -> None:
        """The checks `update_image` runs."""
        self._call("validate-update-image", update.game_id, update)

    def validate_update_engine_health(self, update: UpdateEngineHealthInput) -> None:
        """The checks `update_engine_health` runs."""
        self._call("validate-update-engine-health", update.game_id, update)

    # --- machinery -------------------------------------------------------------------

    def _backend_calls(self) -> dict[str, Callable[..., Any]]:
        backend = self.backend
        return {
            "fetch": lambda game_id: Lookup(backend.fetch(game_id)),
            "insert": backend.insert,
            "patch": backend.patch,
            "remove": backend.remove,
            "scan": backend.scan,
        }

    def _instantiate(self) -> None:
        store = Store(self.component.engine)
        instance = self._linker.instantiate(store, self.component.component)
        exports: dict[str, _Export] = {}
        for interface, functions in (
            (STORE_INTERFACE, STORE_FUNCTIONS),
            (RULES_INTERFACE, RULES_FUNCTIONS),
        ):
            interface_index = instance.get_export_index(store, interface)
            for name, signature in functions.items():
                func = instance.get_func(
                    store, instance.get_export_index(store, name, interface_index)
                )
                exports[name] = _Export(func, signature)
        self._store = store
        self._context = store._context()
        self._exports = exports

    def _invoke(self, operation: str, game_id: Optional[str], args: tuple[Any, ...]) -> Any:
        try:
            return self._exports[operation](self._context, args)
        except WasmtimeError as error:
            # A trapped instance is poisoned; the next call gets a fresh one.
            self._instantiate()
            if self._escaped:
                escaped = self._escaped.pop()
                self._escaped.clear()
                raise escaped from error
            raise ComponentTrap(operation, game_id, error) from error

    def _call(self, operation: str, game_id: Optional[str], *args: Any) -> Any:
        with self._lock:
            is_ok, payload = self._invoke(operation, game_id, args)
        if is_ok:
            return payload
        raise _store_error(operation, game_id, payload)


def _store_error(operation: str, game_id: Optional[str], error: tuple[str, Any]) -> StoreError:
    case, payload = error
    if case == "not-found":
        return NotFound(operation, game_id)
    if case == "conflict":
        return Conflict(operation, game_id)
    if case == "invalid-transition":
        return InvalidTransition(operation, game_id, payload)
    if case == "invalid-input":
        return InvalidInput(operation, game_id, payload)
    return BackendFailure(operation, game_id, payload)


class _Export:
    """An exported function called with this package's codecs instead of wasmtime-py's."""

    __slots__ = ("_func", "_params", "_result")

    def __init__(self, func: Any, signature: Signature):
        self._func = func._func
        self._params = signature.params
        self._result = signature.result

    def __call__(self, context: Any, args: tuple[Any, ...]) -> Any:
        count = len(self._params)
        values = (CVal * count)()
        lowered = 0
        try:
            for codec, arg in zip(self._params, args):
                codec.lower(arg, values[lowered])
                lowered += 1
            result = CVal()
            error = ffi.wasmtime_component_func_call(
                byref(self._func), context, values, count, byref(result), 1
            )
            if error:
                raise WasmtimeError._from_ptr(error)
            try:
                return self._result.lift(result)
            finally:
                ffi.wasmtime_component_val_delete(byref(result))
        finally:
            for index in range(lowered):
                ffi.wasmtime_component_val_delete(byref(values[index]))


_HOST_FUNCTIONS: dict[int, "_HostFunction"] = {}
_host_ids = itertools.count(1)


class _HostFunction:
    """A backend primitive the component imports, answering through the adapter.

    Everything the adapter raises becomes a `backend-error` answer: an exception escaping a
    host function would trap the guest and poison the instance.
    """

    def __init__(
        self,
        name: str,
        signature: Signature,
        call: Callable[..., Any],
        escaped: list[BaseException],
    ):
        self.name = name
        self.params = signature.params
        self.result = signature.result
        self.call = call
        self.escaped = escaped

    def define(self, instance: Any) -> None:
        key = next(_host_ids)
        _HOST_FUNCTIONS[key] = self
        name = self.name.encode("utf-8")
        error = ffi.wasmtime_component_linker_instance_add_func(
            instance.ptr(),
            ctypes.create_string_buffer(name),
            len(name),
            _host_callback,
            key,
            _host_finalizer,
        )
        if error:
            raise WasmtimeError._from_ptr(error)

    def invoke(self, args: Any, results: Any) -> int:
        try:
            params = [codec.lift(args[index]) for index, codec in enumerate(self.params)]
            try:
                answer = (True, self.call(*params))
            except BackendError as error:
                answer = (False, error)
            except Exception as error:
                answer = (False, self._failure(f"{type(error).__name__}: {error}"))
            try:
                self.result.lower(answer, results[0])
            except Exception as error:
                self.result.lower(
                    (False, self._failure(f"the adapter answered {answer[1]!r}: {error}")),
                    results[0],
                )
            return 0
        except BaseException as error:
            # KeyboardInterrupt and the like must not be swallowed: trap, then re-raise.
            self.escaped.append(error)
            trap = WasmtimeError(f"backend {self.name} interrupted: {error!r}")
            return ctypes.cast(trap._consume(), ctypes.c_void_p).value or 0

    def _failure(self, detail: str) -> BackendError:
        text = f"backend {self.name}: {detail}"
        return BackendError.failed(text.encode("utf-8", "backslashreplace").decode("utf-8"))


@ffi.wasmtime_component_func_callback_t
def _host_callback(key, _context, _type, args, _nargs, results, _nresults):  # type: ignore[no-untyped-def]
    return _HOST_FUNCTIONS[key].invoke(args, results)


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _host_finalizer(key):  # type: ignore[no-untyped-def]
    _HOST_FUNCTIONS.pop(key, None)
