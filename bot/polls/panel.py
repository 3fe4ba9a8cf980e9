"""The zone's poll panel (``/sondaggio``, ``/poll``), a poll's status, opening and closing.

The panel shows the table session, the open polls with their answers so far, and buttons to
open a priority poll (up to 3 choices by default, 1 to 5) or a quick question, see a poll's
status (refresh) and close it (after confirming). A facilitator of exactly one zone goes
straight to it; organisers and facilitators of several zones pick the zone first.
"""

from __future__ import annotations

from bot.kernel.i18n import Raw
from bot.kernel.people import Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.polls.buttons import OpenAction, OpenButton, PollAction, PollButton
from bot.polls.desk import StaffDesk, short
from bot.polls.reports import PollReports
from bot.polls.service import BY_FACILITATOR, DEFAULT_CHOICES, MAX_CHOICES, Session
from config.event import AttendanceMode, Event
from storage.polls import PRIORITY, Poll


class PollPanel:
    """A zone's panel and one poll's status, with what staff can do from them."""

    def __init__(self, desk: StaffDesk, reports: PollReports) -> None:
        self.desk = desk
        self.polls = desk.polls
        self.store = desk.store
        self.reports = reports
        self.t = desk.t

    async def zone_panel(self, language: str, zone: int) -> Outcome:
        """The panel of ``zone`` for the current event (or "no event")."""
        event = self.polls.current_event(self.desk.now())
        if event is None:
            return Outcome().add(Message(self.t(language, "poll.no_event")))
        return Outcome().add(await self.panel(event, zone, language))

    async def panel(self, event: Event, zone: int, language: str) -> Message:
        """A zone's poll panel: session, open polls, what can be done."""
        t = self.t
        now = self.desk.now()
        session = self.polls.session(event, now)
        open_polls = [
            await self.polls.fresh(p) for p in await self.polls.open_polls(event.id, zone)
        ]
        open_polls = [p for p in open_polls if p.is_open]
        recipients = await self.store.recipients(
            event.id, [zone], mode=AttendanceMode.IN_PERSON.value
        )
        lines = []
        tallies = await self.store.tallies([p.id for p in open_polls])
        for poll in open_polls:
            lines.append(
                str(
                    t(
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
        opened = Raw("\n".join(lines)) if lines else t(language, "poll.panel_none_open")
        buttons: Keyboard = []
        if session is not None:
            where = t(
                language,
                "poll.panel_session",
                session=session.item.title.get(language),
                start=self.polls.local_time(session.start),
                end=self.polls.local_time(session.end),
                date=self.polls.event_date(event, language),
            )
            if not any(p.kind == PRIORITY for p in open_polls):
                buttons += self._open_buttons(language, zone)
            quick = OpenButton(OpenAction.QUICK, zone).pack()
            buttons.append([Button(t(language, "poll.quick_button"), quick)])
        else:
            where = t(language, "poll.no_session", event=event.title.get(language))
        for poll in open_polls:
            title = short(self.polls.title(poll, language), 28)
            buttons.append(
                [
                    Button(
                        t(language, "poll.status_button", title=title),
                        PollButton(PollAction.STATUS, poll.id).pack(),
                    ),
                    Button(
                        t(language, "poll.close_button"),
                        PollButton(PollAction.CLOSE, poll.id).pack(),
                    ),
                ]
            )
        text = t(
            language,
            "poll.panel",
            zone=self.desk.zone(zone),
            event=event.title.get(language),
            session=where,
            registered=len(recipients),
            open=opened,
        )
        return Message(text, buttons)

    def _open_buttons(self, language: str, zone: int) -> Keyboard:
        """Open the priority poll: N by default, and the other Ns."""
        items = len(self.polls.priority_options())
        default = min(DEFAULT_CHOICES, items)

        def data(n: int) -> str:
            return OpenButton(OpenAction.PRIORITY, zone, n).pack()

        rows: Keyboard = [
            [Button(self.t(language, "poll.open_priority_button", max=default), data(default))]
        ]
        others = [n for n in range(1, min(MAX_CHOICES, items) + 1) if n != default]
        if others:
            rows.append(
                [Button(self.t(language, "poll.other_max_button", max=n), data(n)) for n in others]
            )
        return rows

    async def status(self, poll: Poll, language: str, *, lead: str = "") -> Message:
        """A poll's state for staff, with refresh/close (open) or results (closed)."""
        t = self.t
        tally = (await self.store.tallies([poll.id]))[poll.id]
        state = (
            t(language, "poll.state_open", closes=self.polls.local_time(poll.closes_at))
            if poll.is_open
            else t(language, "poll.state_closed")
        )
        text = t(
            language,
            "poll.status",
            title=self.polls.title(poll, language),
            zone=self.desk.zone(poll.zone),
            state=state,
            answered=tally.respondents,
            registered=tally.registered,
        )
        if lead:
            text = Raw(lead + "\n\n" + text)
        if poll.is_open:
            buttons: Keyboard = [
                [
                    Button(
                        t(language, "poll.refresh_button"),
                        PollButton(PollAction.STATUS, poll.id).pack(),
                    ),
                    Button(
                        t(language, "poll.close_button"),
                        PollButton(PollAction.CLOSE, poll.id).pack(),
                    ),
                ]
            ]
        else:
            results = PollButton(PollAction.RESULTS, poll.id).pack()
            buttons = [[Button(t(language, "poll.results_button"), results)]]
        counts = PollButton(PollAction.COUNTS, poll.id).pack()
        buttons.append([Button(t(language, "poll.counts_button"), counts)])
        return Message(text, buttons)

    async def open(
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
        """Open a poll in the current table session; its status, or an alert."""
        now = self.desk.now()
        event = self.polls.current_event(now)
        session: Session | None = self.polls.session(event, now) if event else None
        if event is None or session is None:
            return self.desk.alert(language, "poll.no_session_alert")
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
            return self.desk.alert(language, "poll.already_open")
        await self.desk.drain()
        lead = self.t(
            language,
            "poll.opened",
            zone=self.desk.zone(zone),
            count=poll.max_choices,
            max=poll.max_choices,
            closes=self.polls.local_time(poll.closes_at),
        )
        out = Outcome(toast=self.t(language, "poll.opened_toast"))
        return out.add(await self.status(poll, language, lead=lead))

    async def ask_close(self, poll: Poll, language: str) -> Outcome:
        """ "Close it now?" (a closed poll: its status, with an alert)."""
        if not poll.is_open:
            return Outcome(
                alert=self.t(language, "poll.already_closed"),
                edit=await self.status(poll, language),
            )
        text = self.t(language, "poll.close_ask", title=self.polls.title(poll, language))
        confirm: Keyboard = [
            [
                Button(
                    self.t(language, "poll.close_yes"),
                    PollButton(PollAction.CLOSE_YES, poll.id).pack(),
                ),
                Button(
                    self.t(language, "poll.close_no"),
                    PollButton(PollAction.STATUS, poll.id).pack(),
                ),
            ]
        ]
        return Outcome(edit=Message(text, confirm))

    async def close(self, poll: Poll, language: str) -> Outcome:
        """Close the poll by hand: its results, and its status in place of the question."""
        if await self.polls.close(poll, BY_FACILITATOR) is None:
            return Outcome(
                alert=self.t(language, "poll.already_closed"),
                edit=await self.status(poll, language),
            )
        await self.desk.drain()
        closed = await self.polls.poll(poll.id) or poll
        out = await self.reports.poll_results(closed, language)
        out.toast = self.t(language, "poll.closed_toast")
        out.edit = await self.status(closed, language)
        return out
