"""The hybrid plenaries' questions in the event file (``events[].questions``).

A question window is when participants may send questions (``/domanda``). By default an event
has one window per hybrid plenary (its agenda item's id, from its start to its end); the
``windows`` list replaces them, e.g. one per axis for a round table: each window names the
agenda item it belongs to (``item``), its own times within it (by default the item's), the
axis it concerns (optional) and a title. ``moderation`` decides when a question becomes
public: ``pre`` (only once a moderator publishes it), ``post`` (at once; moderators can hide
it) or ``auto`` (the default: pre-moderation for anonymous questions, post-moderation for
named ones, whose askers stand behind them).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, field_validator

from config.event.values import SLUG, Model, Text, clock_time


class Moderation(StrEnum):
    """When a question becomes public."""

    PRE = "pre"
    POST = "post"
    AUTO = "auto"  # pre for anonymous questions, post for named ones


class QuestionWindow(Model):
    """One window for questions within an agenda item (times local, on the event's day)."""

    id: str = Field(pattern=SLUG)
    item: str = Field(description="The agenda item's id the window belongs to")
    start: dt.time | None = None  # by default the item's start
    end: dt.time | None = None  # by default the item's end
    axis: str | None = Field(default=None, description="The axis id the window is about")
    title: Text | None = None  # by default the item's title (and the axis's, if any)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_time(cls, value: object) -> object:
        return clock_time(value) if value is not None else None


class Questions(Model):
    """The plenary questions of one event."""

    enabled: bool = True
    moderation: Moderation = Moderation.AUTO
    windows: list[QuestionWindow] | None = None  # None: one per hybrid plenary
    max_length: int = Field(default=300, ge=20, le=1000)
