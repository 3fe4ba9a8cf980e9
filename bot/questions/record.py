"""The record of a plenary's questions: every question of an event with its fate, grouped by
window in time order, as data (for the documents and the exports) and as text for the chat
(:class:`RecordText`, in the reader's language, split within Telegram's limit).

Fates (:class:`Fate`), derived from the stored status and the window's times:

- **answered** (with when): answered; also a question still *highlighted* when its window
  closed — it was on the screen as "being answered" when time ran out, so the panel took
  it up (the time shown is when it was highlighted);
- **not reached**: published, never answered, its window closed;
- **merged** (into which question), **hidden** (with its reason in words), **not
  moderated** (still waiting for a moderator: pre-moderation and nobody published it);
- while a window is still open (the record read during the plenary): **being answered**
  (highlighted) and **open** (published, waiting).

Within a window: answered, being answered, open and not reached questions, most supported
first (then the oldest), then the merged, hidden and not moderated ones in the order asked.
A question whose window is no longer in the event file goes in a group of its own, last,
titled with the window's id.

What is shown to whom (decisions): organisers (documents and exports) read every text,
except in the documents the texts hidden as offensive or as naming private persons, which
are replaced by "(text not reported)" (the documents are projected and sent on). In the list
sent to participants (:mod:`bot.questions.sending`) the texts of those hidden questions and
of the questions never moderated are withheld as well — except to their own asker, who sees
their own text and the mark "yours". Names are shown only where the asker chose to show
theirs (and never once their data is erased).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.kernel.format import time_text
from bot.kernel.i18n import Catalog, Raw, escape
from bot.kernel.textsplit import split_html
from bot.questions.policy import HideReason
from config.event import Event, EventConfig, QuestionSlot
from storage.questions import Question, QuestionRepository, QuestionStatus

_TAGS = re.compile(r"<[^<>]*>")


class Fate(StrEnum):
    """What became of a question (or, while its window is open, where it stands)."""

    ANSWERED = "answered"
    ANSWERING = "answering"  # highlighted, its window still open
    OPEN = "open"  # published, its window still open
    NOT_REACHED = "not_reached"
    MERGED = "merged"
    HIDDEN = "hidden"
    NOT_MODERATED = "not_moderated"


#: the fates listed first in a window, most supported first
MAIN = (Fate.ANSWERED, Fate.ANSWERING, Fate.OPEN, Fate.NOT_REACHED)
#: then these, in the order asked
OTHERS = (Fate.MERGED, Fate.HIDDEN, Fate.NOT_MODERATED)
#: hidden for these reasons, a text is not repeated in the documents nor to other people
WITHHELD_REASONS = frozenset({HideReason.OFFENSIVE.value, HideReason.PERSONAL.value})
#: the catalog's words for each reason (the moderators' own: the button pressed, the asker's
#: notice and the record say the same words), fate and mark
REASON_KEYS = {reason.value: f"moderation.reason.{reason.value}" for reason in HideReason}
FATE_KEYS = {fate: f"record.fate_{fate.value}" for fate in Fate}
MARK_KEYS = {fate: f"record.mark_{fate.value}" for fate in Fate}


def fate_of(question: Question, closed: bool) -> Fate:
    """The fate of ``question`` (``closed``: its window has ended)."""
    match question.status:
        case QuestionStatus.ANSWERED:
            return Fate.ANSWERED
        case QuestionStatus.HIGHLIGHTED:
            return Fate.ANSWERED if closed else Fate.ANSWERING
        case QuestionStatus.PUBLISHED:
            return Fate.NOT_REACHED if closed else Fate.OPEN
        case QuestionStatus.MERGED:
            return Fate.MERGED
        case QuestionStatus.HIDDEN:
            return Fate.HIDDEN
    return Fate.NOT_MODERATED


@dataclass(frozen=True)
class Entry:
    """One question with its fate."""

    question: Question
    fate: Fate

    @property
    def id(self) -> int:
        """The question's number."""
        return self.question.id

    @property
    def when(self) -> dt.datetime | None:
        """When it was answered (or highlighted, for one taken up as time ran out)."""
        if self.fate is not Fate.ANSWERED:
            return None
        return self.question.answered_at or self.question.highlighted_at

    @property
    def reason(self) -> str | None:
        """Why it was hidden (a :class:`HideReason` value), for a hidden question."""
        return self.question.hide_reason if self.fate is Fate.HIDDEN else None

    @property
    def merged_into(self) -> int | None:
        """The question it was merged into."""
        return self.question.merged_into if self.fate is Fate.MERGED else None

    def withheld(self, *, public: bool, own: bool = False) -> bool:
        """Whether the text is not shown: hidden as offensive or personal (and, in a list
        for participants, never moderated), unless the reader asked it."""
        if own:
            return False
        if self.fate is Fate.HIDDEN and self.reason in WITHHELD_REASONS:
            return True
        return public and self.fate is Fate.NOT_MODERATED


