"""Telegram Bot API specification (``spec_data/api.json``) loader and request validator.

The JSON spec is pre-indexed once at import/first use (:func:`load_spec`), so validating a
request is a handful of dict lookups per field.  Everything that can be derived generically from
the spec text is: required/unknown fields, primitive types, ``Array of X``, nested objects with
abstract types and unions, discriminator constants ("must be chat", "always “kicked”"),
length limits ("1-4096 characters", "1-64 bytes"), conditional requirements ("Required if
inline_message_id is not specified") and "exactly/at most one of the fields" rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .markup import HtmlParseError, parse_html

__all__ = [
    "FieldSpec",
    "Schema",
    "Spec",
    "TypeRef",
    "UploadedFile",
    "ValidationResult",
    "load_spec",
]

SPEC_PATH = Path(__file__).parent / "spec_data" / "api.json"
PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String"})
PARSE_MODES = frozenset({"HTML", "MarkdownV2", "Markdown"})

_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_LEN_RE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_CONST_RE = re.compile(r"(?:must be|always) [“\"]?([a-z][a-z0-9_]*)[”\"]?\.?$")
_REQ_IF_RE = re.compile(
    r"[Rr]equired if (\w+)(?: and (\w+))? (?:is|are) not specified|[Rr]equired if (\w+) isn't"
)
_ONE_OF_OTHER_RE = re.compile(
    r"(Exactly|At most) one of the fields other than ([\w, ]+?),? and (\w+) must be used"
)
_ONE_OF_LIST_RE = re.compile(r"Exactly one of the fields (\w+) or (\w+) must be used")


@dataclass(slots=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One alternative of a field type: ``base`` nested in ``depth`` levels of ``Array of``."""

    base: str
    depth: int = 0

    @classmethod
    def parse(cls, expr: str) -> TypeRef:
        """Parse ``"Array of Array of X"`` into ``TypeRef("X", 2)``."""
        depth = 0
        while expr.startswith("Array of "):
            expr = expr[len("Array of ") :]
            depth += 1
        return cls(expr, depth)

    def __str__(self) -> str:
        return "Array of " * self.depth + self.base


@dataclass(slots=True)
class FieldSpec:
    """A pre-indexed field of a method or a type."""

    name: str
    alts: tuple[TypeRef, ...]
    required: bool
    description: str
    min_len: int | None = None
    max_len: int | None = None
    unit: str | None = None  # "characters" | "bytes"
    after_entities: bool = False
    const: str | None = None
    required_unless: tuple[str, ...] = ()
    accepts_file: bool = False
    has_string: bool = False
    complex_alts: tuple[TypeRef, ...] = ()

    @property
    def type_str(self) -> str:
        """Human readable type, e.g. ``Integer or String``."""
        return " or ".join(str(a) for a in self.alts)


@dataclass(slots=True)
class Schema:
    """A method or a type of the spec."""

    name: str
    fields: dict[str, FieldSpec]
    required: tuple[str, ...]
    subtypes: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    one_of_mode: str | None = None  # "exactly" | "at_most"
    string_ok: bool = False
    returns: tuple[TypeRef, ...] = ()
    text_fields: tuple[tuple[str, str | None], ...] = ()  # (field, its parse-mode field)
    const_field: str | None = None
    is_method: bool = False
    conditional: tuple[FieldSpec, ...] = ()


@dataclass(slots=True)
class ValidationResult:
    """Decoded parameters plus the list of validation errors (empty if valid)."""

    params: dict[str, Any]
    errors: list[str]
    parsed_texts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class _Ctx:
    __slots__ = ("errors", "files", "parse_modes", "parsed")

    def __init__(self, files: dict[str, UploadedFile], parse_modes: frozenset[str]) -> None:
        self.errors: list[str] = []
        self.files = files
        self.parse_modes = parse_modes
        self.parsed: dict[str, Any] = {}

    def scratch(self) -> _Ctx:
        return _Ctx(self.files, self.parse_modes)

    def err(self, path: str, msg: str) -> None:
        self.errors.append(f"{path}: {msg}" if path else msg)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# How a value of a primitive Bot API type is told apart (booleans are not numbers).
