"""wasmtime-py, and which of the two call paths this process may use.

The fast path (`_fast.py`) calls wasmtime's C API through wasmtime-py's private bindings
(`wasmtime._ffi`, `wasmtime._bindings`) with signatures and struct layouts declared by hand
in `_abi.py`. Those carry no compatibility promise between wasmtime-py releases, so they
are verified here, once, at import: every declaration is compared with wasmtime-py's own.
When anything differs the package runs on wasmtime-py's public component API instead
(`_public.py`: the same results, several times slower) and says so with one
`RuntimeWarning`.
"""

from __future__ import annotations

import os
import warnings
from importlib import metadata
from types import ModuleType
from typing import Final

SUPPORTED_WASMTIME: Final = ">=49.0.0,<51"
"""The wasmtime-py releases this package is tested with (the oldest and newest of the range
on every run); `pyproject.toml` asks for the same range."""

BINDING_ENV: Final = "RUNTIME_STORE_BINDING"
"""Environment variable choosing the call path of stores that do not choose one:
`fast`, `public` or `auto` (the default: fast when verified)."""

try:
    import wasmtime
    import wasmtime.component
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        f"runtime_store needs wasmtime-py (wasmtime{SUPPORTED_WASMTIME}), which cannot be "
        f"imported: {error}. Install it with `pip install 'wasmtime{SUPPORTED_WASMTIME}'`."
    ) from error


def _installed_version() -> str:
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:  # pragma: no cover - an unpackaged checkout
        return getattr(wasmtime, "__version__", "unknown")


WASMTIME_VERSION: Final = _installed_version()
"""The wasmtime-py release in use."""


def _private_modules() -> tuple[ModuleType | None, ModuleType | None, list[str]]:
    try:
        from wasmtime import _bindings, _ffi
    except ImportError as error:
        return None, None, [f"wasmtime-py's private bindings cannot be imported: {error}"]
    return _bindings, _ffi, []


def _verify() -> list[str]:
    from ._abi import verify

    bindings, ffi, problems = _private_modules()
    if bindings is None or ffi is None:
        return problems
    try:
        return verify(
            bindings,
            ffi,
            {"wasmtime": wasmtime, "wasmtime.component": wasmtime.component},
        )
    except Exception as error:  # a declaration of an unexpected kind is a difference too
        return [f"verifying wasmtime-py's private bindings failed: {error!r}"]


FAST_PATH_PROBLEMS: Final[tuple[str, ...]] = tuple(_verify())
"""How wasmtime-py's private bindings differ from what the fast path declares; empty when
the fast path is verified."""

FAST_PATH_AVAILABLE: Final = not FAST_PATH_PROBLEMS
"""Whether stores may call wasmtime through the verified private fast path."""


def fast_path_unavailable_reason() -> str:
    """Why the fast path is not used (empty when it is available)."""
    if FAST_PATH_AVAILABLE:
        return ""
    more = len(FAST_PATH_PROBLEMS) - 1
    suffix = f" (and {more} more difference{'s' if more > 1 else ''})" if more else ""
    return (
        f"wasmtime-py {WASMTIME_VERSION}'s private C bindings differ from the declarations "
        f"runtime_store verified: {FAST_PATH_PROBLEMS[0]}{suffix}"
    )


if not FAST_PATH_AVAILABLE:
    warnings.warn(
        "runtime_store runs on wasmtime-py's public component API (the same results, slower) "
        f"instead of its verified fast path, because {fast_path_unavailable_reason()}. "
        f"Tested releases: wasmtime{SUPPORTED_WASMTIME}.",
        RuntimeWarning,
        stacklevel=2,
    )


def default_binding() -> str:
    """The call path of a store that does not choose one: `$RUNTIME_STORE_BINDING` (`fast`
    or `public`), else `fast` when verified, else `public`."""
    chosen = os.environ.get(BINDING_ENV, "auto").strip().lower() or "auto"
    if chosen == "auto":
        return "fast" if FAST_PATH_AVAILABLE else "public"
    return chosen


__all__ = [
    "BINDING_ENV",
    "FAST_PATH_AVAILABLE",
    "FAST_PATH_PROBLEMS",
    "SUPPORTED_WASMTIME",
    "WASMTIME_VERSION",
    "default_binding",
    "fast_path_unavailable_reason",
]
