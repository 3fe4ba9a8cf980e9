"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

Why: when a whole room presses ballot buttons at once the bot makes hundreds of Bot API
calls a second, and httpx's connection pool (httpcore) scans every pooled connection on
each request: with the pool of 256 connections PTB configures, that bookkeeping cost more
CPU than handling the presses themselves (the polls benchmark answered about 300 presses a
second on httpx and about 1,100 on aiohttp). aiohttp's client keeps a pool of
idle connections per host and hands one out in constant time. aiohttp is a well-kept
asyncio HTTP library (and already the test suite's fake Bot API server).

Timeouts map onto aiohttp's: ``pool_timeout + connect_timeout`` to get a connection
(aiohttp's ``connect``), ``connect_timeout`` to open a socket, ``read_timeout`` between
bytes of the answer. aiohttp has no separate write timeout: a request body is bounded by
``write_timeout`` (``media_write_timeout`` for uploads) added to the whole request's
``total`` limit instead. Errors become PTB's :class:`~telegram.error.TimedOut` and
:class:`~telegram.error.NetworkError`, as with PTB's own ``HTTPXRequest``.

Proxies: the session trusts the environment (``HTTPS_PROXY`` for Telegram's https:// server,
``HTTP_PROXY`` for an http:// one, ``NO_PROXY`` to go direct), and ``PSM_PROXY`` (the
``proxy`` argument) wins over them for every host ``NO_PROXY`` does not name. HTTP proxies
only (https:// via CONNECT); credentials go in the URL (``http://user:pass@proxy:3128``).

Certificates: the system's trusted CAs (OpenSSL's default paths, so ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` apply as for any OpenSSL program) plus, with ``PSM_CA_FILE``, the CAs of
that PEM file (:func:`client_ssl_context`): what an IT department's TLS-inspecting proxy,
or a self-hosted Bot API server with a private certificate, needs. Through a proxy the
certificate checked is still the Bot API server's (or the inspecting proxy's), inside the
CONNECT tunnel.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path
from typing import Any
from urllib.request import proxy_bypass

import aiohttp
import yarl
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSONDict = dict[str, Any]  # a Bot API answer, decoded (PTB's own alias is private)

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def client_ssl_context(ca_file: Path | None) -> ssl.SSLContext | None:
    """The TLS context of the Bot API client: None (aiohttp's own, the system's CAs) without
    ``ca_file``; otherwise the system's CAs and those of ``ca_file`` (added, not instead)."""
    if ca_file is None:
        return None
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(ca_file))
    return context


def _seconds(value: object, default: float | None) -> float | None:
    """A PTB timeout argument: seconds, None (no limit) or PTB's marker for "not given"
    (:attr:`BaseRequest.DEFAULT_NONE`), which means the default of this instance."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return default


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` on one :class:`aiohttp.ClientSession`."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._proxy = proxy
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        # the few method URLs, parsed once, each with the proxy it goes through (None: direct
        # or, with HTTPS_PROXY/HTTP_PROXY in the environment, aiohttp's choice for it)
        self._urls: dict[str, tuple[yarl.URL, str | None]] = {}

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """The answer, with ``reply_markup`` and ``entities`` removed from a message sent or
        edited: the bot keeps only its id, and python-telegram-bot building an object for each
        button and entity of the list of questions it edits on every support press was
        most of the press's cost (``bench/bench_questions.py``)."""
        data = BaseRequest.parse_json_payload(payload)
        result = data.get("result")
        if isinstance(result, dict) and "message_id" in result:
            result.pop("reply_markup", None)
            result.pop("entities", None)
        return data

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read

    @functools.lru_cache(maxsize=64)  # noqa: B019 (a handful of combinations, per instance)
    def _timeout(
        self,
        read: float | None,
        connect: float | None,
        pool: float | None,
        write: float | None,
    ) -> aiohttp.ClientTimeout:
        getting = None if connect is None or pool is None else connect + pool
        total = None
        if read is not None and getting is not None and write is not None:
            total = read + getting + write
        return aiohttp.ClientTimeout(
            total=total, connect=getting, sock_connect=connect, sock_read=read
        )

    async def initialize(self) -> None:
        """Open the client session (inside the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0, ssl=self._ssl)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                trust_env=True,  # HTTPS_PROXY / HTTP_PROXY / NO_PROXY (PSM_PROXY wins)
            )

    async def shutdown(self) -> None:
        """Close the client session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one HTTP request; the status code and the raw body of the answer."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if files:
            assert request_data is not None
            body = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mimetype) in files.items():
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data is not None and request_data.parameters:
            # encoded once here: aiohttp's form building cost more than the request itself
            body = request_data.url_encoded_parameters().encode()
            headers = _FORM

        timeout = self._timeout(
            _seconds(read_timeout, self._read),
            _seconds(connect_timeout, self._connect),
            _seconds(pool_timeout, self._pool),
            _seconds(write_timeout, self._media_write if files else self._write),
        )
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) > 1_000:
                self._urls.clear()
            address = yarl.URL(url)
            parsed = self._urls[url] = (address, self._proxy_for(address))
        address, proxy = parsed
        try:
            async with self._session.request(
                method, address, data=body, headers=headers, timeout=timeout, proxy=proxy
            ) as answer:
                return answer.status, await answer.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientConnectorCertificateError as err:
            raise NetworkError(
                f"the TLS certificate of {address.host} is not trusted ({err.certificate_error}):"
                " behind a TLS-inspecting proxy, set PSM_CA_FILE to its CA's PEM file"
            ) from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    def _proxy_for(self, address: yarl.URL) -> str | None:
        """``PSM_PROXY`` unless ``NO_PROXY`` names the host (then direct, as for the
        environment's proxies, which aiohttp applies itself when this is None)."""
        if self._proxy is None or (address.host and proxy_bypass(address.host)):
            return None
        return self._proxy


class UpdatesRequest(AiohttpRequest):
    """The ``getUpdates`` connection: a pressed message arrives without its keyboard.

    Every button press carries the whole message it was pressed on, keyboard included, and
    python-telegram-bot builds an object for each of its buttons: with a ballot of eight
    buttons that was the largest part of reading a press (``bench/bench_polls.py``). No
    handler reads the pressed message's keyboard or entities (the domain knows what it sent),
    so they are dropped before the update is parsed.
    """

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """The answer, with ``reply_markup`` and ``entities`` removed from pressed messages."""
        data = AiohttpRequest.parse_json_payload(payload)
        result = data.get("result")
        if isinstance(result, list):
            for update in result:
                prune_pressed_message(update)
        return data


def prune_pressed_message(update: object) -> None:
    """Drop ``reply_markup`` and ``entities`` from a pressed message (see
    :class:`UpdatesRequest`); also used for updates that arrive by webhook."""
    query = update.get("callback_query") if isinstance(update, dict) else None
    message = query.get("message") if isinstance(query, dict) else None
    if isinstance(message, dict):
        message.pop("reply_markup", None)
        message.pop("entities", None)
