"""The composition root of the domain: every repository, service and flow, built once.

:class:`Services` builds each repository on the one database connection, then each service
and each capability's flows, handing each only the collaborators it uses (no flow receives
the whole); it owns their lifecycle — created in the Application's ``post_init``
(:mod:`bot.app`), ticking while the bot runs, closed in ``post_shutdown`` — and is what the
command line uses without Telegram. Handlers reach the flows through :class:`Flows`, on the
typed context.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.attendance.flows import AttendanceFlows
from bot.broadcasts.flows import BroadcastFlows
from bot.broadcasts.service import BroadcastService
from bot.kernel.clock import Clock
from bot.kernel.conversation import Conversations
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.logs import describe, log_task_failure
from bot.kernel.outbox import OutboxSender, Transport
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Outcome
from bot.polls.ballots import Ballots
from bot.polls.desk import SETUP_TTL
from bot.polls.notices import PollNotices
from bot.polls.service import PollService
from bot.polls.staff import PollStaffFlows
from bot.polls.texts import ResultsPresenter
from bot.questions.after import AfterPlenary
from bot.questions.asking import QuestionFlow
from bot.questions.feed import KIND as QUESTION_FEED
from bot.questions.feed import UPDATE as QUESTION_FEED_UPDATE
from bot.questions.feed import ModerationFeed, QuestionCards
from bot.questions.gate import QuestionGate
from bot.questions.listing import QuestionList
from bot.questions.moderation import ModerationFlows
from bot.questions.notices import KIND as QUESTION_NOTICE
from bot.questions.notices import AskerNotices
from bot.questions.participants import QuestionFlows
from bot.questions.projector import ProjectorBoards
from bot.questions.projector_flows import ProjectorFlows
from bot.questions.projector_site import ProjectorSite
from bot.questions.sending import SendQuestionsFlow
from bot.questions.tokens import ProjectorTokens
from bot.registration.comuni import (
    Comune,
    ComuneIndex,
    bundled_comuni,
    normalise,
    refresh_from_bundled,
)
from bot.registration.confirmation import OUTBOX_KINDS, Confirmations
from bot.registration.manage import Manage
from bot.registration.participant import Participant
from bot.registration.texts import RegistrationTexts
from bot.registration.wizard import RegistrationFlow
from bot.registration.zones import ZoneQuestion
from bot.reminders.links import LinkFlows
from bot.reminders.planner import Links, ReminderPlanner, ReminderRenderer
from bot.staff.flows import StaffFlows
from bot.staff.roles import Roles
from bot.stats.export import ExportFlows
from bot.stats.figures import StatsFlows
from bot.worksheets.access import ContributionGate
from bot.worksheets.board import BoardViews
from bot.worksheets.board_edit import SETUP_TTL as SHEET_SETUP_TTL
from bot.worksheets.board_edit import AddItemFlow, StrategyFlow
from bot.worksheets.board_press import BoardFlows
from bot.worksheets.contributions import ContributionFlow
from bot.worksheets.deadline import REPORT_REMINDER, ReportReminders
from bot.worksheets.desk import SheetDesk
from bot.worksheets.final import FinalSynthesisFlow
from bot.worksheets.intro import KIND as WORKSHEETS_NOTICE
from bot.worksheets.intro import WorksheetNotices
from bot.worksheets.mine import MyContributions
from bot.worksheets.participants import ContributionFlows
from bot.worksheets.regia import REPORT_SUBMITTED
from bot.worksheets.regia_flows import RegiaFlows
from bot.worksheets.report import ReportFlows
from bot.worksheets.report_flow import REPORT_TTL, ReportFlow
from bot.worksheets.service import WorksheetService
from config.event import Event, EventConfig
from config.settings import Settings
from storage.attendance import AttendanceRepository
from storage.broadcasts import BroadcastRepository
from storage.comuni import ComuneRow, ComuniRepository
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.links import LinkRepository
from storage.outbox import OutboxRepository
from storage.polls import PollRepository
from storage.question_moderation import QuestionModeration
from storage.question_reads import QuestionReads
from storage.questions import Question, QuestionRepository
from storage.recipients import RecipientRepository
from storage.registrations import RegistrationRepository
from storage.roles import RoleRepository
from storage.stats import StatsRepository
from storage.users import UserRepository
from storage.worksheets import WorksheetRepository

log = logging.getLogger(__name__)

# A contribution left half-written for this long is dropped (its next text is not taken).
CONTRIBUTION_TTL = dt.timedelta(hours=1)
# Plenary questions, part A: a question left half-written for this long is dropped.
QUESTION_TTL = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Flows:
    """What handlers call: each capability's entry points."""

    conversations: Conversations  # the engine every multi-step flow runs on
    participant: Participant  # /start, /programma, /aiuto, /lingua, fallbacks
    manage: Manage  # a registration once made: change, cancel, erase
    links: LinkFlows
    staff: StaffFlows
    attendance: AttendanceFlows
    broadcasts: BroadcastFlows
    stats: StatsFlows
    exports: ExportFlows
    polls: PollStaffFlows  # ballots' taps, staff commands and buttons, quick questions, counts
    contributions: ContributionFlows  # session 2: /contributo, /contributi, their buttons
    # --- session 2, part B: the facilitator's board and report ---
    board: BoardFlows  # /scheda and every w| button
    reports: ReportFlows  # /resoconto, reading a zone's report (the regia board calls read)
    # --- part C: the regia (board, synthesis, documents, exports, final synthesis) ---
    regia: RegiaFlows
    # --- questions at the plenaries, part B: moderation (/moderazione, every qm| button) ---
    moderation: ModerationFlows
    # --- issue 15, part D: /invia_domande, the list of questions to every registrant ---
    send_questions: SendQuestionsFlow
    # --- issue 15, part C: the projector (/proiettore) ---
    projector: ProjectorFlows
    # --- plenary questions, part A: /domanda, /domande and the q|s|, q|p|, q|l buttons ---
    questions: QuestionFlows


