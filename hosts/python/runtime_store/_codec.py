"""Conversion between this package's Python values and wasmtime's C component values.

wasmtime-py's generic conversion re-reads every type through ctypes on every call (record
field lists, variant cases, ...) and touches C memory one attribute at a time, which costs
hundreds of microseconds per store operation. The WIT of this package is fixed, so each type
gets a codec built once here, and values cross as whole memory images:

* `pack` writes a value's C image (`wasmtime_component_val_t` trees, field names, string
  bytes) into one Python-owned buffer with `struct`, pointers patched once the buffer's
  address is known. An export call only reads its arguments, so it gets that buffer as is;
  a host function's answer is deep-copied into wasmtime's memory by one
  `wasmtime_component_val_clone` call.
* `read` decodes a C value from bytes copied out of wasmtime's memory: one copy per array or
  string instead of one ctypes call per field.

`check` compares a codec with the type the loaded component declares, so a component that
does not match the WIT is refused at load time instead of being misread.
"""

from __future__ import annotations

import ctypes
import dataclasses
import struct
from typing import Any, Callable, Optional, Sequence

from wasmtime import component as wc

from ._wasmtime import ffi

CVal = ffi.wasmtime_component_val_t

# The C layout, read from wasmtime-py's own ctypes declarations.
VAL_SIZE = ctypes.sizeof(CVal)
_PAYLOAD = CVal.of.offset
_ENTRY_SIZE = ctypes.sizeof(ffi.wasmtime_component_valrecord_entry_t)
_ENTRY_VAL = ffi.wasmtime_component_valrecord_entry_t.val.offset
_VEC_SIZE = ffi.wasm_byte_vec_t.size.offset
_VEC_DATA = ffi.wasm_byte_vec_t.data.offset
_VARIANT_VAL = ffi.wasmtime_component_valvariant_t.val.offset
_RESULT_OK = ffi.wasmtime_component_valresult_t.is_ok.offset
_RESULT_VAL = ffi.wasmtime_component_valresult_t.val.offset


def _require_layout(holds: bool, assumption: str) -> None:
    # Checked at import even under `python -O`: a wrong layout would misread memory.
    if not holds:
        raise ImportError(f"runtime_store: wasmtime's C value layout changed: {assumption}")


_require_layout(
    (_VEC_SIZE, _VEC_DATA)
    == (
        ffi.wasmtime_component_valrecord_t.size.offset,
        ffi.wasmtime_component_valrecord_t.data.offset,
    )
    == (ffi.wasmtime_component_vallist_t.size.offset, ffi.wasmtime_component_vallist_t.data.offset),
    "record and list vectors are laid out like byte vectors",
)

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

_BYTE = struct.Struct("<B")
_WORD = struct.Struct("<Q")
_VEC = struct.Struct("<QQ")

_U32_MAX = 2**32 - 1
_S64_MIN = -(2**63)
_S64_MAX = 2**63 - 1

_string_at = ctypes.string_at


class ComponentMismatch(Exception):
    """The component declares a type other than the one this package binds to."""


class _Static:
    """Bytes at a fixed address for the life of the process: field, case and enum names."""

    _keep: list[Any] = []

    def __init__(self, text: str):
        data = text.encode("utf-8")
        buffer = ctypes.create_string_buffer(data, len(data) or 1)
        _Static._keep.append(buffer)
        self.size = len(data)
        self.address = ctypes.addressof(buffer)


