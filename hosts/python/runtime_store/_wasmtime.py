"""wasmtime-py, refused at import unless it is the one release this package was written for.

For speed, `_codec` and `store` call wasmtime's C API through wasmtime-py's private `_ffi`
module (its ctypes structure layouts, its loaded library) and a few private methods. None
of that is a stable interface, so another release could misread memory instead of failing;
importing this module first turns a version mismatch into an `ImportError` that says what
to install.
"""

from __future__ import annotations

from importlib import metadata
from typing import Optional

WASMTIME_VERSION = "50.0.1"
"""The wasmtime-py release whose private bindings this package uses."""


def require_wasmtime(installed: Optional[str]) -> None:
    """Raises `ImportError` unless `installed` (a wasmtime-py version, `None` when absent) is
    `WASMTIME_VERSION`."""
    if installed == WASMTIME_VERSION:
        return
    found = "no wasmtime" if installed is None else f"wasmtime {installed}"
    raise ImportError(
        f"runtime_store needs wasmtime=={WASMTIME_VERSION} exactly, found {found}: it calls "
        "wasmtime-py's private C bindings (wasmtime._ffi), which change between releases. "
        f"Install it with `pip install wasmtime=={WASMTIME_VERSION}` "
        "(or `pip install -r hosts/python/requirements.txt`)."
    )


def _installed_version() -> Optional[str]:
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:
        return None


require_wasmtime(_installed_version())

from wasmtime import _ffi as ffi  # noqa: E402  (only once the version is known to match)

__all__ = ["WASMTIME_VERSION", "ffi", "require_wasmtime"]
