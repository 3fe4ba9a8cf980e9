"""Typed button data: one codec per button family, used where the button is made and where a
press is routed (after aiogram's ``CallbackData`` factories).

A family is a frozen dataclass with a ``prefix``; its fields, in order, are the parts of the
callback data, ``prefix|field|field...`` (Telegram allows 64 bytes). ``unpack`` gives the
typed value back, or None for anything that is not exactly such a button (another family,
a missing or extra part, a value of the wrong type, a forged string): routing never splits
strings by hand.

    @dataclass(frozen=True)
    class LanguageButton(ButtonData, prefix="l"):
        language: str

    LanguageButton("it").pack()          # "l|it"
    LanguageButton.unpack("l|it")        # LanguageButton(language="it")
    LanguageButton.pattern()             # "^l\\|" for the handler that routes them

Field types: ``str`` (no ``|``), ``int`` (digits, optionally negative), a ``StrEnum``
subclass, and ``X | None`` for the last field only (absent when None).

A prefix may have several parts (``p|f``, ``o|inv``): a family can live under another one's
first part (the staff's poll buttons ``p|f|...`` beside the ballots ``p|<poll>|...``), or one
codec per kind of a family's buttons; route the longer prefix first, since the shorter one's
pattern matches it too.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, Self

MAX_BYTES = 64  # Telegram's limit for callback data
SEPARATOR = "|"
Field = tuple[str, Callable[[str], Any], bool]  # (name, the part's converter, optional)


class ButtonData:
    """Base of a button family; subclasses are frozen dataclasses (see the module doc)."""

    prefix: ClassVar[str]
    _head: ClassVar[str]  # the prefix and the separator after it
    _fields: ClassVar[tuple[Field, ...]]
    _required: ClassVar[int]  # how many fields are not optional

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix:
            if not all(prefix.split(SEPARATOR)):
                raise TypeError(f"a button prefix cannot have an empty part: {prefix!r}")
            cls.prefix = prefix
            cls._head = prefix + SEPARATOR

    @classmethod
    def _layout(cls) -> tuple[Field, ...]:
        """The family's fields, read once from its type hints (presses are a hot path)."""
        cached = cls.__dict__.get("_fields")
        if cached is not None:
            return typing.cast(tuple[Field, ...], cached)
        hints = typing.get_type_hints(cls)
        layout = []
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        for index, field in enumerate(fields):
            kind = hints[field.name]
            optional = False
            if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
                arguments = [a for a in typing.get_args(kind) if a is not type(None)]
                if len(arguments) != 1 or index != len(fields) - 1:
                    raise TypeError(f"{cls.__name__}.{field.name}: only the last may be optional")
                kind, optional = arguments[0], True
            layout.append((field.name, _converter(kind), optional))
        cls._required = sum(1 for _, _, optional in layout if not optional)
        cls._fields = tuple(layout)
        return cls._fields

    def pack(self) -> str:
        """The callback data of this button."""
        parts = [self.prefix]
        for name, _, optional in self._layout():
            value = getattr(self, name)
            if value is None and optional:
                continue
            text = str(value)  # a StrEnum's str() is its value
            if SEPARATOR in text:
                raise ValueError(f"{type(self).__name__}.{name} cannot contain {SEPARATOR!r}")
            parts.append(text)
        data = SEPARATOR.join(parts)
        if len(data) > MAX_BYTES // 4 and len(data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The button ``data`` stands for, or None when it is not exactly one of this family."""
        if not data:
            return None
        if data.startswith(cls._head):
            values = data[len(cls._head) :].split(SEPARATOR)
        elif data == cls.prefix:
            values = []
        else:
            return None
        layout = cls._layout()
        if not cls._required <= len(values) <= len(layout):
            return None
        converted: dict[str, Any] = {}
        for (name, convert, _), text in zip(layout, values, strict=False):
            value = convert(text)
            if value is None:
                return None
            converted[name] = value
        for name, _, optional in layout[len(values) :]:
            if optional:
                converted[name] = None
        return cls(**converted)

    @classmethod
    def pattern(cls) -> str:
        """The regular expression a handler routes this family with."""
        return f"^{re.escape(cls.prefix)}{re.escape(SEPARATOR)}"


def _converter(kind: Any) -> Callable[[str], Any]:
    """What turns a part into a value of ``kind`` (None when it is not one)."""
    if kind is str:
        return _as_text
    if kind is int:
        return _as_int
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return {member.value: member for member in kind}.get
    raise TypeError(f"unsupported button field type {kind!r}")


def _as_text(text: str) -> str:
    return text


def _as_int(text: str) -> int | None:
    """Digits, optionally negative, at most 18 of them (what ``-?\\d{1,18}`` matches)."""
    digits = text[1:] if text[:1] == "-" else text
    return int(text) if 0 < len(digits) <= 18 and digits.isdecimal() else None