class Image:
    """A value's C image under construction: one buffer, pointers kept as buffer offsets."""

    __slots__ = ("buffer", "pointers", "_holder")

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.pointers: list[tuple[int, int]] = []

    def reserve(self, size: int) -> int:
        """Appends `size` zero bytes, 8-aligned; returns their offset.

        The buffer grows in place, so offsets and references to `buffer` stay valid.
        """
        buffer = self.buffer
        start = (len(buffer) + 7) & ~7
        buffer.extend(bytes(start - len(buffer) + size))
        return start

    def text(self, at: int, data: bytes) -> None:
        """Makes the byte vector at `at` point to a copy of `data` in this image."""
        start = len(self.buffer)
        self.buffer += data
        _WORD.pack_into(self.buffer, at + _VEC_SIZE, len(data))
        self.pointers.append((at + _VEC_DATA, start))

    def point(self, at: int, target: int) -> None:
        """Makes the pointer at `at` point to offset `target` of this image."""
        self.pointers.append((at, target))

    def address(self) -> int:
        """Fixes the image in memory and patches its pointers; no `reserve` after this."""
        buffer = self.buffer
        if not buffer:
            buffer.append(0)
        self._holder = (ctypes.c_char * len(buffer)).from_buffer(buffer)
        base = ctypes.addressof(self._holder)
        pack = _WORD.pack_into
        for at, target in self.pointers:
            pack(buffer, at, base + target)
        return base


class Codec:
    """Packs a Python value into a C value image and reads it back."""

    def pack(self, value: Any, image: Image, at: int) -> None:
        raise NotImplementedError

    def read(self, memory: bytes, at: int) -> Any:
        raise NotImplementedError

    def check(self, ty: Any, where: str) -> None:
        raise NotImplementedError


class BoolCodec(Codec):
    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"expected bool, got {type(value).__name__}")
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, _BOOL)
        _BYTE.pack_into(buffer, at + _PAYLOAD, value)

    def read(self, memory: bytes, at: int) -> Any:
        return memory[at + _PAYLOAD] != 0

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.Bool), where, "bool")


class IntegerCodec(Codec):
    """A WIT integer type: its value kind, payload layout and range."""

    def __init__(self, wit_name: str, kind: int, payload: str, low: int, high: int, wit_type: Any):
        self.wit_name = wit_name
        self.kind = kind
        self.payload = struct.Struct(payload)
        self.low = low
        self.high = high
        self.wit_type = wit_type

    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {type(value).__name__}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{value} is outside {self.wit_name}")
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, self.kind)
        self.payload.pack_into(buffer, at + _PAYLOAD, value)

    def read(self, memory: bytes, at: int) -> Any:
        return self.payload.unpack_from(memory, at + _PAYLOAD)[0]

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, self.wit_type), where, self.wit_name)


U32 = IntegerCodec("u32", _U32, "<I", 0, _U32_MAX, wc.U32)
S64 = IntegerCodec("s64", _S64, "<q", _S64_MIN, _S64_MAX, wc.S64)


class StringCodec(Codec):
    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        _BYTE.pack_into(image.buffer, at, _STRING)
        image.text(at + _PAYLOAD, value.encode("utf-8"))

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + _PAYLOAD)
        return _string_at(data, size).decode("utf-8") if size else ""

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.String), where, "string")


class EnumCodec(Codec):
    """A WIT enum as a Python `enum.Enum` whose values are the WIT case names."""

    def __init__(self, enum_class: Any):
        self.enum_class = enum_class
        self.names = [member.value for member in enum_class]
        self.by_name = {member.value.encode("utf-8"): member for member in enum_class}
        self.static = {member: _Static(member.value) for member in enum_class}

    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, self.enum_class):
            raise TypeError(f"expected {self.enum_class.__name__}, got {type(value).__name__}")
        name = self.static[value]
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, _ENUM)
        _VEC.pack_into(buffer, at + _PAYLOAD, name.size, name.address)

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + _PAYLOAD)
        return self.by_name[_string_at(data, size)]

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.EnumType), where, "enum")
        _expect(ty.names == self.names, where, f"enum cases {self.names}, found {ty.names}")


class OptionCodec(Codec):
    def __init__(self, inner: Codec):
        self.inner = inner

    def pack(self, value: Any, image: Image, at: int) -> None:
        _BYTE.pack_into(image.buffer, at, _OPTION)
        if value is not None:
            boxed = image.reserve(VAL_SIZE)
            self.inner.pack(value, image, boxed)
            image.point(at + _PAYLOAD, boxed)

    def read(self, memory: bytes, at: int) -> Any:
        boxed = _WORD.unpack_from(memory, at + _PAYLOAD)[0]
        return self.inner.read(_string_at(boxed, VAL_SIZE), 0) if boxed else None

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.OptionType), where, "option")
        self.inner.check(ty.payload, f"{where}.some")


