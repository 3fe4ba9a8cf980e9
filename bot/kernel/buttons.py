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

A prefix may have several parts (``"o|inv"``): one codec per kind of a family's buttons.
Field types: ``str`` (no ``|``), ``int`` (digits, optionally negative), a ``StrEnum``
subclass, and ``X | None`` for the last field only (absent when None).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from enum import StrEnum
from typing import Any, ClassVar, Self

MAX_BYTES = 64  # Telegram's limit for callback data
SEPARATOR = "|"


class ButtonData:
    """Base of a button family; subclasses are frozen dataclasses (see the module doc)."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, Any, bool], ...]]  # (name, type, optional)

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix:  # may have several parts, e.g. "o|inv" for one kind of a family's buttons
            cls.prefix = prefix

    @classmethod
    def _layout(cls) -> tuple[tuple[str, Any, bool], ...]:
        cached = cls.__dict__.get("_fields")
        if cached is not None:
            return typing.cast(tuple[tuple[str, Any, bool], ...], cached)
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
            layout.append((field.name, kind, optional))
        cls._fields = tuple(layout)
        return cls._fields

    def pack(self) -> str:
        """The callback data of this button."""
        parts = [self.prefix]
        for name, _, optional in self._layout():
            value = getattr(self, name)
            if value is None and optional:
                continue
            text = str(value.value if isinstance(value, StrEnum) else value)
            if SEPARATOR in text:
                raise ValueError(f"{type(self).__name__}.{name} cannot contain {SEPARATOR!r}")
            parts.append(text)
        data = SEPARATOR.join(parts)
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The button ``data`` stands for, or None when it is not exactly one of this family."""
        if not data:
            return None
        head = cls.prefix.split(SEPARATOR)
        parts = data.split(SEPARATOR)
        if parts[: len(head)] != head:
            return None
        layout = cls._layout()
        values = parts[len(head) :]
        required = sum(1 for _, _, optional in layout if not optional)
        if not required <= len(values) <= len(layout):
            return None
        converted: dict[str, Any] = {}
        for (name, kind, _), text in zip(layout, values, strict=False):
            value = _convert(kind, text)
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


def _convert(kind: Any, text: str) -> Any:
    """``text`` as a value of ``kind``; None when it is not one."""
    if kind is str:
        return text
    if kind is int:
        return int(text) if re.fullmatch(r"-?\d{1,18}", text) else None
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            return kind(text)
        except ValueError:
            return None
    raise TypeError(f"unsupported button field type {kind!r}")
