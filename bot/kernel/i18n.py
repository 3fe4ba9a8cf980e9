"""Per-language message catalogs (``bot/locales/<lang>.yaml``, plus a capability's own
``bot/locales/<lang>/<capability>.yaml``) and HTML-safe formatting.

Messages are sent with HTML parse mode: every placeholder value is escaped unless it is
wrapped in :class:`Raw` (text the bot itself built from escaped pieces).

Plurals: an entry whose wording agrees with a number is a mapping of forms,
``{one: "1 persona", other: "{count} persone"}``, and the caller passes that number as
``count`` (the only parameter that chooses a form; the forms may show ``{count}`` or another,
formatted, placeholder). Italian and English both use ``one`` for exactly 1 and ``other`` for
everything else (0, 2, 1.5...). A message that shows ``{count}`` is always such an entry (a
test checks it); numbers shown after a label ("Presenti: 3") have other names.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
COUNT = "count"  # the parameter that chooses the form of a plural entry
PLURAL_FORMS = ("one", "other")


class Raw(str):
    """A string that is already HTML and must not be escaped again."""

    __slots__ = ()


def escape(value: object) -> str:
    """HTML-escape a value for a message, leaving :class:`Raw` values untouched."""
    if isinstance(value, Raw):
        return str(value)
    return html.escape(str(value), quote=False)


def language_for(telegram_code: str | None, chosen: str | None = None) -> str:
    """The catalog language: the user's explicit choice, else English for English clients."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_code and telegram_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def plural_form(count: object) -> str:
    """The plural form of ``count`` in Italian and English: "one" for exactly 1, else "other"."""
    if isinstance(count, bool) or not isinstance(count, int | float):
        return "other"
    return "one" if count == 1 else "other"


def is_plural(node: object) -> bool:
    """Whether a catalog entry is a mapping of plural forms (``one``, ``other``)."""
    return isinstance(node, dict) and bool(node) and set(node) <= set(PLURAL_FORMS)


def _flatten(prefix: str, node: Any, out: dict[str, Any]) -> None:
    if isinstance(node, dict) and not is_plural(node):
        for key, value in node.items():
            if not isinstance(key, str):  # YAML 1.1 reads yes/no/on/off keys as booleans
                raise TypeError(f"catalog key {key!r} under {prefix!r} is not a string")
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = node


class Catalog:
    """All messages of all languages."""

    def __init__(self, messages: Mapping[str, Mapping[str, Any]]) -> None:
        self._messages = messages

    @classmethod
    def load(cls) -> Catalog:
        """Read the bundled catalogs."""
        return _bundled()

    def keys(self, language: str) -> set[str]:
        """Every key of a language."""
        return set(self._messages[language])

    def raw(self, language: str, key: str) -> Any:
        """The catalog entry as stored (string, list, or mapping of plural forms)."""
        return self._messages[language][key]

    def __call__(self, language: str, key: str, /, **params: object) -> Raw:
        """The message ``key`` in ``language`` with escaped ``params`` filled in.

        For a plural entry the form is chosen by ``params["count"]``.
        """
        template = self._messages.get(language, {}).get(key)
        if template is None:
            template = self._messages[DEFAULT_LANGUAGE][key]
        if is_plural(template):
            forms: dict[str, str] = template
            template = forms.get(plural_form(params.get(COUNT)), forms.get("other", ""))
        return Raw(str(template).format_map({k: escape(v) for k, v in params.items()}))


def placeholders(template: str | dict[str, str]) -> set[str]:
    """The ``{name}`` fields a template uses (in any of its forms, for a plural entry)."""
    if isinstance(template, dict):
        return set().union(*(placeholders(form) for form in template.values()))
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _yaml(text: str) -> Any:
    """A catalog file's data, read with libyaml when PyYAML has it (some 10x faster than the
    pure-Python loader: the catalogs are read at every start, bench/bench_startup.py)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


@cache
def _bundled() -> Catalog:
    messages: dict[str, dict[str, Any]] = {}
    locales = resources.files("bot").joinpath("locales")
    for language in LANGUAGES:
        flat: dict[str, Any] = {}
        _flatten("", _yaml(locales.joinpath(f"{language}.yaml").read_text("utf-8")), flat)
        # a capability may keep its messages in locales/<lang>/<capability>.yaml
        folder = locales.joinpath(language)
        parts = sorted(folder.iterdir(), key=lambda p: p.name) if folder.is_dir() else []
        for part in parts:
            if not part.name.endswith(".yaml"):
                continue
            more: dict[str, Any] = {}
            _flatten("", _yaml(part.read_text("utf-8")), more)
            repeated = sorted(set(more) & set(flat))
            if repeated:
                raise ValueError(f"locales/{language}/{part.name} repeats keys: {repeated}")
            flat.update(more)
        messages[language] = flat
    return Catalog(messages)
