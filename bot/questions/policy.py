"""The rules every part of the plenary questions shares: which window is open, when a new
question is public, why a moderator may hide one.

Decisions (README "Questions at the plenaries"):
- A question belongs to the window open when it is confirmed; outside every window
  ``/domanda`` says when the next one opens (or that none is left).
- Moderation ``auto`` (the default): an anonymous question waits for a moderator (pre), a named
  one is public at once (post: the asker stands behind it); ``pre``/``post`` apply to all.
- A hidden question keeps its reason (one of :class:`HideReason`) and stays in the record; its
  asker is told which reason, so nothing disappears silently.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from config.event import Event, EventConfig, Moderation, QuestionSlot
from storage.questions import QuestionStatus


class HideReason(StrEnum):
    """Why a moderator hides a question (the catalogs say each one in both languages)."""

    OFF_TOPIC = "off_topic"  # not about this plenary
    OFFENSIVE = "offensive"  # disrespectful or offensive language
    PERSONAL = "personal"  # names or details of private persons
    ANSWERED = "answered_before"  # already answered earlier
    NOT_A_QUESTION = "not_a_question"  # advertising, a test, unreadable


def open_window(config: EventConfig, event: Event, now: dt.datetime) -> QuestionSlot | None:
    """The question window open at ``now``, if any (the latest started when two overlap)."""
    current = [slot for slot in config.question_windows(event) if slot.open_at(now)]
    return current[-1] if current else None


def next_window(config: EventConfig, event: Event, now: dt.datetime) -> QuestionSlot | None:
    """The next window to open after ``now`` at this event, if any."""
    later = [slot for slot in config.question_windows(event) if slot.start > now]
    return later[0] if later else None


def window(config: EventConfig, event: Event, window_id: str) -> QuestionSlot | None:
    """The window with this id at this event."""
    for slot in config.question_windows(event):
        if slot.id == window_id:
            return slot
    return None


def initial_status(event: Event, named: bool) -> QuestionStatus:
    """Where a confirmed question starts: published (post-moderation) or pending (pre)."""
    moderation = event.questions.moderation
    if moderation is Moderation.POST or (moderation is Moderation.AUTO and named):
        return QuestionStatus.PUBLISHED
    return QuestionStatus.PENDING


def shown_name(display_name: str | None) -> str | None:
    """The name a named question shows: the one the participant registered with, as written
    (they chose to show it; the purge erases it with the rest of their personal data)."""
    if not display_name or not display_name.strip():
        return None
    return " ".join(display_name.split())[:80]
