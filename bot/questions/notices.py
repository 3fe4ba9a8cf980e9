"""What askers are told about their question (outbox kind ``question_notice``).

One notice per question and kind of news, in the asker's language (their ``/lingua`` choice,
else the language they asked in), never to an erased registration (checked again when the
notice is sent):

- ``published``: a question that had waited for a moderator is now public (post-moderated
  questions are public at once, so their askers already know);
- ``shown_again``: a hidden or merged question is public again;
- ``hidden``: with the reason, so nothing vanishes silently;
- ``merged``: with the other question's text (whose count now includes the asker's
  supporters);
- ``highlighted``: being answered now (online askers: "follow the stream now"); it expires
  after :data:`NOW_VALIDITY`, since "now" an hour late would be wrong;
- ``answered``.

A question merged into another is answered with it: its asker is told "being answered" and
"answered" too, with the text of the question that is answered.

"Not answered" (a question reopened) tells nothing: the asker was told it is being answered,
and a correction would only confuse.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from bot.kernel.i18n import Catalog, Raw
from bot.kernel.outbox import Outgoing, Prepared
from bot.questions.policy import HideReason
from storage.outbox import PERSON, OutboxRepository, OutboxRow, Planned
from storage.questions import Question, QuestionRepository
from storage.users import UserRepository

KIND = "question_notice"  # the outbox kind
NOW_VALIDITY = dt.timedelta(minutes=20)  # "being answered now" is no news after this
VALIDITY = dt.timedelta(hours=12)


class News(StrEnum):
    """What an asker is told."""

    PUBLISHED = "published"
    SHOWN_AGAIN = "shown_again"
    HIDDEN = "hidden"
    MERGED = "merged"
    HIGHLIGHTED = "highlighted"
    ANSWERED = "answered"


def reason_text(catalog: Catalog, language: str, reason: str | None) -> Raw:
    """A hide reason as the catalog says it (the key itself for one it does not know)."""
    if reason in {r.value for r in HideReason}:
        return catalog(language, f"moderation.reason.{reason}")
    return Raw(reason or "—")


class AskerNotices:
    """Plans and renders the askers' notices (see the module doc)."""

    def __init__(
        self,
        catalog: Catalog,
        questions: QuestionRepository,
        outbox: OutboxRepository,
        users: UserRepository,
    ) -> None:
        self.catalog = catalog
        self.questions = questions
        self.outbox = outbox
        self.users = users

    async def plan(self, question: Question, news: News, now: dt.datetime) -> list[str]:
        """Queue ``news`` for the question's asker (once); the dedupe keys queued."""
        asker = await self.questions.asker(question.id)
        if asker is None or asker.user_id is None:
            return []  # erased (or asked by nobody known): nobody to tell
        key = f"{KIND}:{question.id}:{news.value}"
        validity = NOW_VALIDITY if news is News.HIGHLIGHTED else VALIDITY
        planned = Planned(
            dedupe_key=key,
            kind=KIND,
            user_id=asker.user_id,
            due_at=now,
            expires_at=now + validity,
            registration_id=asker.registration_id,
            event_id=question.event_id,
            payload={"question": question.id, "news": news.value},
            priority=PERSON,
        )
        return [key] if await self.outbox.add([planned], now) else []

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """The notice, as the question stands now (skipped once the asker was erased)."""
        question = await self.questions.get(int(row.payload.get("question", 0)))
        news = str(row.payload.get("news", ""))
        if question is None or news not in {n.value for n in News}:
            return Prepared(None, skip="unknown_question")
        asker = await self.questions.asker(question.id)
        if asker is None or asker.user_id != row.user_id:
            return Prepared(None, skip="erased")
        user = await self.users.get(row.user_id)
        language = user.language if user is not None and user.language else question.language
        text = await self._text(question, News(news), language)
        return Prepared(Outgoing(text=text))

    async def _text(self, question: Question, news: News, language: str) -> str:
        t = self.catalog
        if news is News.HIDDEN:
            reason = reason_text(t, language, question.hide_reason)
            return t(language, "question_notice.hidden", reason=reason, text=question.text)
        if news is News.MERGED:
            other = await self.questions.get(question.merged_into) if question.merged_into else None
            return t(
                language,
                "question_notice.merged",
                other=other.text if other else "—",
                text=question.text,
            )
        text = question.text
        if news in (News.HIGHLIGHTED, News.ANSWERED) and question.merged_into is not None:
            other = await self.questions.get(question.merged_into)  # answered with the other
            text = other.text if other is not None else text
        if news is News.HIGHLIGHTED:
            where = "online" if question.mode == "online" else "in_person"
            return t(language, f"question_notice.highlighted_{where}", text=text)
        return t(language, f"question_notice.{news.value}", text=text)
