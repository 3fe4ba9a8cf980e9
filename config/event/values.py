"""The single values of an event file: texts in Italian and English, clock times, durations,
online links, and the :class:`Problem` a wrong one raises (a message code for the organiser's
language, see ``config/messages.py``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from config.messages import Msg, message

LANGUAGES = ("it", "en")
Language = Literal["it", "en"]
DEFAULT_LANGUAGE: Language = "it"


class Problem(ValueError):
    """A value the event file cannot have, as a message code for the organiser's language.

    ``str()`` is the English text (what pydantic and other callers see); :attr:`what` is
    rendered in Italian or English by ``check-config``.
    """

    def __init__(self, code: str, /, **params: object) -> None:
        self.what = Msg(code, params)
        super().__init__(message("en", code, **params))


SLUG = r"^[a-z0-9][a-z0-9_-]{0,31}$"  # ids of venues, events, agenda items, sections


def _localised(value: object) -> object:
    """A plain string stands for the same text in every language."""
    if isinstance(value, str):
        return {"it": value}
    return value


class Model(BaseModel):
    """The base of the event file's sections: unknown fields refused, frozen, text stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LocalText(Model):
    """A text in Italian and, optionally, English (Italian is used where English is missing)."""

    it: str = Field(min_length=1)
    en: str | None = None

    def get(self, language: str) -> str:
        """The text in ``language``, falling back to Italian."""
        if language == "en" and self.en:
            return self.en
        return self.it


Text = Annotated[LocalText, BeforeValidator(_localised)]


def clock_time(value: object) -> object:
    """A local clock time written 9:15, \"09:15\" or 9.15 (YAML may read 9:15 as 555)."""
    # YAML reads 9:15 as a sexagesimal integer (555): accept it as minutes past midnight.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    if isinstance(value, int) and not isinstance(value, bool):
        # pydantic would read any other number as seconds, in UTC; YAML read 24:00 as 1440
        raise Problem("bad_time", value=f"{value // 60}:{value % 60:02d}" if value > 0 else value)
    if isinstance(value, float):  # 9.15 unquoted
        raise Problem("bad_time", value=value)
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}[.:]\d{2}", value.strip()):
        hours, minutes = (int(part) for part in re.split(r"[.:]", value.strip()))
        if hours > 23 or minutes > 59:
            raise Problem("bad_time", value=value.strip())
        return dt.time(hours, minutes)
    return value


LINK_MAX = 512


def check_link(value: str) -> str:
    """An online meeting link: https, a host, no spaces, at most 512 characters."""
    value = value.strip()
    if len(value) > LINK_MAX:
        raise Problem("link_too_long", limit=LINK_MAX)
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/\S*)?", value):
        raise Problem("link_form")
    return value


_DURATION = re.compile(r"^\s*([+-])?\s*((?:\d+\s*[dhms]\s*)+)$")
_DURATION_PART = re.compile(r"(\d+)\s*([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: object) -> dt.timedelta:
    """``"-15m"``, ``"1d"``, ``"+2h30m"``, or a number of minutes -> timedelta."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.timedelta(minutes=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = sum(
                int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(match.group(2))
            )
            return dt.timedelta(seconds=-seconds if match.group(1) == "-" else seconds)
    raise Problem("bad_duration", value=value)


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration)]
