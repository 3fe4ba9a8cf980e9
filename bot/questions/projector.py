"""The projector's board: what the room's screen shows for one event, as typed JSON.

Three modes (``?mode=`` on the page, buttons and keys 1 2 3 there):

- ``questions``: the window's title, the highlighted question ("in risposta ora"), then the
  most supported published ones (:data:`SHOWN` at most, the highlighted one apart), each with
  its support count, its name or "anonima", its axis; how to take part (@bot, ``/domanda``);
- ``poll``: the event's most recent poll — an open one first (the latest opened), else the
  latest closed — as bars with counts. A priority poll runs at every zone table at once, so
  the screen shows all the zones' priority polls of that session pooled (every respondent
  weighs the same, as "all zones" in ``/risultati``); a quick poll is shown alone, with its
  zone;
- ``synthesis``: the cross-zone synthesis of ``/sintesi`` (the polls' own data): the top
  strategies overall and the zones × strategies heatmap, limited to the :data:`HEAT_ROWS`
  strategies with the highest mean so that it stays readable from the back of a hall.

Decisions:
- Which window: the one open now; else the one that ended last (the screen keeps showing
  what was asked after the window closes); else the next one (nothing yet, and when it
  opens). Its questions only; an event without windows shows none.
- The highlighted question is the one highlighted last, when a moderator left two.
- Texts are the catalog's (``bot/locales/<lang>/projector.yaml``), as plain text: the page
  sets them as text, never as HTML. Numbers in the reader's language (``12,5`` in Italian).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.format import time_text, zone_label
from bot.kernel.i18n import Catalog
from bot.polls.results import PollResult, pooled
from bot.polls.service import PollService
from config.event import Event, EventConfig, QuestionSlot
from storage.polls import PRIORITY, Poll
from storage.questions import Question, QuestionRepository, QuestionStatus

SHOWN = 7  # questions listed under the highlighted one
BARS = 10  # options of a poll shown (the best)
HEAT_ROWS = 10  # strategies in the heatmap (the best overall)
TOP = 5  # strategies in the synthesis's top list
LABELS = (
    "title",
    "answering_now",
    "no_questions",
    "anonymous",
    "join",
    "join_command",
    "mode_questions",
    "mode_poll",
    "mode_synthesis",
    "no_poll",
    "no_synthesis",
    "poll_open",
    "poll_closed",
    "all_zones",
    "overall",
    "top",
    "heatmap",
    "no_window",
    "offline",
    "expired",
)


class Mode(StrEnum):
    """What the screen shows."""

    QUESTIONS = "questions"
    POLL = "poll"
    SYNTHESIS = "synthesis"


def mode_of(value: str | None) -> Mode:
    """The mode named ``value`` (``?mode=``); questions for anything else."""
    try:
        return Mode(value or Mode.QUESTIONS)
    except ValueError:
        return Mode.QUESTIONS


def decimal(value: float, language: str, digits: int = 1) -> str:
    """``12,5`` in Italian, ``12.5`` in English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "it" else text


def decimal_or_int(value: float, language: str) -> str:
    """``11`` or ``4,5`` (a manual count "order unknown" is worth half points)."""
    return f"{value:.0f}" if float(value).is_integer() else decimal(value, language)


@dataclass(frozen=True)
class Shown:
    """The window the screen follows and where it stands."""

    slot: QuestionSlot
    state: str  # "open", "closed" (it ended), "later" (not yet open)


def pick_window(config: EventConfig, event: Event, now: dt.datetime) -> Shown | None:
    """The open window; else the latest ended; else the next (see the module doc)."""
    slots = config.question_windows(event)
    current = [s for s in slots if s.open_at(now)]
    if current:
        return Shown(current[-1], "open")
    ended = sorted((s for s in slots if s.end <= now), key=lambda s: (s.end, s.start))
    if ended:
        return Shown(ended[-1], "closed")
    later = [s for s in slots if s.start > now]
    return Shown(later[0], "later") if later else None


