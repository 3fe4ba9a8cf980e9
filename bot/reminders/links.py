"""Online links: organisers set them from the chat, participants ask for them, corrections.

- ``/imposta_link``: an organiser picks the event and the session (or every session) and
  sends the URL (https only, at most 512 characters). It takes effect at once for messages
  not sent yet; participants who already received a different link for a session that has
  not ended get the corrected one.
- ``/link``: a registered online participant gets the link of the next session from the time
  the event's link rule sends it (15 minutes before when no rule does) until its end;
  otherwise the bot says from when. The link given is recorded (an outbox row of kind
  ``link_reply``), so a later change of the link sends the correction to them as well.
- Personal links (the meeting platform's link per registrant) are imported from a CSV with a
  participant column (``registration_id`` or ``telegram_id``) and a ``link`` column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from bot.kernel.clock import Clock
from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.format import date_text, time_text
from bot.kernel.i18n import Catalog
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Message, Outcome, Reply
from bot.reminders.planner import Links, PersonalLink, hybrid_sessions, link_opens
from config.event import AttendanceMode, Event, EventConfig, check_link
from storage.registrations import RegistrationRepository, Status

MAX_CSV_BYTES = 2_000_000


class LinkStep(StrEnum):
    """The steps of setting a link or importing personal links."""

    EVENT = "event"
    SESSION = "session"
    URL = "url"
    FILE = "file"


@dataclass
class LinkData(FlowData):
    """The event (and session) a link is for."""

    event_id: str | None = None
    anchor: str | None = None  # "" for every session of the event


class LinkFileError(Exception):
    """A personal-links file that cannot be imported; ``errors`` has one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


LinkRow = PersonalLink

_ID_COLUMNS = {
    "registration_id": ("registration_id", "registration", "iscrizione", "id_iscrizione", "id"),
    "telegram_id": ("telegram_id", "user_id", "telegram", "utente"),
}
_LINK_COLUMNS = ("link", "url", "join_url", "personal_link", "link_personale")


