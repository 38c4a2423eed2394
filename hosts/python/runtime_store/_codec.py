"""Conversion between this package's Python values and WIT values, on both call paths.

Each WIT type of the package gets one codec, built once. A codec

* refuses, before anything reaches the component, a Python value its WIT type cannot hold
  (`Refused`: which field, and what it must be, in the vocabulary's words), the same way
  on both paths;
* for the fast path (`_fast.py`): `pack` writes the value's C image
  (`wasmtime_component_val_t` trees, field names, string bytes) into one Python buffer
  with `struct`, pointers patched once the buffer's address is known, and `read` decodes a
  C value from bytes copied out of wasmtime's memory (one copy per array or string);
* for the public path (`_public.py`): `lower` gives the value wasmtime-py's public
  component API takes (`Record` objects with WIT field names, enum case strings, ...), and
  `lift` reads back what it returns;
* `check` compares itself with the type the loaded component declares, so a component that
  does not match the WIT is refused at load time instead of being misread; it also learns
  how wasmtime-py represents each variant (tagged `Variant` or bare payload).

The C layout comes from `_abi.py`, where it is verified against wasmtime-py's declarations.
"""

from __future__ import annotations

import ctypes
import dataclasses
import enum
import re
import struct
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from wasmtime import component as wc

from . import _vocabulary as words
from ._abi import (
    ENTRY_SIZE,
    ENTRY_VAL,
    KIND_BOOL,
    KIND_ENUM,
    KIND_LIST,
    KIND_OPTION,
    KIND_RECORD,
    KIND_RESULT,
    KIND_S64,
    KIND_STRING,
    KIND_U32,
    KIND_VARIANT,
    PAYLOAD,
    RESULT_OK,
    RESULT_VAL,
    VAL_SIZE,
    VARIANT_VAL,
    VEC_DATA,
    VEC_SIZE,
)

_BYTE = struct.Struct("<B")
_WORD = struct.Struct("<Q")
_VEC = struct.Struct("<QQ")

U32_MAX = 2**32 - 1
S64_MIN = -(2**63)
S64_MAX = 2**63 - 1

_string_at = ctypes.string_at

_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_WHITE_SPACE = re.compile(f"[^{re.escape(words.WHITE_SPACE)}]")
LARGEST_STRING_PASSED = words.LARGEST_STRING_PASSED

STRING_EXPECTED = words.BOUNDARY_STRING
BOOLEAN_EXPECTED = words.BOUNDARY_BOOLEAN
TIMESTAMP_EXPECTED = words.BOUNDARY_TIMESTAMP


def integer_expected(low: int, high: int) -> str:
    """`an integer in <low>..=<high>`."""
    return words.BOUNDARY_INTEGER_IN.format(min=low, max=high)


def record_expected(wit_name: str) -> str:
    """`a <wit type name>`."""
    return words.BOUNDARY_RECORD.format(record=wit_name)


def status_expected() -> str:
    """`one of the statuses starting, running, ...` (WIT case names)."""
    return words.BOUNDARY_STATUS.format(statuses=", ".join(words.STATUSES))


class ComponentMismatch(Exception):
    """The component declares a type other than the one this package binds to.

    `interface` and `function` name what differs (`galaxy:gamemaster/store@0.2.0`, `get`),
    when it is one interface or function."""

    def __init__(self, message: str, *, interface: str | None = None, function: str | None = None):
        super().__init__(message)
        self.interface = interface
        self.function = function


class Refused(Exception):
    """A Python value its WIT type cannot hold.

    `field` is the words of the field that holds it, relative to the value being converted
    (`None`: the value itself); `expected` says what it must be.
    """

    def __init__(self, expected: str, field: str | None = None):
        super().__init__(expected, field)
        self.expected = expected
        self.field = field

    def within(self, field_words: str) -> Refused:
        """The same refusal, one field further out (`created at` + `seconds`)."""
        if not field_words:
            return self
        inner = field_words if self.field is None else f"{field_words} {self.field}"
        return Refused(self.expected, inner)


def stand_in(text: str) -> str:
    """What the component receives for `text`: `text` itself up to `LARGEST_STRING_PASSED`
    characters; else its first `LARGEST_STRING_PASSED` characters, plus its first character
    outside `WHITE_SPACE` after them when those are all white space. The rules answer the
    stand-in exactly as they would answer `text` (same blankness, over the same limits)."""
    if len(text) <= LARGEST_STRING_PASSED:
        return text
    head = text[:LARGEST_STRING_PASSED]
    if head.strip(words.WHITE_SPACE):
        return head
    following = _NOT_WHITE_SPACE.search(text, LARGEST_STRING_PASSED)
    return head if following is None else head + following.group()


