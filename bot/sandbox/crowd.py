"""A crowd of simulated participants for the sandbox: results with data, without people.

:class:`Crowd` adds N participants with plausible Italian names to a zone. Each one is a
:class:`~bot.sandbox.botapi.users.FakeUser` of the sandbox's local Bot API server and goes
through the bot exactly as a person would: ``/start zonaN``, then it presses the buttons of
the registration (consent, the Telegram name, the mode, skip or a category, confirm). Then a
background task per participant answers what comes to its chat:

- a ballot of the priority poll: 1 to 3 random options tapped (through the axes' folders
  when the ballot has them), then confirm;
- the session-2 notice: one or two contributions, each to a random worksheet of the notice
  and a random section, with a short plausible text for that section, confirmed.

And one more task follows the clock (it looks every 2 seconds, at once after a jump:
:meth:`Crowd.wake`): while a question window of the event is open (issue 15: the
plenaries), about one in three of the confirmed participants (6 at most per window) send a
question with ``/domanda <text>``, a random axis or none, half of them named and half
anonymous, confirmed; then each participant supports 1 to 3 of the others' public questions
by pressing their buttons in ``/domande`` (the questions a moderator publishes later, or a
persona asks, get their supports too: each look supports what is new).

The buttons are recognised by their data (the conversation engine's ``r|<token>|<action>``,
the ballots' ``p|<poll>|<action>``, the notice's ``c|<worksheet>``), never by their labels, so
the crowd does not depend on the wording of the catalogs. Choices come from one seeded
:class:`random.Random`: the same seed adds the same crowd. :meth:`Crowd.stop` cancels the
background tasks (the sandbox calls it on reset and when it stops).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from bot.questions.asking import ANONYMOUS, NAMED
from bot.questions.policy import open_window
from bot.questions.question_buttons import SupportButton
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.users import FakeUser
from bot.sandbox.rehearsal import rehearsed_event
from storage.questions import PUBLIC
from storage.registrations import Status

if TYPE_CHECKING:
    from bot.sandbox.botapi.server import FakeBotApi
    from bot.services import Services

__all__ = ["FIRST_NAMES", "LAST_NAMES", "Crowd"]

log = logging.getLogger(__name__)

FIRST_ID = 8_100_000  # the crowd's Telegram ids (the sandbox's personas use other ranges)
MAX_COUNT = 200  # at most this many participants in one add
PARALLEL = 6  # registrations going on at once
STEP_TIMEOUT = 10.0  # seconds to wait for the bot's next question
IDLE_WAIT = 3600.0  # seconds a participant waits for something to answer before looking again
ONLINE_SHARE = 0.2  # of the participants, when the event has an online mode
CATEGORY_SHARE = 0.5  # of the participants answer the category question
QUESTION_SHARE = 0.3  # of the confirmed participants ask a question in a window
MAX_QUESTIONS = 6  # questions the crowd sends in one window
SUPPORTS = (1, 3)  # supports each participant gives in a window: between these
PLENARY_LOOK = 2.0  # seconds between looks at the clock for a question window


def _names(text: str) -> tuple[str, ...]:
    """The names of a space-separated list."""
    return tuple(text.split())


FIRST_NAMES: tuple[str, ...] = _names(
    "Alessandro Andrea Anna Beatrice Carla Chiara Claudio Daniela Davide Elena Elisa "
    "Enrico Federica Francesca Franco Giacomo Giorgia Giovanni Giulia Giuseppe Laura "
    "Lorenzo Luca Lucia Marco Maria Marta Matteo Michele Monica Nicola Paola Paolo "
    "Pietro Roberta Roberto Sara Silvia Simone Stefano Teresa Valentina Vittorio"
)
LAST_NAMES: tuple[str, ...] = _names(
    "Bertolotti Bianco Bonetto Bosio Cavallo Chiabrando Costa Ferrero Gallo Garbero "
    "Gianotti Giordano Gribaudo Marchisio Martini Mollo Operti Perotti Rabbia Ravera "
    "Ricci Rosso Sacco Saluzzo Testa Vaudano Vietti Viotti Zanetti"
)

# Short texts a table would write, by section id (the bundled worksheets' sections); the
# generic ones for sections of another event file.
TEXTS: dict[str, tuple[str, ...]] = {
    "attori": (
        "L'unione montana e le pro loco dei comuni della valle",
        "Le scuole superiori del territorio e l'ASL",
        "Cooperative sociali e associazioni di volontariato",
        "Le imprese agricole e il consorzio dei produttori",
    ),
    "abilitanti": (
        "Una rete in fibra anche nelle frazioni",
        "Un ufficio tecnico condiviso tra i comuni piccoli",
        "Trasporto a chiamata nelle ore serali",
        "Formazione per gli amministratori locali",
    ),
    "precondizioni": (
        "Bandi con tempi compatibili con i piccoli comuni",
        "Personale stabile negli uffici comunali",
        "Dati aggiornati sui servizi del territorio",
    ),
    "progetti": (
        "Il progetto di comunità energetica della valle",
        "Le case della salute già avviate",
        "Il piano della ciclovia lungo il fiume",
        "Un polo scolastico con servizi per le famiglie",
    ),
}
# Questions the room would ask the panel of a plenary (the bundled event's themes).
QUESTIONS: tuple[str, ...] = (
    "Quando partono i bandi per i comuni montani?",
    "Come verranno scelti i progetti da finanziare?",
    "Ci saranno risorse per il trasporto pubblico nelle valli?",
    "Come si coinvolgono i giovani nel percorso del piano?",
    "Chi seguirà l'attuazione delle strategie dopo oggi?",
    "I piccoli comuni avranno supporto tecnico per i progetti?",
    "Come si misura se le azioni del piano funzionano?",
    "Ci sarà un altro incontro sul territorio prima dell'approvazione?",
    "Come si integra il piano con i fondi del PNRR?",
    "Quali tempi per la banda larga nelle frazioni?",
)
GENERIC_TEXTS = (
    "Coinvolgere di più i comuni piccoli",
    "Mettere in rete quello che già funziona",
    "Servono risorse stabili, non solo bandi",
    "Partire dai servizi per i giovani",
)


def flow_buttons(message: SentMessage) -> list[tuple[str, str, dict[str, Any]]]:
    """The conversation-engine buttons of ``message``: (action, value, button)."""
    out = []
    for row in message.inline_keyboard:
        for button in row:
            parts = str(button.get("callback_data", "")).split("|")
            if len(parts) >= 3 and parts[0] == "r":
                out.append((parts[2], parts[3] if len(parts) > 3 else "", button))
    return out


def ballot_buttons(message: SentMessage) -> list[tuple[str, str, dict[str, Any]]]:
    """The ballot buttons of ``message``: (action, value, button)."""
    out = []
    for row in message.inline_keyboard:
        for button in row:
            parts = str(button.get("callback_data", "")).split("|")
            if len(parts) >= 3 and parts[0] == "p" and parts[1].isdigit():
                out.append((parts[2], parts[3] if len(parts) > 3 else "", button))
    return out


def notice_buttons(message: SentMessage) -> list[dict[str, Any]]:
    """The session-2 notice's worksheet buttons (``c|<worksheet>``) of ``message``."""
    out = []
    for row in message.inline_keyboard:
        for button in row:
            parts = str(button.get("callback_data", "")).split("|")
            if len(parts) == 2 and parts[0] == "c" and parts[1].isdigit():
                out.append(button)
    return out


