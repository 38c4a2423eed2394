"""Which build of the rules a store runs: the SHA-256 and size of the component's bytes."""

from __future__ import annotations

import dataclasses
import hashlib


@dataclasses.dataclass(frozen=True)
class RulesIdentity:
    """A rules build, as the Rust host's `RulesIdentity` names it: `sha256` is the
    lowercase hex SHA-256 of the component's bytes (64 digits), `size` their length.

    `str()` reads `sha256 <12 hex digits> (<size> bytes)`; `short` is those 12 digits, which
    every sandbox failure's message ends with (`(rules <short>)`).
    """

    sha256: str
    size: int

    @classmethod
    def of(cls, wasm: bytes) -> RulesIdentity:
        """The identity of the component `wasm`."""
        return cls(hashlib.sha256(wasm).hexdigest(), len(wasm))

    @property
    def short(self) -> str:
        """The first 12 hex digits of `sha256`, as messages quote it."""
        return self.sha256[:12]

    def __str__(self) -> str:
        return f"sha256 {self.short} ({self.size} bytes)"
