"""`RuntimeStore`: the rules component bound to a storage adapter, in a sandbox."""

from __future__ import annotations

import builtins
import datetime
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, Literal

from wasmtime import Engine, Instance, Module, Store, WasmtimeError
from wasmtime.component import Linker

from . import _clock
from . import _vocabulary as words
from ._binding import BackendCallsExceeded, CallBudget, HostFunction, first_escaped
from ._codec import Refused
from ._wasmtime import FAST_PATH_AVAILABLE, default_binding, fast_path_unavailable_reason
from ._wit import (
    BACKEND_FUNCTIONS,
    BACKEND_INTERFACE,
    EXPORTS,
    RULES_FUNCTIONS,
    STORE_FUNCTIONS,
    WHOLE_LISTS,
    Lookup,
    Signature,
)
from .backend import Backend
from .component import SANDBOX_ENGINES, RuntimeComponent
from .errors import (
    SandboxError,
    SandboxFailure,
    SwapError,
    SwapStep,
    boundary_error,
    sandbox_error,
    store_error,
)
from .identity import RulesIdentity
from .memory import MemoryBackend
from .types import (
    RuntimePage,
    RuntimeRecord,
    Status,
    Timestamp,
    UpdateEngineHealthInput,
    UpdateImageInput,
    UpdateSchedulingInput,
    UpdateStatusInput,
)

DEFAULT_FUEL_PER_CALL = 200_000_000
"""CPU bound of one call, in wasmtime fuel units (the Rust host's `DEFAULT_FUEL_PER_CALL`)."""

DEFAULT_DEADLINE_PER_CALL = 1.0
"""Wall-clock bound of one call, in seconds, on the time it spends outside the backend (the
guest running, the host converting its values): the Rust host's `DEFAULT_DEADLINE_PER_CALL`."""

DEADLINE_PER_CALL_RANGE = (0.01, 3600.0)
"""The deadlines a call may be given, in seconds: the ticker's granularity (10 ms) to an
hour, as in the Rust host."""

LARGEST_PAGE_LIMIT: int = words.LARGEST_PAGE_LIMIT
"""The most records a page may ask for (500; the fewest is 1): the limit of the pages the
whole lists are assembled from, and the page methods' default."""

DEFAULT_MEMORY_LIMIT = 16 * 1024 * 1024
"""Linear memory bound of one instance, in bytes (16 MiB, as in the Rust host)."""

BACKEND_CALLS_PER_OPERATION = {
    **dict.fromkeys(STORE_FUNCTIONS, 1),
    **dict.fromkeys(RULES_FUNCTIONS, 0),
}
"""How many backend calls each function may make (contract §7.1): one for a store
operation, none for the rules."""

Binding = Literal["fast", "public"]

_U64_MAX = 2**64 - 1
_S64_MAX = 2**63 - 1


class _Instance:
    """One wasmtime store and component instance, with its bound exports."""

    __slots__ = ("exports", "set_deadline", "set_fuel", "store")

    def __init__(
        self,
        store: Store,
        exports: dict[str, Callable[[tuple[Any, ...]], Any]],
        set_fuel: Callable[[int], None],
        set_deadline: Callable[[int], None],
    ):
        self.store = store
        self.exports = exports
        self.set_fuel = set_fuel
        self.set_deadline = set_deadline


