"""Tests for bot/i18n.py and the catalogs in bot/locales/*.yaml."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot
from bot.kernel.commands import (
    FACILITATOR_COMMANDS,
    MODERATOR_COMMANDS,
    ORGANISER_COMMANDS,
    PARTICIPANT_COMMANDS,
    REFERENT_COMMANDS,
    menu,
)
from bot.kernel.faults import WORK_NAMES
from bot.kernel.i18n import (
    COUNT,
    LANGUAGES,
    PLURAL_FORMS,
    Catalog,
    Raw,
    escape,
    is_plural,
    language_for,
    placeholders,
    plural_form,
)
from bot.questions.feed import BUTTON_LABELS
from bot.questions.notices import News
from bot.questions.policy import HideReason
from bot.registration.wizard import CATEGORIES
from bot.staff.roles import FACILITATOR, MODERATOR, REFERENT
from storage.questions import QuestionAction, QuestionStatus

ROOT = Path(bot.__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")])

# Functions whose second positional argument is a catalog key.
KEY_FUNCTIONS = {"t", "catalog", "raw", "_invalid"}
# Keys built with an f-string (f"category.{c}"): the values the placeholder takes, by prefix.
CONFIRM_FLOWS = ("change", "cancel", "erase")
ROLES = (FACILITATOR, REFERENT, MODERATOR)
BUILT_KEY_VALUES: dict[str, tuple[str, ...]] = {
    "category.": CATEGORIES,
    "confirm.": CONFIRM_FLOWS,
    "commands.": tuple(
        command.canonical
        for command in PARTICIPANT_COMMANDS
        + FACILITATOR_COMMANDS
        + REFERENT_COMMANDS
        + MODERATOR_COMMANDS
        + ORGANISER_COMMANDS
    ),
    # f"staff.{role}", f"staff.invite_{role}", f"staff.welcome_{role}"
    "staff.": ROLES + tuple(f"{kind}_{role}" for kind in ("invite", "welcome") for role in ROLES),
    "help.": ROLES,  # f"help.{role}": the heading of a role's commands in /aiuto
    # questions, part B (bot/questions/feed.py, moderation.py, notices.py)
    "moderation.status.": tuple(status.value for status in QuestionStatus),
    "moderation.reason.": tuple(reason.value for reason in HideReason),
    "moderation.button.": tuple(BUTTON_LABELS.values()),
    "moderation.action.": tuple(a.value for a in QuestionAction if a is not QuestionAction.ASKED),
    "question_notice.": tuple(news.value for news in News if news is not News.HIGHLIGHTED),
    "operations.work.": tuple(WORK_NAMES),  # the background work a database fault stops
}
_KEY_PREFIX = re.compile(r"^[a-z_]+\.(?:[a-z_]+\.)*$")

ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+=\"[^\"<>]*\")*)\s*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


# --- helpers --------------------------------------------------------------------------------


def telegram_html_problems(text: str) -> list[str]:
    """What Telegram's HTML parse mode would reject in ``text`` (empty when valid)."""
    problems: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        problems += _stray(text[position : match.start()])
        position = match.end()
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if name not in ALLOWED_TAGS:
            problems.append(f"tag <{name}> is not supported by Telegram")
            continue
        if closing:
            if not stack or stack[-1] != name:
                problems.append(f"</{name}> does not close the open tag {stack[-1:]}")
            else:
                stack.pop()
            continue
        if attributes and name != "a":
            problems.append(f"<{name}> takes no attributes")
        if name == "a" and "href=" not in attributes:
            problems.append("<a> without href")
        stack.append(name)
    problems += _stray(text[position:])
    if stack:
        problems.append(f"unclosed tags {stack}")
    return problems


def _stray(segment: str) -> list[str]:
    without_entities = _ENTITY.sub("", segment)
    return [f"stray {char!r} in {segment!r}" for char in "<>&" if char in without_entities]


def dummy_values(template: str) -> dict[str, object]:
    # characters that must be escaped, to check escaping keeps the HTML valid
    return {name: f"<{name}> & co" for name in placeholders(template)}


def string_keys(catalog: Catalog) -> Iterator[str]:
    for key in sorted(catalog.keys("it")):
        if isinstance(catalog.raw("it", key), str):
            yield key


def plural_keys(catalog: Catalog) -> list[str]:
    return sorted(
        key
        for language in LANGUAGES
        for key in catalog.keys(language)
        if is_plural(catalog.raw(language, key))
    )


def forms(catalog: Catalog, language: str, key: str) -> dict[str, str]:
    """The texts of an entry: its plural forms, or the string itself (as ``""``)."""
    value = catalog.raw(language, key)
    return dict(value) if is_plural(value) else {"": value}