class ListCodec(Codec):
    def __init__(self, element: Codec):
        self.element = element

    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected list, got {type(value).__name__}")
        _BYTE.pack_into(image.buffer, at, _LIST)
        _WORD.pack_into(image.buffer, at + _PAYLOAD + _VEC_SIZE, len(value))
        elements = image.reserve(VAL_SIZE * len(value))
        image.point(at + _PAYLOAD + _VEC_DATA, elements)
        pack = self.element.pack
        for index, item in enumerate(value):
            pack(item, image, elements + index * VAL_SIZE)

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + _PAYLOAD)
        if not size:
            return []
        elements = _string_at(data, size * VAL_SIZE)
        read = self.element.read
        return [read(elements, index * VAL_SIZE) for index in range(size)]

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.ListType), where, "list")
        self.element.check(ty.element, f"{where}[]")


class RecordCodec(Codec):
    """A WIT record as a dataclass whose fields are the WIT fields in snake_case, in order."""

    def __init__(self, record_class: Any, codecs: dict[str, Codec]):
        self.record_class = record_class
        fields = dataclasses.fields(record_class)
        self.attrs = [field.name for field in fields]
        self.wit_names = [field.name.replace("_", "-") for field in fields]
        self.codecs = [codecs[field.name] for field in fields]
        self.names = [_Static(name) for name in self.wit_names]
        self.keyword_only = any(field.kw_only for field in fields)
        self.layout = [
            (attr, codec, name.size, name.address, index * _ENTRY_SIZE)
            for index, (attr, codec, name) in enumerate(zip(self.attrs, self.codecs, self.names))
        ]
        self.readers = [
            (codec.read, index * _ENTRY_SIZE + _ENTRY_VAL) for index, codec in enumerate(self.codecs)
        ]

    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, self.record_class):
            raise TypeError(f"expected {self.record_class.__name__}, got {type(value).__name__}")
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, _RECORD)
        _WORD.pack_into(buffer, at + _PAYLOAD + _VEC_SIZE, len(self.layout))
        entries = image.reserve(_ENTRY_SIZE * len(self.layout))
        image.point(at + _PAYLOAD + _VEC_DATA, entries)
        for attr, codec, name_size, name_address, offset in self.layout:
            entry = entries + offset
            _VEC.pack_into(buffer, entry, name_size, name_address)
            codec.pack(getattr(value, attr), image, entry + _ENTRY_VAL)

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + _PAYLOAD)
        entries = _string_at(data, size * _ENTRY_SIZE)
        values = [read(entries, offset) for read, offset in self.readers]
        if self.keyword_only:
            return self.record_class(**dict(zip(self.attrs, values)))
        return self.record_class(*values)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.RecordType), where, "record")
        declared = ty.fields
        names = [name for name, _ in declared]
        _expect(names == self.wit_names, where, f"record fields {self.wit_names}, found {names}")
        for (name, field_ty), codec in zip(declared, self.codecs):
            codec.check(field_ty, f"{where}.{name}")


