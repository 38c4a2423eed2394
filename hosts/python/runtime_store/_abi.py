"""The C interface the fast path uses, declared by hand and verified against wasmtime-py.

The fast path (`_fast.py`) calls wasmtime's C API directly and reads and writes
`wasmtime_component_val_t` trees as raw bytes. Everything it assumes about that interface
is written down here once, as plain data:

* `LAYOUT`: the offset and shape of every struct field it reads or writes, and `SIZES`;
* `KINDS`: the `wasmtime_component_valkind_t` values it writes;
* `SIGNATURES`: the C functions and callback types it declares with `ctypes`;
* `PRIVATE_API`: the private wasmtime-py attributes it touches.

`verify()` compares each of those with wasmtime-py's own declarations (the ctypes
structures, function objects and callback types of `wasmtime._bindings`, the constants of
`wasmtime._ffi`). The store uses the fast path only when nothing differs; otherwise it runs
on wasmtime-py's public component API (see `_wasmtime.py`). The prototypes `_fast.py` calls
are built from `SIGNATURES` by `prototype()`, so what is verified is what is called.
"""

from __future__ import annotations

import ctypes
from types import ModuleType
from typing import Any, Final, cast

Shape = str | tuple[Any, ...]
"""What a ctypes type looks like to C: `"pointer"`, `"u64"`, `"bool"`, `"void"`,
`("struct", size)` or `("fn", result, (params...))`."""

POINTER: Final = "pointer"
SIZE_T: Final = "u64"
U64: Final = "u64"


def _function(result: Shape, *params: Shape) -> Shape:
    return ("fn", result, params)


HOST_FINALIZER: Final = _function("void", POINTER)
"""`void (*)(void *data)`: wasmtime calls it when a host function is dropped."""

HOST_CALLBACK: Final = _function(
    SIZE_T, POINTER, POINTER, POINTER, POINTER, SIZE_T, POINTER, SIZE_T
)
"""`wasmtime_component_func_callback_t`: (data, context, func type, args, nargs, results,
nresults) -> a `wasmtime_error_t *` as an integer (0 when the call succeeded)."""

SIGNATURES: Final[dict[str, Shape]] = {
    # (func, context, args, nargs, results, nresults) -> wasmtime_error_t *
    "wasmtime_component_func_call": _function(
        POINTER, POINTER, POINTER, POINTER, SIZE_T, POINTER, SIZE_T
    ),
    # (src, dst): deep copy into wasmtime-owned memory
    "wasmtime_component_val_clone": _function("void", POINTER, POINTER),
    # (val): frees what a value owns
    "wasmtime_component_val_delete": _function("void", POINTER),
    # (linker instance, name, name length, callback, data, finalizer) -> wasmtime_error_t *
    "wasmtime_component_linker_instance_add_func": _function(
        POINTER, POINTER, POINTER, SIZE_T, HOST_CALLBACK, POINTER, HOST_FINALIZER
    ),
    # (context, fuel) -> wasmtime_error_t *
    "wasmtime_context_set_fuel": _function(POINTER, POINTER, U64),
    # (context, ticks beyond the engine's current epoch)
    "wasmtime_context_set_epoch_deadline": _function("void", POINTER, U64),
}
"""The C functions the fast path calls, as `("fn", result, params)` shapes."""

CALLBACK_TYPES: Final[dict[str, Shape]] = {
    "wasmtime_component_func_callback_t": HOST_CALLBACK,
}

# --- value layout ---------------------------------------------------------------------

VAL_SIZE: Final = 32
"""`sizeof(wasmtime_component_val_t)`."""
PAYLOAD: Final = 8
"""Offset of the union `of` in a value (after the one-byte `kind`)."""
ENTRY_SIZE: Final = 48
"""`sizeof(wasmtime_component_valrecord_entry_t)`: a 16-byte name, then a value."""
ENTRY_VAL: Final = 16
VEC_SIZE: Final = 0
"""Offset of `size` in a byte, list or record vector."""
VEC_DATA: Final = 8
"""Offset of `data` in a byte, list or record vector."""
VARIANT_VAL: Final = 16
"""Offset of the payload pointer in a variant (after its 16-byte discriminant name)."""
RESULT_OK: Final = 0
RESULT_VAL: Final = 8

_VEC: Final = ("struct", 16)

