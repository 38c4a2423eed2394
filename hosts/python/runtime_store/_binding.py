"""What both call paths share: answering the component's backend imports through an adapter,
and naming a refused argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


class HostFunction:
    """One backend primitive the component imports, answered by the adapter.

    Everything the adapter raises or returns wrongly becomes a `backend-error` answer: an
    exception escaping a host function would trap the guest and poison the instance. Only
    what is not an `Exception` (`KeyboardInterrupt`, `SystemExit`) is let through: it is
    kept in `escaped`, the call traps, and the store re-raises it.
    """

    def __init__(
        self,
        name: str,
        signature: Signature,
        call: Callable[..., Any],
        escaped: list[BaseException],
    ):
        self.name = name
        self.signature = signature
        self.call = call
        self.escaped = escaped

    def ask(self, params: list[Any]) -> Answer:
        """The adapter's answer to `params`, as a WIT result."""
        try:
            return True, self.call(*params)
        except BackendError as error:
            return False, error
        except Exception as error:
            return False, self.failure(f"{type(error).__name__}: {error}")

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