class ProjectorBoards:
    """Builds the board of one event in one mode and language (see the module doc)."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        questions: QuestionRepository,
        polls: PollService,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.questions = questions
        self.polls = polls
        self._axes = {axis.id: axis for axis in config.axes}

    def text(self, language: str, key: str, /, **params: object) -> str:
        """A catalog message as plain text (the page sets it as text)."""
        # the page's keys are listed in LABELS (tests/test_projector.py checks them all)
        return html.unescape(self.catalog(language, "projector.page." + key, **params))

    def event(self, event_id: str) -> Event | None:
        """The event with this id, if the event file still has it."""
        return next((e for e in self.config.events if e.id == event_id), None)

    async def board(self, event: Event, mode: Mode, language: str) -> dict[str, Any]:
        """The board as JSON: its mode, the event, the labels and the mode's content."""
        body: dict[str, Any] = {
            "mode": mode.value,
            "language": language,
            "event": {"id": event.id, "title": event.title.get(language)},
            "labels": {key: self.text(language, key) for key in LABELS},
        }
        if mode is Mode.POLL:
            body["poll"] = await self.poll(event, language)
        elif mode is Mode.SYNTHESIS:
            body["synthesis"] = await self.synthesis(event, language)
        else:
            body.update(await self.questions_part(event, language))
        return body

    # --- questions --------------------------------------------------------------------------
    def _question(self, question: Question, language: str) -> dict[str, Any]:
        axis = self._axes.get(question.axis or "")
        return {
            "id": question.id,
            "text": question.text,
            "name": question.name,
            "axis": axis.title.get(language) if axis is not None else None,
            "supports": question.supports,
            "supports_text": self.text(language, "supports", count=question.supports),
        }

    def _window(self, shown: Shown | None, language: str) -> dict[str, Any] | None:
        if shown is None:
            return None
        slot = shown.slot
        tz = self.config.tz
        start = time_text(slot.start.astimezone(tz).time())
        end = time_text(slot.end.astimezone(tz).time())
        return {
            "id": slot.id,
            "title": slot.title.get(language),
            "state": shown.state,
            "state_text": self.text(language, f"window_{shown.state}", start=start, end=end),
        }

    async def questions_part(self, event: Event, language: str) -> dict[str, Any]:
        """The window, the highlighted question, the most supported published ones."""
        shown = pick_window(self.config, event, self.clock.now())
        highlighted: Question | None = None
        listed: list[Question] = []
        total = 0
        if shown is not None:
            window_id = shown.slot.id
            lit = await self.questions.listing(
                event.id, (QuestionStatus.HIGHLIGHTED,), window_id=window_id
            )
            if lit:
                highlighted = max(lit, key=lambda q: (q.highlighted_at or q.updated_at, q.id))
            listed = await self.questions.listing(
                event.id, (QuestionStatus.PUBLISHED,), window_id=window_id, limit=SHOWN
            )
            total = await self.questions.count(
                event.id, (QuestionStatus.PUBLISHED, QuestionStatus.HIGHLIGHTED), window_id
            )
        return {
            "window": self._window(shown, language),
            "highlighted": self._question(highlighted, language) if highlighted else None,
            "questions": [self._question(q, language) for q in listed],
            "total": total,
            "total_text": self.text(language, "total", count=total),
        }

    # --- the poll ---------------------------------------------------------------------------
    async def latest_poll(self, event: Event) -> Poll | None:
        """The event's open poll opened last, else the poll closed last."""
        polls = await self.polls.polls(event.id)
        opened = [p for p in polls if p.is_open]
        if opened:
            return max(opened, key=lambda p: (p.opened_at, p.id))
        closed = [p for p in polls if p.closed_at is not None]
        return max(closed, key=lambda p: (p.closed_at or p.opened_at, p.id)) if closed else None

    async def poll(self, event: Event, language: str) -> dict[str, Any] | None:
        """The latest poll as bars (all zones pooled for a priority poll)."""
        poll = await self.latest_poll(event)
        if poll is None:
            return None
        if poll.kind == PRIORITY:
            same = [
                p
                for p in await self.polls.polls(event.id, kind=PRIORITY)
                if p.item_id == poll.item_id
            ]
            latest: dict[int, Poll] = {}
            for candidate in same:  # oldest first: each zone's latest poll of the session
                latest[candidate.zone] = candidate
            result = pooled([await self.polls.result(p) for p in latest.values()])
            where = self.text(language, "all_zones")
            title = self.polls.session_title(poll, language)
            opened = any(p.is_open for p in latest.values())
        else:
            result = await self.polls.result(poll)
            where = zone_label(self.config, poll.zone) if self.config.has_zone(poll.zone) else ""
            title = self.polls.title(poll, language)
            opened = poll.is_open
        return {
            "id": poll.id,
            "title": title,
            "where": where,
            "open": opened,
            "state_text": self.text(language, "poll_open" if opened else "poll_closed"),
            "respondents": result.respondents_total,
            "respondents_text": self.text(language, "respondents", count=result.respondents_total),
            "bars": self._bars(poll, result, language),
        }

    def _bars(self, poll: Poll, result: PollResult, language: str) -> list[dict[str, Any]]:
        labels = {o.key: self.polls.label(poll.kind, o, language) for o in poll.options}
        best = max((o.score for o in result.options), default=0.0)
        bars = []
        for option in result.options[:BARS]:
            bars.append(
                {
                    "key": option.key,
                    "label": labels.get(option.key)
                    or self.polls.label_for_key(option.key, language),
                    "count": option.total,
                    "count_text": self.text(language, "choices", count=option.total),
                    "points_text": self.text(
                        language,
                        "points",
                        count=option.score,
                        points=decimal_or_int(option.score, language),
                    )
                    if poll.ranked
                    else None,
                    "share": round(option.score / best, 4) if best > 0 else 0.0,
                }
            )
        return bars

    # --- the synthesis ----------------------------------------------------------------------
    async def synthesis(self, event: Event, language: str) -> dict[str, Any] | None:
        """The top strategies and the heatmap of the best ones (None before any result)."""
        synthesis, _ = await self.polls.synthesis(event.id)
        if not synthesis.zones:
            return None
        overall = dict(synthesis.overall)
        index = {key: i for i, key in enumerate(synthesis.keys)}
        rows = []
        for key, mean in synthesis.overall[:HEAT_ROWS]:
            cells = [zone[index[key]] for zone in synthesis.matrix]
            rows.append(
                {
                    "key": key,
                    "label": self.polls.label_for_key(key, language),
                    "cells": [round(v, 4) for v in cells],
                    "cells_text": [decimal(v * 100, language) for v in cells],
                    "overall": round(mean, 4),
                    "overall_text": decimal(mean * 100, language),
                }
            )
        top = [
            {
                "key": key,
                "label": self.polls.label_for_key(key, language),
                "share_text": decimal(overall[key] * 100, language) + "%",
            }
            for key, mean in synthesis.overall[:TOP]
            if mean > 0  # a strategy nobody chose is no priority
        ]
        return {
            "zones": [
                {"number": z, "name": self.config.zone(z).name if self.config.has_zone(z) else ""}
                for z in synthesis.zones
            ],
            "rows": rows,
            "top": top,
            "respondents": sum(synthesis.respondents.values()),
            "respondents_text": self.text(
                language, "respondents", count=sum(synthesis.respondents.values())
            ),
        }
