"""PTB helpers and the pytest plugin for the fake Telegram Bot API HTTP server, which is the
sandbox's (:mod:`bot.sandbox.botapi`: ``FakeBotApi``, ``FakeUser``... are imported from there).

Typical use (see ``tests/test_fakebot.py``)::

    async with FakeBotApi() as api:
        app = Application.builder().token(api.token).base_url(api.base_url)
              .base_file_url(api.base_file_url).build()
        async with running_application(app):
            mario = api.user(1001, "Mario")
            await mario.send("/start")
            msg = await mario.next_message()
"""

from .ptb import running_application

__all__ = ["running_application"]
