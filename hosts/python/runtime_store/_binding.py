"""What both call paths share: answering the component's backend imports through an adapter,
and naming a refused argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._clock import CLOCK, owed
from ._codec import Codec, Refused
from ._wit import Signature
from .types import BackendError

Answer = tuple[bool, Any]
"""A backend primitive's WIT result: (True, value) or (False, BackendError)."""


def at_parameter(refused: Refused, codec: Codec, parameter_words: str) -> Refused:
    """`refused`, naming the field from the call's point of view: a record's own field names
    stand alone (`current turn`); anything else is named after the parameter (`game id`,
    `now seconds`)."""
    if refused.field is not None and codec.names_fields:
        return refused
    return refused.within(parameter_words)


class BackendCallsExceeded(Exception):
    """The guest called the backend more often than its operation needs (contract §7.1);
    raised in the import instead of calling the adapter, so the guest traps."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} backend call(s)")
        self.limit = limit


class CallBudget:
    """The bounds of a store's call in progress that fuel and memory do not cover: the
    backend calls its operation may make (`limit`) and has made, and its epoch deadline
    (`deadline`, in ticks of `_clock.CLOCK`), pushed back by the ticks each backend call
    takes through `set_deadline` (the instance's, relative to the current epoch)."""

    __slots__ = ("deadline", "limit", "made", "set_deadline")

    def __init__(self) -> None:
        self.limit = 0
        self.made = 0
        self.deadline = 0
        self.set_deadline: Callable[[int], None] = _no_deadline

    def start(self, limit: int, ticks: int, set_deadline: Callable[[int], None]) -> None:
        """A new call: `limit` backend calls, `ticks` of guest time from now (from the
        time: the ticks the ticker owes are added, see `_clock.owed`)."""
        ticks += owed()
        self.limit = limit
        self.made = 0
        self.deadline = CLOCK[0] + ticks
        self.set_deadline = set_deadline
        set_deadline(ticks)


def _no_deadline(_ticks: int) -> None:
    """`CallBudget.set_deadline` outside a call."""


class HostFunction:
    """One backend primitive the component imports, answered by the adapter.

    Everything the adapter raises or returns wrongly becomes a `backend-error` answer: an
    exception escaping a host function would trap the guest and poison the instance. Only
    what is not an `Exception` (`KeyboardInterrupt`, `SystemExit`) is let through: it is
    kept in `escaped`, the call traps, and the store re-raises it. A backend call the
    operation does not need (`BackendCallsExceeded`) is kept and trapped the same way; the
    store reports it as the sandbox failure it is.
    """

    def __init__(
        self,
        name: str,
        signature: Signature,
        call: Callable[..., Any],
        escaped: list[BaseException],
        budget: CallBudget,
    ):
        self.name = name
        self.signature = signature
        self.call = call
        self.escaped = escaped
        self.budget = budget

    def ask(self, params: list[Any]) -> Answer:
        """The adapter's answer to `params`, as a WIT result.

        A call beyond the operation's backend calls raises `BackendCallsExceeded` without
        reaching the adapter (the binding turns it into a trap). The time the adapter takes
        is kept off the call's deadline: its own timeouts bound it."""
        budget = self.budget
        if budget.made >= budget.limit:
            raise BackendCallsExceeded(budget.limit)
        budget.made += 1
        started = CLOCK[0]
        try:
            return True, self.call(*params)
        except BackendError as error:
            return False, error
        except Exception as error:
            return False, self.failure(f"{type(error).__name__}: {error}")
        finally:
            took = CLOCK[0] - started
            if took:
                budget.deadline += took
                budget.set_deadline(max(1, budget.deadline - CLOCK[0]))

    def refused(self, refused: Refused) -> Answer:
        """The answer replacing an adapter answer the WIT types cannot hold."""
        field = refused.field or "the answer"
        return False, self.failure(f"{field} must be {refused.expected}")

    def failure(self, detail: str) -> BackendError:
        """`failed("backend <primitive>: <detail>")`."""
        text = f"backend {self.name}: {detail}"
        return BackendError.failed(text.encode("utf-8", "backslashreplace").decode("utf-8"))

    def interrupted(self, error: BaseException) -> str:
        """Keeps `error` for the store to re-raise; the text of the trap that replaces it."""
        self.escaped.append(error)
        return f"backend {self.name} interrupted: {error!r}"


def first_escaped(escaped: list[BaseException]) -> BaseException | None:
    """The interrupt a host function kept during the last call, if any (and forgets all)."""
    if not escaped:
        return None
    first = escaped[0]
    escaped.clear()
    return first
