"""Polls from the chat: the commands, and every poll button routed to its part.

- ``/sondaggio`` (``/poll``): staff get the zone's panel (:mod:`bot.polls.panel`); for a
  participant it sends again the open polls of their table (:mod:`bot.polls.ballots`).
- ``/conteggi`` (``/counts``): manual counts (:mod:`bot.polls.counts`).
- ``/risultati``, ``/sintesi``, ``/esporta``, ``/invia_risultati``: results, the synthesis,
  exports and sending them (:mod:`bot.polls.reports`).
- The quick question typed by a facilitator: :mod:`bot.polls.quick`.

Buttons are typed (:mod:`bot.polls.buttons`): a ballot's tap goes straight to the ballots
(the hot path); a staff button (``p|f|...``) is checked against the presser's role every
time, so forged data change nothing. The set-ups that wait for typed text (a quick question,
a count) are conversations on the kernel's engine, registered by the composition root
(:attr:`PollStaffFlows.conversation_flows`, each ending after an hour left unanswered).

Earlier versions kept those set-ups in the ``poll_drafts`` table with their own tokens: it is
no longer read, so rows left there by an older version are ignored (harmless; erasing a
user's data still deletes theirs), and the buttons they went with (``p|f|qx|...``,
``p|f|qm|...``) are answered as invalid.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.kernel.clock import Clock
from bot.kernel.conversation import Conversations
from bot.kernel.i18n import Catalog
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Message, Outcome
from bot.polls.ballots import Ballots
from bot.polls.buttons import (
    AllZonesPick,
    BallotButton,
    CountButton,
    OpenAction,
    OpenButton,
    PollAction,
    PollButton,
    ResultsAction,
    ResultsButton,
    StaffPress,
    ZoneCommand,
    ZonePick,
)
from bot.polls.counts import CountsFlow, ManualCounts
from bot.polls.desk import StaffDesk
from bot.polls.panel import PollPanel
from bot.polls.quick import QuickPollFlow
from bot.polls.reports import PollReports
from bot.polls.service import MAX_CHOICES, PollService
from bot.polls.texts import ResultsPresenter
from bot.staff.roles import Roles
from config.event import EventConfig
from storage.polls import PRIORITY, PollRepository


class PollStaffFlows:
    """The chat side of polls: staff commands and buttons, participants' ballots."""

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        polls: PollService,
        store: PollRepository,
        ballots: Ballots,
        texts: ResultsPresenter,
        wake_outbox: Callable[[], Awaitable[None]],
    ) -> None:
        self.desk = StaffDesk(languages, config, catalog, clock, roles, polls, store, wake_outbox)
        self.polls = polls
        self.ballots = ballots
        self.reports = PollReports(self.desk, texts)
        self.panel = PollPanel(self.desk, self.reports)
        self.counts = ManualCounts(self.desk, texts, conversations)
        self.quick = QuickPollFlow(self.desk, self.panel, conversations)

    @property
    def conversation_flows(self) -> tuple[QuickPollFlow, CountsFlow]:
        """The set-ups that run on the conversation engine."""
        return self.quick, self.counts.flow

    # --- commands -----------------------------------------------------------------------------
    async def poll_command(self, who: Who) -> Outcome:
        """``/sondaggio``: staff get the zone panel; participants their open ballots again."""
        language = await self.desk.language(who)
        zones = await self.desk.staff_zones(who.user_id)
        if zones is None:
            return await self.ballots.resend(who.user_id, language)
        if self.polls.current_event(self.desk.now()) is None:
            return Outcome().add(Message(self.desk.t(language, "poll.no_event")))
        if len(zones) == 1:
            return await self.panel.zone_panel(language, zones[0])
        return self.desk.zone_picker(language, ZoneCommand.PANEL, zones)

    async def counts_command(self, who: Who) -> Outcome:
        """``/conteggi``: pick the zone (if several), then the poll, then counts."""
        return await self.counts.counts_command(who)

    async def results_command(self, who: Who) -> Outcome:
        """``/risultati``: the zone's results (organisers: pick a zone, or all)."""
        return await self.reports.results_command(who)

    async def synthesis_command(self, who: Who) -> Outcome:
        """``/sintesi`` (organisers): the cross-zone synthesis and its heatmap."""
        return await self.reports.synthesis_command(who)

    async def export_command(self, who: Who) -> Outcome:
        """``/esporta``: choose CSV or Excel."""
        return await self.reports.export_command(who)

    async def send_results_command(self, who: Who) -> Outcome:
        """``/invia_risultati`` (organisers): how many would get what, and a confirm button."""
        return await self.reports.send_results_command(who)

    # --- buttons ------------------------------------------------------------------------------
    async def tap(self, who: Who, button: BallotButton | None) -> Outcome:
        """A ballot button (None: ``p|...`` data that is no ballot button)."""
        return await self.ballots.tap(who.user_id, who.language_code, button)

    async def press(self, who: Who, button: StaffPress | None) -> Outcome:
        """A staff button (None: ``p|f|...`` data that is none of them)."""
        language = await self.desk.language(who)
        if await self.desk.staff_zones(who.user_id) is None:
            return self.desk.alert(language, "poll.staff_only")
        match button:
            case AllZonesPick():
                if self.desk.is_organiser(who.user_id):
                    return await self.reports.zone_results(language, None)
            case ZonePick():
                return await self._zone_picked(who, language, button)
            case OpenButton():
                return await self._open_button(who, language, button)
            case ResultsButton():
                return await self._results_button(who, language, button)
            case PollButton() | CountButton():
                return await self._poll_button(who, language, button)
        return self.desk.alert(language, "button.invalid")

    async def _zone_picked(self, who: Who, language: str, button: ZonePick) -> Outcome:
        if not await self.desk.may_act(who.user_id, button.zone):
            return self.desk.alert(language, "button.invalid")
        if button.command is ZoneCommand.COUNTS:
            return await self.counts.for_zone(language, button.zone)
        if button.command is ZoneCommand.RESULTS:
            return await self.reports.zone_results(language, button.zone)
        return await self.panel.zone_panel(language, button.zone)

    async def _open_button(self, who: Who, language: str, button: OpenButton) -> Outcome:
        if not button.well_formed or not await self.desk.may_act(who.user_id, button.zone):
            return self.desk.alert(language, "button.invalid")
        if button.action is OpenAction.QUICK:
            return await self.quick.start(who, language, button.zone)
        max_choices = button.max_choices or 0
        if not 1 <= max_choices <= MAX_CHOICES:
            return self.desk.alert(language, "button.invalid")
        return await self.panel.open(
            who, language, button.zone, kind=PRIORITY, max_choices=max_choices
        )

    async def _results_button(self, who: Who, language: str, button: ResultsButton) -> Outcome:
        if not button.well_formed:
            return self.desk.alert(language, "button.invalid")
        if button.action is ResultsAction.EXPORT:
            return await self.reports.export(who, language, button.value or "")
        if button.action is ResultsAction.SEND:
            return await self.reports.send_results(who, language, button.value or "")
        return self.reports.send_cancelled(language)

    async def _poll_button(
        self, who: Who, language: str, button: PollButton | CountButton
    ) -> Outcome:
        """Buttons about one poll: status, close, results, manual counts."""
        found = await self.polls.poll(button.poll)
        if found is None or not await self.desk.may_act(who.user_id, found.zone):
            return self.desk.alert(language, "button.invalid")
        poll = await self.polls.fresh(found)
        if isinstance(button, CountButton):
            if not button.well_formed:
                return self.desk.alert(language, "button.invalid")
            return await self.counts.option(who, language, poll, button)
        match button.action:
            case PollAction.STATUS:
                return Outcome(close_keyboard=False, edit=await self.panel.status(poll, language))
            case PollAction.CLOSE:
                return await self.panel.ask_close(poll, language)
            case PollAction.CLOSE_YES:
                return await self.panel.close(poll, language)
            case PollAction.RESULTS:
                out = await self.reports.poll_results(poll, language)
                out.close_keyboard = False
                return out
            case PollAction.COUNTS:
                return Outcome(close_keyboard=False).add(await self.counts.panel(poll, language))
            case PollAction.PEOPLE:
                return await self.counts.ask_people(who, language, poll)