def _text(value: Any, stand_ins: bool) -> str:
    """`value` as the string to hand over, or `Refused`."""
    if value.__class__ is not str and not isinstance(value, str):
        raise Refused(STRING_EXPECTED)
    if not value.isascii() and _SURROGATE.search(value):
        raise Refused(STRING_EXPECTED)
    if stand_ins and len(value) > LARGEST_STRING_PASSED:
        return stand_in(value)
    return str(value)


class _Static:
    """Bytes at a fixed address for the life of the process: field, case and enum names."""

    _keep: ClassVar[list[Any]] = []

    def __init__(self, text: str):
        data = text.encode("utf-8")
        buffer = ctypes.create_string_buffer(data, len(data) or 1)
        _Static._keep.append(buffer)
        self.size = len(data)
        self.address = ctypes.addressof(buffer)


class Image:
    """A value's C image under construction: one buffer, pointers kept as buffer offsets.

    `stand_ins`: strings longer than `LARGEST_STRING_PASSED` are replaced by their stand-in
    (arguments of the component's exports, never a backend's answers).
    """

    __slots__ = ("_holder", "buffer", "pointers", "stand_ins")

    def __init__(self, stand_ins: bool = False) -> None:
        self.buffer = bytearray()
        self.pointers: list[tuple[int, int]] = []
        self.stand_ins = stand_ins

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
        _WORD.pack_into(self.buffer, at + VEC_SIZE, len(data))
        self.pointers.append((at + VEC_DATA, start))

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
    """Converts one WIT type (see the module documentation)."""

    names_fields = False
    """True when a refusal inside this value already names a whole field (records), so a
    parameter's name is not put in front of it."""

    def pack(self, value: Any, image: Image, at: int) -> None:
        raise NotImplementedError

    def read(self, memory: bytes, at: int) -> Any:
        raise NotImplementedError

    def lower(self, value: Any, stand_ins: bool) -> Any:
        raise NotImplementedError

    def lift(self, value: Any) -> Any:
        raise NotImplementedError

    def check(self, ty: Any, where: str) -> None:
        raise NotImplementedError


class BoolCodec(Codec):
    def pack(self, value: Any, image: Image, at: int) -> None:
        if value is not True and value is not False:
            raise Refused(BOOLEAN_EXPECTED)
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, KIND_BOOL)
        _BYTE.pack_into(buffer, at + PAYLOAD, value)

    def read(self, memory: bytes, at: int) -> Any:
        return memory[at + PAYLOAD] != 0

    def lower(self, value: Any, stand_ins: bool) -> Any:
        if value is not True and value is not False:
            raise Refused(BOOLEAN_EXPECTED)
        return value

    def lift(self, value: Any) -> Any:
        return bool(value)

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
        self.expected = integer_expected(low, high)

    def valid(self, value: Any) -> int:
        """`value` as a plain int, or `Refused` (bools and non-integers are refused)."""
        if value.__class__ is int:
            if self.low <= value <= self.high:
                return int(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            if self.low <= value <= self.high:
                return int(value)
        raise Refused(self.expected)

    def pack(self, value: Any, image: Image, at: int) -> None:
        number = self.valid(value)
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, self.kind)
        self.payload.pack_into(buffer, at + PAYLOAD, number)

    def read(self, memory: bytes, at: int) -> Any:
        return self.payload.unpack_from(memory, at + PAYLOAD)[0]

    def lower(self, value: Any, stand_ins: bool) -> Any:
        return self.valid(value)

    def lift(self, value: Any) -> Any:
        return int(value)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, self.wit_type), where, self.wit_name)


U32 = IntegerCodec("u32", KIND_U32, "<I", 0, U32_MAX, wc.U32)
S64 = IntegerCodec("s64", KIND_S64, "<q", S64_MIN, S64_MAX, wc.S64)


class StringCodec(Codec):
    def pack(self, value: Any, image: Image, at: int) -> None:
        text = _text(value, image.stand_ins)
        _BYTE.pack_into(image.buffer, at, KIND_STRING)
        image.text(at + PAYLOAD, text.encode("utf-8"))

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + PAYLOAD)
        return _string_at(data, size).decode("utf-8") if size else ""

    def lower(self, value: Any, stand_ins: bool) -> Any:
        return _text(value, stand_ins)

    def lift(self, value: Any) -> Any:
        return str(value)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.String), where, "string")


