"""Finding, compiling and checking the rules component."""

from __future__ import annotations

import functools
import os
import weakref
from importlib import resources
from pathlib import Path
from typing import Any, cast

from wasmtime import Config, Engine
from wasmtime.component import Component, FuncType

from ._codec import ComponentMismatch
from ._wit import BACKEND_FUNCTIONS, BACKEND_INTERFACE, EXPORTS, TYPES_INTERFACE, Signature
from .identity import RulesIdentity

WASM_ENV = "RUNTIME_STORE_WASM"
"""Environment variable naming a component file to load instead of the packaged one."""

PACKAGED_WASM = "runtime-store.wasm"
"""The rules component shipped inside the package (the file the Rust host embeds,
`host/component/runtime-store.wasm`, byte for byte)."""


SANDBOX_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()
"""The engines `fuel_engine` made: known to meter fuel and to interrupt on epochs."""


def fuel_engine() -> Engine:
    """A wasmtime engine that meters fuel and interrupts on epochs, as the store's CPU
    bounds (`fuel_per_call`, `deadline_per_call`) need."""
    config = Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    engine = Engine(config)
    SANDBOX_ENGINES.add(engine)
    return engine


class RuntimeComponent:
    """The compiled rules component; compile once, then share it between stores.

    `engine` must meter fuel and interrupt on epochs (`Config.consume_fuel` and
    `Config.epoch_interruption` True; a store refuses it otherwise); by default one that
    does is made. Loading refuses (`ComponentMismatch`, naming the function) a component
    whose exports, or backend imports, do not have the types of the `runtime-store` world.
    `identity` is the build (`RulesIdentity`: SHA-256 and size of the component's bytes,
    computed once here), which every sandbox failure names; `sha256` is its hex digest;
    `source` says where the bytes came from.
    """

    def __init__(self, wasm: bytes, *, engine: Engine | None = None, source: str = "<bytes>"):
        self.source = source
        self.identity = RulesIdentity.of(wasm)
        self.sha256 = self.identity.sha256
        self.engine = engine or fuel_engine()
        self.component = Component(self.engine, wasm)
        _check_types(self.component, self.engine, source)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, engine: Engine | None = None
    ) -> RuntimeComponent:
        """Reads and compiles the component at `path`."""
        path = Path(path)
        try:
            wasm = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no rules component at {path}: give the path of a runtime-store component "
                f"(the Rust CLI writes one with `runtime-store component --out FILE`), or "
                f"unset {WASM_ENV} to use the one shipped with the package"
            ) from None
        return cls(wasm, engine=engine, source=str(path))

    @classmethod
    def packaged(cls, *, engine: Engine | None = None) -> RuntimeComponent:
        """The component shipped inside the package."""
        resource = resources.files(__package__).joinpath(PACKAGED_WASM)
        try:
            wasm = resource.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"the runtime_store package has no {PACKAGED_WASM}: the installation is "
                f"incomplete (reinstall the package), or point {WASM_ENV} at a component file"
            ) from None
        return cls(wasm, engine=engine, source=f"runtime_store/{PACKAGED_WASM} (packaged)")

    @classmethod
    def default(cls) -> RuntimeComponent:
        """The component file named by `$RUNTIME_STORE_WASM`, else the packaged one;
        compiled once per process (per source)."""
        return _load_cached(os.environ.get(WASM_ENV) or None)


@functools.cache
def _load_cached(path: str | None) -> RuntimeComponent:
    if path is None:
        return RuntimeComponent.packaged()
    return RuntimeComponent.from_file(path)


def _check_types(component: Component, engine: Engine, source: str) -> None:
    """Refuses a component whose store, rules or backend functions differ from the WIT,
    before any instance is made, naming the function (as the Rust host's `BuildError::Export`
    words it).

    Every export must be there. The backend import may be absent, or import only some of
    the functions (a component imports what it calls), but each it imports must match; no
    other interface may be imported."""
    component_type = component.type
    imports, exports = component_type.imports(engine), component_type.exports(engine)
    for interface in imports:
        if interface not in (BACKEND_INTERFACE, TYPES_INTERFACE):
            raise ComponentMismatch(
                f"{source}: the rules component imports {interface}; it may import only "
                f"{BACKEND_INTERFACE}"
            )
    checks = [("export", exports, interface, functions) for interface, functions in EXPORTS.items()]
    if BACKEND_INTERFACE in imports:
        items: Any = cast(Any, imports[BACKEND_INTERFACE].ty).exports(engine)
        imported = [name for name, item in items.items() if isinstance(item.ty, FuncType)]
        for name in imported:
            if name not in BACKEND_FUNCTIONS:
                raise ComponentMismatch(
                    f"{source}: the rules component's import `{name}` of {BACKEND_INTERFACE} "
                    "is not a function of the runtime-store world",
                    interface=BACKEND_INTERFACE,
                    function=name,
                )
        wanted = {name: BACKEND_FUNCTIONS[name] for name in imported}
        checks.append(("import", imports, BACKEND_INTERFACE, wanted))
    for kind, items, interface, functions in checks:
        if interface not in items:
            raise ComponentMismatch(
                f"{source}: the component has no {interface}", interface=interface
            )
        declared: Any = cast(Any, items[interface].ty).exports(engine)
        for name, signature in functions.items():
            prefix = f"{source}: the rules component's {kind} `{name}` of {interface}"
            if name not in declared:
                raise ComponentMismatch(f"{prefix} is missing", interface=interface, function=name)
            try:
                _check_signature(declared[name].ty, signature, f"{interface}#{name}")
            except ComponentMismatch as mismatch:
                raise ComponentMismatch(
                    f"{prefix} does not have the type the runtime-store world gives it "
                    f"({mismatch})",
                    interface=interface,
                    function=name,
                ) from None


def _check_signature(func_type: Any, signature: Signature, where: str) -> None:
    params = func_type.params
    names = tuple(name for name, _ in params)
    if names != signature.names:
        raise ComponentMismatch(f"{where}: expected parameters {signature.names}, found {names}")
    for (name, ty), codec in zip(params, signature.params):
        codec.check(ty, f"{where}({name})")
    result = func_type.result
    if result is None:
        raise ComponentMismatch(f"{where}: expected a result")
    signature.result.check(result, f"{where} result")
