"""Conversion between this package's Python values and wasmtime's C component values.

wasmtime-py's generic conversion re-reads every type through ctypes on every call (record
field lists, variant cases, ...), which costs hundreds of microseconds per store operation.
The WIT of this package is fixed, so each type gets a codec built once here; `check` compares
a codec with the type the loaded component actually declares, so a component that does not
match the WIT is refused at load time instead of corrupting values.

Ownership follows the C API: `lift` only reads (the caller deletes the root value it owns);
`lower` writes fresh allocations that the receiver takes over, and writes nothing when it
raises.
"""

from __future__ import annotations

import ctypes
import dataclasses
from ctypes import byref
from typing import Any, Callable, Iterable, Optional, Sequence

from wasmtime import _ffi as ffi
from wasmtime import component as wc

_BOOL = ffi.WASMTIME_COMPONENT_BOOL.value
_U32 = ffi.WASMTIME_COMPONENT_U32.value
_S64 = ffi.WASMTIME_COMPONENT_S64.value
_STRING = ffi.WASMTIME_COMPONENT_STRING.value
_LIST = ffi.WASMTIME_COMPONENT_LIST.value
_RECORD = ffi.WASMTIME_COMPONENT_RECORD.value
_VARIANT = ffi.WASMTIME_COMPONENT_VARIANT.value
_ENUM = ffi.WASMTIME_COMPONENT_ENUM.value
_OPTION = ffi.WASMTIME_COMPONENT_OPTION.value
_RESULT = ffi.WASMTIME_COMPONENT_RESULT.value

_U32_MAX = 2**32 - 1
_S64_MIN = -(2**63)
_S64_MAX = 2**63 - 1

CVal = ffi.wasmtime_component_val_t


class ComponentMismatch(Exception):
    """The component declares a type other than the one this package binds to."""


# `wasm_byte_vec_new` declared to take the bytes object itself: wasmtime-py's own helper
# copies through a ctypes array first, three foreign calls per string instead of one.
_byte_vec_new = ctypes.CFUNCTYPE(
    None, ctypes.POINTER(ffi.wasm_byte_vec_t), ctypes.c_size_t, ctypes.c_char_p
)(("wasm_byte_vec_new", ffi.dll))


def _text(vec: Any) -> str:
    return ctypes.string_at(vec.data, vec.size).decode("utf-8")


def _capi_bytes(data: bytes) -> Any:
    vec = ffi.wasm_byte_vec_t()
    _byte_vec_new(byref(vec), len(data), data)
    return vec


def _capi_text(text: str) -> Any:
    return _capi_bytes(text.encode("utf-8"))


def _box(codec: "Codec", value: Any) -> Any:
    raw = CVal()
    codec.lower(value, raw)
    return ffi.wasmtime_component_val_new(byref(raw))


class Codec:
    """Lowers a Python value into a C value and lifts it back."""

    def lower(self, value: Any, out: Any) -> None:
        raise NotImplementedError

    def lift(self, val: Any) -> Any:
        raise NotImplementedError

    def check(self, ty: Any, where: str) -> None:
        raise NotImplementedError


class BoolCodec(Codec):
    def lower(self, value: Any, out: Any) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"expected bool, got {type(value).__name__}")
        out.kind = _BOOL
        out.of.boolean = value

    def lift(self, val: Any) -> Any:
        return bool(val.of.boolean)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.Bool), where, "bool")


class U32Codec(Codec):
    def lower(self, value: Any, out: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {type(value).__name__}")
        if not 0 <= value <= _U32_MAX:
            raise ValueError(f"{value} is outside u32")
        out.kind = _U32
        out.of.u32 = value

    def lift(self, val: Any) -> Any:
        return int(val.of.u32)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.U32), where, "u32")


class S64Codec(Codec):
    def lower(self, value: Any, out: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {type(value).__name__}")
        if not _S64_MIN <= value <= _S64_MAX:
            raise ValueError(f"{value} is outside s64")
        out.kind = _S64
        out.of.s64 = value

    def lift(self, val: Any) -> Any:
        return int(val.of.s64)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.S64), where, "s64")