class EnumCodec(Codec):
    """A WIT enum as a Python `enum.Enum` whose values are the WIT case names."""

    def __init__(self, enum_class: type[enum.Enum], expected: str):
        self.enum_class = enum_class
        self.expected = expected
        self.names = [member.value for member in enum_class]
        self.by_name = {member.value.encode("utf-8"): member for member in enum_class}
        self.static = {member: _Static(member.value) for member in enum_class}

    def pack(self, value: Any, image: Image, at: int) -> None:
        if value.__class__ is not self.enum_class:
            raise Refused(self.expected)
        name = self.static[value]
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, KIND_ENUM)
        _VEC.pack_into(buffer, at + PAYLOAD, name.size, name.address)

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + PAYLOAD)
        return self.by_name[_string_at(data, size)]

    def lower(self, value: Any, stand_ins: bool) -> Any:
        if value.__class__ is not self.enum_class:
            raise Refused(self.expected)
        return value.value

    def lift(self, value: Any) -> Any:
        return self.enum_class(value)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.EnumType), where, "enum")
        _expect(ty.names == self.names, where, f"enum cases {self.names}, found {ty.names}")


def _cases_of(ty: Any) -> list[tuple[str, Any]]:
    """The cases of a variant-like wasmtime-py type, as wasmtime-py sees them."""
    if isinstance(ty, wc.OptionType):
        return [("none", None), ("some", ty.payload)]
    if isinstance(ty, wc.ResultType):
        return [("ok", ty.ok), ("err", ty.err)]
    return list(ty.cases)


def _public_form(ty: Any) -> tuple[bool, list[tuple[str, tuple[type, ...] | None]]]:
    """How wasmtime-py's public API represents values of a variant-like type: whether they
    are tagged (`Variant(tag, payload)`, when two cases would map to the same Python class)
    and, per case, the Python classes of its payload (`None` for a case without one).
    This is the rule wasmtime-py documents through `ValType.add_classes`."""
    seen: set[type] = set()
    tagged = False
    classes: list[tuple[str, tuple[type, ...] | None]] = []
    for name, payload in _cases_of(ty):
        case: set[type] = set()
        if payload is None:
            case.add(object)
        else:
            payload.add_classes(case)
        if case & seen:
            tagged = True
        seen |= case
        classes.append((name, None if payload is None else tuple(case)))
    return tagged, classes


class _VariantLike(Codec):
    """What options, variants and results share on the public path."""

    tagged = False
    case_classes: Sequence[tuple[str, tuple[type, ...] | None]] = ()

    def learn(self, ty: Any) -> None:
        self.tagged, self.case_classes = _public_form(ty)

    def lower_case(self, case: str, payload: Any) -> Any:
        """The public form of `case` carrying the already lowered `payload`."""
        if self.tagged:
            return wc.Variant(case, payload)
        return payload

    def lift_case(self, value: Any) -> tuple[str, Any]:
        """(case, payload still in public form) of a value wasmtime-py returned."""
        if self.tagged:
            return value.tag, value.payload
        for case, classes in self.case_classes:
            if classes is None:
                if value is None:
                    return case, None
            elif value is not None and isinstance(value, classes):
                return case, value
        raise ComponentMismatch(f"wasmtime-py returned {value!r}, which is no case")


class OptionCodec(_VariantLike):
    def __init__(self, inner: Codec):
        self.inner = inner
        self.names_fields = inner.names_fields

    def pack(self, value: Any, image: Image, at: int) -> None:
        _BYTE.pack_into(image.buffer, at, KIND_OPTION)
        if value is not None:
            boxed = image.reserve(VAL_SIZE)
            self.inner.pack(value, image, boxed)
            image.point(at + PAYLOAD, boxed)

    def read(self, memory: bytes, at: int) -> Any:
        boxed = _WORD.unpack_from(memory, at + PAYLOAD)[0]
        return self.inner.read(_string_at(boxed, VAL_SIZE), 0) if boxed else None

    def lower(self, value: Any, stand_ins: bool) -> Any:
        if value is None:
            return self.lower_case("none", None)
        return self.lower_case("some", self.inner.lower(value, stand_ins))

    def lift(self, value: Any) -> Any:
        case, payload = self.lift_case(value)
        return None if case == "none" else self.inner.lift(payload)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.OptionType), where, "option")
        self.inner.check(ty.payload, f"{where}.some")
        self.learn(ty)