@dataclass(frozen=True)
class WindowRecord:
    """The questions of one window."""

    window_id: str
    slot: QuestionSlot | None  # None: a window no longer in the event file
    entries: tuple[Entry, ...]

    @property
    def main(self) -> tuple[Entry, ...]:
        """Answered, being answered, open and not reached: most supported first."""
        return tuple(e for e in self.entries if e.fate in MAIN)

    @property
    def others(self) -> tuple[Entry, ...]:
        """Merged, hidden, not moderated: in the order asked."""
        return tuple(e for e in self.entries if e.fate in OTHERS)


@dataclass(frozen=True)
class QuestionRecord:
    """Every question of an event, window by window."""

    event: Event
    windows: tuple[WindowRecord, ...]
    closed: bool  # every window of the event has ended

    @property
    def entries(self) -> list[Entry]:
        """Every question, window by window."""
        return [entry for window in self.windows for entry in window.entries]

    def count(self, *fates: Fate) -> int:
        """How many questions have one of these fates (every question with none given)."""
        return sum(1 for e in self.entries if not fates or e.fate in fates)

    def entry(self, question_id: int) -> Entry | None:
        """The entry of a question."""
        return next((e for e in self.entries if e.id == question_id), None)


def _order(entries: list[Entry]) -> tuple[Entry, ...]:
    main = sorted(
        (e for e in entries if e.fate in MAIN), key=lambda e: (-e.question.supports, e.id)
    )
    others = sorted((e for e in entries if e.fate in OTHERS), key=lambda e: e.id)
    return tuple(main + others)


class RecordBuilder:
    """Reads an event's questions into a :class:`QuestionRecord`."""

    def __init__(self, config: EventConfig, store: QuestionRepository) -> None:
        self.config = config
        self.store = store

    async def build(self, event: Event, now: dt.datetime) -> QuestionRecord:
        """The record of ``event`` as it stands at ``now``."""
        slots = self.config.question_windows(event)
        questions = await self.store.listing(event.id, list(QuestionStatus), by_support=True)
        by_window: dict[str, list[Question]] = {}
        for question in questions:
            by_window.setdefault(question.window_id, []).append(question)
        windows: list[WindowRecord] = []
        for slot in slots:
            found = by_window.pop(slot.id, [])
            closed = now >= slot.end
            windows.append(WindowRecord(slot.id, slot, _order([_entry(q, closed) for q in found])))
        for window_id in sorted(by_window):  # windows no longer in the event file
            entries = [_entry(q, True) for q in by_window[window_id]]
            windows.append(WindowRecord(window_id, None, _order(entries)))
        closed = all(now >= slot.end for slot in slots)
        return QuestionRecord(event, tuple(windows), closed)


def _entry(question: Question, closed: bool) -> Entry:
    return Entry(question, fate_of(question, closed))


def plain(text: str) -> str:
    """A catalog message as plain text (no tags, no entities): for documents and exports."""
    return html.unescape(_TAGS.sub("", text))


