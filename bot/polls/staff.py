"""What facilitators and organisers do with polls, from the chat.

- ``/sondaggio`` (``/poll``): the zone's panel — the table session, the open polls with their
  answers so far, and buttons to open a priority poll (up to 3 choices by default, 1 to 5)
  or a quick question (typed as "question, then one answer per line"), refresh, close. A
  facilitator of exactly one zone goes straight to it; organisers and facilitators of several
  zones pick the zone first. For a participant, ``/sondaggio`` sends again the open polls of
  their table.
- ``/conteggi`` (``/counts``): counts for people without Telegram (show of hands, paper):
  pick a poll, an option, the rank (or "order unknown"), then type the number; and how many
  people answered by hand. Stored apart from Telegram answers and shown as such.
- ``/risultati`` (``/results``): the zone's ranking with a bar chart (organisers: any zone,
  or all zones pooled); ``/sintesi`` (``/synthesis``, organisers): the cross-zone synthesis
  with a heatmap; ``/esporta`` (``/export``): CSV or Excel files; ``/invia_risultati``
  (``/send_results``, organisers, after confirming): every zone's participants get their
  zone's results and the synthesis through the outbox.

Buttons (``p|f|<action>|...``) carry no secret state for plain choices and are checked
against the presser's role every time, so forged data changes nothing; the steps that wait
for typed text live in ``poll_drafts`` with a token, so an old button cannot act on a newer
draft. A draft older than :data:`DRAFT_TTL` is ignored.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from bot.kernel.format import zone_label
from bot.kernel.i18n import Raw, escape, language_for
from bot.kernel.replies import Button, Document, Keyboard, Message, Outcome, Photo
from bot.polls.exports import FORMATS, export_results
from bot.polls.results import manual_respondents, pooled
from bot.polls.service import (
    BY_FACILITATOR,
    DEFAULT_CHOICES,
    MAX_CHOICES,
    OPTION_MAX,
    PREFIX,
    QUESTION_MAX,
    QUICK_OPTIONS,
    PollService,
    Session,
    parse_quick,
)
from bot.polls.texts import ResultsPresenter
from config.event import AttendanceMode, Event
from storage.outbox import Planned
from storage.polls import PRIORITY, QUICK, Draft, Poll

if TYPE_CHECKING:
    from bot.kernel.people import Who
    from bot.services import Services

DRAFT_TTL = dt.timedelta(hours=1)
MAX_COUNT = 10_000
RESULTS_VALIDITY = dt.timedelta(days=2)
QUICK_TEXT, QUICK_MODE, COUNT, PEOPLE = "quick_text", "quick_mode", "count", "people"
_F = f"{PREFIX}|f"
# Which command a zone button continues: /sondaggio, /conteggi, /risultati.
_ZONE_COMMANDS = ("p", "c", "r")


def _short(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


class PollStaffFlows:
    """The chat side of polls for staff (and ``/sondaggio`` for participants)."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.polls: PollService = services.polls
        self.texts: ResultsPresenter = services.poll_texts
        self.config = services.config

    # --- helpers ----------------------------------------------------------------------------
    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.s.catalog(language, key, **params)

    async def language(self, who: Who) -> str:
        """The language to answer ``who`` in."""
        user = await self.s.users.get(who.user_id)
        return language_for(who.language_code, user.language if user else None)

    async def staff_zones(self, user_id: int) -> list[int] | None:
        """The zones the user acts on (organisers: all); None for participants."""
        if self.s.roles.is_organiser(user_id):
            return [zone.number for zone in self.config.zones]
        zones = await self.s.roles.facilitator_zones(user_id)
        found = sorted(z for z in zones if self.config.has_zone(z))
        return found or None

    def _zone(self, zone: int) -> str:
        return zone_label(self.config, zone)

    def _now(self) -> dt.datetime:
        return self.s.clock.now()

    async def _drain(self) -> None:
        if self.s.sender is not None:
            await self.s.sender.drain_soon()

    def _alert(self, language: str, key: str, **params: object) -> Outcome:
        return Outcome(alert=self.t(language, key, **params), close_keyboard=False)

    def _zone_picker(
        self, language: str, command: str, zones: list[int], *, all_zones: bool = False
    ) -> Outcome:
        buttons: Keyboard = [[Button(self._zone(z), f"{_F}|z|{command}|{z}")] for z in zones]
        if all_zones:
            buttons.append([Button(self.t(language, "results.all_zones"), f"{_F}|z|{command}|all")])
        return Outcome().add(Message(self.t(language, "poll.pick_zone"), buttons))

    async def _may_act(self, user_id: int, zone: int) -> bool:
        return self.config.has_zone(zone) and await self.s.roles.can_act_on_zone(user_id, zone)

    # --- /sondaggio ---------------------------------------------------------------------------
    async def poll_command(self, who: Who) -> Outcome:
        """``/sondaggio``: staff get the zone panel; participants their open ballots again."""
        language = await self.language(who)
        zones = await self.staff_zones(who.user_id)
        if zones is None:
            return await self.polls.resend(who.user_id, language)
        event = self.polls.current_event(self._now())
        if event is None:
            return Outcome().add(Message(self.t(language, "poll.no_event")))
        if len(zones) == 1:
            return Outcome().add(await self.panel(event, zones[0], language))
        return self._zone_picker(language, "p", zones)

    async def panel(self, event: Event, zone: int, language: str) -> Message:
        """A zone's poll panel: session, open polls, what can be done."""
        now = self._now()
        session = self.polls.session(event, now)
        open_polls = [
            await self.polls.fresh(p) for p in await self.polls.open_polls(event.id, zone)
        ]
        open_polls = [p for p in open_polls if p.is_open]
        recipients = await self.polls.store.recipients(
            event.id, [zone], mode=AttendanceMode.IN_PERSON.value
        )
        lines = []
        tallies = await self.polls.store.tallies([p.id for p in open_polls])
        for poll in open_polls:
            lines.append(
                str(
                    self.t(
                        language,
                        "poll.panel_open_line",
                        title=self.polls.title(poll, language),
                        count=tallies[poll.id].respondents,
                        answered=tallies[poll.id].respondents,
                        registered=tallies[poll.id].registered,
                        closes=self.polls.local_time(poll.closes_at),
                    )
                )
            )
        opened = Raw("\n".join(lines)) if lines else self.t(language, "poll.panel_none_open")
        buttons: Keyboard = []
        if session is not None:
            where = self.t(
                language,
                "poll.panel_session",
                session=session.item.title.get(language),
                start=self.polls.local_time(session.start),
                end=self.polls.local_time(session.end),
                date=self.polls.event_date(event, language),
            )
            if not any(p.kind == PRIORITY for p in open_polls):
                items = len(self.polls.priority_options())
                default = min(DEFAULT_CHOICES, items)
                buttons.append(
                    [
                        Button(
                            self.t(language, "poll.open_priority_button", max=default),
                            f"{_F}|op|{zone}|{default}",
                        )
                    ]
                )
                others = [n for n in range(1, min(MAX_CHOICES, items) + 1) if n != default]
                if others:
                    buttons.append(
                        [
                            Button(
                                self.t(language, "poll.other_max_button", max=n),
                                f"{_F}|op|{zone}|{n}",
                            )
                            for n in others
                        ]
                    )
            buttons.append([Button(self.t(language, "poll.quick_button"), f"{_F}|qk|{zone}")])
        else:
            where = self.t(language, "poll.no_session", event=event.title.get(language))
        for poll in open_polls:
            title = _short(self.polls.title(poll, language), 28)
            buttons.append(
                [
                    Button(
                        self.t(language, "poll.status_button", title=title), f"{_F}|st|{poll.id}"
                    ),
                    Button(self.t(language, "poll.close_button"), f"{_F}|cl|{poll.id}"),
                ]
            )
        text = self.t(
            language,
            "poll.panel",
            zone=self._zone(zone),
            event=event.title.get(language),
            session=where,
            registered=len(recipients),
            open=opened,
        )
        return Message(text, buttons)

    async def status(self, poll: Poll, language: str, *, lead: str = "") -> Message:
        """A poll's state for staff, with refresh/close (open) or results (closed)."""
        tally = (await self.polls.store.tallies([poll.id]))[poll.id]
        state = (
            self.t(language, "poll.state_open", closes=self.polls.local_time(poll.closes_at))
            if poll.is_open
            else self.t(language, "poll.state_closed")
        )
        text = self.t(
            language,
            "poll.status",
            title=self.polls.title(poll, language),
            zone=self._zone(poll.zone),
            state=state,
            answered=tally.respondents,
            registered=tally.registered,
        )
        if lead:
            text = Raw(lead + "\n\n" + text)
        if poll.is_open:
            buttons: Keyboard = [
                [
                    Button(self.t(language, "poll.refresh_button"), f"{_F}|st|{poll.id}"),
                    Button(self.t(language, "poll.close_button"), f"{_F}|cl|{poll.id}"),
                ]
            ]
        else:
            buttons = [[Button(self.t(language, "poll.results_button"), f"{_F}|rs|{poll.id}")]]
        buttons.append([Button(self.t(language, "poll.counts_button"), f"{_F}|mc|{poll.id}")])
        return Message(text, buttons)

    async def _open(
        self,
        who: Who,
        language: str,
        zone: int,
        *,
        kind: str,
        max_choices: int,
        question: str | None = None,
        answers: list[str] | None = None,
    ) -> Outcome:
        event = self.polls.current_event(self._now())
        session: Session | None = self.polls.session(event, self._now()) if event else None
        if event is None or session is None:
            return self._alert(language, "poll.no_session_alert")
        poll = await self.polls.open(
            event,
            zone,
            session,
            opened_by=who.user_id,
            kind=kind,
            max_choices=max_choices,
            question=question,
            answers=answers or [],
        )
        if poll is None:
            return self._alert(language, "poll.already_open")
        await self._drain()
        lead = self.t(
            language,
            "poll.opened",
            zone=self._zone(zone),
            count=poll.max_choices,
            max=poll.max_choices,
            closes=self.polls.local_time(poll.closes_at),
        )
        out = Outcome(toast=self.t(language, "poll.opened_toast"))
        return out.add(await self.status(poll, language, lead=lead))

    # --- /conteggi ----------------------------------------------------------------------------
    async def counts_command(self, who: Who) -> Outcome:
        """``/conteggi``: pick the zone (if several), then the poll, then counts."""
        language = await self.language(who)
        zones = await self.staff_zones(who.user_id)
        if zones is None:
            return Outcome().add(Message(self.t(language, "poll.staff_only")))
        if len(zones) == 1:
            return await self._counts_for_zone(language, zones[0])
        return self._zone_picker(language, "c", zones)

    async def _counts_for_zone(self, language: str, zone: int) -> Outcome:
        event = await self.polls.results_event()
        polls = await self.polls.polls(event.id, zone) if event else []
        if not polls:
            return Outcome().add(Message(self.t(language, "poll.no_polls", zone=self._zone(zone))))
        if len(polls) == 1:
            return Outcome().add(await self.counts_panel(polls[0], language))
        buttons = [
            [
                Button(
                    f"{self.polls.local_time(p.opened_at)} · "
                    f"{_short(self.polls.title(p, language))}",
                    f"{_F}|mc|{p.id}",
                )
            ]
            for p in reversed(polls)
        ]
        return Outcome().add(Message(self.t(language, "poll.counts_pick_poll"), buttons))

    async def counts_panel(self, poll: Poll, language: str, *, lead: str = "") -> Message:
        """The manual counts of a poll, with a button per option and one for the people."""
        tally = (await self.polls.store.tallies([poll.id]))[poll.id]
        result = self.polls.tally(poll, tally)
        people = manual_respondents(result)
        people_text = (
            str(people)
            if poll.manual_respondents is not None
            else str(self.t(language, "poll.counts_people_estimated", number=people))
        )
        lines = []
        buttons: Keyboard = []
        for option in poll.options:
            name = self.polls.label(poll.kind, option, language)
            counts = sorted(
                (
                    (rank, n)
                    for (position, rank), n in tally.manual.items()
                    if position == option.position
                ),
                key=lambda item: item[0] or 99,
            )
            total = sum(n for _, n in counts)
            if counts:
                parts = ", ".join(
                    f"{self.texts.ordinal(language, rank)}: {n}"
                    if rank
                    else f"{self.t(language, 'poll.rank_unknown_short')}: {n}"
                    for rank, n in counts
                )
                if not poll.ranked:
                    parts = str(total)
                lines.append(f"• {escape(name)}: {escape(parts)}")
            label = f"{_short(name, 40)} ({total})" if total else _short(name, 46)
            buttons.append([Button(label, f"{_F}|mo|{poll.id}|{option.position}")])
        buttons.append(
            [
                Button(
                    self.t(language, "poll.counts_people_button", number=people),
                    f"{_F}|mp|{poll.id}",
                )
            ]
        )
        text = self.t(
            language,
            "poll.counts_panel",
            title=self.polls.title(poll, language),
            zone=self._zone(poll.zone),
            people=people_text,
            lines=Raw("\n".join(lines)) if lines else self.t(language, "poll.counts_none"),
        )
        if lead:
            text = Raw(lead + "\n\n" + text)
        return Message(text, buttons)

    async def _new_draft(self, who: Who, step: str, data: dict[str, object]) -> Draft:
        draft = Draft(who.user_id, step, secrets.token_urlsafe(6)[:8], dict(data), self._now())
        await self.polls.store.save_draft(draft)
        return draft

    def _cancel_row(self, language: str, draft: Draft) -> list[Button]:
        return [Button(self.t(language, "poll.cancel_button"), f"{_F}|qx|{draft.token}")]

    async def _ask_count(
        self, who: Who, language: str, poll: Poll, position: int, rank: int | None
    ) -> Outcome:
        draft = await self._new_draft(
            who, COUNT, {"poll": poll.id, "position": position, "rank": rank}
        )
        option = poll.options[position]
        where = (
            self.t(language, "poll.counts_at_rank", rank=self.texts.ordinal(language, rank))
            if rank
            else ""
        )
        text = self.t(
            language,
            "poll.counts_ask",
            option=self.polls.label(poll.kind, option, language),
            where=where,
            max=MAX_COUNT,
        )
        return Outcome().add(Message(text, [self._cancel_row(language, draft)]))

    # --- results, synthesis, export, sending ------------------------------------------------
    async def results_command(self, who: Who) -> Outcome:
        """``/risultati``: the zone's results (organisers: pick a zone, or all)."""
        language = await self.language(who)
        zones = await self.staff_zones(who.user_id)
        if zones is None:
            return Outcome().add(Message(self.t(language, "poll.staff_only")))
        if len(zones) == 1:
            return await self.zone_results(language, zones[0])
        return self._zone_picker(
            language, "r", zones, all_zones=self.s.roles.is_organiser(who.user_id)
        )

    async def zone_results(self, language: str, zone: int | None) -> Outcome:
        """A zone's priority results with chart and its quick polls; None: all zones pooled."""
        out = Outcome()
        event = await self.polls.results_event()
        if event is None:
            return out.add(Message(self.t(language, "poll.no_event")))
        results = await self.polls.zone_results(event.id)
        if zone is None:
            found = [(p, r) for p, r in results.values() if r.respondents_total > 0]
            if not found:
                return out.add(Message(self.t(language, "results.none_anywhere")))
            result = pooled(r for _, r in found)
            poll = found[-1][0]
            where = str(self.t(language, "results.all_zones"))
            out.add(Message(self.texts.zone_text(event, poll, result, language, zone=where)))
            chart = await self.texts.zone_chart(event, poll, result, language, zone=where)
            return out.add(Photo(chart))
        if zone in results:
            poll, result = results[zone]
            out.add(Message(self.texts.zone_text(event, poll, result, language)))
            if result.respondents_total > 0:
                out.add(Photo(await self.texts.zone_chart(event, poll, result, language)))
        for poll in await self.polls.polls(event.id, zone, kind=QUICK):
            out.add(Message(self.texts.quick_text(poll, await self.polls.result(poll), language)))
        if not out.replies:
            out.add(Message(self.t(language, "results.no_poll", zone=self._zone(zone))))
        return out

    async def poll_results(self, poll: Poll, language: str) -> Outcome:
        """One poll's results (the "results" button under a closed poll)."""
        out = Outcome()
        result = await self.polls.result(poll)
        if poll.kind == QUICK:
            return out.add(Message(self.texts.quick_text(poll, result, language)))
        try:
            event = self.config.event(poll.event_id)
        except KeyError:
            return self._alert(language, "button.stale")
        out.add(Message(self.texts.zone_text(event, poll, result, language)))
        if result.respondents_total > 0:
            out.add(Photo(await self.texts.zone_chart(event, poll, result, language)))
        return out

    async def synthesis_command(self, who: Who) -> Outcome:
        """``/sintesi`` (organisers): the cross-zone synthesis and its heatmap."""
        language = await self.language(who)
        if not self.s.roles.is_organiser(who.user_id):
            return Outcome().add(Message(self.t(language, "roles.organisers_only")))
        event = await self.polls.results_event()
        if event is None:
            return Outcome().add(Message(self.t(language, "poll.no_event")))
        synthesis, _ = await self.polls.synthesis(event.id)
        out = Outcome().add(Message(self.texts.synthesis_text(event, synthesis, language)))
        if synthesis.zones:
            out.add(Photo(await self.texts.synthesis_chart(event, synthesis, language)))
        return out

    async def export_command(self, who: Who) -> Outcome:
        """``/esporta``: choose CSV or Excel."""
        language = await self.language(who)
        zones = await self.staff_zones(who.user_id)
        if zones is None:
            return Outcome().add(Message(self.t(language, "poll.staff_only")))
        scope = (
            self.t(language, "results.all_zones")
            if self.s.roles.is_organiser(who.user_id)
            else ", ".join(self._zone(z) for z in zones)
        )
        buttons = [
            [
                Button("CSV", f"{_F}|ex|csv"),
                Button(self.t(language, "results.export_xlsx"), f"{_F}|ex|xlsx"),
            ]
        ]
        return Outcome().add(Message(self.t(language, "results.export_ask", scope=scope), buttons))

    async def _export(self, who: Who, language: str, fmt: str) -> Outcome:
        zones = await self.staff_zones(who.user_id)
        if zones is None:
            return self._alert(language, "poll.staff_only")
        organiser = self.s.roles.is_organiser(who.user_id)
        event = await self.polls.results_event()
        if event is None or not await self.polls.store.find(event.id):
            return Outcome().add(Message(self.t(language, "results.export_none")))
        name = (
            f"risultati-{event.id}"
            if organiser
            else f"risultati-{event.id}-zona-{'-'.join(map(str, zones))}"
        )
        files = await export_results(
            self.polls.store,
            fmt,
            name,
            self.config.tz,
            event_id=event.id,
            zones=None if organiser else zones,
        )
        caption = self.t(language, "results.export_caption", event=event.title.get(language))
        out = Outcome(toast=self.t(language, "results.export_toast"))
        for filename, content in files:
            out.add(Document(filename, content, caption))
        return out

    async def send_results_command(self, who: Who) -> Outcome:
        """``/invia_risultati`` (organisers): how many would get what, and a confirm button."""
        language = await self.language(who)
        if not self.s.roles.is_organiser(who.user_id):
            return Outcome().add(Message(self.t(language, "roles.organisers_only")))
        event = await self.polls.results_event()
        if event is None or not await self.polls.store.find(event.id, kind=PRIORITY):
            return Outcome().add(Message(self.t(language, "results.send_nothing")))
        still_open = [p for p in await self.polls.store.find(event.id, status="open")]
        still_open = [p for p in [await self.polls.fresh(p) for p in still_open] if p.is_open]
        if still_open:
            zones = ", ".join(sorted({self._zone(p.zone) for p in still_open}))
            return Outcome().add(Message(self.t(language, "results.send_open_polls", zones=zones)))
        results = await self.polls.zone_results(event.id)
        with_results = sorted(z for z, (_, r) in results.items() if r.respondents_total > 0)
        people = await self.polls.store.recipients(event.id)
        text = self.t(
            language,
            "results.send_ask",
            event=event.title.get(language),
            count=len(people),
            people=len(people),
            zones=len(with_results),
        )
        buttons = [
            [
                Button(self.t(language, "results.send_button"), f"{_F}|sr|{event.id}"),
                Button(self.t(language, "results.send_cancel"), f"{_F}|sn"),
            ]
        ]
        return Outcome().add(Message(text, buttons))

    async def _send_results(self, language: str, event_id: str) -> Outcome:
        try:
            event = self.config.event(event_id)
        except KeyError:
            return self._alert(language, "button.stale")
        now = self._now()
        results = await self.polls.zone_results(event.id)
        with_results = {z for z, (_, r) in results.items() if r.respondents_total > 0}
        people = await self.polls.store.recipients(event.id)
        planned = [
            Planned(
                dedupe_key=f"results:{event.id}:{person.registration_id}:{part}",
                kind="results",
                user_id=person.user_id,
                due_at=now,
                expires_at=now + RESULTS_VALIDITY,
                registration_id=person.registration_id,
                event_id=event.id,
                payload={"event": event.id, "part": part},
            )
            for person in people
            for part in ("zone", "synthesis")
            if part == "synthesis" or person.zone in with_results
        ]
        added = await self.polls.store.queue(planned, now)
        await self._drain()
        text = self.t(
            language,
            "results.send_done",
            count=len(people),
            people=len(people),
            messages=added,
            already=len(planned) - added,
        )
        return Outcome(toast=self.t(language, "results.send_toast"), edit=Message(text))

    # --- buttons ------------------------------------------------------------------------------
    async def button(self, who: Who, data: str) -> Outcome:
        """Every ``p|`` button: ballots (participants) and ``p|f|`` (staff)."""
        parts = data.split("|")
        if len(parts) >= 2 and parts[0] == PREFIX and parts[1] != "f":  # a ballot: hot path
            return await self.polls.tap(who.user_id, who.language_code, data)
        language = await self.language(who)
        if len(parts) < 3 or parts[0] != PREFIX:
            return self._alert(language, "button.invalid")
        action, args = parts[2], parts[3:]
        if action in ("qx", "qm"):
            return await self._draft_button(who, language, action, args)
        zones = await self.staff_zones(who.user_id)
        if zones is None:
            return self._alert(language, "poll.staff_only")
        if action == "z" and len(args) == 2 and args[0] in _ZONE_COMMANDS:
            return await self._zone_button(who, language, args[0], args[1])
        if action == "op" and len(args) == 2 and args[0].isdigit() and args[1].isdigit():
            zone, max_choices = int(args[0]), int(args[1])
            if not await self._may_act(who.user_id, zone) or not 1 <= max_choices <= MAX_CHOICES:
                return self._alert(language, "button.invalid")
            return await self._open(who, language, zone, kind=PRIORITY, max_choices=max_choices)
        if action == "qk" and len(args) == 1 and args[0].isdigit():
            zone = int(args[0])
            if not await self._may_act(who.user_id, zone):
                return self._alert(language, "button.invalid")
            event = self.polls.current_event(self._now())
            if event is None or self.polls.session(event, self._now()) is None:
                return self._alert(language, "poll.no_session_alert")
            draft = await self._new_draft(who, QUICK_TEXT, {"zone": zone})
            text = self.t(
                language,
                "poll.quick_ask",
                zone=self._zone(zone),
                low=QUICK_OPTIONS[0],
                high=QUICK_OPTIONS[1],
            )
            return Outcome().add(Message(text, [self._cancel_row(language, draft)]))
        if action == "ex" and len(args) == 1 and args[0] in FORMATS:
            return await self._export(who, language, args[0])
        if action == "sn" and not args:
            return Outcome(edit=Message(self.t(language, "results.send_cancelled")))
        if action == "sr" and len(args) == 1:
            if not self.s.roles.is_organiser(who.user_id):
                return self._alert(language, "roles.organisers_only")
            return await self._send_results(language, args[0])
        return await self._poll_button(who, language, action, args)

    async def _zone_button(self, who: Who, language: str, command: str, value: str) -> Outcome:
        if value == "all" and command == "r" and self.s.roles.is_organiser(who.user_id):
            return await self.zone_results(language, None)
        if not value.isdigit() or not await self._may_act(who.user_id, int(value)):
            return self._alert(language, "button.invalid")
        zone = int(value)
        if command == "c":
            return await self._counts_for_zone(language, zone)
        if command == "r":
            return await self.zone_results(language, zone)
        event = self.polls.current_event(self._now())
        if event is None:
            return Outcome().add(Message(self.t(language, "poll.no_event")))
        return Outcome().add(await self.panel(event, zone, language))

    async def _poll_button(self, who: Who, language: str, action: str, args: list[str]) -> Outcome:
        """Buttons about one poll: status, close, results, manual counts."""
        if not args or not args[0].isdigit():
            return self._alert(language, "button.invalid")
        found = await self.polls.poll(int(args[0]))
        if found is None or not await self._may_act(who.user_id, found.zone):
            return self._alert(language, "button.invalid")
        poll = await self.polls.fresh(found)
        if action == "st" and len(args) == 1:
            return Outcome(close_keyboard=False, edit=await self.status(poll, language))
        if action == "cl" and len(args) == 1:
            if not poll.is_open:
                return Outcome(
                    alert=self.t(language, "poll.already_closed"),
                    edit=await self.status(poll, language),
                )
            text = self.t(language, "poll.close_ask", title=self.polls.title(poll, language))
            confirm: Keyboard = [
                [
                    Button(self.t(language, "poll.close_yes"), f"{_F}|cy|{poll.id}"),
                    Button(self.t(language, "poll.close_no"), f"{_F}|st|{poll.id}"),
                ]
            ]
            return Outcome(edit=Message(text, confirm))
        if action == "cy" and len(args) == 1:
            if await self.polls.close(poll, BY_FACILITATOR) is None:
                return Outcome(
                    alert=self.t(language, "poll.already_closed"),
                    edit=await self.status(poll, language),
                )
            await self._drain()
            closed = await self.polls.poll(poll.id) or poll
            out = await self.poll_results(closed, language)
            out.toast = self.t(language, "poll.closed_toast")
            out.edit = await self.status(closed, language)
            return out
        if action == "rs" and len(args) == 1:
            out = await self.poll_results(poll, language)
            out.close_keyboard = False
            return out
        if action == "mc" and len(args) == 1:
            return Outcome(close_keyboard=False).add(await self.counts_panel(poll, language))
        if action == "mp" and len(args) == 1:
            draft = await self._new_draft(who, PEOPLE, {"poll": poll.id})
            text = self.t(language, "poll.counts_ask_people", max=MAX_COUNT)
            return Outcome(close_keyboard=False).add(
                Message(text, [self._cancel_row(language, draft)])
            )
        if action in ("mo", "mk") and len(args) >= 2 and args[1].isdigit():
            position = int(args[1])
            if position >= len(poll.options):
                return self._alert(language, "button.invalid")
            if action == "mo" and len(args) == 2:
                if not poll.ranked:
                    return await self._ask_count(who, language, poll, position, None)
                option = self.polls.label(poll.kind, poll.options[position], language)
                ranks = [
                    Button(
                        self.texts.ordinal(language, rank), f"{_F}|mk|{poll.id}|{position}|{rank}"
                    )
                    for rank in range(1, poll.max_choices + 1)
                ]
                buttons: Keyboard = [
                    ranks,
                    [
                        Button(
                            self.t(language, "poll.rank_unknown"), f"{_F}|mk|{poll.id}|{position}|0"
                        )
                    ],
                ]
                text = self.t(language, "poll.counts_pick_rank", option=option)
                return Outcome(close_keyboard=False).add(Message(text, buttons))
            if action == "mk" and len(args) == 3 and args[2].isdigit() and poll.ranked:
                rank = int(args[2])
                if rank > poll.max_choices:
                    return self._alert(language, "button.invalid")
                return await self._ask_count(who, language, poll, position, rank or None)
        return self._alert(language, "button.invalid")

    # --- drafts: typed text -------------------------------------------------------------------
    async def _draft(self, user_id: int) -> Draft | None:
        draft = await self.polls.store.draft(user_id)
        if draft is not None and self._now() - draft.updated_at > DRAFT_TTL:
            await self.polls.store.delete_draft(user_id)
            return None
        return draft

    async def _draft_button(self, who: Who, language: str, action: str, args: list[str]) -> Outcome:
        draft = await self._draft(who.user_id)
        if draft is None or not args or args[0] != draft.token:
            return self._alert(language, "button.stale")
        if action == "qx":
            await self.polls.store.delete_draft(who.user_id)
            return Outcome(edit=Message(self.t(language, "poll.draft_cancelled")))
        if draft.step != QUICK_MODE or len(args) != 2 or args[1] not in ("1", "n"):
            return self._alert(language, "button.invalid")
        zone = int(draft.data["zone"])
        if not await self._may_act(who.user_id, zone):
            return self._alert(language, "poll.staff_only")
        await self.polls.store.delete_draft(who.user_id)
        answers = [str(a) for a in draft.data["answers"]]
        return await self._open(
            who,
            language,
            zone,
            kind=QUICK,
            max_choices=1 if args[1] == "1" else len(answers),
            question=str(draft.data["question"]),
            answers=answers,
        )

    async def text(self, who: Who, text: str) -> Outcome | None:
        """Typed text for a draft waiting for it; None when no draft wants it."""
        draft = await self._draft(who.user_id)
        if draft is None or draft.step not in (QUICK_TEXT, COUNT, PEOPLE):
            return None
        language = await self.language(who)
        if draft.step == QUICK_TEXT:
            parsed = parse_quick(text)
            if parsed is None:
                message = self.t(
                    language,
                    "poll.quick_invalid",
                    low=QUICK_OPTIONS[0],
                    high=QUICK_OPTIONS[1],
                    qmax=QUESTION_MAX,
                    omax=OPTION_MAX,
                )
                return Outcome().add(Message(message, [self._cancel_row(language, draft)]))
            question, answers = parsed
            updated = Draft(
                draft.user_id,
                QUICK_MODE,
                draft.token,
                {**draft.data, "question": question, "answers": answers},
                self._now(),
            )
            await self.polls.store.save_draft(updated)
            preview = self.t(
                language,
                "poll.quick_preview",
                question=question,
                options=Raw("\n".join(f"• {escape(a)}" for a in answers)),
            )
            buttons: Keyboard = [
                [
                    Button(self.t(language, "poll.quick_single"), f"{_F}|qm|{draft.token}|1"),
                    Button(self.t(language, "poll.quick_multiple"), f"{_F}|qm|{draft.token}|n"),
                ],
                self._cancel_row(language, draft),
            ]
            return Outcome().add(Message(preview, buttons))
        value = text.strip()
        if not value.isdigit() or int(value) > MAX_COUNT:
            return Outcome().add(
                Message(
                    self.t(language, "poll.counts_invalid", max=MAX_COUNT),
                    [self._cancel_row(language, draft)],
                )
            )
        poll = await self.polls.poll(int(draft.data["poll"]))
        if poll is None or not await self._may_act(who.user_id, poll.zone):
            await self.polls.store.delete_draft(who.user_id)
            return Outcome().add(Message(self.t(language, "poll.staff_only")))
        count = int(value)
        if draft.step == PEOPLE:
            await self.polls.set_manual_respondents(poll, count)
        else:
            position = int(draft.data["position"])
            rank = draft.data.get("rank")
            await self.polls.store.set_manual(
                poll.id,
                position,
                int(rank) if rank else None,
                count,
                who.user_id,
                self._now(),
            )
        await self.polls.store.delete_draft(who.user_id)
        poll = await self.polls.poll(poll.id) or poll
        lead = str(self.t(language, "poll.counts_saved"))
        return Outcome().add(await self.counts_panel(poll, language, lead=lead))

    async def cancel(self, who: Who) -> Outcome | None:
        """``/annulla`` while a draft is open: drop it; None when there is none."""
        if not await self.polls.store.delete_draft(who.user_id):
            return None
        language = await self.language(who)
        return Outcome().add(Message(self.t(language, "poll.draft_cancelled")))