def _constant_strings(node: ast.expr) -> list[str]:
    """The string constants an argument can evaluate to (``"a" if x else "b"`` gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constant_strings(node.body) + _constant_strings(node.orelse)
    return []


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def built_keys_in_code() -> dict[tuple[str, str], set[str]]:
    """Keys built as f"prefix.{value}suffix" in the code: (prefix, suffix) -> where they are."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr) or len(node.values) not in (2, 3):
                continue
            first, value, *rest = node.values
            if not (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and _KEY_PREFIX.match(first.value)
                and isinstance(value, ast.FormattedValue)
            ):
                continue
            suffix = ""
            if rest:
                if not (isinstance(rest[0], ast.Constant) and isinstance(rest[0].value, str)):
                    continue
                suffix = rest[0].value
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.setdefault((first.value, suffix), set()).add(where)
    return found


def keys_used_in_code() -> dict[str, set[str]]:
    """Catalog keys written as literals in bot/*.py and handlers/*.py -> where they are."""
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            literals: list[str]
            if isinstance(node, ast.Call) and _called_name(node) in KEY_FUNCTIONS:
                if len(node.args) >= 2:
                    literals = _constant_strings(node.args[1])
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "key" for target in node.targets
            ):
                literals = _constant_strings(node.value)  # key = "a.b" if ... else "c.d"
            else:
                continue
            for literal in literals:
                found.setdefault(literal, set()).add(f"{where}:{node.lineno}")
    return found


def calls_without_count(plural: set[str]) -> list[str]:
    """Catalog calls naming a plural key (literally) without passing ``count=``."""
    missing: list[str] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called_name(node) in KEY_FUNCTIONS):
                continue
            if len(node.args) < 2 or _called_name(node) == "raw":
                continue
            keys = set(_constant_strings(node.args[1])) & plural
            passed = {keyword.arg for keyword in node.keywords}
            if keys and COUNT not in passed and None not in passed:  # None: **params
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {sorted(keys)}")
    return missing


# --- the catalogs ---------------------------------------------------------------------------


def test_same_keys_in_both_languages(catalog: Catalog) -> None:
    it, en = catalog.keys("it"), catalog.keys("en")
    assert it - en == set(), "missing in en.yaml"
    assert en - it == set(), "missing in it.yaml"
    assert len(it) > 50


def test_same_placeholders_in_both_languages(catalog: Catalog) -> None:
    different = {
        key: (placeholders(catalog.raw("it", key)), placeholders(catalog.raw("en", key)))
        for key in string_keys(catalog)
        if placeholders(catalog.raw("it", key)) != placeholders(catalog.raw("en", key))
    }
    assert different == {}
    different_forms = {
        (key, form): (placeholders(catalog.raw("it", key)[form]), placeholders(text))
        for key in plural_keys(catalog)
        for form, text in catalog.raw("en", key).items()
        if placeholders(catalog.raw("it", key).get(form, "")) != placeholders(text)
    }
    assert different_forms == {}


def test_entries_are_strings_lists_or_plural_forms(catalog: Catalog) -> None:
    for language in LANGUAGES:
        for key in catalog.keys(language):
            value = catalog.raw(language, key)
            if isinstance(value, list):
                assert all(isinstance(item, str) and item for item in value), (language, key)
            elif isinstance(value, dict):
                assert is_plural(value), (language, key)
            else:
                assert isinstance(value, str) and value.strip(), (language, key)
            assert type(value) is type(catalog.raw("it", key)), (language, key)


# --- plurals --------------------------------------------------------------------------------


def test_plural_entries_have_singular_and_plural_in_both_languages(catalog: Catalog) -> None:
    keys = plural_keys(catalog)
    assert "broadcast.confirm" in keys and "link.saved" in keys
    for key in keys:
        for language in LANGUAGES:
            value = catalog.raw(language, key)
            assert is_plural(value), (language, key, "plural in one language only")
            assert tuple(value) == PLURAL_FORMS, (language, key)
            assert all(isinstance(text, str) and text.strip() for text in value.values())
            # every form names the same things (the singular may spell the number out)
            assert placeholders(value["one"]) - {COUNT} == placeholders(value["other"]) - {COUNT}


def test_every_count_placeholder_has_singular_and_plural(catalog: Catalog) -> None:
    # {count} is the number the wording agrees with: a message that shows it has both forms
    # (figures after a label, "Presenti: 3", have other names)
    shown = {
        (language, key)
        for language in LANGUAGES
        for key in catalog.keys(language)
        for text in forms(catalog, language, key).values()
        if isinstance(text, str) and COUNT in placeholders(text)
    }
    assert shown
    not_plural = sorted(key for language, key in shown if not is_plural(catalog.raw(language, key)))
    assert not_plural == []