LAYOUT: Final[dict[tuple[str, str], tuple[int, Shape]]] = {
    ("wasm_byte_vec_t", "size"): (VEC_SIZE, SIZE_T),
    ("wasm_byte_vec_t", "data"): (VEC_DATA, POINTER),
    ("wasmtime_component_vallist_t", "size"): (VEC_SIZE, SIZE_T),
    ("wasmtime_component_vallist_t", "data"): (VEC_DATA, POINTER),
    ("wasmtime_component_valrecord_t", "size"): (VEC_SIZE, SIZE_T),
    ("wasmtime_component_valrecord_t", "data"): (VEC_DATA, POINTER),
    ("wasmtime_component_val_t", "kind"): (0, "u8"),
    ("wasmtime_component_val_t", "of"): (PAYLOAD, ("struct", VAL_SIZE - PAYLOAD)),
    ("wasmtime_component_valunion_t", "boolean"): (0, "bool"),
    ("wasmtime_component_valunion_t", "u32"): (0, "u32"),
    ("wasmtime_component_valunion_t", "s64"): (0, "i64"),
    ("wasmtime_component_valunion_t", "string"): (0, _VEC),
    ("wasmtime_component_valunion_t", "enumeration"): (0, _VEC),
    ("wasmtime_component_valunion_t", "list"): (0, _VEC),
    ("wasmtime_component_valunion_t", "record"): (0, _VEC),
    ("wasmtime_component_valunion_t", "variant"): (0, ("struct", VARIANT_VAL + 8)),
    ("wasmtime_component_valunion_t", "option"): (0, POINTER),
    ("wasmtime_component_valunion_t", "result"): (0, ("struct", RESULT_VAL + 8)),
    ("wasmtime_component_valrecord_entry_t", "name"): (0, _VEC),
    ("wasmtime_component_valrecord_entry_t", "val"): (ENTRY_VAL, ("struct", VAL_SIZE)),
    ("wasmtime_component_valvariant_t", "discriminant"): (0, _VEC),
    ("wasmtime_component_valvariant_t", "val"): (VARIANT_VAL, POINTER),
    ("wasmtime_component_valresult_t", "is_ok"): (RESULT_OK, "bool"),
    ("wasmtime_component_valresult_t", "val"): (RESULT_VAL, POINTER),
}
"""(struct, field) -> (offset, shape) for every field the fast path reads or writes."""

SIZES: Final[dict[str, int]] = {
    "wasm_byte_vec_t": 16,
    "wasmtime_component_val_t": VAL_SIZE,
    "wasmtime_component_valrecord_entry_t": ENTRY_SIZE,
}

KINDS: Final[dict[str, int]] = {
    "WASMTIME_COMPONENT_BOOL": 0,
    "WASMTIME_COMPONENT_U32": 6,
    "WASMTIME_COMPONENT_S64": 7,
    "WASMTIME_COMPONENT_STRING": 12,
    "WASMTIME_COMPONENT_LIST": 13,
    "WASMTIME_COMPONENT_RECORD": 14,
    "WASMTIME_COMPONENT_VARIANT": 16,
    "WASMTIME_COMPONENT_ENUM": 17,
    "WASMTIME_COMPONENT_OPTION": 18,
    "WASMTIME_COMPONENT_RESULT": 19,
}
"""`wasmtime_component_valkind_t` values, as `wasmtime._ffi` names them."""

KIND_BOOL: Final = KINDS["WASMTIME_COMPONENT_BOOL"]
KIND_U32: Final = KINDS["WASMTIME_COMPONENT_U32"]
KIND_S64: Final = KINDS["WASMTIME_COMPONENT_S64"]
KIND_STRING: Final = KINDS["WASMTIME_COMPONENT_STRING"]
KIND_LIST: Final = KINDS["WASMTIME_COMPONENT_LIST"]
KIND_RECORD: Final = KINDS["WASMTIME_COMPONENT_RECORD"]
KIND_VARIANT: Final = KINDS["WASMTIME_COMPONENT_VARIANT"]
KIND_ENUM: Final = KINDS["WASMTIME_COMPONENT_ENUM"]
KIND_OPTION: Final = KINDS["WASMTIME_COMPONENT_OPTION"]
KIND_RESULT: Final = KINDS["WASMTIME_COMPONENT_RESULT"]

PRIVATE_API: Final[tuple[tuple[str, str, str], ...]] = (
    # (module, class, attribute)
    ("wasmtime", "Store", "_context"),
    ("wasmtime", "WasmtimeError", "_from_ptr"),
    ("wasmtime", "WasmtimeError", "_consume"),
    ("wasmtime.component", "LinkerInstance", "ptr"),
)
"""Private wasmtime-py methods the fast path calls; `Func._func` is checked separately."""


# --- shapes of ctypes types -------------------------------------------------------------

_FUNCTION_POINTER: Final[type] = ctypes.CFUNCTYPE(None).__mro__[1]
"""The base class of every ctypes function pointer type (`_ctypes.CFuncPtr`)."""
_UNSIGNED = "BHILQ"
_SIGNED = "bhilq"


