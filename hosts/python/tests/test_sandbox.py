"""The sandbox bounds each call's CPU (fuel and a wall-clock deadline), its backend calls
(one per store operation, none for the rules) and each instance's memory, as the Rust host
does: a guest that exceeds them, or traps, raises SandboxError naming the operation and game;
its instance is discarded and the next call runs on a fresh one. Shown with the committed
hostile components (tests/hostile: they implement the whole runtime-store world) and with the
real rules component given too little fuel or memory. A component whose exports have other
types than the world's is refused when it is loaded."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import threading
import time
from pathlib import Path

import pytest
from wasmtime import Config, Engine

from runtime_store import (
    DEFAULT_DEADLINE_PER_CALL,
    DEFAULT_FUEL_PER_CALL,
    DEFAULT_MEMORY_LIMIT,
    WASM_ENV,
    ComponentMismatch,
    ComponentTrap,
    InvalidInput,
    MemoryBackend,
    NotFound,
    RulesIdentity,
    RuntimeComponent,
    RuntimeRecord,
    RuntimeStore,
    SandboxError,
    SandboxFailure,
    ScanFilter,
    ScanKey,
    Status,
    StoreError,
    _clock,
)

from paths import COMMITTED_WASM, HOSTILE_DIR
from records import record

UNREACHABLE = "wasm `unreachable` instruction executed"
BACKEND_CALLS = "the guest called the backend more than the {} time(s) its operation needs"
HOSTILE = ("loop", "grow-memory", "trap", "fetch-loop", "scan-loop", "recurse")
"""The hostile components that load (wrong-types is refused when loaded)."""


@pytest.fixture(scope="module")
def hostile() -> dict[str, RuntimeComponent]:
    return {name: RuntimeComponent.from_file(HOSTILE_DIR / f"{name}.wasm") for name in HOSTILE}


def test_the_defaults_are_the_rust_hosts() -> None:
    assert DEFAULT_FUEL_PER_CALL == 200_000_000
    assert DEFAULT_DEADLINE_PER_CALL == 1.0
    assert DEFAULT_MEMORY_LIMIT == 16_777_216
    store = RuntimeStore(MemoryBackend())
    assert (store.fuel_per_call, store.deadline_per_call, store.memory_limit) == (
        200_000_000,
        1.0,
        16_777_216,
    )


def _sandbox_error(store: RuntimeStore, game_id: str = "game-1") -> SandboxError:
    with pytest.raises(SandboxError) as raised:
        store.get(game_id)
    error = raised.value
    assert isinstance(error, StoreError) and isinstance(error, ComponentTrap)
    assert (error.operation, error.game_id) == ("get", game_id)
    # Every sandbox failure names the build that ran.
    assert error.rules == store.rules_identity == store.component.identity
    assert str(error).endswith(f": {error.reason}{_rules(store)}")
    return error


def _rules(store: RuntimeStore) -> str:
    """How a sandbox failure's message ends: the rules build that ran, by the first 12 hex
    digits of the SHA-256 of the component's bytes."""
    return f" (rules {store.rules_identity.short})"


def _fresh_instance_each_call(store: RuntimeStore) -> None:
    """After a sandbox failure the instance is gone; the next call makes another."""
    assert store._instance is None


def test_a_spinning_guest_runs_out_of_fuel(
    hostile: dict[str, RuntimeComponent], binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), hostile["loop"], binding=binding)  # type: ignore[arg-type]
    error = _sandbox_error(store)
    assert error.failure is SandboxFailure.OUT_OF_FUEL
    assert (
        str(error)
        == 'get runtime record "game-1": the guest ran out of fuel (budget 200000000 per call)'
        + _rules(store)
    )
    _fresh_instance_each_call(store)
    smaller = RuntimeStore(
        MemoryBackend(), hostile["loop"], fuel_per_call=1_000_000, binding=binding
    )  # type: ignore[arg-type]
    assert _sandbox_error(smaller).reason == "the guest ran out of fuel (budget 1000000 per call)"
    # The next call runs on a fresh instance and is bounded the same way.
    assert _sandbox_error(smaller).failure is SandboxFailure.OUT_OF_FUEL