class StringCodec(Codec):
    def lower(self, value: Any, out: Any) -> None:
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        vec = _capi_text(value)
        out.kind = _STRING
        out.of.string = vec

    def lift(self, val: Any) -> Any:
        return _text(val.of.string)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.String), where, "string")


class EnumCodec(Codec):
    """A WIT enum as a Python `enum.Enum` whose values are the WIT case names."""

    def __init__(self, enum_class: Any):
        self.enum_class = enum_class
        self.by_name = {member.value: member for member in enum_class}
        self.names = [member.value.encode("utf-8") for member in enum_class]
        self.name_bytes = {member: member.value.encode("utf-8") for member in enum_class}

    def lower(self, value: Any, out: Any) -> None:
        if not isinstance(value, self.enum_class):
            raise TypeError(f"expected {self.enum_class.__name__}, got {type(value).__name__}")
        vec = _capi_bytes(self.name_bytes[value])
        out.kind = _ENUM
        out.of.enumeration = vec

    def lift(self, val: Any) -> Any:
        return self.by_name[_text(val.of.enumeration)]

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.EnumType), where, "enum")
        declared = [name.encode("utf-8") for name in ty.names]
        _expect(declared == self.names, where, f"enum cases {self.names}, found {declared}")


class OptionCodec(Codec):
    def __init__(self, inner: Codec):
        self.inner = inner

    def lower(self, value: Any, out: Any) -> None:
        boxed = None if value is None else _box(self.inner, value)
        out.kind = _OPTION
        out.of.option = boxed

    def lift(self, val: Any) -> Any:
        boxed = val.of.option
        return self.inner.lift(boxed.contents) if boxed else None

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.OptionType), where, "option")
        self.inner.check(ty.payload, f"{where}.some")


class ListCodec(Codec):
    def __init__(self, element: Codec):
        self.element = element

    def lower(self, value: Any, out: Any) -> None:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected list, got {type(value).__name__}")
        raw = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(raw, len(value))
        _fill(raw, [(self.element, item) for item in value], None)
        out.kind = _LIST
        out.of.list = raw

    def lift(self, val: Any) -> Any:
        items = val.of.list
        data = items.data
        lift = self.element.lift
        return [lift(data[i]) for i in range(items.size)]

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.ListType), where, "list")
        self.element.check(ty.element, f"{where}[]")


class RecordCodec(Codec):
    """A WIT record as a dataclass whose fields are the WIT fields in snake_case, in order."""

    def __init__(self, record_class: Any, codecs: dict[str, Codec]):
        self.record_class = record_class
        self.fields = [
            (field.name, field.name.replace("_", "-"), codecs[field.name])
            for field in dataclasses.fields(record_class)
        ]
        self.wit_names = [wit for _, wit, _ in self.fields]
        self.wit_name_bytes = [wit.encode("utf-8") for wit in self.wit_names]
        self.keyword_only = any(field.kw_only for field in dataclasses.fields(record_class))

    def lower(self, value: Any, out: Any) -> None:
        if not isinstance(value, self.record_class):
            raise TypeError(
                f"expected {self.record_class.__name__}, got {type(value).__name__}"
            )
        raw = ffi.wasmtime_component_valrecord_t()
        ffi.wasmtime_component_valrecord_new_uninit(raw, len(self.fields))
        _fill(
            raw,
            [(codec, getattr(value, attr)) for attr, _, codec in self.fields],
            self.wit_name_bytes,
        )
        out.kind = _RECORD
        out.of.record = raw

    def lift(self, val: Any) -> Any:
        data = val.of.record.data
        if self.keyword_only:
            return self.record_class(
                **{attr: codec.lift(data[i].val) for i, (attr, _, codec) in enumerate(self.fields)}
            )
        return self.record_class(
            *[codec.lift(data[i].val) for i, (_, _, codec) in enumerate(self.fields)]
        )

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.RecordType), where, "record")
        declared = ty.fields
        names = [name for name, _ in declared]
        _expect(names == self.wit_names, where, f"record fields {self.wit_names}, found {names}")
        for (name, field_ty), (_, _, codec) in zip(declared, self.fields):
            codec.check(field_ty, f"{where}.{name}")


