"""Reading an event file: YAML (dates kept as text, keys written twice noted), then the
shape of each field (pydantic), then the checks across fields; every problem of the three
is reported at once in one :class:`EventConfigError`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.event.checks import partial_parts, parts_of, semantic_issues
from config.event.models import EventConfig
from config.event.shape import shape_issue
from config.messages import Issue, Msg, issue


class EventConfigError(Exception):
    """The event file is invalid; :attr:`issues` has one entry per problem, naming the field."""

    def __init__(self, source: str, issues: list[Issue]) -> None:
        super().__init__(f"{source}: {len(issues)} error(s)")
        self.source = source
        self.issues = issues

    @property
    def errors(self) -> list[str]:
        """``<field>: <problem>`` lines in English (for tests and logs)."""
        return self.messages("en")

    def messages(self, language: str) -> list[str]:
        """``<field>: <problem>`` lines in ``language``."""
        return [item.text(language) for item in self.issues]

    def lines(self, language: str = "it") -> list[str]:
        """``<file>: <field>: <problem>`` lines, ready to print."""
        return [f"{self.source}: {text}" for text in self.messages(language)]


def bundled_event_file() -> Path:
    """Path of the default event file shipped with the package."""
    return Path(str(resources.files("config").joinpath("default_event.yaml")))


def load_event_config(path: Path | None = None) -> EventConfig:
    """Read and validate an event file (the bundled one when ``path`` is None)."""
    path = path or bundled_event_file()
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise EventConfigError(source, [issue("", "cannot_read", reason=reason)]) from exc
    except UnicodeDecodeError as exc:
        raise EventConfigError(source, [issue("", "not_utf8")]) from exc
    return parse_event_config(text, source)


def parse_event_config(text: str, source: str = "<event file>") -> EventConfig:
    """Validate YAML text; raises :class:`EventConfigError` listing every problem."""
    data, issues = read_yaml(text)
    if data is None:
        raise EventConfigError(source, issues)
    if not isinstance(data, dict):
        raise EventConfigError(source, [issue("", "not_a_mapping")])
    try:
        config = EventConfig.model_validate(data)
    except ValidationError as exc:
        issues += [shape_issue(error, data) for error in exc.errors()]
        issues += semantic_issues(partial_parts(data))
        raise EventConfigError(source, issues) from exc
    issues += semantic_issues(parts_of(config))
    if issues:
        raise EventConfigError(source, issues)
    return config


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe YAML, but dates stay text (pydantic checks them and names the field: YAML's own
    date reader stops the whole file at ``2023-02-30``), and a key written twice in the same
    section is noted (YAML would silently keep the last one)."""

    duplicates: list[tuple[int, str]]


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int) and key in seen:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
        seen.add(key)
    mapping: dict[Any, Any] = loader.construct_mapping(node)
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def read_yaml(text: str) -> tuple[object | None, list[Issue]]:
    """The YAML data (None when it cannot be read) and the problems found reading it."""
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            Msg("yaml_where", {"line": mark.line + 1, "column": mark.column + 1}) if mark else ""
        )
        problem = getattr(exc, "problem", None) or str(exc)
        lines = text.splitlines()
        line = lines[mark.line] if mark and mark.line < len(lines) else ""
        tab = "\t" in line[: (mark.column + 1) if mark else 0] or "\\t" in problem
        hint: object = Msg("yaml_tab_hint") if tab else ""
        return None, [issue("", "yaml_invalid", where=where, problem=problem, hint=hint)]
    finally:
        loader.dispose()
    issues = [
        issue("", "yaml_duplicate_key", line=line, key=key) for line, key in loader.duplicates
    ]
    return data, issues