class TimestampCodec(RecordCodec):
    """WIT `timestamp` ({seconds: s64, nanoseconds: u32}), the most frequent record: its two
    entries are packed and read with one precompiled `struct` layout."""

    # Two record entries, each a name vector (size, address) and a value (kind, payload).
    _ENTRIES = struct.Struct("<QQB7xq16x" "QQB7xI20x")
    _require_layout(
        (_ENTRIES.size, _ENTRY_VAL, _PAYLOAD) == (2 * _ENTRY_SIZE, 16, 8),
        "a record entry is a 16-byte name vector, then a value whose payload is at offset 8",
    )

    def __init__(self, timestamp_class: Any):
        super().__init__(timestamp_class, {"seconds": S64, "nanoseconds": U32})
        seconds, nanoseconds = self.names
        self.name_words = (seconds.size, seconds.address, nanoseconds.size, nanoseconds.address)

    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, self.record_class):
            raise TypeError(f"expected {self.record_class.__name__}, got {type(value).__name__}")
        seconds, nanoseconds = value.seconds, value.nanoseconds
        if type(seconds) is not int or type(nanoseconds) is not int:
            raise TypeError(f"expected int timestamp fields, got {value!r}")
        if not (_S64_MIN <= seconds <= _S64_MAX and 0 <= nanoseconds <= _U32_MAX):
            raise ValueError(f"{value!r} is outside s64 seconds and u32 nanoseconds")
        entries = image.reserve(self._ENTRIES.size)
        seconds_size, seconds_address, nanos_size, nanos_address = self.name_words
        buffer = image.buffer
        self._ENTRIES.pack_into(
            buffer, entries, seconds_size, seconds_address, _S64, seconds,
            nanos_size, nanos_address, _U32, nanoseconds,
        )
        _BYTE.pack_into(buffer, at, _RECORD)
        _WORD.pack_into(buffer, at + _PAYLOAD + _VEC_SIZE, 2)
        image.point(at + _PAYLOAD + _VEC_DATA, entries)

    def read(self, memory: bytes, at: int) -> Any:
        data = _WORD.unpack_from(memory, at + _PAYLOAD + _VEC_DATA)[0]
        fields = self._ENTRIES.unpack_from(_string_at(data, self._ENTRIES.size))
        return self.record_class(fields[3], fields[7])


class VariantCodec(Codec):
    """A WIT variant; `split` turns a Python value into (case, payload) and `join` back."""

    def __init__(
        self,
        cases: Sequence[tuple[str, Optional[Codec]]],
        split: Callable[[Any], tuple[str, Any]],
        join: Callable[[str, Any], Any],
    ):
        self.order = [name for name, _ in cases]
        self.cases = dict(cases)
        self.static = {name: _Static(name) for name in self.order}
        self.by_name = {name.encode("utf-8"): (name, codec) for name, codec in cases}
        self.split = split
        self.join = join

    def pack(self, value: Any, image: Image, at: int) -> None:
        case, payload = self.split(value)
        codec = self.cases[case]
        name = self.static[case]
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, _VARIANT)
        _VEC.pack_into(buffer, at + _PAYLOAD, name.size, name.address)
        if codec is not None:
            boxed = image.reserve(VAL_SIZE)
            codec.pack(payload, image, boxed)
            image.point(at + _PAYLOAD + _VARIANT_VAL, boxed)

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + _PAYLOAD)
        case, codec = self.by_name[_string_at(data, size)]
        if codec is None:
            return self.join(case, None)
        boxed = _WORD.unpack_from(memory, at + _PAYLOAD + _VARIANT_VAL)[0]
        return self.join(case, codec.read(_string_at(boxed, VAL_SIZE), 0))

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

    def pack(self, value: Any, image: Image, at: int) -> None:
        is_ok, payload = value
        codec = self.ok if is_ok else self.err
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, _RESULT)
        _BYTE.pack_into(buffer, at + _PAYLOAD + _RESULT_OK, bool(is_ok))
        if codec is not None:
            boxed = image.reserve(VAL_SIZE)
            codec.pack(payload, image, boxed)
            image.point(at + _PAYLOAD + _RESULT_VAL, boxed)

    def read(self, memory: bytes, at: int) -> Any:
        is_ok = memory[at + _PAYLOAD + _RESULT_OK] != 0
        codec = self.ok if is_ok else self.err
        if codec is None:
            return is_ok, None
        boxed = _WORD.unpack_from(memory, at + _PAYLOAD + _RESULT_VAL)[0]
        return is_ok, codec.read(_string_at(boxed, VAL_SIZE), 0)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.ResultType), where, "result")
        for label, codec, declared in (("ok", self.ok, ty.ok), ("err", self.err, ty.err)):
            _expect((declared is None) == (codec is None), where, f"{label} type")
            if codec is not None:
                codec.check(declared, f"{where}.{label}")


def _expect(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise ComponentMismatch(f"{where}: expected {what}")
