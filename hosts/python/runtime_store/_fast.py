"""The fast path: wasmtime's C API called with this package's codecs.

wasmtime-py's generic calls re-read every type through ctypes on every call and convert
values one ctypes attribute at a time (hundreds of microseconds per store operation). Here
an export call gets its arguments as one packed C image (`_codec.Image`), its result is
read from bytes copied out of wasmtime's memory, and the backend imports are registered
with a callback that never touches type objects.

Imported only when `_wasmtime.FAST_PATH_AVAILABLE`: the prototypes below are built from
`_abi.SIGNATURES`, which `_abi.verify` checked against wasmtime-py's own declarations, and
the private methods used here are among those it checked.
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Callable
from typing import Any

from wasmtime import Store, WasmtimeError
from wasmtime import _ffi as ffi

from . import _abi
from ._abi import VAL_SIZE
from ._binding import HostFunction, at_parameter
from ._codec import Codec, Image, Refused
from ._wit import Signature


def _c_function(name: str) -> Any:
    return _abi.prototype(_abi.SIGNATURES[name])((name, ffi.dll))


_func_call = _c_function("wasmtime_component_func_call")
_val_clone = _c_function("wasmtime_component_val_clone")
_val_delete = _c_function("wasmtime_component_val_delete")
_add_func = _c_function("wasmtime_component_linker_instance_add_func")
_set_fuel = _c_function("wasmtime_context_set_fuel")
_set_epoch_deadline = _c_function("wasmtime_context_set_epoch_deadline")
_HostCallback = _abi.prototype(_abi.HOST_CALLBACK)
_HostFinalizer = _abi.prototype(_abi.HOST_FINALIZER)
_Value = ctypes.c_uint64 * (VAL_SIZE // 8)
_string_at = ctypes.string_at


def _error(address: int) -> WasmtimeError:
    pointer = ctypes.cast(address, ctypes.POINTER(ffi.wasmtime_error_t))
    return WasmtimeError._from_ptr(pointer)


def context_of(store: Store) -> int:
    """The address of `store`'s `wasmtime_context_t`."""
    address = ctypes.cast(store._context(), ctypes.c_void_p).value
    assert address is not None
    return address


class FastExport:
    """An exported function called with this package's codecs instead of wasmtime-py's.

    The component only reads the arguments, so their image stays in Python memory; the
    result is wasmtime's, read once and then freed.
    """

    __slots__ = ("_address", "_context", "_count", "_func", "_params", "_result", "_store")

    def __init__(self, func: Any, signature: Signature, store: Store):
        # Both kept alive: `_address` points into `func`, `_context` into `store`.
        self._func = func
        self._store = store
        self._address = ctypes.addressof(func._func)
        context = context_of(store)
        self._context = context
        self._params: tuple[tuple[Codec, str], ...] = tuple(zip(signature.params, signature.words))
        self._count = len(signature.params)
        self._result = signature.result

    def __call__(self, args: tuple[Any, ...]) -> Any:
        image = Image(stand_ins=True)
        slots = image.reserve(VAL_SIZE * self._count)
        for index, ((codec, words), arg) in enumerate(zip(self._params, args)):
            try:
                codec.pack(arg, image, slots + index * VAL_SIZE)
            except Refused as refused:
                raise at_parameter(refused, codec, words) from None
        result = _Value()
        result_address = ctypes.addressof(result)
        error = _func_call(
            self._address, self._context, image.address(), self._count, result_address, 1
        )
        if error:
            raise _error(error)
        try:
            return self._result.read(_string_at(result_address, VAL_SIZE), 0)
        finally:
            _val_delete(result_address)


class FastBinding:
    """Binds exports and imports through the verified C declarations."""

    name = "fast"

    def define(self, linker_instance: Any, host: HostFunction) -> None:
        key = next(_host_ids)
        _HOST_FUNCTIONS[key] = host
        name = host.name.encode("utf-8")
        address = ctypes.cast(linker_instance.ptr(), ctypes.c_void_p).value
        error = _add_func(address, name, len(name), _host_callback, key, _host_finalizer)
        if error:
            _HOST_FUNCTIONS.pop(key, None)
            raise _error(error)

    def export(self, store: Store, func: Any, signature: Signature) -> Callable[[Any], Any]:
        return FastExport(func, signature, store)

    def fuel_setter(self, store: Store) -> Callable[[int], None]:
        context = context_of(store)

        def set_fuel(fuel: int) -> None:
            error = _set_fuel(context, fuel)
            if error:
                raise _error(error)

        return set_fuel

    def deadline_setter(self, store: Store) -> Callable[[int], None]:
        context = context_of(store)

        def set_deadline(ticks: int) -> None:
            _set_epoch_deadline(context, ticks)

        return set_deadline


_HOST_FUNCTIONS: dict[int, HostFunction] = {}
_host_ids = itertools.count(1)


def _answer(host: HostFunction, args: int, results: int) -> int:
    try:
        signature = host.signature
        count = len(signature.params)
        memory = _string_at(args, VAL_SIZE * count) if count else b""
        params = [
            codec.read(memory, index * VAL_SIZE) for index, codec in enumerate(signature.params)
        ]
        answer = host.ask(params)
        try:
            image = _image(signature.result, answer)
        except Refused as refused:
            image = _image(signature.result, host.refused(refused))
        _val_clone(image.address(), results)
        return 0
    except BaseException as error:
        # Must not be swallowed (KeyboardInterrupt, or a bug here): trap, the store re-raises.
        trap = WasmtimeError(host.interrupted(error))
        return ctypes.cast(trap._consume(), ctypes.c_void_p).value or 0


def _image(result: Codec, answer: tuple[bool, Any]) -> Image:
    image = Image()
    result.pack(answer, image, image.reserve(VAL_SIZE))
    return image


@_HostCallback
def _host_callback(  # type: ignore[no-untyped-def]
    key, _context, _type, args, _nargs, results, _nresults
):
    return _answer(_HOST_FUNCTIONS[key], args, results)


@_HostFinalizer
def _host_finalizer(key):  # type: ignore[no-untyped-def]
    _HOST_FUNCTIONS.pop(key, None)