def picked(button: dict[str, Any]) -> bool:
    """Whether a ballot option button shows as chosen (a keycap or a tick before its label)."""
    label = str(button.get("text", ""))
    return not label[:1].isalnum()


class Crowd:
    """Simulated participants of the sandbox (see the module's docstring)."""

    def __init__(
        self,
        api: FakeBotApi,
        services: Services,
        rng: random.Random | None = None,
        *,
        event_id: str | None = None,
        step_timeout: float = STEP_TIMEOUT,
        plenary_look: float | None = PLENARY_LOOK,
    ) -> None:
        self.api = api
        self.services = services
        self.rng = rng or random.Random(13)
        # the rehearsed event (the first with table sessions) unless told
        self.event_id = event_id or rehearsed_event(services.config).id
        self.step_timeout = step_timeout
        # seconds between the looks at the clock (None: no looks of its own, a test calls
        # plenary_round itself)
        self.plenary_look = plenary_look
        self.members: list[FakeUser] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self._next_id = FIRST_ID
        self._scanned: dict[int, int] = {}  # user id -> messages of the chat looked at
        # the plenaries' questions (issue 15), per window id
        self._asked: set[str] = set()  # windows the crowd asked its questions in
        self._registrations: dict[int, int] = {}  # user id -> confirmed registration id
        self._budget: dict[tuple[str, int], int] = {}  # (window, user): supports left
        self._supported: dict[tuple[str, int], set[int]] = {}  # (window, user): supported
        self._wake = asyncio.Event()
        self._round = asyncio.Lock()  # one plenary round at a time (a press twice withdraws)
        self._plenary: asyncio.Task[None] | None = None

    # --- adding --------------------------------------------------------------------------
    async def add(self, zone: int, count: int) -> int:
        """Register ``count`` new participants at ``zone``; how many got registered.

        Raises ValueError for a zone the event file does not have or a count out of 1..200.
        """
        if not self.services.config.has_zone(zone):
            raise ValueError(f"unknown zone {zone}")
        if not 1 <= count <= MAX_COUNT:
            raise ValueError(f"count must be between 1 and {MAX_COUNT}")
        people = [self._new_member() for _ in range(count)]
        choices = [self._choices() for _ in people]
        gate = asyncio.Semaphore(PARALLEL)

        async def one(user: FakeUser, choice: dict[str, Any]) -> bool:
            async with gate:
                return await self._register(user, zone, choice)

        done = await asyncio.gather(*(one(u, c) for u, c in zip(people, choices, strict=True)))
        added = 0
        for user, ok in zip(people, done, strict=True):
            if ok:
                added += 1
                self.members.append(user)
                self._spawn(user)
        log.info("crowd: %d of %d participants registered at zone %d", added, count, zone)
        if added and self._plenary is None and self.plenary_look is not None:
            self._plenary = asyncio.create_task(self._plenary_forever(), name="crowd-plenary")
        self.wake()
        return added

    def _new_member(self) -> FakeUser:
        user_id = self._next_id
        while user_id in self.api.users:
            user_id += 1
        self._next_id = user_id + 1
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return self.api.user(user_id, first, last, language_code="it")

    def _choices(self) -> dict[str, Any]:
        """This participant's random answers, drawn up front (the same seed, the same crowd)."""
        return {
            "online": self.rng.random() < ONLINE_SHARE,
            "category": self.rng.random() < CATEGORY_SHARE,
            "pick": self.rng.random(),
        }

    async def _register(self, user: FakeUser, zone: int, choice: dict[str, Any]) -> bool:
        """Go through the registration in the chat; whether it ended registered."""
        await user.send(f"/start zona{zone}")
        try:
            for _ in range(12):  # at most this many questions
                message = await user.wait_for(lambda m: bool(m.inline_keyboard), self.step_timeout)
                if await self._answer_registration(user, message, zone, choice):
                    await self._wait_registered(user)
                    return True
        except AssertionError:
            log.warning("crowd: participant %d did not finish registering", user.id)
        except asyncio.CancelledError:
            raise
        return False

    async def _answer_registration(
        self, user: FakeUser, message: SentMessage, zone: int, choice: dict[str, Any]
    ) -> bool:
        """Press the answer of one registration question; True once confirmed."""
        buttons: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for action, value, button in flow_buttons(message):
            buttons.setdefault(action, []).append((value, button))

        def first(action: str, want: Callable[[str], bool] = lambda _: True) -> Any:
            return next((b for v, b in buttons.get(action, []) if want(v)), None)

        pick = (
            first("yes")
            or first("ev", lambda v: v == self.event_id)
            or first("tg")
            or first("z", lambda v: v == str(zone))
            or self._mode(buttons.get("md", []), choice)
            or (self._category(buttons.get("cat", []), choice) if "cat" in buttons else None)
            or first("skip")
            or first("reg")
        )
        if pick is None:
            confirm = [b for a, _, b in flow_buttons(message) if a not in ("edit", "stop")]
            if not confirm:
                raise AssertionError(f"no answer for {message!r}")
            pick = confirm[0]
        final = "edit" in buttons and "stop" in buttons
        await user.press_data(pick["callback_data"], message=message)
        return final

    @staticmethod
    def _mode(options: list[tuple[str, dict[str, Any]]], choice: dict[str, Any]) -> Any:
        if not options:
            return None
        values = {value: button for value, button in options}
        if choice["online"] and "online" in values:
            return values["online"]
        return values.get("in_person") or options[0][1]

    @staticmethod
    def _category(options: list[tuple[str, dict[str, Any]]], choice: dict[str, Any]) -> Any:
        if not options or not choice["category"]:
            return None
        return options[int(choice["pick"] * len(options)) % len(options)][1]

    async def _wait_registered(self, user: FakeUser) -> None:
        registrations = self.services.registrations

        async def stored() -> bool:
            return bool(await registrations.active_for_user(user.id))

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.step_timeout
        while not await stored():
            if loop.time() > deadline:
                raise AssertionError(f"participant {user.id} not stored")
            await asyncio.sleep(0.05)

    # --- answering -----------------------------------------------------------------------
    def _spawn(self, user: FakeUser) -> None:
        task = asyncio.create_task(self._answer_forever(user), name=f"crowd-{user.id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _pending(self, user: FakeUser) -> SentMessage | None:
        """The first new ballot or notice of the chat (messages come in order: only those
        after the last one looked at are looked at)."""
        messages = user.chat.all_messages
        start = self._scanned.get(user.id, 0)
        for index in range(start, len(messages)):
            message = messages[index]
            self._scanned[user.id] = index + 1
            if not message.from_bot or message.deleted:
                continue
            if notice_buttons(message):
                return message
            if any(a in ("t", "ax") for a, _, _ in ballot_buttons(message)):
                return message
        return None

    def _skip_seen(self, user: FakeUser) -> None:
        """What came while answering (the answers' own messages) is not to be answered."""
        self._scanned[user.id] = len(user.chat.all_messages)

    async def _answer_forever(self, user: FakeUser) -> None:
        """Answer every ballot and notice that comes, until cancelled."""
        while True:
            try:
                message = await self.api.wait_until(
                    lambda: self._pending(user), timeout=IDLE_WAIT, poll_interval=None
                )
            except AssertionError:  # nothing came for a long while: keep waiting
                continue
            try:
                if notice_buttons(message):
                    await self.contribute(user, message)
                else:
                    await self.vote(user, message)
            except AssertionError as error:  # the bot said something else: go on
                log.info("crowd: participant %d stopped answering: %s", user.id, str(error)[:80])
            self._skip_seen(user)

    async def _press(self, user: FakeUser, message: SentMessage, button: dict[str, Any]) -> None:
        """Press and wait for the bot's answer to the press (and the message's update)."""
        edits = message.edit_count
        qid = await user.press_data(button["callback_data"], message=message)
        await user.callback_answer(qid, self.step_timeout)
        with contextlib.suppress(AssertionError):
            await user.wait_edited(message, lambda m: m.edit_count > edits, timeout=1.0)

    async def vote(self, user: FakeUser, ballot: SentMessage) -> None:
        """Tap 1 to 3 random options of the ballot (opening folders if any), then confirm."""
        wanted = self.rng.randint(1, 3)
        for _ in range(wanted * 3):
            buttons = ballot_buttons(ballot)
            chosen = [b for a, _, b in buttons if a == "t" and picked(b)]
            if len(chosen) >= wanted:
                break
            free = [b for a, _, b in buttons if a == "t" and not picked(b)]
            folders = [b for a, _, b in buttons if a == "ax"]
            home = [b for a, _, b in buttons if a == "home"]
            if free and (not folders or self.rng.random() < 0.7):
                await self._press(user, ballot, self.rng.choice(free))
            elif home and self.rng.random() < 0.5:
                await self._press(user, ballot, home[0])
            elif folders:
                await self._press(user, ballot, self.rng.choice(folders))
            elif home:
                await self._press(user, ballot, home[0])
            else:
                break
        confirm = self._ballot_action(ballot, "ok")
        back = self._ballot_action(ballot, "home")
        if confirm is None and back is not None:
            await self._press(user, ballot, back)
            confirm = self._ballot_action(ballot, "ok")
        if confirm is not None:
            await self._press(user, ballot, confirm)

    @staticmethod
    def _ballot_action(ballot: SentMessage, action: str) -> dict[str, Any] | None:
        return next((b for a, _, b in ballot_buttons(ballot) if a == action), None)

    async def contribute(self, user: FakeUser, notice: SentMessage) -> None:
        """One or two contributions from the session-2 notice's worksheet buttons."""
        for _ in range(self.rng.randint(1, 2)):
            sheets = notice_buttons(notice)
            if not sheets:
                return
            await user.press_data(self.rng.choice(sheets)["callback_data"], message=notice)
            question = await self._next_flow(user, ("x",))
            sections = [(v, b) for a, v, b in flow_buttons(question) if a == "x" and v]
            if not sections:
                return
            section, button = self.rng.choice(sections)
            await user.press_data(button["callback_data"], message=question)
            await self._wait_question_changed(user, question)
            await user.send(self.rng.choice(TEXTS.get(section, GENERIC_TEXTS)))
            summary = await self._next_flow(user, ("ok",))
            confirm = next(b for a, _, b in flow_buttons(summary) if a == "ok")
            await user.press_data(confirm["callback_data"], message=summary)
            await self._wait_confirmed(user, summary)

    async def _wait_confirmed(self, user: FakeUser, summary: SentMessage) -> None:
        """After confirm: the summary loses its confirm button (the contribution is saved)."""

        def saved() -> bool:
            return not any(a == "ok" for a, _, _ in flow_buttons(summary))

        await user.wait_until(saved, self.step_timeout)

    async def _next_flow(self, user: FakeUser, actions: Iterable[str]) -> SentMessage:
        """The latest message (new or edited) with a conversation button among ``actions``."""
        wanted = set(actions)

        def found() -> SentMessage | None:
            for message in reversed(user.chat.bot_messages):
                if any(a in wanted and (v or a == "ok") for a, v, _ in flow_buttons(message)):
                    return message
            return None

        result: SentMessage = await user.wait_until(found, self.step_timeout)
        return result

    async def _wait_question_changed(self, user: FakeUser, question: SentMessage) -> None:
        """After a section is pressed: the question asks for the text (no section buttons)."""

        def changed() -> bool:
            return not any(a == "x" and v for a, v, _ in flow_buttons(question))

        await user.wait_until(changed, self.step_timeout)

    # --- the plenaries' questions (issue 15) -----------------------------------------------
    def wake(self) -> None:
        """Look at the clock now (the sandbox calls it after a jump)."""
        self._wake.set()

    async def _plenary_forever(self) -> None:
        """While a question window is open: ask, then support (see the module's docstring)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.plenary_look)
            self._wake.clear()
            try:
                await self.plenary_round()
            except AssertionError as error:  # the bot said something else: look again later
                log.info("crowd: the plenary round stopped: %s", str(error)[:80])

    async def _confirmed(self) -> list[tuple[FakeUser, int]]:
        """The members with a confirmed registration for the event, with its id."""
        out = []
        for user in self.members:
            if user.id not in self._registrations:  # a waiting list may move: looked again
                for registration in await self.services.registrations.active_for_user(user.id):
                    if (registration.event_id, registration.status) == (
                        self.event_id,
                        Status.CONFIRMED,
                    ):
                        self._registrations[user.id] = registration.id
            if user.id in self._registrations:
                out.append((user, self._registrations[user.id]))
        return out

    async def plenary_round(self) -> tuple[int, int]:
        """One look at the clock: in an open window, the crowd's questions (once per window)
        and a round of supports when there is something new to support; (asked, supported)."""
        async with self._round:
            return await self._plenary_round()

    async def _plenary_round(self) -> tuple[int, int]:
        config = self.services.config
        window = open_window(config, config.event(self.event_id), self.services.clock.now())
        if window is None or not self.members:
            return 0, 0
        people = await self._confirmed()
        asked = 0
        if window.id not in self._asked:
            self._asked.add(window.id)
            asked = await self._ask_round(people)
        supported = 0
        for _ in range(SUPPORTS[1]):  # each pass: one more support from each who can
            public = await self.services.questions.listing(
                self.event_id, PUBLIC, window_id=window.id
            )
            done = await self._support_pass(window.id, people, public)
            supported += done
            if not done:
                break
        return asked, supported

    async def _ask_round(self, people: list[tuple[FakeUser, int]]) -> int:
        """About one in three ask (half named); how many questions were sent."""
        if not people:
            return 0
        count = min(MAX_QUESTIONS, len(QUESTIONS), max(1, round(len(people) * QUESTION_SHARE)))
        askers = self.rng.sample([user for user, _ in people], count)
        texts = self.rng.sample(QUESTIONS, count)
        named = [index % 2 == 0 for index in range(count)]
        self.rng.shuffle(named)
        axes = [self.rng.random() for _ in range(count)]
        gate = asyncio.Semaphore(PARALLEL)

        async def one(user: FakeUser, text: str, name: bool, axis: float) -> bool:
            async with gate:
                try:
                    return await self.ask(user, text, named=name, axis=axis)
                except AssertionError as error:
                    log.info("crowd: participant %d did not ask: %s", user.id, str(error)[:80])
                    return False

        done = await asyncio.gather(*map(one, askers, texts, named, axes))
        log.info("crowd: %d questions sent", sum(done))
        return sum(done)

    async def ask(self, user: FakeUser, text: str, *, named: bool, axis: float = 0.0) -> bool:
        """``/domanda <text>`` through the chat: an axis (none when ``axis`` < 0.5, else the
        axis at that fraction of the buttons), the name or anonymous, confirm."""
        before = len(user.chat.bot_messages)
        await user.send(f"/domanda {text}")
        for _ in range(4):  # the axis, the name, the summary
            message = await self._ask_step(user, before)
            buttons: dict[str, list[tuple[str, dict[str, Any]]]] = {}
            for action, value, button in flow_buttons(message):
                buttons.setdefault(action, []).append((value, button))
            if "a" in buttons:
                options = buttons["a"]
                axes = [b for v, b in options if v != "-"]
                none = [b for v, b in options if v == "-"]
                pick = none[0] if (axis < 0.5 and none) or not axes else None
                pick = pick or axes[int((axis - 0.5) * 2 * len(axes)) % len(axes)]
            elif "n" in buttons:
                want = NAMED if named else ANONYMOUS
                pick = next((b for v, b in buttons["n"] if v == want), buttons["n"][0][1])
            elif "ok" in buttons:
                confirm = buttons["ok"][0][1]
                qid = await user.press_data(confirm["callback_data"], message=message)
                await user.callback_answer(qid, self.step_timeout)
                await self._wait_confirmed(user, message)
                return True
            else:
                raise AssertionError(f"no answer for {message!r}")
            await self._press_step(user, message, pick)
        return False

    async def _press_step(
        self, user: FakeUser, message: SentMessage, button: dict[str, Any]
    ) -> None:
        """Press a step's button and wait for the next step (the message edited, or a new one)."""
        edits, count = message.edit_count, len(user.chat.bot_messages)
        qid = await user.press_data(button["callback_data"], message=message)
        await user.callback_answer(qid, self.step_timeout)

        def moved() -> bool:
            return message.edit_count > edits or len(user.chat.bot_messages) > count

        await user.wait_until(moved, self.step_timeout)

    async def _ask_step(self, user: FakeUser, before: int) -> SentMessage:
        """The latest message of the question's conversation (a step's buttons), after the
        ``before``-th bot message; a new message without buttons is a refusal."""

        def found() -> SentMessage | bool | None:
            new = user.chat.bot_messages[before:]
            for message in reversed(new):
                if any(a in ("a", "n", "ok") for a, _, _ in flow_buttons(message)):
                    return message
            return bool(new) and not new[-1].inline_keyboard

        result = await user.wait_until(found, self.step_timeout)
        if not isinstance(result, SentMessage):
            said = user.chat.bot_messages[-1].text or ""
            raise AssertionError(f"refused: {said[:60]!r}")
        return result

    async def _support_pass(
        self, window_id: str, people: list[tuple[FakeUser, int]], public: list[Any]
    ) -> int:
        """Each participant with supports left and another's public question not supported
        yet opens ``/domande`` and supports one of them; how many supports were given."""
        todo = []
        for user, registration in people:
            key = (window_id, user.id)
            if key not in self._budget:
                self._budget[key] = self.rng.randint(*SUPPORTS)
            supported = self._supported.setdefault(key, set())
            others = {q.id for q in public if q.registration_id != registration} - supported
            if self._budget[key] > 0 and others:
                todo.append((user, key, self.rng.random()))
        gate = asyncio.Semaphore(PARALLEL)

        async def one(user: FakeUser, key: tuple[str, int], pick: float) -> bool:
            async with gate:
                try:
                    return await self.support(user, self._supported[key], pick)
                except AssertionError as error:
                    log.info("crowd: participant %d did not support: %s", user.id, str(error)[:80])
                    return False
                finally:
                    self._budget[key] -= 1

        done = await asyncio.gather(*(one(*item) for item in todo))
        return sum(done)

    async def support(self, user: FakeUser, supported: set[int], pick: float = 0.0) -> bool:
        """``/domande`` and a press of the support button of a question not in ``supported``
        (the one at ``pick`` of those shown); whether one was supported (added to the set)."""
        before = len(user.chat.bot_messages)
        await user.send("/domande")

        def listed() -> SentMessage | None:
            new = user.chat.bot_messages[before:]
            return new[-1] if new else None

        message: SentMessage = await user.wait_until(listed, self.step_timeout)
        choices = []
        for row in message.inline_keyboard:
            for button in row:
                data = SupportButton.unpack(str(button.get("callback_data", "")))
                if data is not None and data.question not in supported:
                    choices.append((data.question, button))
        if not choices:
            return False
        question, button = choices[int(pick * len(choices)) % len(choices)]
        qid = await user.press_data(button["callback_data"], message=message)
        await user.callback_answer(qid, self.step_timeout)
        supported.add(question)
        return True

    # --- stopping ------------------------------------------------------------------------
    async def stop(self) -> None:
        """Cancel the background tasks and forget the crowd (on reset and on stop)."""
        if self._plenary is not None:
            plenary, self._plenary = self._plenary, None
            plenary.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await plenary
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        self.members.clear()
        self._scanned.clear()
        self._asked.clear()
        self._registrations.clear()
        self._budget.clear()
        self._supported.clear()
