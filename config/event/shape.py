"""Shape errors: what pydantic finds wrong in one field, as an :class:`Issue` naming the
field by ids, with a message in the organiser's language."""

from __future__ import annotations

import difflib
import re
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from config.event.models import ITEM_ID, EventConfig
from config.event.paths import ITEM_KEYS, raw_labels
from config.event.values import SLUG, LocalText, Problem
from config.messages import DATE_FORM, DATETIME_FORM, Issue, Localised, Msg, listing


def _inner_model(annotation: object) -> type[BaseModel] | None:
    """The model a field holds (through list, Optional and Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _inner_model(argument)
        if found is not None:
            return found
    return None


def shape_issue(error: ErrorDetails, data: dict[str, Any]) -> Issue:
    """A pydantic error as an issue: the path named by ids, the message by error type."""
    node: Any = data
    model: type[BaseModel] | None = EventConfig
    parent: type[BaseModel] | None = None
    key: str | None = None
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            if isinstance(node, list) and 0 <= part < len(node):
                path += f"[{raw_labels(node, ITEM_KEYS.get(key or ''))[part]}]"
                node = node[part]
            else:
                path += f"[#{part + 1}]"
                node = None
            continue
        if model is not None and part in model.model_fields:
            parent, key = model, part
            model = _inner_model(model.model_fields[part].annotation)
        elif isinstance(node, dict) and part in node:  # a field the model does not have
            parent, key, model = model, part, None
        else:
            continue  # pydantic's own step (a validator function, a union member)
        path += f".{part}" if path else part
        node = node.get(part) if isinstance(node, dict) else None
    return Issue(path, _shape_message(error, model, parent, key))


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


# pydantic's error types whose message needs only the value (and the limit, for these).
_SIMPLE = {
    "int_parsing": "not_integer",
    "int_type": "not_integer",
    "int_from_float": "not_integer",
    "float_parsing": "not_number",
    "float_type": "not_number",
    "bool_parsing": "not_bool",
    "bool_type": "not_bool",
    "string_type": "not_text",
    "list_type": "not_list",
}
_LIMITS = {
    "greater_than": ("greater_than", "gt"),
    "greater_than_equal": ("greater_equal", "ge"),
    "less_than": ("less_than", "lt"),
    "less_than_equal": ("less_equal", "le"),
}


def _shape_message(
    error: ErrorDetails,
    model: type[BaseModel] | None,
    parent: type[BaseModel] | None,
    key: str | None,
) -> Msg:
    """The message for a pydantic error: ours (a :class:`Problem`), about the field's place
    in the file (missing, unknown, not a section), or about its value."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "value_error" and isinstance(ctx.get("error"), Problem):
        problem: Problem = ctx["error"]
        return problem.what
    if kind == "missing":
        return Msg("missing")
    if kind == "extra_forbidden":
        allowed = list(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(key or "", allowed, n=1, cutoff=0.6)
        suggestion: object = Msg("did_you_mean", {"name": close[0]}) if close else ""
        return Msg(
            "unknown_field", {"name": key, "suggestion": suggestion, "allowed": listing(allowed)}
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return Msg("not_local_text" if model is LocalText else "not_section")
    return _value_message(error, kind, ctx)


def _value_message(error: ErrorDetails, kind: str, ctx: dict[str, Any]) -> Msg:
    """The message for a value of the wrong form, choice, length or size."""
    value = _shown(error.get("input"))
    if kind.startswith(("date_", "datetime_", "time_")):
        return _when_message(kind, value)
    if kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return Msg("bad_choice", {"value": value, "choices": listing(choices)})
    if kind == "string_pattern_mismatch":
        patterns = {SLUG: "bad_slug", ITEM_ID: "bad_item_id"}
        code = patterns.get(str(ctx.get("pattern")), "bad_pattern")
        return Msg(code, {"value": value})
    if kind in _LIMITS:
        code, name = _LIMITS[kind]
        return Msg(code, {"value": value, "limit": ctx.get(name)})
    if kind in ("string_too_short", "string_too_long", "too_short", "too_long"):
        return _length_message(error, kind, ctx)
    if kind in _SIMPLE:
        return Msg(_SIMPLE[kind], {"value": value})
    detail = str(error["msg"]).removeprefix("Value error, ")
    return Msg("invalid", {"detail": detail})


def _when_message(kind: str, value: str) -> Msg:
    """A date, date and time, or time that cannot be read."""
    if kind.startswith("date_"):
        return Msg("bad_date", {"value": value, "form": Localised(DATE_FORM)})
    if kind.startswith("datetime_"):
        return Msg("bad_datetime", {"value": value, "form": Localised(DATETIME_FORM)})
    return Msg("bad_time", {"value": value})


def _length_message(error: ErrorDetails, kind: str, ctx: dict[str, Any]) -> Msg:
    """A text or a list too short or too long."""
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return Msg("empty_text")
        return Msg("text_too_short", {"limit": ctx.get("min_length")})
    if kind == "string_too_long":
        length = len(error["input"]) if isinstance(error.get("input"), str) else "?"
        return Msg("text_too_long", {"length": length, "limit": ctx.get("max_length")})
    if kind == "too_short":
        return Msg("list_too_short", {"limit": ctx.get("min_length")})
    return Msg("list_too_long", {"limit": ctx.get("max_length")})