def test_a_guest_whose_memory_cannot_grow_traps_near_its_limit(
    hostile: dict[str, RuntimeComponent], binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), hostile["grow-memory"], binding=binding)  # type: ignore[arg-type]
    error = _sandbox_error(store)
    assert error.failure is SandboxFailure.TRAPPED_NEAR_LIMIT
    assert str(error) == (
        'get runtime record "game-1": the guest trapped (its memory limit is 16777216 bytes): '
        + UNREACHABLE
        + _rules(store)
    )
    _fresh_instance_each_call(store)
    two_mib = RuntimeStore(
        MemoryBackend(), hostile["grow-memory"], memory_limit=2 << 20, binding=binding
    )  # type: ignore[arg-type]
    assert (
        _sandbox_error(two_mib).reason
        == f"the guest trapped (its memory limit is 2097152 bytes): {UNREACHABLE}"
    )


def test_a_trapping_guest_raises_and_the_next_call_gets_a_fresh_instance(
    hostile: dict[str, RuntimeComponent], binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), hostile["trap"], binding=binding)  # type: ignore[arg-type]
    assert _sandbox_error(store).failure is SandboxFailure.TRAPPED_NEAR_LIMIT
    unlimited = RuntimeStore(MemoryBackend(), hostile["trap"], memory_limit=None, binding=binding)  # type: ignore[arg-type]
    error = _sandbox_error(unlimited, 'say "hi"')
    assert error.failure is SandboxFailure.TRAPPED
    assert str(error) == (
        f'get runtime record "say \\"hi\\"": the guest trapped: {UNREACHABLE}{_rules(unlimited)}'
    )
    # Another call is not refused as a poisoned instance: it traps afresh.
    assert _sandbox_error(unlimited).failure is SandboxFailure.TRAPPED


@pytest.mark.parametrize("name", HOSTILE)
def test_the_real_component_serves_calls_after_a_hostile_one(
    name: str, hostile: dict[str, RuntimeComponent], component: RuntimeComponent, binding: str
) -> None:
    backend = MemoryBackend()
    real = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    real.insert(record("game-1"))
    bad = RuntimeStore(backend, hostile[name], fuel_per_call=5_000_000, binding=binding)  # type: ignore[arg-type]
    _sandbox_error(bad)
    assert real.get("game-1") == record("game-1")


def test_a_hostile_component_loads_through_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, binding: str
) -> None:
    monkeypatch.setenv(WASM_ENV, str(HOSTILE_DIR / "loop.wasm"))
    store = RuntimeStore(MemoryBackend(), fuel_per_call=1_000_000, binding=binding)  # type: ignore[arg-type]
    assert _sandbox_error(store).failure is SandboxFailure.OUT_OF_FUEL


def _loaded_store(component: RuntimeComponent, binding: str, **bounds: object) -> RuntimeStore:
    """A real store with 300 records of 4 KB health text: listing them takes about 900 000
    fuel and more than 2 MiB of guest memory, while a get takes a few thousand fuel."""
    backend = MemoryBackend()
    loader = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    for index in range(300):
        loader.insert(dataclasses.replace(record(f"game-{index:03}"), engine_health="h" * 4000))
    return RuntimeStore(backend, component, binding=binding, **bounds)  # type: ignore[arg-type]


def test_the_real_component_out_of_fuel_then_served_by_a_fresh_instance(
    component: RuntimeComponent, binding: str
) -> None:
    store = _loaded_store(component, binding, fuel_per_call=100_000)
    with pytest.raises(SandboxError) as raised:
        store.list()
    assert str(raised.value) == (
        f"list runtimes: the guest ran out of fuel (budget 100000 per call){_rules(store)}"
    )
    _fresh_instance_each_call(store)
    assert store.get("game-007").game_id == "game-007"


def test_the_real_component_out_of_memory_then_served_by_a_fresh_instance(
    component: RuntimeComponent, binding: str
) -> None:
    store = _loaded_store(component, binding, memory_limit=2 << 20)
    with pytest.raises(SandboxError) as raised:
        store.list()
    assert raised.value.failure is SandboxFailure.TRAPPED_NEAR_LIMIT
    assert str(raised.value).startswith(
        "list runtimes: the guest trapped (its memory limit is 2097152 bytes): "
    )
    _fresh_instance_each_call(store)
    assert store.get("game-007").game_id == "game-007"