class RecordText:
    """The record in words, in one language: the chat's messages and the documents' lines."""

    def __init__(self, catalog: Catalog, config: EventConfig) -> None:
        self.catalog = catalog
        self.config = config

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    # --- pieces (HTML, without tags: plain() makes them document text) ----------------------
    def window_title(self, window: WindowRecord, language: str) -> str:
        """The window's title with its times, plain text."""
        if window.slot is None:
            return window.window_id
        start = time_text(window.slot.start.astimezone(self.config.tz).time())
        end = time_text(window.slot.end.astimezone(self.config.tz).time())
        title = window.slot.title.get(language)
        return plain(self.t(language, "record.window", title=title, start=start, end=end))

    def reason(self, reason: str | None, language: str) -> str:
        """A hide reason in words, plain text."""
        return plain(self.t(language, REASON_KEYS.get(reason or "", "record.reason_other")))

    def fate(self, entry: Entry, language: str) -> str:
        """The fate in words, plain text (``answered at 16:40``, ``merged into #3``)."""
        t = self.t
        match entry.fate:
            case Fate.ANSWERED:
                when = entry.when
                if when is None:
                    return plain(t(language, "record.fate_answered"))
                shown = time_text(when.astimezone(self.config.tz).time())
                return plain(t(language, "record.fate_answered_at", time=shown))
            case Fate.MERGED:
                return plain(t(language, "record.fate_merged", target=entry.merged_into or "?"))
            case Fate.HIDDEN:
                return plain(
                    t(language, "record.fate_hidden", reason=self.reason(entry.reason, language))
                )
        return plain(t(language, FATE_KEYS[entry.fate]))

    def details(self, entry: Entry, language: str) -> str:
        """Supports, axis, in person or online, name or anonymous, fate: plain text."""
        q, t = entry.question, self.t
        parts = [plain(t(language, "record.supports", count=q.supports))]
        if q.axis:
            parts.append(plain(t(language, "record.axis", axis=q.axis)))
        parts.append(
            plain(t(language, "record.online" if q.mode == "online" else "record.in_person"))
        )
        parts.append(q.name or plain(t(language, "record.anonymous")))
        parts.append(self.fate(entry, language))
        return " · ".join(parts)

    def text(self, entry: Entry, language: str, *, public: bool, own: bool = False) -> str:
        """The question's text (plain), or "(text not reported)" where it is withheld."""
        if entry.withheld(public=public, own=own):
            return plain(self.t(language, "record.text_withheld"))
        return " ".join(entry.question.text.split())

    # --- the chat ---------------------------------------------------------------------------
    def messages(
        self,
        record: QuestionRecord,
        language: str,
        *,
        mine: Collection[int] = (),
        public: bool = True,
    ) -> list[str]:
        """The record as chat messages (HTML), each within Telegram's limit: a head with the
        figures, then window by window; ``mine``: the reader's own questions, marked."""
        title = record.event.title.get(language)
        head = [str(self.t(language, "record.title", event=title)), self.summary(record, language)]
        if not record.entries:
            head.append(str(self.t(language, "record.none")))
            return ["\n".join(head)]
        if not record.closed:
            head.append(str(self.t(language, "record.still_open")))
        if mine:
            head.append(str(self.t(language, "record.mine_legend")))
        blocks = ["\n".join(head)]
        for window in record.windows:
            if not window.entries:
                continue
            lines = [f"<b>{escape(self.window_title(window, language))}</b>"]
            for entry in window.entries:
                lines.append(self._line(entry, language, entry.id in mine, public))
            blocks.append("\n".join(lines))
        return _pack(blocks)

    def _line(self, entry: Entry, language: str, own: bool, public: bool) -> str:
        text = self.text(entry, language, public=public, own=own)
        quoted = text if entry.withheld(public=public, own=own) else f"«{text}»"
        mark = str(self.t(language, MARK_KEYS[entry.fate]))
        mine = " " + str(self.t(language, "record.mine")) if own else ""
        return str(
            self.t(
                language,
                "record.line",
                mark=Raw(mark),
                id=entry.id,
                text=quoted,
                details=self.details(entry, language),
                mine=Raw(mine),
            )
        )

    def summary(self, record: QuestionRecord, language: str) -> str:
        """``Questions: 14 · answered: 6 · not reached: 3 ...`` (HTML)."""
        text = self.t(
            language,
            "record.summary",
            total=record.count(),
            answered=record.count(Fate.ANSWERED),
            not_reached=record.count(Fate.NOT_REACHED),
            merged=record.count(Fate.MERGED),
            hidden=record.count(Fate.HIDDEN),
            pending=record.count(Fate.NOT_MODERATED),
        )
        still = record.count(Fate.OPEN, Fate.ANSWERING)
        if still:
            text = Raw(text + str(self.t(language, "record.summary_open", open=still)))
        return str(text)


def _pack(blocks: list[str], limit: int = 4096) -> list[str]:
    """Blocks joined into as few messages as fit; a block longer than a message is split."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for part in split_html(block, limit):
            joined = f"{current}\n\n{part}" if current else part
            if current and len(joined) > limit:
                messages.append(current)
                current = part
            else:
                current = joined
    if current:
        messages.append(current)
    return messages
