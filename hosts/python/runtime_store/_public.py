"""The public path: wasmtime-py's public component API (`Func.__call__`,
`LinkerInstance.add_func`, `Store.set_fuel`, `Store.set_epoch_deadline`), with the same
codecs checking and converting values. It gives the same results as the fast path, several
times slower; the store uses it when the fast path is not verified for the installed
wasmtime-py, or when asked to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime import Store, WasmtimeError

from ._binding import HostFunction, at_parameter
from ._codec import Refused
from ._wit import Signature


class PublicExport:
    """An exported function called through `wasmtime.component.Func`."""

    __slots__ = ("_func", "_params", "_result", "_store")

    def __init__(self, func: Any, signature: Signature, store: Store):
        self._func = func
        self._store = store
        self._params = tuple(zip(signature.params, signature.words))
        self._result = signature.result

    def __call__(self, args: tuple[Any, ...]) -> Any:
        lowered = []
        for (codec, words), arg in zip(self._params, args):
            try:
                lowered.append(codec.lower(arg, True))
            except Refused as refused:
                raise at_parameter(refused, codec, words) from None
        try:
            result = self._func(self._store, *lowered)
        except WasmtimeError:
            raise
        except Exception as error:
            # wasmtime-py re-raises what failed inside a host function; the instance may be
            # in any state, so it is treated as a trap.
            raise WasmtimeError(f"{type(error).__name__}: {error}") from error
        return self._result.lift(result)


class PublicBinding:
    """Binds exports and imports through wasmtime-py's public component API."""

    name = "public"

    def define(self, linker_instance: Any, host: HostFunction) -> None:
        signature = host.signature

        def answer(_store: Any, *params: Any) -> Any:
            try:
                answer = host.ask(
                    [codec.lift(param) for codec, param in zip(signature.params, params)]
                )
                try:
                    return signature.result.lower(answer, False)
                except Refused as refused:
                    return signature.result.lower(host.refused(refused), False)
            except BaseException as error:
                # Must not be swallowed: trap (wasmtime-py turns a WasmtimeError raised here
                # into one), then the store re-raises it.
                raise WasmtimeError(host.interrupted(error)) from None

        linker_instance.add_func(host.name, answer)

    def export(self, store: Store, func: Any, signature: Signature) -> Callable[[Any], Any]:
        return PublicExport(func, signature, store)

    def fuel_setter(self, store: Store) -> Callable[[int], None]:
        return store.set_fuel

    def deadline_setter(self, store: Store) -> Callable[[int], None]:
        return store.set_epoch_deadline