def test_plural_messages_are_called_with_count(catalog: Catalog) -> None:
    assert calls_without_count(set(plural_keys(catalog))) == []


def test_plural_form_choice() -> None:
    assert [plural_form(n) for n in (1, 1.0, 0, 2, 1.5, 21, -1)] == ["one", "one"] + ["other"] * 5
    assert plural_form(None) == plural_form("1") == plural_form(True) == "other"
    catalog = Catalog({"it": {"x": {"one": "{count} persona", "other": "{count} persone"}}})
    assert [catalog("it", "x", count=n) for n in (0, 1, 2)] == [
        "0 persone",
        "1 persona",
        "2 persone",
    ]
    words = Catalog({"it": {"x": {"one": "una persona", "other": "più persone"}}})
    assert words("it", "x") == "più persone"  # without a count: the plural


@pytest.mark.parametrize(
    ("language", "key", "params", "singular", "plural"),
    [
        ("it", "broadcast.confirm", {"audience": "x"}, "<b>1</b> persona.", "<b>2</b> persone."),
        ("en", "broadcast.confirm", {"audience": "x"}, "<b>1</b> person.", "<b>2</b> people."),
        ("it", "link.saved", {"session": "s", "url": "u", "fixes": 0}, "1</b> persona", "persone"),
        ("en", "link.saved", {"session": "s", "url": "u", "fixes": 0}, "1</b> person ", "people"),
        ("it", "link.file_errors", {"errors": "e"}, "(1 errore)", "(2 errori)"),
        ("en", "link.file_errors", {"errors": "e"}, "(1 error)", "(2 errors)"),
        ("it", "poll.opened", {"zone": "5", "max": 1, "closes": "10:30"}, "1 scelta", "scelte"),
    ],
)
def test_real_singulars_and_plurals(
    catalog: Catalog,
    language: str,
    key: str,
    params: dict[str, object],
    singular: str,
    plural: str,
) -> None:
    assert singular in catalog(language, key, count=1, **params)
    assert plural in catalog(language, key, count=2, **params)


def test_no_wrong_italian_counts(catalog: Catalog) -> None:
    # "1 persone", "i 1 partecipanti", "1 errori": with count=1 no Italian form says so
    plural_words = ("persone", "partecipanti", "errori", "punti", "risposte", "voci", "scelte")
    for key in plural_keys(catalog):
        values: dict[str, object] = {name: 1 for name in placeholders(catalog.raw("it", key))}
        text = catalog("it", key, **{**values, COUNT: 1})
        for word in plural_words:
            assert f"1 {word}" not in text and f"1</b> {word}" not in text, (key, text)


def test_italian_articulated_prepositions(catalog: Catalog) -> None:
    # "a gli iscritti" is wrong Italian ("agli"): no preposition is followed by an article,
    # and the broadcast audiences, which follow "Lo invio a", do not start with one
    wrong = re.compile(r"\b(?:a|da|di|in|su) (?:il|lo|la|i|gli|le|l')\b", re.IGNORECASE)
    for key in catalog.keys("it"):
        for text in forms(catalog, "it", key).values():
            if isinstance(text, str):
                assert not wrong.search(text), (key, text)
    article = re.compile(r"^(?:il|lo|la|i|gli|le|l')\b")
    audiences = [key for key in catalog.keys("it") if key.startswith("broadcast.audience_")]
    assert len(audiences) == 8  # the seven of /messaggio and "registrants" (final synthesis)
    for key in audiences:
        assert not article.match(catalog.raw("it", key)), key


def test_lists_have_the_same_length(catalog: Catalog) -> None:
    for key in catalog.keys("it"):
        it = catalog.raw("it", key)
        if isinstance(it, list):
            assert len(it) == len(catalog.raw("en", key)), key
    for language in LANGUAGES:
        assert len(catalog.raw(language, "date.weekdays")) == 7
        assert len(catalog.raw(language, "date.months")) == 12
    assert catalog.raw("it", "date.months")[11] == "dicembre"
    assert catalog.raw("en", "date.weekdays")[1] == "Tuesday"


def test_key_scanner_finds_known_uses() -> None:
    used = keys_used_in_code()
    # literal call, multi-line call, conditional argument, assigned key, helper, raw()
    for key in (
        "flow.resume",
        "summary.details",
        "agenda.not_registered",
        "start.no_open_events",
        "flow.expect_text",
        "abort.done",
        "button.stale",
        "date.weekdays",
        "fallback.error",
        "fallback.group",
    ):
        assert key in used, key


def test_every_key_used_in_code_exists(catalog: Catalog) -> None:
    used = keys_used_in_code()
    assert used
    missing = {
        key: sorted(where)
        for key, where in used.items()
        for language in LANGUAGES
        if key not in catalog.keys(language)
    }
    assert missing == {}