def shape(ctype: Any) -> Shape:
    """What `ctype` (a ctypes type, or `None` for void) is to C."""
    if ctype is None:
        return "void"
    if isinstance(ctype, type):
        if issubclass(ctype, _FUNCTION_POINTER):
            return (
                "fn",
                shape(getattr(ctype, "_restype_", None)),
                tuple(shape(param) for param in getattr(ctype, "_argtypes_", ())),
            )
        if issubclass(ctype, ctypes._Pointer):
            return POINTER
        if issubclass(ctype, (ctypes.Structure, ctypes.Union)):
            return ("struct", ctypes.sizeof(ctype))
        code = getattr(ctype, "_type_", None)
        size = ctypes.sizeof(cast(Any, ctype)) if isinstance(code, str) else 0
        if code in ("P", "z", "Z"):
            return POINTER
        if code == "?":
            return "bool"
        if isinstance(code, str) and len(code) == 1:
            bits = 8 * size
            if code in _UNSIGNED:
                return f"u{bits}"
            if code in _SIGNED:
                return f"i{bits}"
    return f"unknown {ctype!r}"


_CTYPES: Final[dict[str, Any]] = {
    POINTER: ctypes.c_void_p,
    "u64": ctypes.c_uint64,
    "void": None,
}


def prototype(declared: Shape) -> Any:
    """The ctypes function type of a `("fn", result, params)` shape; pointers become
    `c_void_p` (plain addresses, no per-call conversion)."""
    assert isinstance(declared, tuple), declared
    _, result, params = declared
    return ctypes.CFUNCTYPE(_ctype(result), *(_ctype(param) for param in params))


def _ctype(declared: Shape) -> Any:
    if isinstance(declared, tuple):
        return prototype(declared)
    return _CTYPES[declared]


# --- verification -----------------------------------------------------------------------


def verify(bindings: ModuleType, ffi: ModuleType, modules: dict[str, ModuleType]) -> list[str]:
    """Every difference between the declarations above and wasmtime-py's own; empty when
    the fast path may be used. `modules` maps module names of `PRIVATE_API` to modules."""
    problems: list[str] = []
    for (struct, field), (offset, expected) in LAYOUT.items():
        problems += _check_field(bindings, struct, field, offset, expected)
    for struct, size in SIZES.items():
        declared = getattr(bindings, struct, None)
        if declared is None:
            problems.append(f"{struct} is not declared")
        elif ctypes.sizeof(declared) != size:
            problems.append(f"sizeof({struct}) is {ctypes.sizeof(declared)}, expected {size}")
    for name, value in KINDS.items():
        constant = getattr(ffi, name, None)
        found = getattr(constant, "value", constant)
        if found != value:
            problems.append(f"{name} is {found!r}, expected {value}")
    for name, expected in SIGNATURES.items():
        problems += _check_function(bindings, ffi, name, expected)
    for name, expected in CALLBACK_TYPES.items():
        declared = getattr(bindings, name, None)
        found = shape(declared) if declared is not None else "not declared"
        if found != expected:
            problems.append(f"{name} is {found}, expected {expected}")
    for module_name, class_name, attribute in PRIVATE_API:
        owner = getattr(modules.get(module_name), class_name, None)
        if not callable(getattr(owner, attribute, None)):
            problems.append(f"{module_name}.{class_name}.{attribute} is missing")
    func = getattr(modules.get("wasmtime.component"), "Func", None)
    if "_func" not in getattr(func, "__annotations__", {}):
        problems.append("wasmtime.component.Func._func is missing")
    return problems


def _check_field(
    bindings: ModuleType, struct: str, field: str, offset: int, expected: Shape
) -> list[str]:
    declared = getattr(bindings, struct, None)
    if declared is None:
        return [f"{struct} is not declared"]
    fields = dict((item[0], item[1]) for item in getattr(declared, "_fields_", ()))
    if field not in fields:
        return [f"{struct}.{field} is not declared"]
    found_offset = getattr(declared, field).offset
    found = shape(fields[field])
    if (found_offset, found) != (offset, expected):
        return [
            f"{struct}.{field} is {found} at offset {found_offset}, "
            f"expected {expected} at offset {offset}"
        ]
    return []


def _check_function(bindings: ModuleType, ffi: ModuleType, name: str, expected: Shape) -> list[str]:
    function = getattr(bindings, f"_{name}", None)
    if function is None or getattr(function, "argtypes", None) is None:
        return [f"{name} is not declared"]
    found = ("fn", shape(function.restype), tuple(shape(t) for t in function.argtypes))
    problems = []
    if found != expected:
        problems.append(f"{name} is declared as {found}, expected {expected}")
    if not hasattr(getattr(ffi, "dll", None), name):
        problems.append(f"{name} is not exported by wasmtime's library")
    # The prototype the fast path calls must have the very same shape.
    if shape(prototype(expected)) != expected:
        problems.append(f"the prototype of {name} does not match its declaration")
    return problems