def test_too_little_memory_to_start_is_an_instantiation_failure(
    component: RuntimeComponent, binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), component, memory_limit=64 * 1024, binding=binding)  # type: ignore[arg-type]
    with pytest.raises(SandboxError) as raised:
        store.get("game-1")
    assert raised.value.failure is SandboxFailure.INSTANTIATION
    assert str(raised.value).startswith(
        'get runtime record "game-1": the rules component could not be instantiated: '
    )


@pytest.mark.parametrize(
    ("bounds", "error", "match"),
    [
        ({"fuel_per_call": 0}, ValueError, "fuel_per_call must be in 1..="),
        ({"fuel_per_call": 2**64}, ValueError, "fuel_per_call must be in 1..="),
        ({"fuel_per_call": 1.5}, TypeError, "fuel_per_call must be an int"),
        (
            {"deadline_per_call": 0.005},
            ValueError,
            r"^deadline_per_call must be in 10 ms\.\.=3600000 ms \(got 5 ms\)$",
        ),
        (
            {"deadline_per_call": datetime.timedelta(hours=2)},
            ValueError,
            r"^deadline_per_call must be in 10 ms\.\.=3600000 ms \(got 7200000 ms\)$",
        ),
        ({"deadline_per_call": float("nan")}, ValueError, r"\(got nan\)"),
        ({"deadline_per_call": True}, TypeError, "deadline_per_call must be a number of seconds"),
        ({"deadline_per_call": "1"}, TypeError, "deadline_per_call must be a number of seconds"),
        ({"memory_limit": -1}, ValueError, "memory_limit must be in 1..="),
        ({"memory_limit": True}, TypeError, "memory_limit must be an int"),
        ({"binding": "slow"}, ValueError, "binding must be 'fast' or 'public'"),
    ],
)
def test_bounds_out_of_range_are_refused(
    bounds: dict[str, object], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        RuntimeStore(MemoryBackend(), **bounds)  # type: ignore[arg-type]


def test_a_200_megabyte_string_is_refused_without_growing_the_process(
    component: RuntimeComponent, binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), component, binding=binding)  # type: ignore[arg-type]
    huge = "x" * 200_000_000
    before = _reset_peak_rss_kib()
    with pytest.raises(InvalidInput) as raised:
        store.get(huge)
    grown_kib = _peak_rss_kib() - before
    assert str(raised.value) == "get runtime record: game id must not exceed 256 bytes"
    assert raised.value.game_id is huge
    assert grown_kib < 16 * 1024, f"the process grew by {grown_kib} KiB"


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak_rss_kib() -> int:
    """Resets the process's peak resident size to its current one (Linux), which it returns."""
    Path("/proc/self/clear_refs").write_text("5")
    current = _status_kib("VmRSS")
    assert _status_kib("VmHWM") <= current + 1024, "the peak was not reset"
    return current


def _peak_rss_kib() -> int:
    return _status_kib("VmHWM")


# --- the wall-clock deadline ---------------------------------------------------------------


def test_a_spinning_guest_with_unbounded_fuel_is_stopped_by_the_deadline(
    hostile: dict[str, RuntimeComponent], binding: str
) -> None:
    store = RuntimeStore(
        MemoryBackend(),
        hostile["loop"],
        fuel_per_call=2**64 - 1,
        deadline_per_call=0.1,
        binding=binding,  # type: ignore[arg-type]
    )
    for _ in range(2):
        started = time.monotonic()
        error = _sandbox_error(store)
        took = time.monotonic() - started
        assert error.failure is SandboxFailure.DEADLINE
        assert str(error) == (
            f'get runtime record "game-1": the call exceeded its deadline of 100 ms{_rules(store)}'
        )
        assert 0.1 <= took < 10, took
        _fresh_instance_each_call(store)
    with pytest.raises(SandboxError) as raised:
        store.list()
    assert str(raised.value) == (
        f"list runtimes: the call exceeded its deadline of 100 ms{_rules(store)}"
    )