class Services:
    """The running bot's repositories, services and flows (see the module doc)."""

    def __init__(
        self, settings: Settings, config: EventConfig, clock: Clock, db: Database, catalog: Catalog
    ) -> None:
        self.settings = settings
        self.config = config
        self.clock = clock
        self.db = db
        self.catalog = catalog
        # storage
        self.users = UserRepository(db)
        self.conversations = ConversationRepository(db)
        self.registrations = RegistrationRepository(db)
        self.comuni_store = ComuniRepository(db)
        self.outbox = OutboxRepository(db)
        self.broadcasts_store = BroadcastRepository(db)
        self.roles = Roles(settings.organisers, RoleRepository(db))
        self.questions = QuestionRepository(db)  # issue 15: the plenaries' questions (all parts)
        # services
        self.languages = Languages(self.users)
        self.comuni = ComuneIndex([])
        self.sender: OutboxSender | None = None
        self.links = Links(config, LinkRepository(db), self.registrations, self.outbox)
        self.planner = ReminderPlanner(config, self.outbox, self.registrations)
        self.reminders = ReminderRenderer(config, catalog, self.links, self.registrations)
        self.broadcasts = BroadcastService(
            config,
            catalog,
            clock,
            self.broadcasts_store,
            self.outbox,
            self.registrations,
            self.languages,
        )
        poll_store = PollRepository(db)
        self.polls = PollService(config, catalog, clock, poll_store)
        self.ballots = Ballots(
            config, catalog, clock, self.polls, poll_store, self.registrations, self.users
        )
        self.poll_notices = PollNotices(
            config, catalog, self.polls, self.ballots, poll_store, self.registrations, self.users
        )
        self.poll_texts = ResultsPresenter(self.polls, self.registrations, self.users)
        self.worksheets = WorksheetService(config, clock, self.polls, WorksheetRepository(db))
        self.worksheet_notices = WorksheetNotices(  # part A: the session-2 notice
            config,
            catalog,
            self.worksheets,
            self.registrations,
            RecipientRepository(db),
            self.outbox,
            self.users,
        )
        self.after_plenary = AfterPlenary.build(  # issue 15, part D: the questions' record
            db,
            config,
            catalog,
            self.users,
            self.registrations,
            self.broadcasts,
            self.broadcasts_store,
        )
        self.flows = self._flows()
        self._tick_task: asyncio.Task[None] | None = None
        #: the periodic tick's done-callback (the running bot reports faults with it)
        self.tick_done: Callable[[asyncio.Task[None]], None] = log_task_failure
        self._stopping = False  # set by stop_ticking(): no new periodic work
        self._planned = False  # every registration's reminders: planned by the first tick
        self._planning_failures = 0  # in a row: the first is a warning, the others debug

    def _flows(self) -> Flows:
        """Every capability's flows, each with what it uses."""
        config, catalog, clock = self.config, self.catalog, self.clock
        languages = self.languages
        conversations = Conversations(self.conversations, languages, catalog, clock)
        texts = RegistrationTexts(config, catalog, self.registrations)
        self.confirmations = Confirmations(
            config, catalog, clock, texts, self.registrations, self.outbox
        )
        zones = ZoneQuestion(config, catalog, lambda: self.comuni)
        wizard = RegistrationFlow(
            conversations,
            config,
            catalog,
            clock,
            texts,
            zones,
            self.confirmations,
            self.db,
            self.registrations,
            self.users,
            self.planner,
        )
        conversations.add(wizard)
        staff = StaffFlows(
            languages, config, catalog, clock, self.roles, self.registrations, self.broadcasts_store
        )
        manage = Manage(
            conversations,
            languages,
            config,
            catalog,
            clock,
            texts,
            zones,
            self.confirmations,
            self.registrations,
            self.planner,
            wizard,
            staff,
        )
        participant = Participant(
            conversations,
            languages,
            config,
            catalog,
            clock,
            texts,
            wizard,
            manage,
            self.registrations,
            self.users,
            staff.help_sections,
        )
        stats_store = StatsRepository(self.db)
        polls = PollStaffFlows(
            conversations,
            languages,
            config,
            catalog,
            clock,
            self.roles,
            self.polls,
            self.polls.store,
            self.ballots,
            self.poll_texts,
            self._wake_outbox,
        )
        for flow in polls.conversation_flows:
            conversations.add(flow, ttl=SETUP_TTL)
        contributions = self._contribution_flows(conversations)
        board, reports = self._board_flows(conversations)
        return Flows(
            conversations=conversations,
            participant=participant,
            manage=manage,
            links=LinkFlows(
                conversations,
                languages,
                config,
                catalog,
                clock,
                self.links,
                self.registrations,
                self.roles.is_organiser,
                self._wake_outbox,
            ),
            staff=staff,
            attendance=AttendanceFlows(
                conversations,
                languages,
                config,
                catalog,
                clock,
                self.roles,
                AttendanceRepository(self.db),
                self.registrations,
            ),
            broadcasts=BroadcastFlows(
                conversations,
                languages,
                config,
                catalog,
                clock,
                self.roles,
                self.broadcasts,
                self.broadcasts_store,
            ),
            stats=StatsFlows(languages, config, catalog, clock, self.roles, stats_store),
            exports=ExportFlows(languages, config, catalog, clock, self.roles, stats_store),
            polls=polls,
            contributions=contributions,
            board=board,
            reports=reports,
            regia=self._regia(conversations, polls.synthesis_command, reports.report_text),
            moderation=self._questions_moderation(),
            send_questions=self.after_plenary.send_flow(  # issue 15, part D
                conversations,
                languages,
                clock,
                self.roles,
                self.broadcasts,
                self.broadcasts_store,
            ),
            projector=self._questions_projector(),
            questions=self._questions_participants(conversations),
        )

    def _questions_moderation(self) -> ModerationFlows:
        """Questions, part B: the moderators' feed, the askers' notices, the moderation flows.

        ``self.question_feed.on_new_question`` is what part A calls once a question is stored.
        """
        config, catalog = self.config, self.catalog
        cards = QuestionCards(config, catalog)
        moderation = QuestionModeration(self.db, self.questions)
        self.question_feed = ModerationFeed(
            cards,
            catalog,
            self.roles,
            self.questions,
            moderation,
            self.outbox,
            self.languages,
            self._wake_outbox,
        )
        self.question_notices = AskerNotices(catalog, self.questions, self.outbox, self.users)
        return ModerationFlows(
            self.languages,
            config,
            catalog,
            self.clock,
            self.roles,
            self.questions,
            moderation,
            cards,
            self.question_feed,
            self.question_notices,
            self._wake_outbox,
        )

    def _questions_projector(self) -> ProjectorFlows:
        """Issue 15, part C: the projector's link (/proiettore) and the site the bot's web
        server serves. ``public_url`` is where the page is reachable (None without the bot's
        web server; the sandbox sets its own page's address); ``bot_username`` is set once
        the bot knows its name (handlers/operations.py)."""
        settings = self.settings
        self.public_url: str | None = settings.public_url if settings.web_port is not None else None
        self.bot_username: str | None = settings.bot_username
        token = settings.bot_token.get_secret_value() if settings.bot_token else None
        tokens = ProjectorTokens.from_secret(settings.web_secret_value(), token)
        boards = ProjectorBoards(
            self.config, self.catalog, self.clock, QuestionRepository(self.db), self.polls
        )
        self.projector_site = ProjectorSite(
            self.catalog, self.clock, tokens, boards, lambda: self.bot_username
        )

        async def moderated(user_id: int) -> set[str]:
            # the scopes of the user's "moderator" grants (an event id, or "*" for every
            # event; bot/staff/roles.py); organisers are checked by ProjectorFlows
            return {g.scope for g in await self.roles.store.grants(user_id, "moderator")}

        return ProjectorFlows(
            self.languages,
            self.config,
            self.catalog,
            self.clock,
            self.roles,
            tokens,
            lambda: self.public_url,
            moderated,
        )

    def _regia(
        self,
        conversations: Conversations,
        polls_synthesis: Callable[[Who], Awaitable[Outcome]],
        report_text: Callable[[Event, int, str], Awaitable[Raw]],
    ) -> RegiaFlows:
        """Part C: the regia's flows, and the final synthesis's conversation."""
        final = FinalSynthesisFlow(
            conversations,
            self.languages,
            self.config,
            self.catalog,
            self.clock,
            self.roles,
            self.broadcasts,
            self.broadcasts_store,
        )
        conversations.add(final)
        return RegiaFlows(
            self.languages,
            self.config,
            self.catalog,
            self.clock,
            self.roles,
            self.worksheets,
            self.polls,
            self.poll_texts,
            final,
            polls_synthesis,
            report_text,
            self.after_plenary.exports,  # issue 15, part D: the questions' exports and section
        )

    def _contribution_flows(self, conversations: Conversations) -> ContributionFlows:
        """Part A of session 2: the participants' contributions."""
        config, catalog = self.config, self.catalog
        gate = ContributionGate(config, catalog, self.worksheets, self.registrations)
        flow = ContributionFlow(conversations, catalog, self.worksheets, gate)
        conversations.add(flow, ttl=CONTRIBUTION_TTL)
        conversations.on_stale(flow.on_stale)
        mine = MyContributions(config, catalog, self.worksheets, gate)
        return ContributionFlows(self.languages, catalog, gate, flow, mine)

    # --- plenary questions, part A: the participants ------------------------------------------
    def _questions_participants(self, conversations: Conversations) -> QuestionFlows:
        """Part A of the plenary questions: /domanda, /domande, supports.

        A new question goes to the moderators' feed (:meth:`_new_question`); ``after_support``
        stays None: the projector notices supports by watching its board (every 0.5 s)."""
        config, catalog = self.config, self.catalog
        reads = QuestionReads(self.db)
        gate = QuestionGate(config, catalog, self.clock, self.registrations, reads)
        flow = QuestionFlow(
            conversations, config, catalog, gate, self.questions, self._new_question
        )
        conversations.add(flow, ttl=QUESTION_TTL)
        conversations.on_stale(flow.on_stale)
        listing = QuestionList(config, catalog, gate, self.questions, reads)
        return QuestionFlows(self.languages, catalog, gate, flow, listing, self.users)

    async def _new_question(self, question: Question) -> None:
        """A question was just confirmed: to the moderators' feed (part B), which queues a
        card for each of the event's moderators (or its organisers)."""
        await self.question_feed.on_new_question(question)

    def _board_flows(self, conversations: Conversations) -> tuple[BoardFlows, ReportFlows]:
        """Session 2, part B: the facilitator's board, its set-ups, the report, the reminder."""
        desk = SheetDesk(
            self.languages,
            self.config,
            self.catalog,
            self.clock,
            self.roles,
            self.worksheets,
            self._wake_outbox,
        )
        views = BoardViews(desk)
        add_item, strategy = (
            AddItemFlow(desk, views, conversations),
            StrategyFlow(desk, views, conversations),
        )
        report_flow = ReportFlow(desk, conversations, self.outbox)
        for flow in (add_item, strategy):
            conversations.add(flow, ttl=SHEET_SETUP_TTL)
        conversations.add(report_flow, ttl=REPORT_TTL)  # the draft itself stays
        reports = ReportFlows(desk, report_flow)
        self.report_reminders = ReportReminders(desk, self.outbox)
        return BoardFlows(desk, views, add_item, strategy, reports), reports

    async def _wake_outbox(self) -> None:
        """Start delivering what was just put in the outbox."""
        if self.sender is not None:
            await self.sender.drain_soon()

    @classmethod
    async def start(cls, settings: Settings, config: EventConfig, clock: Clock) -> Services:
        """Open the database (migrating it), seed the comuni mapping, load the catalogs."""
        db = await Database.open(settings.database)
        try:
            return await cls._start(settings, config, clock, db)
        except BaseException:
            await db.close()  # e.g. the disk filled up while seeding the comuni
            raise

    @classmethod
    async def _start(
        cls, settings: Settings, config: EventConfig, clock: Clock, db: Database
    ) -> Services:
        services = cls(settings, config, clock, db, Catalog.load())
        await services.reload_comuni()
        return services

    async def start_sender(self, transport: Transport) -> OutboxSender:
        """Create the outbox sender, recover rows left in flight (the first :meth:`tick`
        plans new reminders)."""
        sender = OutboxSender(self.outbox, self.users, transport, self.clock)
        sender.register("reminder", self.reminders.render)
        sender.register("link_fix", self.reminders.render)
        sender.register("broadcast", self.broadcasts.render)
        sender.register("poll", self.poll_notices.render_ballot)
        sender.register("poll_closed", self.poll_notices.render_closed)
        sender.register("poll_staff", self.poll_notices.render_staff)
        sender.register("results", self.poll_texts.render)
        sender.register(WORKSHEETS_NOTICE, self.worksheet_notices.render)
        sender.register(REPORT_SUBMITTED, self.flows.regia.board.render_submitted)  # part C
        for kind in OUTBOX_KINDS:
            sender.register(kind, self.confirmations.render)
        # questions, part B: new questions to the moderators, news to the askers
        sender.register(QUESTION_FEED, self.question_feed.render)
        sender.register(QUESTION_FEED_UPDATE, self.question_feed.render_update)
        sender.register(QUESTION_NOTICE, self.question_notices.render)
        # session 2: the facilitators' deadline (the regia's board renders report_submitted)
        sender.register(REPORT_REMINDER, self.report_reminders.render)
        after = self.after_plenary  # issue 15, part D: the list of questions to everyone
        sender.register(after.kind, after.delivery.render)
        await sender.recover()
        self.sender = self.broadcasts.sender = sender
        return sender

    async def tick(self) -> None:
        """Periodic work: start due broadcasts, show progress, deliver due messages.

        The first tick first plans every registration's reminders (new rules, a changed
        event file): about 1 s for 10,000 registrations, so it runs once polling has started,
        not before (issue 14). Updates answered meanwhile plan their own registration; what
        a row no longer fits is skipped when it is sent (:class:`ReminderRenderer`).
        """
        planning: Exception | None = None
        if not self._planned:
            planning = await self._plan_reminders()
            self._planned = planning is None
        await self.broadcasts.tick()
        await self.polls.close_due()  # polls whose table session has ended
        await self.worksheet_notices.plan(self.clock.now())  # the session-2 notice, once a zone
        await self.report_reminders.plan(self.clock.now())  # session 2: the report deadline
        await self.flows.moderation.answered_when_closed()  # issue 15: still highlighted
        if self.sender is not None:
            await self.sender.drain_soon()
        if planning is not None:
            raise planning  # after the rest of the tick: the running bot's faults report it

    async def _plan_reminders(self) -> Exception | None:
        """Plan every registration's reminders; the error when the database fails (said once
        in the log, tried again at the next tick, the rest of the tick still done)."""
        try:
            await self.planner.plan_all(self.clock.now())
        except Exception as exc:
            self._planning_failures += 1
            level = logging.WARNING if self._planning_failures == 1 else logging.DEBUG
            log.log(
                level, "reminders not planned (tried again at the next tick): %s", describe(exc)
            )
            return exc
        self._planning_failures = 0
        return None

    def tick_soon(self) -> None:
        """Run :meth:`tick` in the background unless the previous one is still running."""
        if self._stopping:
            return
        if self._tick_task is None or self._tick_task.done():
            self._tick_task = asyncio.create_task(self.tick(), name="periodic tick")
            self._tick_task.add_done_callback(self.tick_done)

    async def stop_ticking(self, grace: float = 0.0) -> None:
        """Stop the periodic work: no new tick or outbox row; within ``grace`` seconds the
        running tick and the deliveries in flight finish (while the HTTP session is still
        open), then what is left is cancelled (rows in flight are resent at start-up)."""
        self._stopping = True
        deadline = time.monotonic() + grace
        task = self._tick_task
        if task is not None and not task.done():
            if grace > 0:
                await asyncio.wait({task}, timeout=grace)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.sender is not None:
            await self.sender.stop(max(0.0, deadline - time.monotonic()) if grace else 0.0)

    async def reload_comuni(self) -> None:
        """Build the comune index from the database, seeding it from the bundled file.

        A database seeded from an older bundled file takes the newer file's zones for the
        comuni that are still the file's (:func:`bot.comuni.refresh_from_bundled`); what an
        organiser imported is kept.
        """
        if await self.comuni_store.count() == 0:
            await self.comuni_store.replace_all([to_row(c) for c in bundled_comuni()])
        else:
            stored = [from_row(row) for row in await self.comuni_store.all()]
            newer = refresh_from_bundled(stored, bundled_comuni())
            await self.comuni_store.upsert([to_row(c) for c in newer])
        self.comuni = ComuneIndex([from_row(row) for row in await self.comuni_store.all()])

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()


def to_row(comune: Comune) -> ComuneRow:
    """A domain comune as a storage row."""
    return ComuneRow(normalise(comune.name), comune.name, comune.istat, comune.zone, comune.source)


def from_row(row: ComuneRow) -> Comune:
    """A storage row as a domain comune."""
    return Comune(name=row.name, zone=row.zone, istat=row.istat, source=row.source)
