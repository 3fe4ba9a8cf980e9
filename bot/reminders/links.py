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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.kernel.format import date_text, time_text
from bot.kernel.replies import Button, Message, Outcome
from bot.reminders.planner import PersonalLink, hybrid_sessions, link_opens
from config.event import AttendanceMode, Event, check_link
from storage.conversations import Conversation
from storage.registrations import Status

if TYPE_CHECKING:
    from bot.registration.flows import RegistrationFlows, Who

SET_LINK = "set_link"
IMPORT_LINKS = "import_links"
EVENT, SESSION, URL, FILE = "event", "session", "url", "file"


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


class LinkFlows:
    """The link commands, plugged into the conversation machinery of :mod:`bot.registration`."""

    flows_handled: tuple[str, ...] = (SET_LINK, IMPORT_LINKS)

    def __init__(self, flows: RegistrationFlows) -> None:
        self.flows = flows
        self.s = flows.s

    def _events(self) -> list[Event]:
        """Events with online attendance, for which links make sense."""
        return [e for e in self.s.config.events if AttendanceMode.ONLINE in e.modes]

    # --- organisers: /imposta_link and /importa_link -------------------------------------------
    async def set_link(self, who: Who) -> Outcome:
        """Start the conversation that sets an online link (organisers only)."""
        language = await self.flows.language(who)
        if not self.flows.is_organiser(who.user_id):
            return Outcome().add(Message(self.flows.t(language, "roles.organisers_only")))
        conversation = Conversation(who.user_id, SET_LINK, EVENT, "", {})
        return await self.flows.advance(conversation, language, Outcome(), who)

    async def import_links(self, who: Who) -> Outcome:
        """Start the conversation that imports personal links (organisers only)."""
        language = await self.flows.language(who)
        if not self.flows.is_organiser(who.user_id):
            return Outcome().add(Message(self.flows.t(language, "roles.organisers_only")))
        conversation = Conversation(who.user_id, IMPORT_LINKS, EVENT, "", {})
        return await self.flows.advance(conversation, language, Outcome(), who)

    def next_step(self, conversation: Conversation) -> str:
        """The first unanswered step of a link conversation."""
        data = conversation.data
        if "event_id" not in data:
            events = self._events()
            if len(events) != 1:
                return EVENT
            data["event_id"] = events[0].id
        if conversation.flow == IMPORT_LINKS:
            return FILE
        if "anchor" not in data:
            event = self.s.config.event(data["event_id"])
            if len(hybrid_sessions(self.s.config, event)) > 1:
                return SESSION
            data["anchor"] = ""  # one session: its link is the event's link
        return URL

    async def question(
        self, conversation: Conversation, language: str, button: Callable[..., Button]
    ) -> Message:
        """The question of the current step."""
        t = self.flows.t
        if conversation.step == EVENT:
            return Message(
                t(language, "link.ask_event"),
                [[button(e.title.get(language), "ev", e.id)] for e in self._events()],
            )
        event = self.s.config.event(conversation.data["event_id"])
        if conversation.step == SESSION:
            buttons = [[button(t(language, "link.all_sessions"), "ss", "")]]
            for session in hybrid_sessions(self.s.config, event):
                label = f"{time_text(session.item.start)} {session.item.title.get(language)}"
                buttons.append([button(label[:60], "ss", session.anchor)])
            return Message(
                t(language, "link.ask_session", event=event.title.get(language)), buttons
            )
        if conversation.step == FILE:
            return Message(t(language, "link.ask_file", event=event.title.get(language)))
        return Message(t(language, "link.ask_url", max=512))

    async def on_button(self, conversation: Conversation, action: str, value: str) -> bool:
        """Apply a button of a link conversation; False when it makes no sense here."""
        if conversation.step == EVENT and action == "ev":
            if value not in {e.id for e in self._events()}:
                return False
            conversation.data["event_id"] = value
            return True
        if conversation.step == SESSION and action == "ss":
            event = self.s.config.event(conversation.data["event_id"])
            if value and value not in {s.anchor for s in hybrid_sessions(self.s.config, event)}:
                return False
            conversation.data["anchor"] = value
            return True
        return False

    async def finish(self, conversation: Conversation, language: str, who: Who) -> Outcome | None:
        """Link conversations end with a text or a file, never with a button."""
        return None

    async def on_text(
        self, conversation: Conversation, language: str, text: str, out: Outcome, who: Who
    ) -> Outcome:
        """The URL of /imposta_link (other steps want buttons or a file)."""
        t = self.flows.t
        if conversation.step != URL:
            key = "link.send_file" if conversation.step == FILE else "flow.use_buttons"
            out.add(Message(t(language, key)))
            return await self.flows.ask(conversation, language, out, who)
        try:
            url = check_link(text)
        except ValueError:
            out.add(Message(t(language, "link.invalid_url", max=512)))
            return await self.flows.ask(conversation, language, out, who)
        event = self.s.config.event(conversation.data["event_id"])
        anchor = str(conversation.data.get("anchor", ""))
        now = self.s.clock.now()
        await self.s.links.store.set_shared(event.id, anchor, url, who.user_id, now)
        await self.s.conversations.delete(who.user_id)
        fixes = await self.corrections(event, now)
        online = sum(
            1
            for r in await self.s.registrations.for_event(event.id)
            if r.mode == AttendanceMode.ONLINE
        )
        where = (
            t(language, "link.all_sessions")
            if not anchor
            else next(
                s.item.title.get(language)
                for s in hybrid_sessions(self.s.config, event)
                if s.anchor == anchor
            )
        )
        return out.add(
            Message(t(language, "link.saved", session=where, url=url, count=online, fixes=fixes))
        )

    async def import_file(self, who: Who, filename: str, data: bytes) -> Outcome:
        """A CSV sent during /importa_link: store personal links, send corrections."""
        language = await self.flows.language(who)
        t = self.flows.t
        out = Outcome()
        conversation = await self.s.conversations.get(who.user_id)
        if conversation is None or conversation.flow != IMPORT_LINKS or conversation.step != FILE:
            return await self.flows.other_content(who)
        event = self.s.config.event(conversation.data["event_id"])
        try:
            rows = parse_links_csv(data)
            stored, unknown = await self.s.links.store_personal(event, rows, self.s.clock.now())
        except LinkFileError as exc:
            errors = "\n".join(exc.errors[:15])
            out.add(Message(t(language, "link.file_errors", errors=errors, count=len(exc.errors))))
            return await self.flows.ask(conversation, language, out, who)
        await self.s.conversations.delete(who.user_id)
        fixes = await self.corrections(event, self.s.clock.now())
        return out.add(
            Message(
                t(
                    language,
                    "link.imported",
                    count=stored,
                    unknown=", ".join(unknown) or "—",
                    fixes=fixes,
                )
            )
        )

    async def corrections(self, event: Event, now: dt.datetime) -> int:
        """Queue link corrections and start delivering them at once."""
        added = await self.s.links.corrections(event, now)
        if added and self.s.sender is not None:
            await self.s.sender.drain_soon()
        return added

    # --- participants: /link ---------------------------------------------------------------
    async def link(self, who: Who) -> Outcome:
        """``/link``: the online link if a session is near or on, else when it will be."""
        language = await self.flows.language(who)
        t = self.flows.t
        out = Outcome()
        registrations = await self.s.registrations.active_for_user(who.user_id)
        if not registrations:
            return out.add(Message(t(language, "link.not_registered")))
        now = self.s.clock.now()
        for registration in registrations:
            event = self.s.config.event(registration.event_id)
            title = event.title.get(language)
            if registration.mode != AttendanceMode.ONLINE:
                venue = self.s.config.venue(registration.venue_id or "")
                out.add(Message(t(language, "link.in_person", event=title, venue=venue.name)))
                continue
            if registration.status is not Status.CONFIRMED:
                continue
            upcoming = [s for s in hybrid_sessions(self.s.config, event) if s.end > now]
            if not upcoming:
                out.add(Message(t(language, "link.over", event=title)))
                continue
            session = upcoming[0]
            opens, automatic = link_opens(self.s.config, event, session, registration)
            local = self.s.config.tz
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
                            date=date_text(
                                self.s.catalog, language, opens.astimezone(local).date()
                            ),
                            time=time_text(opens.astimezone(local).time()),
                        )
                    )
                )
                continue
            url = await self.s.links.for_registration(event, session.anchor, registration.id)
            if url is None:
                out.add(Message(t(language, "link.not_set", session=name)))
                continue
            await self.s.links.given(registration, session.anchor, url, now)
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