class ListCodec(Codec):
    def __init__(self, element: Codec):
        self.element = element

    def pack(self, value: Any, image: Image, at: int) -> None:
        if not isinstance(value, (list, tuple)):
            raise Refused("a list")
        _BYTE.pack_into(image.buffer, at, KIND_LIST)
        _WORD.pack_into(image.buffer, at + PAYLOAD + VEC_SIZE, len(value))
        elements = image.reserve(VAL_SIZE * len(value))
        image.point(at + PAYLOAD + VEC_DATA, elements)
        pack = self.element.pack
        for index, item in enumerate(value):
            try:
                pack(item, image, elements + index * VAL_SIZE)
            except Refused as refused:
                raise refused.within(f"item {index}") from None

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + PAYLOAD)
        if not size:
            return []
        elements = _string_at(data, size * VAL_SIZE)
        read = self.element.read
        return [read(elements, index * VAL_SIZE) for index in range(size)]

    def lower(self, value: Any, stand_ins: bool) -> Any:
        if not isinstance(value, (list, tuple)):
            raise Refused("a list")
        lowered = []
        for index, item in enumerate(value):
            try:
                lowered.append(self.element.lower(item, stand_ins))
            except Refused as refused:
                raise refused.within(f"item {index}") from None
        return lowered

    def lift(self, value: Any) -> Any:
        return [self.element.lift(item) for item in value]

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.ListType), where, "list")
        self.element.check(ty.element, f"{where}[]")


class RecordCodec(Codec):
    """A WIT record as a dataclass whose fields are the WIT fields in snake_case, in order.

    `field_words` overrides how a field is named in refusals (`""`: not at all).
    """

    names_fields = True

    def __init__(
        self,
        record_class: Any,
        wit_name: str,
        codecs: dict[str, Codec],
        field_words: dict[str, str] | None = None,
    ):
        self.record_class = record_class
        self.wit_name = wit_name
        self.expected = record_expected(wit_name)
        fields = dataclasses.fields(record_class)
        self.attrs = [field.name for field in fields]
        self.wit_names = [field.name.replace("_", "-") for field in fields]
        self.codecs = [codecs[field.name] for field in fields]
        renamed = field_words or {}
        self.words = [renamed.get(attr, attr.replace("_", " ")) for attr in self.attrs]
        self.names = [_Static(name) for name in self.wit_names]
        self.keyword_only = any(field.kw_only for field in fields)
        self.layout = [
            (attr, codec, name.size, name.address, index * ENTRY_SIZE, field)
            for index, (attr, codec, name, field) in enumerate(
                zip(self.attrs, self.codecs, self.names, self.words)
            )
        ]
        self.readers = [
            (codec.read, index * ENTRY_SIZE + ENTRY_VAL) for index, codec in enumerate(self.codecs)
        ]
        self.fields = list(zip(self.attrs, self.wit_names, self.codecs, self.words))

    def refuse_unless_mine(self, value: Any) -> None:
        if value.__class__ is not self.record_class and not isinstance(value, self.record_class):
            raise Refused(self.expected)

    def pack(self, value: Any, image: Image, at: int) -> None:
        self.refuse_unless_mine(value)
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, KIND_RECORD)
        _WORD.pack_into(buffer, at + PAYLOAD + VEC_SIZE, len(self.layout))
        entries = image.reserve(ENTRY_SIZE * len(self.layout))
        image.point(at + PAYLOAD + VEC_DATA, entries)
        for attr, codec, name_size, name_address, offset, field in self.layout:
            entry = entries + offset
            _VEC.pack_into(buffer, entry, name_size, name_address)
            try:
                codec.pack(getattr(value, attr), image, entry + ENTRY_VAL)
            except Refused as refused:
                raise refused.within(field) from None

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + PAYLOAD)
        entries = _string_at(data, size * ENTRY_SIZE)
        values = [read(entries, offset) for read, offset in self.readers]
        if self.keyword_only:
            return self.record_class(**dict(zip(self.attrs, values)))
        return self.record_class(*values)

    def lower(self, value: Any, stand_ins: bool) -> Any:
        self.refuse_unless_mine(value)
        lowered = wc.Record()
        for attr, wit_name, codec, field in self.fields:
            try:
                setattr(lowered, wit_name, codec.lower(getattr(value, attr), stand_ins))
            except Refused as refused:
                raise refused.within(field) from None
        return lowered

    def lift(self, value: Any) -> Any:
        values = {
            attr: codec.lift(getattr(value, wit_name)) for attr, wit_name, codec, _ in self.fields
        }
        return self.record_class(**values)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.RecordType), where, "record")
        declared = ty.fields
        names = [name for name, _ in declared]
        _expect(names == self.wit_names, where, f"record fields {self.wit_names}, found {names}")
        for (name, field_ty), codec in zip(declared, self.codecs):
            codec.check(field_ty, f"{where}.{name}")