def test_built_keys_exist(catalog: Catalog) -> None:
    templates = built_keys_in_code()
    # the known f-string keys are found (category.{c}, confirm.{flow}.<suffix>, commands.{c})
    assert {prefix for prefix, _ in templates} == set(BUILT_KEY_VALUES), templates
    built = [
        f"{prefix}{value}{suffix}"
        for prefix, suffix in templates
        for value in BUILT_KEY_VALUES[prefix]
    ]
    built += [key for language in LANGUAGES for _, key in menu(language)]
    assert "category.universita" in built
    assert "commands.delete_my_data" in built
    for language in LANGUAGES:
        missing = [key for key in built if key not in catalog.keys(language)]
        assert missing == [], language


def test_keys_are_plain_words(catalog: Catalog) -> None:
    # YAML 1.1 reads unquoted yes/no/on/off keys as booleans: "consent.True" is unreachable
    for language in LANGUAGES:
        for key in catalog.keys(language):
            assert re.fullmatch(r"[a-z_]+(?:\.[a-z_]+)+", key), (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_renders_as_valid_telegram_html(catalog: Catalog, language: str) -> None:
    problems: dict[str, list[str]] = {}
    for key in string_keys(catalog):
        template = catalog.raw(language, key)
        text = catalog(language, key, **dummy_values(template))  # no KeyError
        assert "{" not in text and "}" not in text, (key, text)
        found = telegram_html_problems(template) + telegram_html_problems(text)
        if found:
            problems[key] = found
    for key in plural_keys(catalog):
        for count, template in ((1, catalog.raw(language, key)["one"]), (2, None)):
            template = template or catalog.raw(language, key)["other"]
            values = {**dummy_values(template), COUNT: count}
            text = catalog(language, key, **values)
            assert "{" not in text and "}" not in text, (key, text)
            found = telegram_html_problems(template) + telegram_html_problems(text)
            if found:
                problems[f"{key} ({count})"] = found
    assert problems == {}


def test_html_checker_catches_mistakes() -> None:
    assert telegram_html_problems('<b>ok</b> <i>and</i> <a href="https://x">a</a>') == []
    assert telegram_html_problems("1 &lt; 2 &amp; 3") == []
    assert telegram_html_problems("<b>open")
    assert telegram_html_problems("<b><i>crossed</b></i>")
    assert telegram_html_problems("<div>no</div>")
    assert telegram_html_problems("1 < 2")
    assert telegram_html_problems("A & B")
    assert telegram_html_problems("<br>")


# --- language_for ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("telegram", "chosen", "expected"),
    [
        ("en-GB", None, "en"),
        ("en", None, "en"),
        ("EN-us", None, "en"),
        ("it", None, "it"),
        (None, None, "it"),
        ("", None, "it"),
        ("de", None, "it"),
        ("fr", None, "it"),
        ("en-GB", "it", "it"),
        ("it", "en", "en"),
        ("de", "en", "en"),
        ("en", "de", "en"),  # an unknown stored choice is ignored
    ],
)
def test_language_for(telegram: str | None, chosen: str | None, expected: str) -> None:
    assert language_for(telegram, chosen) == expected


# --- escaping -------------------------------------------------------------------------------


def test_placeholder_values_are_escaped() -> None:
    catalog = Catalog({"it": {"x": "<b>{name}</b>"}, "en": {}})
    text = catalog("it", "x", name="<script>alert(1)</script> & co")
    assert text == "<b>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</b>"
    assert isinstance(text, Raw)


def test_raw_values_are_not_escaped() -> None:
    catalog = Catalog({"it": {"x": "{details}"}, "en": {}})
    assert catalog("it", "x", details=Raw("<i>già</i>")) == "<i>già</i>"
    # a rendered message can be nested in another one without double escaping
    inner = catalog("it", "x", details="a < b")
    assert catalog("it", "x", details=inner) == "a &lt; b"


def test_escape() -> None:
    assert escape("<script>") == "&lt;script&gt;"
    assert escape('l\'ente "x"') == 'l\'ente "x"'  # quotes are fine outside attributes
    assert escape(42) == "42"
    assert escape(Raw("<b>x</b>")) == "<b>x</b>"


def test_missing_language_falls_back_to_italian() -> None:
    catalog = Catalog({"it": {"x": "ciao {name}"}, "en": {}})
    assert catalog("en", "x", name="Ada") == "ciao Ada"
    assert catalog("de", "x", name="Ada") == "ciao Ada"


def test_bundled_catalog_escapes(catalog: Catalog) -> None:
    text = catalog("it", "name.use_telegram", name="<script>")
    assert "&lt;script&gt;" in text
    assert "<script>" not in text
    assert catalog("en", "common.skip") == "Skip ⏭"
