"""`RuntimeStore`: the rules component bound to a storage adapter."""

from __future__ import annotations

import ctypes
import itertools
import threading
from ctypes import byref
from typing import Any, Callable, List, Optional

from wasmtime import Store, WasmtimeError
from wasmtime.component import Linker

from ._codec import VAL_SIZE, CVal, Image
from ._wasmtime import ffi
from ._wit import BACKEND_FUNCTIONS, BACKEND_INTERFACE, EXPORTS, Lookup, Signature
from .backend import Backend
from .component import RuntimeComponent
from .errors import ComponentTrap, store_error
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
        for interface, functions in EXPORTS.items():
            interface_index = instance.get_export_index(store, interface)
            for name, signature in functions.items():
                func = instance.get_func(
                    store, instance.get_export_index(store, name, interface_index)
                )
                exports[name] = _Export(func, signature)
        self._store = store
        self._context = ctypes.cast(store._context(), ctypes.c_void_p).value
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
        raise store_error(operation, game_id, payload)


# wasmtime's C entry points declared with plain addresses, so calls skip ctypes' pointer
# type checks and conversions.
_func_call = ctypes.CFUNCTYPE(
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_void_p,
    ctypes.c_size_t,
)(("wasmtime_component_func_call", ffi.dll))
_val_clone = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)(
    ("wasmtime_component_val_clone", ffi.dll)
)
_HostCallback = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_void_p,
    ctypes.c_size_t,
)
_HostFinalizer = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_add_func = ctypes.CFUNCTYPE(
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_size_t,
    _HostCallback,
    ctypes.c_void_p,
    _HostFinalizer,
)(("wasmtime_component_linker_instance_add_func", ffi.dll))


def _wasmtime_error(address: int) -> WasmtimeError:
    return WasmtimeError._from_ptr(ctypes.cast(address, ctypes.POINTER(ffi.wasmtime_error_t)))


class _Export:
    """An exported function called with this package's codecs instead of wasmtime-py's.

    The component only reads the arguments, so their image stays in Python memory; the
    result is wasmtime's, read once and then freed.
    """

    __slots__ = ("_func", "_address", "_params", "_result")

    def __init__(self, func: Any, signature: Signature):
        self._func = func
        self._address = ctypes.addressof(func._func)
        self._params = signature.params
        self._result = signature.result

    def __call__(self, context: int, args: tuple[Any, ...]) -> Any:
        image = Image()
        count = len(self._params)
        slots = image.reserve(VAL_SIZE * count)
        for index, (codec, arg) in enumerate(zip(self._params, args)):
            codec.pack(arg, image, slots + index * VAL_SIZE)
        result = CVal()
        result_address = ctypes.addressof(result)
        error = _func_call(self._address, context, image.address(), count, result_address, 1)
        if error:
            raise _wasmtime_error(error)
        try:
            return self._result.read(ctypes.string_at(result_address, VAL_SIZE), 0)
        finally:
            ffi.wasmtime_component_val_delete(byref(result))


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
        error = _add_func(
            ctypes.cast(instance.ptr(), ctypes.c_void_p),
            name,
            len(name),
            _host_callback,
            key,
            _host_finalizer,
        )
        if error:
            raise _wasmtime_error(error)

    def invoke(self, args: int, results: int) -> int:
        try:
            memory = ctypes.string_at(args, VAL_SIZE * len(self.params)) if self.params else b""
            params = [codec.read(memory, index * VAL_SIZE) for index, codec in enumerate(self.params)]
            try:
                answer = (True, self.call(*params))
            except BackendError as error:
                answer = (False, error)
            except Exception as error:
                answer = (False, self._failure(f"{type(error).__name__}: {error}"))
            try:
                image = self._image(answer)
            except Exception as error:
                image = self._image(
                    (False, self._failure(f"the adapter answered {answer[1]!r}: {error}"))
                )
            _val_clone(image.address(), results)
            return 0
        except BaseException as error:
            # KeyboardInterrupt and the like must not be swallowed: trap, then re-raise.
            self.escaped.append(error)
            trap = WasmtimeError(f"backend {self.name} interrupted: {error!r}")
            return ctypes.cast(trap._consume(), ctypes.c_void_p).value or 0

    def _image(self, answer: tuple[bool, Any]) -> Image:
        image = Image()
        self.result.pack(answer, image, image.reserve(VAL_SIZE))
        return image

    def _failure(self, detail: str) -> BackendError:
        text = f"backend {self.name}: {detail}"
        return BackendError.failed(text.encode("utf-8", "backslashreplace").decode("utf-8"))


@_HostCallback
def _host_callback(key, _context, _type, args, _nargs, results, _nresults):  # type: ignore[no-untyped-def]
    return _HOST_FUNCTIONS[key].invoke(args, results)


@_HostFinalizer
def _host_finalizer(key):  # type: ignore[no-untyped-def]
    _HOST_FUNCTIONS.pop(key, None)
