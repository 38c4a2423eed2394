"""The process's one ticker thread, as in the Rust host: every `TICK_SECONDS` it advances the
epoch of every engine a store uses (wasmtime's epoch interruption: a running guest whose
epoch deadline has passed traps) and the coarse clock `CLOCK[0]`, whole ticks the stores
count call deadlines in.

The thread is a daemon; it starts with the first engine registered and ends once no
registered engine is alive (the next registration starts it again). Each tick takes the
GIL for a few microseconds; a guest runs with the GIL released (wasmtime is called through
ctypes), so ticks are not delayed by it.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Final

from wasmtime import Engine

TICK_SECONDS: Final = 0.01
"""How often the epoch advances: the granularity of call deadlines."""

CLOCK: Final[list[int]] = [0]
"""`CLOCK[0]`: ticks since the ticker first started. The epoch of every registered engine
advances with it (an engine registered later is behind by a constant, which deadlines,
being relative, do not see)."""

_STARTED: Final[list[float]] = [0.0]
"""`_STARTED[0]`: the `time.monotonic()` at which `CLOCK[0]` was zero (set by the ticker)."""

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_lock = threading.Lock()
_running = False


def ticks_in(seconds: float) -> int:
    """`seconds` in whole ticks, rounded up."""
    whole = seconds / TICK_SECONDS
    rounded = int(whole)
    return rounded if rounded >= whole - 1e-9 else rounded + 1


def owed() -> int:
    """The ticks the ticker owes: how far `CLOCK[0]` (and the engines' epochs) lag behind
    the time, when its thread was held up (a loaded machine). It catches up at its next
    tick, all at once, so a deadline set now must count from the time, not from the clock:
    otherwise the catch-up would stop a call before its deadline."""
    if not _running:
        return 0
    return max(0, int((time.monotonic() - _STARTED[0]) / TICK_SECONDS) - CLOCK[0])


def tick(engine: Engine) -> None:
    """Has the ticker advance `engine`'s epoch from now on, for as long as it lives."""
    global _running
    with _lock:
        if engine in _engines and _running:
            return
        _engines.add(engine)
        if not _running:
            _running = True
            threading.Thread(target=_tick_forever, name="runtime-store-ticker", daemon=True).start()


def _tick_forever() -> None:
    global _running
    # Ticks are counted from a fixed start, so sleeps that overran do not slow the clock; the
    # engines' epochs advance by as many ticks as the clock, so both stay in step.
    started = time.monotonic() - CLOCK[0] * TICK_SECONDS
    _STARTED[0] = started
    while True:
        pause = started + (CLOCK[0] + 1) * TICK_SECONDS - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        with _lock:
            engines = list(_engines)
            if not engines:
                _running = False
                return
        now = max(CLOCK[0] + 1, int((time.monotonic() - started) / TICK_SECONDS))
        for _ in range(now - CLOCK[0]):
            for engine in engines:
                engine.increment_epoch()
        del engines
        CLOCK[0] = now