class RuntimeStore:
    """The runtime record store: every rule runs in the component, storage is `backend`.

    * `component`: a `RuntimeComponent`, or the path of a component file; by default the
      file `$RUNTIME_STORE_WASM` names, else the one shipped with the package.
    * `fuel_per_call`: the CPU bound of one call, in wasmtime fuel (default 200 000 000).
    * `deadline_per_call`: the wall-clock bound of one call's time outside the backend, in
      seconds or as a `timedelta` (default 1 s; 10 ms to 1 h, kept to within 10 ms).
    * `memory_limit`: the bound, in bytes, of an instance's linear memory (default 16 MiB);
      `None` for none.
    * `binding`: `"fast"` (wasmtime's C API through verified private bindings) or
      `"public"` (wasmtime-py's public component API); by default `$RUNTIME_STORE_BINDING`,
      else fast when verified. `self.binding` says which one is in use.

    Store operations raise a `StoreError` subclass per WIT `store-error` case, and
    `InvalidInput` for a value the WIT types cannot hold. A call that runs out of fuel,
    passes its deadline, calls the backend more than once (a store operation) or at all
    (the rules), or traps raises `SandboxError`; the instance is discarded and the next
    call runs on a fresh one. Calls are serialised by a lock, so a store may be shared
    between threads.

    `rules_identity` names the rules build that serves (every sandbox failure's message
    ends with its first 12 hex digits); `swap_rules` replaces it while the store serves.
    """

    def __init__(
        self,
        backend: Backend,
        component: RuntimeComponent | str | os.PathLike[str] | None = None,
        *,
        fuel_per_call: int = DEFAULT_FUEL_PER_CALL,
        deadline_per_call: float | datetime.timedelta = DEFAULT_DEADLINE_PER_CALL,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        binding: Binding | None = None,
    ):
        if component is None:
            component = RuntimeComponent.default()
        elif not isinstance(component, RuntimeComponent):
            component = RuntimeComponent.from_file(component)
        self.component = component
        self.backend = backend
        self.fuel_per_call = _positive("fuel_per_call", fuel_per_call, _U64_MAX)
        self.deadline_per_call = _deadline(deadline_per_call)
        """The deadline of one call, in seconds."""
        # One tick more than the deadline holds: the clock may be most of a tick behind, and
        # a call is never stopped before its deadline.
        self._deadline_ticks = _clock.ticks_in(self.deadline_per_call) + 1
        self._deadline_milliseconds = round(self.deadline_per_call * 1000)
        self.memory_limit = (
            None if memory_limit is None else _positive("memory_limit", memory_limit, _S64_MAX)
        )
        self.binding: Binding = _binding_name(binding)
        self._bind: Any = _binding_for(self.binding)
        _require_bounds(component.engine)
        _clock.tick(component.engine)
        self._lock = threading.Lock()
        self._escaped: list[BaseException] = []
        self._budget = CallBudget()
        self._linker = Linker(component.engine)
        with self._linker.root() as root:
            with root.add_instance(BACKEND_INTERFACE) as instance:
                for name, call in self._backend_calls().items():
                    host = HostFunction(
                        name, BACKEND_FUNCTIONS[name], call, self._escaped, self._budget
                    )
                    self._bind.define(instance, host)
        self._instance: _Instance | None = None
        self._swapping = threading.Lock()

    # --- the rules build -------------------------------------------------------------

    @property
    def rules_identity(self) -> RulesIdentity:
        """The rules build serving the calls that start now (`RulesIdentity`: SHA-256 and
        size of the component's bytes); every sandbox failure names it."""
        return self.component.identity

    def swap_rules(
        self,
        component: bytes | bytearray | memoryview,
        gate: Callable[[RuntimeStore], object],
    ) -> RulesIdentity:
        """Replaces the rules with the component `component` (its bytes) while the store
        serves, and answers the new `rules_identity`.

        The candidate goes live only after three steps, each of which refuses it with a
        `SwapError` naming the step, the reason, the candidate's identity and the serving
        one's, while the active rules keep serving:

        1. load (`SwapStep.LOAD`): compiled on this store's engine and checked against the
           runtime-store world, each export with its type;
        2. instantiation (`SwapStep.INSTANTIATION`): one instance made (its start code runs);
        3. the gate (`SwapStep.GATE`): `gate(candidate_store)` is called with a store running
           the candidate, with this store's bounds, on a scratch `MemoryBackend` nothing else
           shares; it refuses the candidate by raising (the exception's text is the reason).

        Only then do calls that start later take the new rules; a call in flight (it holds
        the store's lock) finishes on the rules it started with. Calls go on while the
        candidate is loaded and checked. One swap runs at a time. A whole list (`list()`)
        is one call per page, so one read while a swap goes live may have pages of both.
        """
        wasm = bytes(component)
        with self._swapping:
            candidate = RulesIdentity.of(wasm)

            def refused(step: SwapStep, reason: str) -> SwapError:
                return SwapError(step, reason, candidate, self.rules_identity)

            try:
                loaded = RuntimeComponent(
                    wasm, engine=self.component.engine, source=f"candidate {candidate}"
                )
            except Exception as error:  # ComponentMismatch, or wasmtime refusing the bytes
                raise refused(SwapStep.LOAD, _reason(error)) from error
            scratch = RuntimeStore(
                MemoryBackend(),
                loaded,
                fuel_per_call=self.fuel_per_call,
                deadline_per_call=self.deadline_per_call,
                memory_limit=self.memory_limit,
                binding=self.binding,
            )
            try:
                scratch._warm_up()
            except SandboxError as error:
                raise refused(SwapStep.INSTANTIATION, error.reason) from error
            try:
                gate(scratch)
            except Exception as error:
                raise refused(SwapStep.GATE, str(error) or type(error).__name__) from error
            with self._lock:
                self.component = loaded
                self._instance = None
            return loaded.identity

    def _warm_up(self) -> None:
        """Makes the instance the next call runs on; `SandboxError` (`INSTANTIATION`, or
        the deadline) when it cannot be made."""
        with self._lock:
            if self._instance is None:
                self._instantiate("get", None)

    # --- store interface -------------------------------------------------------------

    def get(self, game_id: str) -> RuntimeRecord:
        """The record of `game_id`; `NotFound` when none exists."""
        return self._call("get", _id(game_id), game_id)  # type: ignore[no-any-return]

    def insert(self, record: RuntimeRecord) -> None:
        """Installs a new record; `Conflict` when the game id exists."""
        self._call("insert", _id_of(record, RuntimeRecord), record)

    def update_status(self, update: UpdateStatusInput) -> None:
        """One transition under a compare-and-swap guard on the stored status."""
        self._call("update-status", _id_of(update, UpdateStatusInput), update)

    def update_scheduling(self, update: UpdateSchedulingInput) -> None:
        """Sets the scheduling columns and `updated_at`, in any status."""
        self._call("update-scheduling", _id_of(update, UpdateSchedulingInput), update)

    def update_image(self, update: UpdateImageInput) -> None:
        """Sets the image columns under a compare-and-swap guard on the stored status."""
        self._call("update-image", _id_of(update, UpdateImageInput), update)

    def update_engine_health(self, update: UpdateEngineHealthInput) -> None:
        """Sets `engine_health` and `updated_at`, in any status."""
        self._call("update-engine-health", _id_of(update, UpdateEngineHealthInput), update)

    def delete(self, game_id: str) -> None:
        """Removes the record; succeeds when none exists."""
        self._call("delete", _id(game_id), game_id)

    def list_due_running(self, now: Timestamp) -> builtins.list[RuntimeRecord]:
        """Running records due at `now`, by `next_generation_at`, then game id.

        Assembled from pages of `LARGEST_PAGE_LIMIT` records (`list_due_running_page`), so
        it works over any number of records. It is not a snapshot: each page is one call,
        and a record that moves while the list is read appears at most once (one moved
        into the part already read may be missing).
        """
        return self._whole_list("list-due-running", (now,))

    def list_by_status(self, status: Status) -> builtins.list[RuntimeRecord]:
        """Records in `status`, newest `created_at` first, then game id; assembled from
        pages, as `list_due_running`."""
        return self._whole_list("list-by-status", (status,))

    def list(self) -> builtins.list[RuntimeRecord]:
        """Every record, newest `created_at` first, then game id; assembled from pages, as
        `list_due_running`."""
        return self._whole_list("list", ())

    def list_due_running_page(
        self, now: Timestamp, cursor: str | None = None, limit: int = LARGEST_PAGE_LIMIT
    ) -> RuntimePage:
        """At most `limit` (1..=`LARGEST_PAGE_LIMIT`) running records due at `now`, after
        `cursor` (from the start when `None`), in the order of `list_due_running`.

        Pass the page's `next_cursor` to get the next page; it is `None` after the last
        one. Iterating to the end returns every record that existed unchanged throughout
        exactly once, in order. `now` is checked first, then a limit out of range (`list due
        runtimes: limit must be between 1 and 500`) or a cursor that does not parse or
        belongs to another list order (`list due runtimes: cursor is malformed`) is
        `InvalidInput`.
        """
        return self._page("list-due-running-page", "list-due-running-page", (now, cursor, limit))

    def list_by_status_page(
        self, status: Status, cursor: str | None = None, limit: int = LARGEST_PAGE_LIMIT
    ) -> RuntimePage:
        """A page of `list_by_status`; cursor and limit as for `list_due_running_page`."""
        return self._page("list-by-status-page", "list-by-status-page", (status, cursor, limit))

    def list_page(self, cursor: str | None = None, limit: int = LARGEST_PAGE_LIMIT) -> RuntimePage:
        """A page of `list`; cursor and limit as for `list_due_running_page`."""
        return self._page("list-page", "list-page", (cursor, limit))

    # --- rules interface -------------------------------------------------------------

    def transition(self, from_status: Status, to_status: Status) -> None:
        """Succeeds when `to_status` may follow `from_status`; else `InvalidTransition`."""
        self._call("transition", None, from_status, to_status)

    def allowed_transitions(self, from_status: Status) -> builtins.list[Status]:
        """The statuses that may follow `from_status`, in declaration order."""
        with self._lock:
            return self._invoke("allowed-transitions", None, (from_status,))  # type: ignore[no-any-return]

    def validate_record(self, record: RuntimeRecord) -> None:
        """The checks `insert` runs; `InvalidInput` on the first failure."""
        self._call("validate-record", _id_of(record, RuntimeRecord), record)

    def validate_update_status(self, update: UpdateStatusInput) -> None:
        """The checks `update_status` runs."""
        self._call("validate-update-status", _id_of(update, UpdateStatusInput), update)

    def validate_update_scheduling(self, update: UpdateSchedulingInput) -> None:
        """The checks `update_scheduling` runs."""
        self._call("validate-update-scheduling", _id_of(update, UpdateSchedulingInput), update)

    def validate_update_image(self, update: UpdateImageInput) -> None:
        """The checks `update_image` runs."""
        self._call("validate-update-image", _id_of(update, UpdateImageInput), update)

    def validate_update_engine_health(self, update: UpdateEngineHealthInput) -> None:
        """The checks `update_engine_health` runs."""
        self._call("validate-update-engine-health", _id_of(update, UpdateEngineHealthInput), update)

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

    def _instantiate(self, operation: str, game_id: str | None) -> _Instance:
        store = Store(self.component.engine)
        if self.memory_limit is not None:
            store.set_limits(memory_size=self.memory_limit)
        set_fuel = self._bind.fuel_setter(store)
        set_deadline = self._bind.deadline_setter(store)
        try:
            set_fuel(self.fuel_per_call)
            # Instantiation runs under the call's deadline too; the call gets its own after.
            self._budget.start(0, self._deadline_ticks, set_deadline)
            instance = self._linker.instantiate(store, self.component.component)
        except WasmtimeError as error:
            escaped = self._escaped_failure(operation, game_id)
            if escaped is not None:
                raise escaped from error
            if _reason(error) == _INTERRUPT:
                raise self._deadline_failure(operation, game_id) from error
            raise sandbox_error(
                operation,
                game_id,
                SandboxFailure.INSTANTIATION,
                rules=self.component.identity,
                reason=_reason(error),
            ) from error
        exports: dict[str, Callable[[tuple[Any, ...]], Any]] = {}
        for interface, functions in EXPORTS.items():
            interface_index = instance.get_export_index(store, interface)
            for name, signature in functions.items():
                if name not in WHOLE_LISTS:
                    exports[name] = self._export(store, instance, interface_index, name, signature)
        bound = _Instance(store, exports, set_fuel, set_deadline)
        self._instance = bound
        return bound

    def _escaped_failure(self, operation: str, game_id: str | None) -> BaseException | None:
        """What a host function raised during the call that trapped, as the error to report:
        the backend-call cap as its sandbox failure, an adapter's failure as it is."""
        escaped = first_escaped(self._escaped)
        if isinstance(escaped, BackendCallsExceeded):
            return sandbox_error(
                operation,
                game_id,
                SandboxFailure.BACKEND_CALLS,
                rules=self.component.identity,
                limit=escaped.limit,
            )
        return escaped

    def _export(
        self, store: Store, instance: Any, interface: Any, name: str, signature: Signature
    ) -> Callable[[tuple[Any, ...]], Any]:
        index = instance.get_export_index(store, name, interface)
        func = instance.get_func(store, index)
        return self._bind.export(store, func, signature)  # type: ignore[no-any-return]

    def _invoke(
        self,
        operation: str,
        game_id: str | None,
        args: tuple[Any, ...],
        export: str | None = None,
    ) -> Any:
        """Calls `export` (by default the export named `operation`) with `args`; failures
        are reported as failures of `operation`."""
        export = export or operation
        instance = self._instance or self._instantiate(operation, game_id)
        try:
            instance.set_fuel(self.fuel_per_call)
            self._budget.start(
                BACKEND_CALLS_PER_OPERATION[export], self._deadline_ticks, instance.set_deadline
            )
            return instance.exports[export](args)
        except Refused as refused:
            raise boundary_error(
                operation, game_id, refused.field or "the value", refused.expected
            ) from None
        except WasmtimeError as error:
            # A trapped instance is poisoned: the next call gets a fresh one.
            self._instance = None
            escaped = self._escaped_failure(operation, game_id)
            if escaped is not None:
                raise escaped from error
            raise self._sandbox_failure(instance, operation, game_id, error) from error

    def _deadline_failure(self, operation: str, game_id: str | None) -> SandboxError:
        return sandbox_error(
            operation,
            game_id,
            SandboxFailure.DEADLINE,
            rules=self.component.identity,
            milliseconds=self._deadline_milliseconds,
        )

    def _sandbox_failure(
        self, instance: _Instance, operation: str, game_id: str | None, error: WasmtimeError
    ) -> Exception:
        try:
            remaining: int | None = instance.store.get_fuel()
        except WasmtimeError:
            remaining = None
        if remaining == 0:
            return sandbox_error(
                operation,
                game_id,
                SandboxFailure.OUT_OF_FUEL,
                rules=self.component.identity,
                budget=self.fuel_per_call,
            )
        if _reason(error) == _INTERRUPT:
            # Only the epoch deadline interrupts a guest.
            return self._deadline_failure(operation, game_id)
        if self.memory_limit is not None:
            return sandbox_error(
                operation,
                game_id,
                SandboxFailure.TRAPPED_NEAR_LIMIT,
                rules=self.component.identity,
                limit=self.memory_limit,
                reason=_reason(error),
            )
        return sandbox_error(
            operation,
            game_id,
            SandboxFailure.TRAPPED,
            rules=self.component.identity,
            reason=_reason(error),
        )

    def _call(self, operation: str, game_id: str | None, *args: Any) -> Any:
        with self._lock:
            is_ok, payload = self._invoke(operation, game_id, args)
        if is_ok:
            return payload
        raise store_error(operation, game_id, payload)

    def _page(self, operation: str, export: str, args: tuple[Any, ...]) -> RuntimePage:
        """One page from the page export `export`, failures reported as `operation`'s."""
        with self._lock:
            is_ok, payload = self._invoke(operation, None, args, export)
        if is_ok:
            return payload  # type: ignore[no-any-return]
        raise store_error(operation, None, payload)

    def _whole_list(self, operation: str, first: tuple[Any, ...]) -> builtins.list[RuntimeRecord]:
        """The whole list `operation` names, read page after page from its page export with
        `first` (the list's own arguments) and the largest limit, keeping each game's first
        appearance: pages follow the list order and each starts after the one before, so
        what is kept stays in order. Each page is its own call (the lock is released
        between pages)."""
        export = WHOLE_LISTS[operation]
        records: builtins.list[RuntimeRecord] = []
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            page = self._page(operation, export, (*first, cursor, LARGEST_PAGE_LIMIT))
            for record in page.records:
                if record.game_id not in seen:
                    seen.add(record.game_id)
                    records.append(record)
            if page.next_cursor is None:
                return records
            cursor = page.next_cursor


