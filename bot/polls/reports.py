"""Results for staff, from the chat: a zone's ranking, the synthesis, exports, sending them.

- ``/risultati`` (``/results``): the zone's ranking with a bar chart and its quick polls
  (organisers: any zone, or all zones pooled); a closed poll's "results" button shows the
  same for that poll.
- ``/sintesi`` (``/synthesis``, organisers): the cross-zone synthesis with its heatmap.
- ``/esporta`` (``/export``): CSV or Excel files of the event's polls (facilitators: their
  zones).
- ``/invia_risultati`` (``/send_results``, organisers, once every poll is closed and after
  confirming): every participant gets their zone's results and the synthesis through the
  outbox (``results:<event>:<registration>:<part>``, so sending twice sends nothing twice).
"""

from __future__ import annotations

import datetime as dt

from bot.kernel.people import Who
from bot.kernel.replies import Button, Document, Message, Outcome, Photo
from bot.polls.buttons import ResultsAction, ResultsButton, ZoneCommand
from bot.polls.desk import StaffDesk
from bot.polls.exports import FORMATS, export_results
from bot.polls.results import pooled
from bot.polls.texts import ResultsPresenter
from storage.outbox import Planned
from storage.polls import PRIORITY, QUICK, Poll

RESULTS_VALIDITY = dt.timedelta(days=2)