def test_a_call_started_while_the_ticker_lags_still_gets_its_whole_deadline(
    hostile: dict[str, RuntimeComponent],
) -> None:
    # A loaded machine holds the ticker thread up; when it runs again it advances the epoch
    # by every tick it missed at once. A call started meanwhile must count its deadline
    # from the time, or that catch-up would stop it at once.
    store = RuntimeStore(
        MemoryBackend(), hostile["loop"], fuel_per_call=2**64 - 1, deadline_per_call=0.1
    )
    held = threading.Event()

    def hold_the_ticker() -> None:
        with _clock._lock:
            held.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold_the_ticker)
    holder.start()
    held.wait()
    time.sleep(0.28)  # the ticker owes about 28 ticks; the call starts just before it pays
    started = time.monotonic()
    error = _sandbox_error(store)
    took = time.monotonic() - started
    holder.join()
    assert error.failure is SandboxFailure.DEADLINE
    assert 0.1 <= took < 10, took


def test_the_deadline_may_be_a_timedelta(hostile: dict[str, RuntimeComponent]) -> None:
    store = RuntimeStore(
        MemoryBackend(),
        hostile["loop"],
        fuel_per_call=2**64 - 1,
        deadline_per_call=datetime.timedelta(milliseconds=50),
    )
    assert store.deadline_per_call == 0.05
    assert _sandbox_error(store).reason == "the call exceeded its deadline of 50 ms"


class _SlowFetch(MemoryBackend):
    """Every fetch takes 300 ms."""

    def fetch(self, game_id: str, /) -> RuntimeRecord | None:
        time.sleep(0.3)
        return super().fetch(game_id)


def test_time_spent_in_the_backend_does_not_count_against_the_deadline(
    component: RuntimeComponent, binding: str
) -> None:
    store = RuntimeStore(_SlowFetch(), component, deadline_per_call=0.1, binding=binding)  # type: ignore[arg-type]
    store.insert(record("game-1"))
    assert store.get("game-1") == record("game-1")
    with pytest.raises(NotFound):
        store.get("game-2")


def test_an_engine_without_epoch_interruption_is_refused_with_what_to_do() -> None:
    config = Config()
    config.consume_fuel = True
    component = RuntimeComponent(
        (HOSTILE_DIR / "trap.wasm").read_bytes(), engine=Engine(config), source="trap.wasm"
    )
    with pytest.raises(ValueError, match=r"does not interrupt on epochs \(epoch_interruption\)"):
        RuntimeStore(MemoryBackend(), component)
    config = Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    both = RuntimeComponent((HOSTILE_DIR / "trap.wasm").read_bytes(), engine=Engine(config))
    assert isinstance(RuntimeStore(MemoryBackend(), both), RuntimeStore)


# --- one backend call per operation (contract §7.1) --------------------------------------


