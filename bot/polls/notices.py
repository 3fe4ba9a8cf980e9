"""The polls' outbox messages: ballots, "the poll is closed", and the opener's notice.

Ballots go out through the outbox (kind ``poll``), so they are rate limited, durable and
survive restarts; each is rendered when it is sent, so a poll closed meanwhile or a
participant no longer at the table gets nothing. Closing tells every ballot holder (kind
``poll_closed``, with their answer) and, when the session end closed it, the facilitator
who opened it (``poll_staff``).
"""

from __future__ import annotations

import datetime as dt

from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.outbox import Outgoing, Prepared
from bot.polls.ballots import Ballots
from bot.polls.service import PollService
from config.event import AttendanceMode, EventConfig
from storage.outbox import OutboxRow
from storage.polls import PollRepository
from storage.registrations import RegistrationRepository, Status
from storage.users import UserRepository


class PollNotices:
    """Renderers of the outbox kinds ``poll``, ``poll_closed`` and ``poll_staff``."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        polls: PollService,
        ballots: Ballots,
        store: PollRepository,
        registrations: RegistrationRepository,
        users: UserRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.polls = polls
        self.ballots = ballots
        self.store = store
        self.registrations = registrations
        self.users = users

    async def _language(self, user_id: int, fallback: str) -> str:
        user = await self.users.get(user_id)
        return user.language if user is not None and user.language else fallback

    async def render_ballot(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind ``poll``: the ballot, as long as the poll is open and the person at
        the table."""
        poll = await self.polls.poll(int(row.payload.get("poll", 0)))
        if poll is None:
            return Prepared(None, skip="poll_removed")
        poll = await self.polls.fresh(poll)
        if not poll.is_open:
            return Prepared(None, skip="poll_closed")
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if (
            registration is None
            or registration.status is not Status.CONFIRMED
            or registration.zone != poll.zone
            or registration.mode != AttendanceMode.IN_PERSON
        ):
            return Prepared(None, skip="not_at_table")
        language = await self._language(row.user_id, registration.language)
        picks, answer = await self.store.ballot(poll.id, registration.id)
        message = self.ballots.ballot(poll, language, picks, answer)
        return Prepared(Outgoing(text=message.text, buttons=message.buttons))

    async def render_closed(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind ``poll_closed``: the poll is closed, and what the participant answered."""
        poll = await self.polls.poll(int(row.payload.get("poll", 0)))
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if poll is None or registration is None or registration.user_id is None:
            return Prepared(None, skip="poll_removed")
        language = await self._language(row.user_id, registration.language)
        _, answer = await self.store.ballot(poll.id, registration.id)
        t = self.catalog
        yours = (
            t(
                language,
                "poll.closed_your_answer",
                answer=Raw(self.ballots.picks_text(poll, answer, language)),
            )
            if answer
            else t(language, "poll.closed_no_answer")
        )
        text = t(
            language,
            "poll.closed_notice",
            title=self.polls.title(poll, language),
            zone=zone_label(self.config, poll.zone),
            answer=yours,
        )
        return Prepared(Outgoing(text=text))

    async def render_staff(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind ``poll_staff``: the opener learns the session end closed the poll."""
        poll = await self.polls.poll(int(row.payload.get("poll", 0)))
        if poll is None:
            return Prepared(None, skip="poll_removed")
        language = await self._language(row.user_id, "it")
        tally = (await self.store.tallies([poll.id]))[poll.id]
        text = self.catalog(
            language,
            "poll.closed_at_session_end",
            title=self.polls.title(poll, language),
            zone=zone_label(self.config, poll.zone),
            answered=tally.respondents,
            registered=tally.registered,
        )
        return Prepared(Outgoing(text=text))