class PollReports:
    """The staff's results, synthesis, exports and sending of results."""

    def __init__(self, desk: StaffDesk, texts: ResultsPresenter) -> None:
        self.desk = desk
        self.polls = desk.polls
        self.store = desk.store
        self.texts = texts
        self.t = desk.t

    # --- /risultati ---------------------------------------------------------------------------
    async def results_command(self, who: Who) -> Outcome:
        """``/risultati``: the zone's results (organisers: pick a zone, or all)."""
        language = await self.desk.language(who)
        zones = await self.desk.staff_zones(who.user_id)
        if zones is None:
            return Outcome().add(Message(self.t(language, "poll.staff_only")))
        if len(zones) == 1:
            return await self.zone_results(language, zones[0])
        organiser = self.desk.is_organiser(who.user_id)
        return self.desk.zone_picker(language, ZoneCommand.RESULTS, zones, all_zones=organiser)

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
            out.add(Message(self.t(language, "results.no_poll", zone=self.desk.zone(zone))))
        return out

    async def poll_results(self, poll: Poll, language: str) -> Outcome:
        """One poll's results (the "results" button under a closed poll)."""
        out = Outcome()
        result = await self.polls.result(poll)
        if poll.kind == QUICK:
            return out.add(Message(self.texts.quick_text(poll, result, language)))
        try:
            event = self.desk.config.event(poll.event_id)
        except KeyError:
            return self.desk.alert(language, "button.stale")
        out.add(Message(self.texts.zone_text(event, poll, result, language)))
        if result.respondents_total > 0:
            out.add(Photo(await self.texts.zone_chart(event, poll, result, language)))
        return out

    # --- /sintesi -----------------------------------------------------------------------------
    async def synthesis_command(self, who: Who) -> Outcome:
        """``/sintesi`` (organisers): the cross-zone synthesis and its heatmap."""
        language = await self.desk.language(who)
        if not self.desk.is_organiser(who.user_id):
            return Outcome().add(Message(self.t(language, "roles.organisers_only")))
        event = await self.polls.results_event()
        if event is None:
            return Outcome().add(Message(self.t(language, "poll.no_event")))
        synthesis, _ = await self.polls.synthesis(event.id)
        out = Outcome().add(Message(self.texts.synthesis_text(event, synthesis, language)))
        if synthesis.zones:
            out.add(Photo(await self.texts.synthesis_chart(event, synthesis, language)))
        return out

    # --- /esporta -----------------------------------------------------------------------------
    async def export_command(self, who: Who) -> Outcome:
        """``/esporta``: choose CSV or Excel."""
        language = await self.desk.language(who)
        zones = await self.desk.staff_zones(who.user_id)
        if zones is None:
            return Outcome().add(Message(self.t(language, "poll.staff_only")))
        scope = (
            self.t(language, "results.all_zones")
            if self.desk.is_organiser(who.user_id)
            else ", ".join(self.desk.zone(z) for z in zones)
        )
        buttons = [
            [
                Button("CSV", ResultsButton(ResultsAction.EXPORT, "csv").pack()),
                Button(
                    self.t(language, "results.export_xlsx"),
                    ResultsButton(ResultsAction.EXPORT, "xlsx").pack(),
                ),
            ]
        ]
        return Outcome().add(Message(self.t(language, "results.export_ask", scope=scope), buttons))

    async def export(self, who: Who, language: str, fmt: str) -> Outcome:
        """The files of a format (facilitators: their zones only)."""
        if fmt not in FORMATS:
            return self.desk.alert(language, "button.invalid")
        zones = await self.desk.staff_zones(who.user_id)
        if zones is None:
            return self.desk.alert(language, "poll.staff_only")
        organiser = self.desk.is_organiser(who.user_id)
        event = await self.polls.results_event()
        if event is None or not await self.store.find(event.id):
            return Outcome().add(Message(self.t(language, "results.export_none")))
        name = (
            f"risultati-{event.id}"
            if organiser
            else f"risultati-{event.id}-zona-{'-'.join(map(str, zones))}"
        )
        files = await export_results(
            self.store,
            fmt,
            name,
            self.desk.config.tz,
            event_id=event.id,
            zones=None if organiser else zones,
        )
        caption = self.t(language, "results.export_caption", event=event.title.get(language))
        out = Outcome(toast=self.t(language, "results.export_toast"))
        for filename, content in files:
            out.add(Document(filename, content, caption))
        return out

    # --- /invia_risultati ---------------------------------------------------------------------
    async def send_results_command(self, who: Who) -> Outcome:
        """``/invia_risultati`` (organisers): how many would get what, and a confirm button."""
        language = await self.desk.language(who)
        if not self.desk.is_organiser(who.user_id):
            return Outcome().add(Message(self.t(language, "roles.organisers_only")))
        event = await self.polls.results_event()
        if event is None or not await self.store.find(event.id, kind=PRIORITY):
            return Outcome().add(Message(self.t(language, "results.send_nothing")))
        still_open = [p for p in await self.store.find(event.id, status="open")]
        still_open = [p for p in [await self.polls.fresh(p) for p in still_open] if p.is_open]
        if still_open:
            zones = ", ".join(sorted({self.desk.zone(p.zone) for p in still_open}))
            return Outcome().add(Message(self.t(language, "results.send_open_polls", zones=zones)))
        results = await self.polls.zone_results(event.id)
        with_results = sorted(z for z, (_, r) in results.items() if r.respondents_total > 0)
        people = await self.store.recipients(event.id)
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
                Button(
                    self.t(language, "results.send_button"),
                    ResultsButton(ResultsAction.SEND, event.id).pack(),
                ),
                Button(
                    self.t(language, "results.send_cancel"),
                    ResultsButton(ResultsAction.SEND_CANCEL).pack(),
                ),
            ]
        ]
        return Outcome().add(Message(text, buttons))

    async def send_results(self, who: Who, language: str, event_id: str) -> Outcome:
        """The confirmed sending: every participant's zone results and the synthesis."""
        if not self.desk.is_organiser(who.user_id):
            return self.desk.alert(language, "roles.organisers_only")
        try:
            event = self.desk.config.event(event_id)
        except KeyError:
            return self.desk.alert(language, "button.stale")
        now = self.desk.now()
        results = await self.polls.zone_results(event.id)
        with_results = {z for z, (_, r) in results.items() if r.respondents_total > 0}
        people = await self.store.recipients(event.id)
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
        added = await self.store.queue(planned, now)
        await self.desk.drain()
        text = self.t(
            language,
            "results.send_done",
            count=len(people),
            people=len(people),
            messages=added,
            already=len(planned) - added,
        )
        return Outcome(toast=self.t(language, "results.send_toast"), edit=Message(text))

    def send_cancelled(self, language: str) -> Outcome:
        """ "Do not send": the question becomes a note."""
        return Outcome(edit=Message(self.t(language, "results.send_cancelled")))