class TimestampCodec(RecordCodec):
    """WIT `timestamp` ({seconds: s64, nanoseconds: u32}), the most frequent record: its two
    entries are packed and read with one precompiled `struct` layout. A refusal names the
    part (`seconds`), to be put after the field's name (`created at seconds`)."""

    names_fields = False

    # Two record entries, each a name vector (size, address) and a value (kind, payload).
    _ENTRIES = struct.Struct("<QQB7xq16xQQB7xI20x")

    def __init__(self, timestamp_class: Any):
        super().__init__(timestamp_class, "timestamp", {"seconds": S64, "nanoseconds": U32})
        self.expected = TIMESTAMP_EXPECTED
        seconds, nanoseconds = self.names
        self.name_words = (seconds.size, seconds.address, nanoseconds.size, nanoseconds.address)
        assert self._ENTRIES.size == 2 * ENTRY_SIZE and (ENTRY_VAL, PAYLOAD) == (16, 8)

    def parts(self, value: Any) -> tuple[int, int]:
        """(seconds, nanoseconds) of `value`, or `Refused`."""
        if value.__class__ is not self.record_class and not isinstance(value, self.record_class):
            raise Refused(TIMESTAMP_EXPECTED)
        seconds, nanoseconds = value.seconds, value.nanoseconds
        if seconds.__class__ is not int or not S64_MIN <= seconds <= S64_MAX:
            try:
                seconds = S64.valid(seconds)
            except Refused as refused:
                raise refused.within("seconds") from None
        if nanoseconds.__class__ is not int or not 0 <= nanoseconds <= U32_MAX:
            try:
                nanoseconds = U32.valid(nanoseconds)
            except Refused as refused:
                raise refused.within("nanoseconds") from None
        return seconds, nanoseconds

    def pack(self, value: Any, image: Image, at: int) -> None:
        seconds, nanoseconds = self.parts(value)
        entries = image.reserve(self._ENTRIES.size)
        seconds_size, seconds_address, nanos_size, nanos_address = self.name_words
        buffer = image.buffer
        self._ENTRIES.pack_into(
            buffer,
            entries,
            seconds_size,
            seconds_address,
            KIND_S64,
            seconds,
            nanos_size,
            nanos_address,
            KIND_U32,
            nanoseconds,
        )
        _BYTE.pack_into(buffer, at, KIND_RECORD)
        _WORD.pack_into(buffer, at + PAYLOAD + VEC_SIZE, 2)
        image.point(at + PAYLOAD + VEC_DATA, entries)

    def read(self, memory: bytes, at: int) -> Any:
        data = _WORD.unpack_from(memory, at + PAYLOAD + VEC_DATA)[0]
        fields = self._ENTRIES.unpack_from(_string_at(data, self._ENTRIES.size))
        return self.record_class(fields[3], fields[7])

    def lower(self, value: Any, stand_ins: bool) -> Any:
        seconds, nanoseconds = self.parts(value)
        lowered = wc.Record()
        setattr(lowered, "seconds", seconds)  # noqa: B010 (wasmtime-py's Record is untyped)
        setattr(lowered, "nanoseconds", nanoseconds)  # noqa: B010
        return lowered


