"""The projector links' secret tokens: ``<event id>.<expiry>.<signature>``.

A token names the event it shows and when it stops working (Unix seconds: the end of the
event's day in the process time zone), signed with HMAC-SHA256. The key is ``PSM_WEB_SECRET``
when set, else derived from the bot token (a new token, or a new secret, makes every link
given before invalid: the way to withdraw a leaked link). Nothing is stored: the server checks
the signature and the expiry of every request, so a forged, altered or expired token gets
nothing but the refusal page.

Decisions:
- The link is read-only and shows only what the room's screen shows anyway (public questions,
  the poll results, the synthesis); it carries no person's identity.
- Valid until the end of the event's day (midnight, process time zone): a link made the day
  before works on the day; the next day it is refused.
- The signature is 128 bits (22 base64url characters), compared in constant time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from config.event import Event, EventConfig

_SHAPE = re.compile(r"^([a-z0-9][a-z0-9_-]{0,63})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$")
_PURPOSE = b"psm-bot projector link v1"


class Refusal(StrEnum):
    """Why a token is refused."""

    FORGED = "forged"  # not a token, or a signature that does not match (altered)
    EXPIRED = "expired"  # genuine, but its day is over


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: showing one event until ``expires``."""

    event_id: str
    expires: dt.datetime


def valid_until(config: EventConfig, event: Event) -> dt.datetime:
    """The end of the event's day (midnight after it) in the process time zone."""
    return dt.datetime.combine(event.date + dt.timedelta(days=1), dt.time(), tzinfo=config.tz)


class ProjectorTokens:
    """Issues and checks projector tokens with one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_secret(cls, web_secret: str | None, bot_token: str | None) -> ProjectorTokens:
        """The key of ``PSM_WEB_SECRET``, else one derived from the bot token."""
        if web_secret:
            return cls(hashlib.sha256(_PURPOSE + b"|secret|" + web_secret.encode()).digest())
        seed = (bot_token or "").encode()
        return cls(hmac.new(seed, _PURPOSE, hashlib.sha256).digest())

    def _signature(self, event_id: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{event_id}|{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")

    def issue(self, event_id: str, expires: dt.datetime) -> str:
        """A token for ``event_id`` valid until ``expires``."""
        stamp = int(expires.timestamp())
        return f"{event_id}.{stamp}.{self._signature(event_id, stamp)}"

    def check(self, token: str, now: dt.datetime) -> Grant | Refusal:
        """The grant of a genuine, unexpired token, or why it is refused."""
        found = _SHAPE.match(token or "")
        if found is None:
            return Refusal.FORGED
        event_id, stamp, signature = found.group(1), int(found.group(2)), found.group(3)
        if not hmac.compare_digest(signature, self._signature(event_id, stamp)):
            return Refusal.FORGED
        expires = dt.datetime.fromtimestamp(stamp, dt.UTC)
        if now >= expires:
            return Refusal.EXPIRED
        return Grant(event_id, expires)
