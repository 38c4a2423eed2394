"""Live rules swap (`RuntimeStore.swap_rules`), as the Rust host's `swap_rules`: a candidate
goes live only after load, instantiation and a gate run against it on a scratch backend;
calls in flight finish on the rules they started with; a refused candidate leaves the
serving rules in place, and the refusal names the step, the reason and both builds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from runtime_store import (
    Conflict,
    MemoryBackend,
    NotFound,
    PatchOutcome,
    RecordPatch,
    RulesIdentity,
    RuntimeComponent,
    RuntimeRecord,
    RuntimeStore,
    SandboxError,
    Status,
    SwapError,
    SwapStep,
    Timestamp,
    UpdateEngineHealthInput,
)

from paths import COMMITTED_WASM, HOSTILE_DIR
from records import record

T = TypeVar("T")


def other_build() -> bytes:
    """The committed rules with a custom section appended: the same behaviour, another build
    (another SHA-256), so every answer can be traced to the build that gave it."""
    name = b"build-tag"
    payload = b"second build"
    section = bytes([len(name)]) + name + payload
    return COMMITTED_WASM.read_bytes() + bytes([0, len(section)]) + section


def smoke_gate(candidate: RuntimeStore) -> None:
    """A few calls whose answers the contract fixes; raises to refuse the candidate."""
    gate_record = record("gate-1")
    candidate.insert(gate_record)
    try:
        candidate.insert(gate_record)
    except Conflict:
        pass
    else:
        raise AssertionError("a second insert did not answer conflict")
    if candidate.get("gate-1") != gate_record:
        raise AssertionError("get did not answer the record inserted")


class _Witness(MemoryBackend):
    """A memory backend that records, for each primitive it serves, the rules build serving
    the store at its start and at its end (after a pause that lets a swap try to go live
    in the middle of the call)."""

    def __init__(self) -> None:
        super().__init__()
        self.store: RuntimeStore | None = None
        self.seen: list[tuple[str, str]] = []
        self._seen_lock = threading.Lock()

    def _watch(self) -> str:
        assert self.store is not None
        return self.store.rules_identity.sha256

    def _witnessed(self, serve: Callable[[], T]) -> T:
        at_start = self._watch()
        time.sleep(0.0005)
        answer = serve()
        with self._seen_lock:
            self.seen.append((at_start, self._watch()))
        return answer

    def fetch(self, game_id: str, /) -> RuntimeRecord | None:
        return self._witnessed(lambda: super(_Witness, self).fetch(game_id))

    def patch(self, game_id: str, expected: Status | None, changes: RecordPatch, /) -> PatchOutcome:
        return self._witnessed(lambda: super(_Witness, self).patch(game_id, expected, changes))


def test_a_swap_under_concurrent_calls_fails_no_call_and_each_is_answered_by_one_build(
    component: RuntimeComponent, binding: str
) -> None:
    backend = _Witness()
    store = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    backend.store = store
    first = store.rules_identity
    assert first == RulesIdentity.of(COMMITTED_WASM.read_bytes())
    threads, calls_per_thread = 8, 60
    for task in range(threads):
        store.insert(record(f"game-{task}"))
    backend.seen.clear()

    failures: list[BaseException] = []
    started = threading.Barrier(threads + 1)

    def caller(task: int) -> None:
        started.wait()
        try:
            for call in range(calls_per_thread):
                game_id = f"game-{task}"
                if call % 2 == 0:
                    assert store.get(game_id).game_id == game_id
                else:
                    store.update_engine_health(
                        UpdateEngineHealthInput(
                            game_id, f"check {call}", Timestamp(1_764_000_100 + call)
                        )
                    )
                time.sleep(0)
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=caller, args=(task,)) for task in range(threads)]
    for worker in workers:
        worker.start()
    started.wait()
    time.sleep(0.01)  # some calls are answered by the first build
    second = store.swap_rules(other_build(), smoke_gate)
    for worker in workers:
        worker.join()

    assert failures == [], failures
    assert second == RulesIdentity.of(other_build()) != first
    assert store.rules_identity == second
    # Every call's one fetch: on one build from its start to its end, and that build is one
    # of the two; both answered.
    assert len(backend.seen) == threads * calls_per_thread
    assert all(at_start == at_end for at_start, at_end in backend.seen), "a call changed builds"
    builds = {at_start for at_start, _ in backend.seen}
    assert builds == {first.sha256, second.sha256}, builds
    # Once the swap returned, every call runs on the second build; its sandbox failures
    # name it.
    for task in range(threads):
        assert store.get(f"game-{task}").engine_health == f"check {calls_per_thread - 1}"
    assert backend.seen[-1] == (second.sha256, second.sha256)
    # The gate ran on a scratch backend: its record is not in this store's.
    with pytest.raises(NotFound):
        store.get("gate-1")


def test_a_sandbox_failure_after_a_swap_names_the_new_build(
    component: RuntimeComponent, binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), component, memory_limit=None, binding=binding)  # type: ignore[arg-type]
    trap = (HOSTILE_DIR / "trap.wasm").read_bytes()
    identity = store.swap_rules(trap, lambda candidate: None)
    assert identity == RulesIdentity.of(trap) == store.rules_identity
    with pytest.raises(SandboxError) as raised:
        store.get("g1")
    assert raised.value.rules == identity
    assert str(raised.value).endswith(f" (rules {identity.short})")
    # And back: the committed rules serve again.
    assert store.swap_rules(COMMITTED_WASM.read_bytes(), smoke_gate).sha256 == (
        RulesIdentity.of(COMMITTED_WASM.read_bytes()).sha256
    )
    store.insert(record("g1"))
    assert store.get("g1") == record("g1")


def _gate_one_insert(candidate: RuntimeStore) -> None:
    candidate.insert(record("gate-1"))


@pytest.mark.parametrize(
    ("stem", "step", "says"),
    [
        ("wrong-types", SwapStep.LOAD, "`get`"),
        ("trap-on-start", SwapStep.INSTANTIATION, "could not be instantiated"),
        ("trap", SwapStep.GATE, 'insert runtime record "gate-1": the guest trapped'),
    ],
)
def test_a_broken_candidate_is_refused_at_its_step_and_the_old_rules_keep_serving(
    stem: str, step: SwapStep, says: str, component: RuntimeComponent, binding: str
) -> None:
    store = RuntimeStore(MemoryBackend(), component, binding=binding)  # type: ignore[arg-type]
    store.insert(record("kept"))
    serving = store.rules_identity
    wasm = (HOSTILE_DIR / f"{stem}.wasm").read_bytes()
    gate_ran: list[RulesIdentity] = []

    def gate(candidate: RuntimeStore) -> None:
        gate_ran.append(candidate.rules_identity)
        _gate_one_insert(candidate)

    with pytest.raises(SwapError) as raised:
        store.swap_rules(wasm, gate)
    error = raised.value
    assert error.step is step, error
    assert says in error.reason, error
    assert error.candidate == RulesIdentity.of(wasm)
    assert error.serving == serving
    assert str(error).startswith(f"swap rules to {error.candidate}: refused at {step.value}: ")
    assert str(error).endswith(f"(the rules {serving} keep serving)")
    # The gate runs only on a candidate that loaded and started, on the candidate.
    assert gate_ran == ([RulesIdentity.of(wasm)] if step is SwapStep.GATE else [])
    assert store.rules_identity == serving
    assert store.get("kept").game_id == "kept"
    assert [item.game_id for item in store.list()] == ["kept"]
    assert store.get("kept").status is Status.RUNNING