class VariantCodec(_VariantLike):
    """A WIT variant; `split` turns a Python value into (case, payload) and `join` back."""

    def __init__(
        self,
        python_class: type,
        wit_name: str,
        cases: Sequence[tuple[str, Codec | None]],
        split: Callable[[Any], tuple[str, Any]],
        join: Callable[[str, Any], Any],
        payload_words: str = "",
    ):
        self.python_class = python_class
        self.expected = record_expected(wit_name)
        self.order = [name for name, _ in cases]
        self.cases = dict(cases)
        self.static = {name: _Static(name) for name in self.order}
        self.by_name = {name.encode("utf-8"): (name, codec) for name, codec in cases}
        self.split = split
        self.join = join
        self.payload_words = payload_words

    def _split(self, value: Any) -> tuple[str, Any, Codec | None]:
        if not isinstance(value, self.python_class):
            raise Refused(self.expected)
        try:
            case, payload = self.split(value)
        except (AttributeError, TypeError, ValueError):
            raise Refused(self.expected) from None
        if case not in self.cases:
            raise Refused(self.expected)
        return case, payload, self.cases[case]

    def pack(self, value: Any, image: Image, at: int) -> None:
        case, payload, codec = self._split(value)
        name = self.static[case]
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, KIND_VARIANT)
        _VEC.pack_into(buffer, at + PAYLOAD, name.size, name.address)
        if codec is not None:
            boxed = image.reserve(VAL_SIZE)
            try:
                codec.pack(payload, image, boxed)
            except Refused as refused:
                raise refused.within(self.payload_words) from None
            image.point(at + PAYLOAD + VARIANT_VAL, boxed)

    def read(self, memory: bytes, at: int) -> Any:
        size, data = _VEC.unpack_from(memory, at + PAYLOAD)
        case, codec = self.by_name[_string_at(data, size)]
        if codec is None:
            return self.join(case, None)
        boxed = _WORD.unpack_from(memory, at + PAYLOAD + VARIANT_VAL)[0]
        return self.join(case, codec.read(_string_at(boxed, VAL_SIZE), 0))

    def lower(self, value: Any, stand_ins: bool) -> Any:
        case, payload, codec = self._split(value)
        if codec is None:
            return self.lower_case(case, None)
        try:
            return self.lower_case(case, codec.lower(payload, stand_ins))
        except Refused as refused:
            raise refused.within(self.payload_words) from None

    def lift(self, value: Any) -> Any:
        case, payload = self.lift_case(value)
        codec = self.cases[case]
        return self.join(case, None if codec is None else codec.lift(payload))

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
        self.learn(ty)


class ResultCodec(_VariantLike):
    """A WIT result as `(True, ok)` or `(False, err)`; a missing type carries `None`."""

    def __init__(self, ok: Codec | None, err: Codec | None):
        self.ok = ok
        self.err = err

    def pack(self, value: Any, image: Image, at: int) -> None:
        is_ok, payload = value
        codec = self.ok if is_ok else self.err
        buffer = image.buffer
        _BYTE.pack_into(buffer, at, KIND_RESULT)
        _BYTE.pack_into(buffer, at + PAYLOAD + RESULT_OK, bool(is_ok))
        if codec is not None:
            boxed = image.reserve(VAL_SIZE)
            codec.pack(payload, image, boxed)
            image.point(at + PAYLOAD + RESULT_VAL, boxed)
        elif payload is not None:
            raise Refused("None")

    def read(self, memory: bytes, at: int) -> Any:
        is_ok = memory[at + PAYLOAD + RESULT_OK] != 0
        codec = self.ok if is_ok else self.err
        if codec is None:
            return is_ok, None
        boxed = _WORD.unpack_from(memory, at + PAYLOAD + RESULT_VAL)[0]
        return is_ok, codec.read(_string_at(boxed, VAL_SIZE), 0)

    def lower(self, value: Any, stand_ins: bool) -> Any:
        is_ok, payload = value
        codec = self.ok if is_ok else self.err
        if codec is None:
            if payload is not None:
                raise Refused("None")
            return self.lower_case("ok" if is_ok else "err", None)
        return self.lower_case("ok" if is_ok else "err", codec.lower(payload, stand_ins))

    def lift(self, value: Any) -> Any:
        case, payload = self.lift_case(value)
        codec = self.ok if case == "ok" else self.err
        return case == "ok", None if codec is None else codec.lift(payload)

    def check(self, ty: Any, where: str) -> None:
        _expect(isinstance(ty, wc.ResultType), where, "result")
        for label, codec, declared in (("ok", self.ok, ty.ok), ("err", self.err, ty.err)):
            _expect((declared is None) == (codec is None), where, f"{label} type")
            if codec is not None:
                codec.check(declared, f"{where}.{label}")
        self.learn(ty)


def _expect(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise ComponentMismatch(f"{where}: expected {what}")