def parse_links_csv(data: bytes) -> list[LinkRow]:
    """Rows of a personal-links CSV (delimiter , ; or tab; UTF-8 with or without BOM)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise LinkFileError(["the file is empty"])
    header = [re.sub(r"\W+", "_", cell.strip().lower()).strip("_") for cell in rows[0]]
    link_col = next((i for i, h in enumerate(header) if h in _LINK_COLUMNS), None)
    reg_col = next((i for i, h in enumerate(header) if h in _ID_COLUMNS["registration_id"]), None)
    tg_col = next((i for i, h in enumerate(header) if h in _ID_COLUMNS["telegram_id"]), None)
    if link_col is None or (reg_col is None and tg_col is None):
        raise LinkFileError(
            [
                "the first row must name a participant column (registration_id or telegram_id) "
                "and a link column (link)"
            ]
        )
    errors: list[str] = []
    found: list[LinkRow] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * len(header)
        url = cells[link_col].strip()
        ids = {}
        for name, column in (("registration_id", reg_col), ("telegram_id", tg_col)):
            value = cells[column].strip() if column is not None else ""
            if value and not value.isdigit():
                errors.append(f"row {line}: {name} {value!r} is not a number")
            ids[name] = int(value) if value.isdigit() else None
        if ids["registration_id"] is None and ids["telegram_id"] is None:
            errors.append(f"row {line}: no participant (registration_id or telegram_id)")
            continue
        try:
            url = check_link(url)
        except ValueError as exc:
            errors.append(f"row {line}: {exc}")
            continue
        found.append(LinkRow(line, ids["registration_id"], ids["telegram_id"], url))
    if errors:
        raise LinkFileError(errors)
    return found


class _LinkFlow:
    """What setting a link and importing personal links share: the event (and session)."""

    name: ClassVar[str]
    data_type = LinkData
    text_steps: frozenset[str] = frozenset({LinkStep.URL})

    def __init__(self, links: LinkFlows) -> None:
        self.f = links

    def stopped(self, talk: Talk[LinkData]) -> str:
        """``/annulla`` during a link conversation."""
        return "abort.done"

    async def next_step(self, talk: Talk[LinkData], who: Who | None) -> str:
        """The event (when there is a choice), the session, then the URL or the file."""
        data = talk.data
        if data.event_id is None:
            events = self.f.events()
            if len(events) != 1:
                return LinkStep.EVENT
            data.event_id = events[0].id
        if self.name == IMPORT_LINKS:
            return LinkStep.FILE
        if data.anchor is None:
            event = self.f.config.event(data.event_id)
            if len(hybrid_sessions(self.f.config, event)) > 1:
                return LinkStep.SESSION
            data.anchor = ""  # one session: its link is the event's link
        return LinkStep.URL

    async def question(self, talk: Talk[LinkData], who: Who | None) -> list[Reply]:
        """The question of the current step."""
        t, language, config = self.f.catalog, talk.language, self.f.config
        if talk.step == LinkStep.EVENT:
            buttons = [[talk.button(e.title.get(language), "ev", e.id)] for e in self.f.events()]
            return [Message(t(language, "link.ask_event"), buttons)]
        assert talk.data.event_id is not None
        event = config.event(talk.data.event_id)
        if talk.step == LinkStep.SESSION:
            buttons = [[talk.button(t(language, "link.all_sessions"), "ss", "")]]
            for session in hybrid_sessions(config, event):
                label = f"{time_text(session.item.start)} {session.item.title.get(language)}"
                buttons.append([talk.button(label[:60], "ss", session.anchor)])
            text = t(language, "link.ask_session", event=event.title.get(language))
            return [Message(text, buttons)]
        if talk.step == LinkStep.FILE:
            return [Message(t(language, "link.ask_file", event=event.title.get(language)))]
        return [Message(t(language, "link.ask_url", max=512))]

    async def on_button(
        self, talk: Talk[LinkData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """The event or the session."""
        data = talk.data
        if talk.step == LinkStep.EVENT and action == "ev":
            if value not in {e.id for e in self.f.events()}:
                return None
            data.event_id = value
            return NEXT
        if talk.step == LinkStep.SESSION and action == "ss" and data.event_id is not None:
            event = self.f.config.event(data.event_id)
            if value and value not in {s.anchor for s in hybrid_sessions(self.f.config, event)}:
                return None
            data.anchor = value
            return NEXT
        return None

    async def on_text(self, talk: Talk[LinkData], text: str, who: Who) -> Handled:
        """Only the URL step reads text (see :class:`SetLinkFlow`)."""
        if talk.step == LinkStep.FILE:
            talk.say(self.f.catalog(talk.language, "link.send_file"))
            return await self.f.conversations.ask(talk, who)
        return None

    async def on_content(self, talk: Talk[LinkData], content: Content, who: Who) -> Handled:
        """Only the file step takes a file (see :class:`ImportLinksFlow`)."""
        return None

    def takes_any_message(self, talk: Talk[LinkData]) -> bool:
        """Only typed answers or buttons here."""
        return False


SET_LINK, IMPORT_LINKS = "set_link", "import_links"


class SetLinkFlow(_LinkFlow):
    """``/imposta_link``: event, session, URL."""

    name: ClassVar[str] = SET_LINK

    async def on_text(self, talk: Talk[LinkData], text: str, who: Who) -> Handled:
        """The URL: stored at once; those who had another link get the corrected one."""
        f, t, language = self.f, self.f.catalog, talk.language
        if talk.step != LinkStep.URL or talk.data.event_id is None:
            return await super().on_text(talk, text, who)
        try:
            url = check_link(text)
        except ValueError:
            talk.say(t(language, "link.invalid_url", max=512))
            return await f.conversations.ask(talk, who)
        event = f.config.event(talk.data.event_id)
        anchor = talk.data.anchor or ""
        now = f.clock.now()
        await f.links.store.set_shared(event.id, anchor, url, who.user_id, now)
        await f.conversations.end(who.user_id)
        fixes = await f.corrections(event, now)
        online = sum(
            1 for r in await f.registrations.for_event(event.id) if r.mode == AttendanceMode.ONLINE
        )
        where = (
            t(language, "link.all_sessions")
            if not anchor
            else next(
                s.item.title.get(language)
                for s in hybrid_sessions(f.config, event)
                if s.anchor == anchor
            )
        )
        talk.say(t(language, "link.saved", session=where, url=url, count=online, fixes=fixes))
        return talk.out


class ImportLinksFlow(_LinkFlow):
    """``/importa_link``: event, then the CSV file of personal links."""

    name: ClassVar[str] = IMPORT_LINKS

    async def on_content(self, talk: Talk[LinkData], content: Content, who: Who) -> Handled:
        """The CSV: personal links stored (all or none), corrections sent."""
        f, t, language = self.f, self.f.catalog, talk.language
        if talk.step != LinkStep.FILE:
            return None
        download = content.download if content.kind == "document" else None
        if download is None or (content.size is not None and content.size > MAX_CSV_BYTES):
            talk.say(t(language, "link.send_file"))  # a photo, a sticker, a huge file...
            return await f.conversations.ask(talk, who)
        assert talk.data.event_id is not None
        event = f.config.event(talk.data.event_id)
        data = await download()
        try:
            rows = parse_links_csv(data)
            stored, unknown = await f.links.store_personal(event, rows, f.clock.now())
        except LinkFileError as exc:
            errors = "\n".join(exc.errors[:15])
            talk.say(t(language, "link.file_errors", errors=errors, count=len(exc.errors)))
            return await f.conversations.ask(talk, who)
        await f.conversations.end(who.user_id)
        fixes = await f.corrections(event, f.clock.now())
        talk.say(
            t(
                language,
                "link.imported",
                count=stored,
                unknown=", ".join(unknown) or "—",
                fixes=fixes,
            )
        )
        return talk.out


class LinkFlows:
    """The link commands: organisers set or import links, participants ask for theirs."""

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        links: Links,
        registrations: RegistrationRepository,
        is_organiser: Callable[[int], bool],
        wake_outbox: Callable[[], Awaitable[None]],
    ) -> None:
        self.conversations = conversations
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.links = links
        self.registrations = registrations
        self.is_organiser = is_organiser
        self.wake_outbox = wake_outbox
        self.set_link_flow = SetLinkFlow(self)
        self.import_flow = ImportLinksFlow(self)
        conversations.add(self.set_link_flow)
        conversations.add(self.import_flow)

    def events(self) -> list[Event]:
        """Events with online attendance, for which links make sense."""
        return [e for e in self.config.events if AttendanceMode.ONLINE in e.modes]

    # --- organisers: /imposta_link and /importa_link -------------------------------------------
    async def set_link(self, who: Who) -> Outcome:
        """Start the conversation that sets an online link (organisers only)."""
        return await self._begin(who, self.set_link_flow)

    async def import_links(self, who: Who) -> Outcome:
        """Start the conversation that imports personal links (organisers only)."""
        return await self._begin(who, self.import_flow)

    async def _begin(self, who: Who, flow: _LinkFlow) -> Outcome:
        language = await self.languages.of(who)
        if not self.is_organiser(who.user_id):
            return Outcome().add(Message(self.catalog(language, "roles.organisers_only")))
        return await self.conversations.begin(who, flow, LinkData(), language=language)

    async def corrections(self, event: Event, now: dt.datetime) -> int:
        """Queue link corrections and start delivering them at once."""
        added = await self.links.corrections(event, now)
        if added:
            await self.wake_outbox()
        return added

    # --- participants: /link ---------------------------------------------------------------
    async def link(self, who: Who) -> Outcome:
        """``/link``: the online link if a session is near or on, else when it will be."""
        language = await self.languages.of(who)
        t = self.catalog
        out = Outcome()
        registrations = await self.registrations.active_for_user(who.user_id)
        if not registrations:
            return out.add(Message(t(language, "link.not_registered")))
        now = self.clock.now()
        for registration in registrations:
            event = self.config.event(registration.event_id)
            title = event.title.get(language)
            if registration.mode != AttendanceMode.ONLINE:
                venue = self.config.venue(registration.venue_id or "")
                out.add(Message(t(language, "link.in_person", event=title, venue=venue.name)))
                continue
            if registration.status is not Status.CONFIRMED:
                continue
            upcoming = [s for s in hybrid_sessions(self.config, event) if s.end > now]
            if not upcoming:
                out.add(Message(t(language, "link.over", event=title)))
                continue
            session = upcoming[0]
            opens, automatic = link_opens(self.config, event, session, registration)
            local = self.config.tz
            name = session.item.title.get(language)
            if now < opens:
                out.add(
                    Message(
                        t(
                            language,
                            "link.later" if automatic else "link.later_ask",
                            session=name,
                            start=time_text(session.start.astimezone(local).time()),
                            event=title,
                            date=date_text(self.catalog, language, opens.astimezone(local).date()),
                            time=time_text(opens.astimezone(local).time()),
                        )
                    )
                )
                continue
            url = await self.links.for_registration(event, session.anchor, registration.id)
            if url is None:
                out.add(Message(t(language, "link.not_set", session=name)))
                continue
            await self.links.given(registration, session.anchor, url, now)
            out.add(
                Message(
                    t(
                        language,
                        "link.now",
                        session=name,
                        url=url,
                        start=time_text(session.start.astimezone(local).time()),
                        end=time_text(session.end.astimezone(local).time()),
                    ),
                    [[Button(t(language, "link.open"), url=url)]],
                )
            )
        return out