class VariantCodec(Codec):
    """A WIT variant; `split` turns a Python value into (case, payload) and `join` back."""

    def __init__(
        self,
        cases: Sequence[tuple[str, Optional[Codec]]],
        split: Callable[[Any], tuple[str, Any]],
        join: Callable[[str, Any], Any],
    ):
        self.cases = dict(cases)
        self.order = [name for name, _ in cases]
        self.split = split
        self.join = join

    def lower(self, value: Any, out: Any) -> None:
        case, payload = self.split(value)
        codec = self.cases[case]
        boxed = None if codec is None else _box(codec, payload)
        discriminant = _capi_text(case)
        out.kind = _VARIANT
        out.of.variant.discriminant = discriminant
        out.of.variant.val = boxed

    def lift(self, val: Any) -> Any:
        variant = val.of.variant
        case = _text(variant.discriminant)
        codec = self.cases[case]
        payload = codec.lift(variant.val.contents) if codec is not None else None
        return self.join(case, payload)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.VariantType), where, "variant")
        declared = ty.cases
        names = [name for name, _ in declared]
        _expect(names == self.order, where, f"variant cases {self.order}, found {names}")
        for name, payload_ty in declared:
            codec = self.cases[name]
            _expect((payload_ty is None) == (codec is None), where, f"payload of case {name}")
            if codec is not None:
                codec.check(payload_ty, f"{where}.{name}")


class ResultCodec(Codec):
    """A WIT result as `(True, ok)` or `(False, err)`; a missing type carries `None`."""

    def __init__(self, ok: Optional[Codec], err: Optional[Codec]):
        self.ok = ok
        self.err = err

    def lower(self, value: Any, out: Any) -> None:
        is_ok, payload = value
        codec = self.ok if is_ok else self.err
        boxed = None if codec is None else _box(codec, payload)
        out.kind = _RESULT
        out.of.result.is_ok = is_ok
        out.of.result.val = boxed

    def lift(self, val: Any) -> Any:
        result = val.of.result
        is_ok = bool(result.is_ok)
        codec = self.ok if is_ok else self.err
        return is_ok, (codec.lift(result.val.contents) if codec is not None else None)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.ResultType), where, "result")
        for label, codec, declared in (("ok", self.ok, ty.ok), ("err", self.err, ty.err)):
            _expect((declared is None) == (codec is None), where, f"{label} type")
            if codec is not None:
                codec.check(declared, f"{where}.{label}")


def _fill(raw: Any, items: Iterable[tuple[Codec, Any]], names: Optional[list[bytes]]) -> None:
    """Lowers `items` into the uninitialised entries of a C list or record `raw`.

    On failure every entry not yet written is made an empty value and `raw` is freed, so a
    raise leaves nothing behind.
    """
    data = raw.data
    items = list(items)
    written = 0
    try:
        for codec, item in items:
            entry = data[written]
            if names is None:
                codec.lower(item, entry)
            else:
                codec.lower(item, entry.val)
                entry.name = _capi_bytes(names[written])
            written += 1
    except BaseException:
        for index in range(written, len(items)):
            entry = data[index]
            target = entry if names is None else entry.val
            target.kind = _BOOL
            target.of.boolean = False
            if names is not None:
                entry.name = ffi.wasm_byte_vec_t()
        if names is None:
            ffi.wasmtime_component_vallist_delete(byref(raw))
        else:
            ffi.wasmtime_component_valrecord_delete(byref(raw))
        raise


def _expect(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise ComponentMismatch(f"{where}: expected {what}")
