"""Finding, compiling and checking the rules component."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any, Optional

from wasmtime import Engine
from wasmtime.component import Component

from ._codec import ComponentMismatch
from ._wit import BACKEND_FUNCTIONS, BACKEND_INTERFACE, EXPORTS, Signature

WASM_ENV = "RUNTIME_STORE_WASM"
"""Environment variable naming the component file to load."""

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_WASM = REPO_ROOT / "target" / "runtime-store.wasm"
"""Where `runtime-store component --out target/runtime-store.wasm` writes the component."""


def component_path() -> Path:
    """The component file: `$RUNTIME_STORE_WASM`, else `<repo>/target/runtime-store.wasm`."""
    configured = os.environ.get(WASM_ENV)
    return Path(configured) if configured else DEFAULT_WASM


class RuntimeComponent:
    """The compiled rules component; compile once, then share it between stores."""

    def __init__(self, wasm: bytes, *, engine: Optional[Engine] = None, source: str = "<bytes>"):
        self.source = source
        self.sha256 = hashlib.sha256(wasm).hexdigest()
        self.engine = engine or Engine()
        self.component = Component(self.engine, wasm)
        _check_types(self.component, self.engine, source)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, engine: Optional[Engine] = None) -> "RuntimeComponent":
        """Reads and compiles the component at `path`."""
        path = Path(path)
        try:
            wasm = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no rules component at {path}: write one with "
                f"`cargo run -q -p runtime-store-cli -- component --out {path}` "
                f"or point {WASM_ENV} at one"
            ) from None
        return cls(wasm, engine=engine, source=str(path))

    @classmethod
    def default(cls) -> "RuntimeComponent":
        """The component at `component_path()`, compiled once per process."""
        return _load_cached(component_path())


@functools.lru_cache(maxsize=None)
def _load_cached(path: Path) -> RuntimeComponent:
    return RuntimeComponent.from_file(path)


def _check_types(component: Component, engine: Engine, source: str) -> None:
    """Refuses a component whose store, rules or backend functions differ from the WIT."""
    component_type = component.type
    imports, exports = component_type.imports(engine), component_type.exports(engine)
    interfaces = [(imports, BACKEND_INTERFACE, BACKEND_FUNCTIONS)]
    interfaces += [(exports, interface, functions) for interface, functions in EXPORTS.items()]
    for items, interface, functions in interfaces:
        if interface not in items:
            raise ComponentMismatch(f"{source}: the component has no {interface}")
        declared = items[interface].ty.exports(engine)
        for name, signature in functions.items():
            if name not in declared:
                raise ComponentMismatch(f"{source}: {interface} has no function {name}")
            _check_signature(declared[name].ty, signature, f"{source}: {interface}#{name}")


def _check_signature(func_type: Any, signature: Signature, where: str) -> None:
    params = func_type.params
    if len(params) != len(signature.params):
        raise ComponentMismatch(f"{where}: expected {len(signature.params)} parameters")
    for (name, ty), codec in zip(params, signature.params):
        codec.check(ty, f"{where}({name})")
    result = func_type.result
    if result is None:
        raise ComponentMismatch(f"{where}: expected a result")
    signature.result.check(result, f"{where} result")
