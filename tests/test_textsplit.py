"""Texts longer than Telegram allows: split at paragraphs, tags closed and reopened; the one
mapping to Bot API calls sends the parts with the buttons on the last one."""

from __future__ import annotations

from typing import Any

from bot.kernel.i18n import Raw
from bot.kernel.replies import Button, Document, Message
from bot.kernel.textsplit import CAPTION_LIMIT, TEXT_LIMIT, split_html, visible_length
from handlers.bot_api import BotApi, label_text


def test_short_text_is_one_part() -> None:
    assert split_html("<b>Ciao</b> &amp; benvenuto", 100) == ["<b>Ciao</b> &amp; benvenuto"]


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>a</b>&amp;<a href='x'>b</a>") == 3
    assert visible_length("😀") == 2  # UTF-16 code units


def test_split_at_paragraphs_with_tags_balanced() -> None:
    paragraphs = [f"<b>Paragrafo {i}</b> " + "parola " * 120 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_html(text, TEXT_LIMIT)
    assert len(parts) > 1
    assert all(visible_length(part) <= TEXT_LIMIT for part in parts)
    assert all(part.count("<b>") == part.count("</b>") for part in parts)
    assert all(part.startswith("<b>Paragrafo") for part in parts)  # cut between paragraphs
    assert " ".join(parts).split() == text.split()  # nothing lost


def test_a_tag_open_across_the_cut_is_closed_and_reopened() -> None:
    parts = split_html('<a href="https://x.it">' + "parola " * 400 + "</a>", CAPTION_LIMIT)
    assert len(parts) == 3
    for part in parts:
        assert part.startswith('<a href="https://x.it">') and part.endswith("</a>")
        assert visible_length(part) <= CAPTION_LIMIT


def test_one_long_word_is_cut_anywhere() -> None:
    parts = split_html("x" * 5000, TEXT_LIMIT)
    assert [len(p) for p in parts] == [4096, 904]


class StubBot:
    """Records the calls a BotApi makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def _record(self, method: str, **kwargs: Any) -> Any:
        self.calls.append((method, kwargs))

        class Sent:
            message_id = len(self.calls)

        return Sent()

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        return await self._record("sendMessage", text=text, **kwargs)

    async def send_document(self, chat_id: int, **kwargs: Any) -> Any:
        return await self._record("sendDocument", **kwargs)


async def test_long_messages_go_in_parts_with_the_buttons_last() -> None:
    bot = StubBot()
    api = BotApi(bot)  # type: ignore[arg-type]
    buttons = [[Button("OK", "ok")]]
    await api.send(1, Message("\n\n".join(["parola " * 300] * 4), buttons))
    assert [method for method, _ in bot.calls] == ["sendMessage"] * 4  # one per paragraph
    assert [call["reply_markup"] is not None for _, call in bot.calls] == [False] * 3 + [True]


async def test_a_long_caption_goes_with_the_file_as_far_as_it_fits() -> None:
    bot = StubBot()
    api = BotApi(bot)  # type: ignore[arg-type]
    caption = "\n\n".join(["parola " * 100] * 3)  # about 2,100 characters
    await api.send(1, Document("a.ics", b"x", caption))
    methods = [method for method, _ in bot.calls]
    assert methods == ["sendDocument", "sendMessage"]
    assert visible_length(bot.calls[0][1]["caption"]) <= CAPTION_LIMIT


def test_button_labels_from_catalogs_are_plain_text() -> None:
    assert label_text(Raw("Usa «Tom &amp; &lt;Jerry&gt;»")) == "Usa «Tom & <Jerry>»"
    assert label_text("R&amp;D") == "R&amp;D"  # a plain string is left as it is
