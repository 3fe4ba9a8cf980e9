"""After the plenary, assembled once (:mod:`bot.services` holds one): the record of the
questions, its words, its exports, the delivery of the list to everyone (registered with the
broadcasts as the content kind :data:`bot.questions.sending.QUESTIONS`), and the
``/invia_domande`` conversation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.broadcasts.service import BroadcastService, ContentKind
from bot.kernel.clock import Clock
from bot.kernel.conversation import Conversations
from bot.kernel.i18n import Catalog
from bot.kernel.people import Languages
from bot.questions.exports import QuestionExports
from bot.questions.record import RecordBuilder, RecordText
from bot.questions.sending import KIND, QUESTIONS, QuestionsDelivery, SendQuestionsFlow
from bot.staff.roles import Roles
from config.event import EventConfig
from storage.broadcasts import BroadcastRepository
from storage.db import Database
from storage.question_record import QuestionRecordRepository
from storage.questions import QuestionRepository
from storage.registrations import RegistrationRepository
from storage.users import UserRepository


@dataclass(frozen=True)
class AfterPlenary:
    """The record, its words and exports, and the delivery of the list (outbox :data:`KIND`)."""

    record: RecordBuilder
    words: RecordText
    exports: QuestionExports
    delivery: QuestionsDelivery
    kind: str = KIND

    @classmethod
    def build(
        cls,
        db: Database,
        config: EventConfig,
        catalog: Catalog,
        users: UserRepository,
        registrations: RegistrationRepository,
        broadcasts: BroadcastService,
        broadcasts_store: BroadcastRepository,
    ) -> AfterPlenary:
        """Everything on one database; the list of questions registered with the broadcasts
        as a content written per recipient at delivery, once per person."""
        store, record_store = QuestionRepository(db), QuestionRecordRepository(db)
        record, words = RecordBuilder(config, store), RecordText(catalog, config)
        delivery = QuestionsDelivery(
            config, catalog, users, record, words, broadcasts_store, registrations, record_store
        )
        broadcasts.contents[QUESTIONS] = ContentKind(KIND, delivery.reached)
        exports = QuestionExports(config, store, record_store, record, words)
        return cls(record, words, exports, delivery)

    def send_flow(
        self,
        conversations: Conversations,
        languages: Languages,
        clock: Clock,
        roles: Roles,
        broadcasts: BroadcastService,
        broadcasts_store: BroadcastRepository,
    ) -> SendQuestionsFlow:
        """The ``/invia_domande`` conversation, added to the engine."""
        flow = SendQuestionsFlow(
            conversations,
            languages,
            self.record.config,
            self.words.catalog,
            clock,
            roles,
            self.record,
            self.words,
            broadcasts,
            broadcasts_store,
            self.delivery.reached_for,
            self.exports,
        )
        conversations.add(flow)
        return flow