def _id(game_id: Any) -> str | None:
    return game_id if isinstance(game_id, str) else None


def _id_of(value: Any, expected: type) -> str | None:
    return _id(getattr(value, "game_id", None)) if isinstance(value, expected) else None


def _reason(error: Exception) -> str:
    """The cause of a wasmtime error, without the backtrace (`wasm \\`unreachable\\`
    instruction executed`)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return "unknown error"
    last = lines[-1]
    return last.removeprefix("wasm trap: ")


_INTERRUPT = "interrupt"
"""The reason of the trap wasmtime raises when a guest passes its epoch deadline."""


def _positive(name: str, value: Any, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 < value <= most:
        raise ValueError(f"{name} must be in 1..={most} (got {value})")
    return value


def _deadline(value: Any) -> float:
    """`deadline_per_call` in seconds, refused (naming the option and its range, in
    milliseconds as the Rust host words it) outside `DEADLINE_PER_CALL_RANGE`."""
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(
            f"deadline_per_call must be a number of seconds or a timedelta, "
            f"got {type(value).__name__}"
        )
    low, high = DEADLINE_PER_CALL_RANGE
    if not low <= seconds <= high:
        shown = "nan" if seconds != seconds else _milliseconds(seconds)
        raise ValueError(
            f"deadline_per_call must be in {_milliseconds(low)}..={_milliseconds(high)} "
            f"(got {shown})"
        )
    return seconds


def _binding_name(binding: str | None) -> Binding:
    chosen = default_binding() if binding is None else binding
    if chosen == "public":
        return "public"
    if chosen == "fast":
        if not FAST_PATH_AVAILABLE:
            raise ValueError(f"the fast binding is not available: {fast_path_unavailable_reason()}")
        return "fast"
    raise ValueError(f"binding must be 'fast' or 'public', got {chosen!r}")


def _binding_for(name: Binding) -> Any:
    if name == "fast":
        from ._fast import FastBinding

        return FastBinding()
    from ._public import PublicBinding

    return PublicBinding()


_CHECKED_ENGINES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
"""Engines given by the caller, with what they lack for the bounds (empty: nothing)."""

_SPIN = '(module (func (export "spin") (loop (br 0))))'


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.10g} ms"


def _require_bounds(engine: Engine) -> None:
    """Refuses an engine that does not meter fuel or interrupt on epochs, which the CPU
    bounds need. An engine the package made is known to; another is tried once with a
    spinning core function under a small fuel budget and a passed epoch deadline."""
    if engine in SANDBOX_ENGINES:
        return
    lacking = _CHECKED_ENGINES.get(engine)
    if lacking is None:
        lacking = _CHECKED_ENGINES[engine] = _lacking(engine)
    if lacking:
        raise ValueError(
            f"the component's engine does not {lacking}, which the CPU bounds need: create "
            "it with a wasmtime.Config whose consume_fuel and epoch_interruption are True "
            "(or pass no engine)"
        )


def _lacking(engine: Engine) -> str:
    store = Store(engine)
    try:
        store.set_fuel(100_000)
    except WasmtimeError:
        return "meter fuel (consume_fuel)"
    store.set_epoch_deadline(0)
    spin: Any = Instance(store, Module(engine, _SPIN), []).exports(store)["spin"]
    try:
        spin(store)
    except Exception as error:  # a wasmtime.Trap
        if _reason(error) == _INTERRUPT:
            return ""
    return "interrupt on epochs (epoch_interruption)"