_PRIMITIVE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
}


class Spec:
    """The pre-indexed Bot API spec, with request and object validators."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.version: str = raw.get("version", "?")
        self.types: dict[str, Schema] = {
            name: self._build(obj, is_method=False) for name, obj in raw["types"].items()
        }
        self.methods: dict[str, Schema] = {
            name: self._build(obj, is_method=True) for name, obj in raw["methods"].items()
        }
        self._lower = {name.lower(): name for name in self.methods}
        self._raw = raw

    # ------------------------------------------------------------------ building
    def _build(self, obj: dict[str, Any], *, is_method: bool) -> Schema:
        fields: dict[str, FieldSpec] = {}
        for raw_field in obj.get("fields", []):
            f = self._build_field(raw_field)
            fields[f.name] = f
        description = " ".join(obj.get("description", []))
        schema = Schema(
            name=obj["name"],
            fields=fields,
            required=tuple(n for n, f in fields.items() if f.required),
            subtypes=tuple(obj.get("subtypes", [])),
            string_ok="String can be used instead of this object" in description,
            returns=tuple(TypeRef.parse(t) for t in obj.get("returns", [])),
            is_method=is_method,
        )
        m = _ONE_OF_OTHER_RE.search(description)
        if m:
            excluded = {x.strip() for x in m.group(2).split(",")} | {m.group(3)}
            schema.one_of = tuple(n for n in fields if n not in excluded)
            schema.one_of_mode = "exactly" if m.group(1) == "Exactly" else "at_most"
        else:
            m2 = _ONE_OF_LIST_RE.search(description)
            if m2:
                schema.one_of = (m2.group(1), m2.group(2))
                schema.one_of_mode = "exactly"
            elif "must use exactly one of the optional fields" in description:
                schema.one_of = tuple(n for n, f in fields.items() if not f.required)
                schema.one_of_mode = "exactly"
        text_fields: list[tuple[str, str | None]] = []
        for name, f in fields.items():
            if f.alts != (TypeRef("String"),):
                continue
            if f"{name}_parse_mode" in fields:
                text_fields.append((name, f"{name}_parse_mode"))
            elif f.after_entities and "parse_mode" in fields:
                text_fields.append((name, "parse_mode"))
            elif f.max_len is not None:
                text_fields.append((name, None))
        schema.text_fields = tuple(text_fields)
        for name, f in fields.items():
            if f.const is not None:
                schema.const_field = name
                break
        schema.conditional = tuple(f for f in fields.values() if f.required_unless)
        return schema

    @staticmethod
    def _build_field(raw: dict[str, Any]) -> FieldSpec:
        desc: str = raw.get("description", "")
        alts = tuple(TypeRef.parse(t) for t in raw["types"])
        f = FieldSpec(
            name=raw["name"], alts=alts, required=bool(raw.get("required")), description=desc
        )
        m = _LEN_RE.search(desc)
        if m and alts == (TypeRef("String"),):
            f.min_len, f.max_len, f.unit = int(m.group(1)), int(m.group(2)), m.group(3)
            f.after_entities = "after entit" in desc
        if f.required and alts == (TypeRef("String"),):
            c = _CONST_RE.search(desc)
            if c:
                f.const = c.group(1)
        r = _REQ_IF_RE.search(desc)
        if r and not f.required:
            names = [x for x in r.groups() if x]
            f.required_unless = tuple(names)
        f.accepts_file = any(a.depth == 0 and a.base == "InputFile" for a in alts)
        f.has_string = any(a.depth == 0 and a.base in ("String", "InputFile") for a in alts)
        f.complex_alts = tuple(a for a in alts if a.depth > 0 or a.base not in PRIMITIVES)
        return f

    # ------------------------------------------------------------------ lookups
    def canonical_method(self, name: str) -> str | None:
        """Return the spec spelling of a method name (case-insensitive), or None."""
        return self._lower.get(name.lower())

    def method(self, name: str) -> Schema:
        """Return the schema of a method (exact spelling)."""
        return self.methods[name]

    def unresolved_types(self) -> set[str]:
        """Type names referenced by fields but not defined in the spec (should be empty)."""
        missing: set[str] = set()
        for schema in (*self.types.values(), *self.methods.values()):
            for f in schema.fields.values():
                for alt in f.alts:
                    if alt.base not in PRIMITIVES and alt.base not in self.types:
                        missing.add(alt.base)
            for sub in schema.subtypes:
                ref = TypeRef.parse(sub)
                if ref.base not in PRIMITIVES and ref.base not in self.types:
                    missing.add(sub)
        return missing

    # ------------------------------------------------------------------ requests
    def validate_request(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile] | None = None,
        parse_modes: frozenset[str] = frozenset({"HTML"}),
        tolerated_unknown: frozenset[str] = frozenset(),
    ) -> ValidationResult:
        """Validate and decode the parameters of a request to ``method`` (exact spelling).

        ``params`` values are strings (query string / form data), :class:`UploadedFile` (a
        multipart file part named like the parameter) or JSON values (``application/json``).
        Nested objects sent as JSON strings are decoded.  ``attach://name`` references are
        resolved against ``files``. Unknown parameters named in ``tolerated_unknown`` are
        dropped with a warning instead of an error (Telegram ignores unknown parameters; PTB
        sends e.g. ``parse_mode`` to sendPoll/sendLocation when ``Defaults.parse_mode`` is set).
        """
        schema = self.methods[method]
        ctx = _Ctx(files or {}, parse_modes)
        out: dict[str, Any] = {}
        warnings: list[str] = []
        for key, value in params.items():
            f = schema.fields.get(key)
            if f is None and key in tolerated_unknown:
                warnings.append(f"{method}: ignored unknown parameter {key}={_short(value)}")
                continue
            if f is None:
                ctx.err(key, f"unknown parameter for {method} (value {_short(value)})")
                continue
            out[key] = self._coerce_top(f, value, key, ctx)
        self._post_checks(schema, out, "", ctx)
        errors = [f"{method}: {e}" for e in ctx.errors]
        return ValidationResult(out, errors, ctx.parsed, warnings)

    def _coerce_top(self, f: FieldSpec, value: Any, path: str, ctx: _Ctx) -> Any:
        if isinstance(value, UploadedFile):
            if not f.accepts_file:
                ctx.err(path, f"a file was uploaded but the type is {f.type_str}")
            return value
        if isinstance(value, str):
            for alt in f.alts:
                if alt.depth:
                    continue
                if alt.base == "Integer" and _INT_RE.fullmatch(value):
                    return int(value)
                if alt.base == "Float" and _FLOAT_RE.fullmatch(value):
                    return float(value)
                if alt.base == "Boolean" and value.lower() in ("true", "false"):
                    return value.lower() == "true"
            if f.accepts_file and value.startswith("attach://"):
                uploaded = ctx.files.get(value[len("attach://") :])
                if uploaded is None:
                    ctx.err(path, f"{value} refers to no uploaded file part")
                    return value
                return uploaded
            if f.has_string:
                return value
            if f.complex_alts:
                try:
                    decoded = json.loads(value)
                except ValueError:
                    ctx.err(path, f"can't parse JSON {f.type_str}: {_short(value)}")
                    return value
                self._check(decoded, f.complex_alts, path, ctx)
                return decoded
            ctx.err(path, f"expected {f.type_str}, got {_short(value)}")
            return value
        # application/json bodies carry typed values
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and f.has_string
            and not any(a.depth == 0 and a.base in ("Integer", "Float") for a in f.alts)
        ):
            return str(value)
        self._check(value, f.alts, path, ctx)
        return value

    # ------------------------------------------------------------------ objects
    def check_value(self, value: Any, type_expr: str | tuple[TypeRef, ...]) -> list[str]:
        """Validate a JSON value against a type expression (e.g. ``"Array of Update"``)."""
        alts = (
            tuple(TypeRef.parse(t.strip()) for t in type_expr.split("|"))
            if isinstance(type_expr, str)
            else type_expr
        )
        ctx = _Ctx({}, PARSE_MODES)
        self._check(value, alts, alts[0].base if len(alts) == 1 else "value", ctx)
        return ctx.errors

    def _check(self, value: Any, alts: tuple[TypeRef, ...], path: str, ctx: _Ctx) -> None:
        if len(alts) == 1:
            self._check_one(value, alts[0], path, ctx)
            return
        attempts: list[tuple[str, list[str], bool]] = []
        for alt in alts:
            sub = ctx.scratch()
            self._check_one(value, alt, path, sub)
            if not sub.errors:
                ctx.parsed.update(sub.parsed)
                return
            attempts.append((str(alt), sub.errors, self._plausible(value, alt)))
        plausible = [a for a in attempts if a[2]]
        best = min(plausible or attempts, key=lambda a: len(a[1]))
        if plausible:
            ctx.errors.extend(best[1])
            return
        names = " | ".join(a[0] for a in attempts)
        ctx.err(path, f"matches none of {names}; closest is {best[0]}: {best[1][0]}")

    def _plausible(self, value: Any, alt: TypeRef) -> bool:
        """True if ``value`` looks like it was meant to be ``alt`` (for error reporting)."""
        if alt.depth:
            inner = TypeRef(alt.base, alt.depth - 1)
            return isinstance(value, list) and all(self._plausible(v, inner) for v in value)
        if alt.base in PRIMITIVES or not isinstance(value, dict):
            return False
        schema = self.types.get(alt.base)
        if schema is None:
            return False
        if schema.subtypes:
            return any(self._plausible(value, TypeRef.parse(s)) for s in schema.subtypes)
        if schema.const_field is not None:
            const = schema.fields[schema.const_field].const
            return value.get(schema.const_field) == const
        return bool(schema.required) and all(r in value for r in schema.required)

    def _check_one(self, value: Any, ref: TypeRef, path: str, ctx: _Ctx) -> None:
        if ref.depth:
            if not isinstance(value, list):
                ctx.err(path, f"expected {ref}, got {_type_name(value)} {_short(value)}")
                return
            inner = TypeRef(ref.base, ref.depth - 1)
            for i, item in enumerate(value):
                self._check_one(item, inner, f"{path}[{i}]", ctx)
            return
        base = ref.base
        if base in _PRIMITIVE_CHECKS:
            if not _PRIMITIVE_CHECKS[base](value):
                ctx.err(path, f"expected {base}, got {_type_name(value)} {_short(value)}")
        elif base in ("String", "InputFile"):
            self._check_text_or_file(value, base, path, ctx)
        else:
            schema = self.types.get(base)
            if schema is None:
                return  # unknown to the spec: accept
            self._check_object(value, schema, path, ctx)

    @staticmethod
    def _check_text_or_file(value: Any, base: str, path: str, ctx: _Ctx) -> None:
        """A String, or an InputFile (an uploaded part, or a String: file id, URL, attach)."""
        if base == "InputFile" and isinstance(value, UploadedFile):
            return
        if not isinstance(value, str):
            shown = "" if base == "InputFile" else f" {_short(value)}"
            ctx.err(path, f"expected {base}, got {_type_name(value)}{shown}")
        elif value.startswith("attach://") and value[9:] not in ctx.files:
            ctx.err(path, f"{value} refers to no uploaded file part")

    def _check_object(self, value: Any, schema: Schema, path: str, ctx: _Ctx) -> None:
        if schema.subtypes:
            self._check(value, tuple(TypeRef.parse(s) for s in schema.subtypes), path, ctx)
            return
        if isinstance(value, str) and schema.string_ok:
            return
        if not isinstance(value, dict):
            ctx.err(path, f"expected {schema.name} object, got {_type_name(value)}")
            return
        if not schema.fields:
            return  # e.g. CallbackGame: any object
        for key, item in value.items():
            f = schema.fields.get(key)
            if f is None:
                ctx.err(f"{path}.{key}", f"unknown field of {schema.name}")
                continue
            if item is None:
                continue
            self._check(item, f.alts, f"{path}.{key}", ctx)
            if f.const is not None and item != f.const:
                ctx.err(f"{path}.{key}", f"must be {f.const!r} for {schema.name}, got {item!r}")
        self._post_checks(schema, value, path, ctx)

    # ------------------------------------------------------------------ shared checks
    def _post_checks(self, schema: Schema, obj: dict[str, Any], path: str, ctx: _Ctx) -> None:
        prefix = f"{path}." if path else ""
        for name in schema.required:
            if obj.get(name) is None:
                ctx.err(f"{prefix}{name}", f"required field of {schema.name} is missing")
        for f in schema.conditional:
            if (
                f.required_unless
                and obj.get(f.name) is None
                and all(obj.get(other) is None for other in f.required_unless)
            ):
                others = " and ".join(f.required_unless)
                ctx.err(f"{prefix}{f.name}", f"required when {others} is not specified")
        if schema.one_of_mode is not None:
            present = [n for n in schema.one_of if obj.get(n) is not None]
            if schema.one_of_mode == "exactly" and len(present) != 1:
                ctx.err(
                    path or schema.name,
                    f"exactly one of {', '.join(schema.one_of)} must be set for "
                    f"{schema.name}, got {present or 'none'}",
                )
            elif schema.one_of_mode == "at_most" and len(present) > 1:
                ctx.err(
                    path or schema.name,
                    f"at most one of the optional fields of {schema.name} may be set, "
                    f"got {present}",
                )
        for name, mode_field in schema.text_fields:
            text = obj.get(name)
            if not isinstance(text, str):
                continue
            mode = obj.get(mode_field) if mode_field else None
            self._check_text(schema, schema.fields[name], text, mode, f"{prefix}{name}", ctx)

    def _check_text(
        self, schema: Schema, f: FieldSpec, text: str, mode: Any, path: str, ctx: _Ctx
    ) -> None:
        plain = text
        if mode is not None and mode != "":
            if mode not in PARSE_MODES:
                ctx.err(path, f"unsupported parse_mode {mode!r}")
                return
            if mode not in ctx.parse_modes:
                ctx.err(
                    path,
                    f"parse_mode {mode!r} is not allowed (allowed: {sorted(ctx.parse_modes)})",
                )
                return
            if mode == "HTML":
                try:
                    parsed = parse_html(text)
                except HtmlParseError as exc:
                    ctx.err(path, f"can't parse entities: {exc}")
                    return
                plain = parsed.text
                ctx.parsed[path] = parsed
        if f.max_len is None or f.min_len is None:
            return
        if f.unit == "bytes":
            size = len(plain.encode("utf-8"))
            if not f.min_len <= size <= f.max_len:
                ctx.err(path, f"must be {f.min_len}-{f.max_len} bytes, got {size} bytes")
            return
        size = len(plain)
        if size > f.max_len:
            where = " after entities parsing" if f.after_entities else ""
            ctx.err(path, f"too long: {size} characters{where}, max {f.max_len}")
        elif len(plain.strip() if f.after_entities else plain) < f.min_len:
            ctx.err(path, f"too short: must be {f.min_len}-{f.max_len} characters (is empty)")


@lru_cache(maxsize=1)
def load_spec() -> Spec:
    """Load and index the bundled spec once per process."""
    return Spec()