class _Counting(MemoryBackend):
    """Counts the adapter calls that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def fetch(self, game_id: str, /) -> RuntimeRecord | None:
        self.calls.append("fetch")
        return super().fetch(game_id)

    def scan(
        self, scan_filter: ScanFilter, after: ScanKey | None, limit: int, /
    ) -> list[RuntimeRecord]:
        self.calls.append("scan")
        return super().scan(scan_filter, after, limit)


def test_a_fetch_loop_is_stopped_at_its_second_backend_call(
    hostile: dict[str, RuntimeComponent], binding: str
) -> None:
    backend = _Counting()
    store = RuntimeStore(backend, hostile["fetch-loop"], binding=binding)  # type: ignore[arg-type]
    for _ in range(3):
        error = _sandbox_error(store, "g1")
        assert error.failure is SandboxFailure.BACKEND_CALLS
        assert error.reason == BACKEND_CALLS.format(1)
        _fresh_instance_each_call(store)
    # The call over the cap never reaches the adapter.
    assert backend.calls == ["fetch"] * 3
    with pytest.raises(SandboxError) as raised:
        store.delete("g1")
    assert str(raised.value) == (
        f'delete runtime record "g1": {BACKEND_CALLS.format(1)}{_rules(store)}'
    )
    # The rules are pure: not even one backend call.
    with pytest.raises(SandboxError) as raised:
        store.transition(Status.STARTING, Status.RUNNING)
    assert (raised.value.operation, raised.value.game_id) == ("transition", None)
    assert str(raised.value) == (
        f"check runtime status transition: {BACKEND_CALLS.format(0)}{_rules(store)}"
    )
    assert backend.calls == ["fetch"] * 4


def test_a_scan_loop_is_stopped_at_its_second_backend_call(
    hostile: dict[str, RuntimeComponent], binding: str
) -> None:
    backend = _Counting()
    store = RuntimeStore(backend, hostile["scan-loop"], binding=binding)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(SandboxError) as raised:
            store.list()
        assert str(raised.value) == f"list runtimes: {BACKEND_CALLS.format(1)}{_rules(store)}"
    assert backend.calls == ["scan"] * 2
    # Over a full store the answer may overrun the stub's memory first: stopped either way.
    for index in range(1_000):
        backend.insert(record(f"game-{index:04}"))
    with pytest.raises(SandboxError) as raised:
        store.list()
    assert raised.value.failure in (SandboxFailure.BACKEND_CALLS, SandboxFailure.TRAPPED_NEAR_LIMIT)
    _fresh_instance_each_call(store)


def test_the_real_component_makes_one_backend_call_per_operation(
    component: RuntimeComponent, binding: str
) -> None:
    backend = _Counting()
    store = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    store.insert(record("game-1"))
    assert store.get("game-1") == record("game-1")
    assert [item.game_id for item in store.list()] == ["game-1"]
    store.transition(Status.STARTING, Status.RUNNING)
    assert backend.calls == ["fetch", "scan"]


# --- deep recursion and wrong export types ------------------------------------------------


def test_deep_recursion_is_stopped_by_the_stack_limit(
    hostile: dict[str, RuntimeComponent], binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), hostile["recurse"], binding=binding)  # type: ignore[arg-type]
    for _ in range(2):
        error = _sandbox_error(store, "g1")
        assert error.failure is SandboxFailure.TRAPPED_NEAR_LIMIT
        assert str(error) == (
            'get runtime record "g1": the guest trapped (its memory limit is 16777216 bytes): '
            "call stack exhausted" + _rules(store)
        )
        _fresh_instance_each_call(store)


WRONG_GET = (
    "the rules component's export `get` of galaxy:gamemaster/store@0.2.0 does not have the "
    "type the runtime-store world gives it (galaxy:gamemaster/store@0.2.0#get(game-id): "
    "expected string)"
)


def test_a_component_exporting_the_wrong_types_is_refused_when_loaded_naming_the_function(
    component: RuntimeComponent, binding: str
) -> None:
    path = HOSTILE_DIR / "wrong-types.wasm"
    with pytest.raises(ComponentMismatch) as raised:
        RuntimeComponent.from_file(path)
    assert (raised.value.interface, raised.value.function) == (
        "galaxy:gamemaster/store@0.2.0",
        "get",
    )
    assert str(raised.value) == f"{path}: {WRONG_GET}"
    # Through a store too: refused before any call reaches an adapter.
    backend = _Counting()
    with pytest.raises(ComponentMismatch, match="export `get` of"):
        RuntimeStore(backend, path, binding=binding)  # type: ignore[arg-type]
    assert backend.calls == []
    real = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    real.insert(record("game-1"))
    assert real.get("game-1") == record("game-1")


def test_a_sandbox_failure_names_the_build_that_ran_by_the_sha256_of_its_bytes(
    hostile: dict[str, RuntimeComponent], component: RuntimeComponent, binding: str
) -> None:
    wasm = (HOSTILE_DIR / "trap.wasm").read_bytes()
    digest = hashlib.sha256(wasm).hexdigest()
    store = RuntimeStore(MemoryBackend(), hostile["trap"], memory_limit=None, binding=binding)  # type: ignore[arg-type]
    assert store.rules_identity == RulesIdentity(digest, len(wasm))
    assert str(store.rules_identity) == f"sha256 {digest[:12]} ({len(wasm)} bytes)"
    error = _sandbox_error(store)
    assert str(error) == (
        f'get runtime record "game-1": the guest trapped: {UNREACHABLE} (rules {digest[:12]})'
    )
    assert error.rules == RulesIdentity(digest, len(wasm))
    # The real rules are another build, named by theirs.
    committed = COMMITTED_WASM.read_bytes()
    real = RuntimeStore(MemoryBackend(), component, memory_limit=64 * 1024, binding=binding)  # type: ignore[arg-type]
    assert real.rules_identity.sha256 == hashlib.sha256(committed).hexdigest() != digest
    with pytest.raises(SandboxError) as raised:
        real.delete("g1")
    assert str(raised.value).startswith(
        'delete runtime record "g1": the rules component could not be instantiated: '
    )
    assert str(raised.value).endswith(f" (rules {hashlib.sha256(committed).hexdigest()[:12]})")
