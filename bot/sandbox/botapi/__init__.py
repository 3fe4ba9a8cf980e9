"""A local Telegram Bot API server: the tests' fake and the sandbox's Telegram.

The real PTB ``Application`` polls it; simulated users enqueue updates; every request is
validated against the Bot API spec (``spec_data/api.json``). See ``README.md`` here.
"""

from .common import DEFAULT_TOKEN, ApiError
from .markup import HtmlParseError, ParsedText, parse_html
from .models import CallbackAnswer, ChatState, RequestRecord, SentMessage, StoredFile
from .server import FakeBotApi
from .spec import Spec, load_spec
from .users import FakeUser

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "CallbackAnswer",
    "ChatState",
    "FakeBotApi",
    "FakeUser",
    "HtmlParseError",
    "ParsedText",
    "RequestRecord",
    "SentMessage",
    "Spec",
    "StoredFile",
    "load_spec",
    "parse_html",
]
