"""The local Bot API server over HTTP: requests read, validated, answered; failures injected."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable
from typing import Any, Self

from aiohttp import web

from .base import ServerBase
from .common import (
    _JSON,
    ApiError,
    _Failure,
    _is_rate_limited,
    _is_send_like,
    _RateLimiter,
)
from .models import ChatState, RequestRecord
from .spec import TypeRef, UploadedFile


class ServerHttp(ServerBase):
    """Serving HTTP: reading, validating, dispatching requests; failures and limits."""

    async def start(self) -> Self:
        """Start listening on ``host`` (random free port unless ``port`` was given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, self.host, self.port, backlog=1024, ssl_context=self.ssl_context
        )
        await site.start()
        port = self._runner.addresses[0][1]
        scheme = "https" if self.ssl_context is not None else "http"
        self._url = f"{scheme}://{self.host}:{port}"
        ServerBase.instances.add(self)
        return self

    async def __aenter__(self) -> Self:
        return await self.start()

    # ================================================================== failures & limits
    def fail_next(
        self,
        method: str | None = None,
        error_code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        *,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Queue a failure for the next request(s) to ``method`` (None: any but getUpdates).

        429 answers carry ``parameters.retry_after`` (default 1 s) like Telegram's flood
        control; other codes get a Telegram-like default description.
        """
        canonical = None
        if method is not None:
            canonical = self.spec.canonical_method(method)
            if canonical is None:
                raise ValueError(f"unknown Bot API method {method!r}")
        parameters = None
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            description = {
                400: "Bad Request: injected failure",
                403: "Forbidden: bot was blocked by the user",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, f"Error {error_code}")
        self._failures.append(
            _Failure(canonical, error_code, description, parameters, chat_id, times)
        )

    def enforce_rate(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        *,
        chat_burst: int = 1,
        replies_exempt: float | None = None,
    ) -> None:
        """Enable flood control on send*/copy*/forward*/edit* (pass None, None to disable);
        see :class:`_RateLimiter` for ``chat_burst`` and ``replies_exempt``."""
        if global_per_second is None and per_chat_per_second is None:
            self._rate = None
        else:
            self._rate = _RateLimiter(
                global_per_second, per_chat_per_second, chat_burst, replies_exempt
            )

    def _take_failure(self, method: str, chat_id: int | None) -> _Failure | None:
        for failure in self._failures:
            if failure.method is None and method == "getUpdates":
                continue
            if failure.method is not None and failure.method != method:
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return failure
        return None

    # ================================================================== HTTP
    def _respond(self, status: int, body: dict[str, Any]) -> web.Response:
        return web.Response(
            status=status, body=json.dumps(body, ensure_ascii=False), content_type=_JSON
        )

    def _error_response(self, err: ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": err.code,
            "description": err.description,
        }
        if err.parameters:
            body["parameters"] = err.parameters
        return self._respond(err.code, body)

    async def _read_params(
        self, request: web.Request, method: str
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.can_read_body:
            ctype = request.content_type
            if ctype == _JSON:
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise ValueError(f"can't parse JSON request body: {exc}") from exc
                if not isinstance(body, dict):
                    raise ValueError("JSON request body must be an object")
                params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(
                            key, value.filename, value.content_type, value.file.read()
                        )
                    else:
                        params[key] = value
            else:
                data = await request.read()
                if data:
                    raise ValueError(f"unsupported Content-Type {ctype!r}")
        fields = self.spec.methods[method].fields
        for key, uploaded in files.items():
            if key not in params and key in fields:
                params[key] = uploaded
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            self.stats["401"] += 1
            return self._respond(
                401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        name = request.match_info["method"]
        method = self.spec.canonical_method(name)
        if method is None:
            self.errors.append(f"unknown Bot API method {name!r}")
            self.requests.append(RequestRecord(name, {}, time.time(), 404, "Not Found"))
            return self._respond(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        polling = method == "getUpdates"
        if not polling:
            self._inflight += 1
            self._last_activity = time.monotonic()
        try:
            return await self._process(request, method)
        finally:
            if not polling:
                self._inflight -= 1
                self._last_activity = time.monotonic()
                self._notify()

    async def _process(self, request: web.Request, method: str) -> web.Response:
        self.stats["requests"] += 1
        self.method_counts[method] += 1
        record = RequestRecord(method, {}, time.time())
        self.requests.append(record)
        try:
            raw, files = await self._read_params(request, method)
        except ValueError as exc:
            return self._invalid(record, [f"{method}: {exc}"])
        result = self.spec.validate_request(
            method, raw, files, self.parse_modes, self.tolerated_unknown_params
        )
        if result.warnings:
            self.warnings.extend(result.warnings)
        record.params = result.params
        record.files = files
        if result.errors:
            return self._invalid(record, result.errors)
        params = result.params
        params["_parsed"] = result.parsed_texts
        try:
            value = await self._dispatch(method, params, record)
        except ApiError as err:
            record.status, record.description = err.code, err.description
            self.stats[str(err.code)] += 1
            return self._error_response(err)
        finally:
            params.pop("_parsed", None)
        if self.self_check and method != "getUpdates" and self._should_self_check(method):
            schema = self.spec.methods[method]
            if schema.returns:
                for problem in self.spec.check_value(value, schema.returns):
                    self.errors.append(f"fakebot bug ({method} result): {problem}")
        record.status, record.result = 200, value
        return self._respond(200, {"ok": True, "result": value})

    def _should_self_check(self, method: str) -> bool:
        """Check the first results of each method, then one in 50 (keeps requests cheap)."""
        n = self.method_counts[method]
        return n <= 20 or n % 50 == 0

    def _invalid(self, record: RequestRecord, errors: list[str]) -> web.Response:
        self.errors.extend(errors)
        self.stats["invalid"] += 1
        desc = "Bad Request: " + "; ".join(errors)
        record.status, record.description = 400, desc
        return self._respond(400, {"ok": False, "error_code": 400, "description": desc})

    async def _dispatch(self, method: str, params: dict[str, Any], record: RequestRecord) -> Any:
        chat: ChatState | None = None
        if "chat_id" in params and params["chat_id"] is not None:
            chat = self._resolve_chat(params["chat_id"])
            if chat is None:
                raise ApiError(400, "Bad Request: chat not found")
            params["chat_id"] = chat.id
        if "from_chat_id" in params:
            source = self._resolve_chat(params["from_chat_id"])
            if source is None:
                raise ApiError(400, "Bad Request: chat not found")
            params["from_chat_id"] = source.id
        chat_id = chat.id if chat is not None else None
        failure = self._take_failure(method, chat_id)
        if failure is not None:
            raise ApiError(failure.code, failure.description, failure.parameters)
        if chat is not None and (_is_send_like(method) or method == "sendChatAction"):
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
        if self._rate is not None and _is_rate_limited(method):
            retry = self._rate.hit(chat_id, time.monotonic())
            if retry is not None:
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        if method == "getUpdates":
            return await self._get_updates(params, record)
        handler = self._handlers.get(method)
        if handler is not None:
            value = handler(params, record)
            if isinstance(value, Awaitable):
                value = await value
            return value
        schema = self.spec.methods[method]
        if schema.returns and schema.returns[0] == TypeRef("Boolean"):
            return True
        self.errors.append(
            f"{method}: not emulated by the fake server (returns "
            f"{' or '.join(map(str, schema.returns))}); extend tests/fakebot/server.py"
        )
        raise ApiError(400, f"Bad Request: {method} is not emulated by the fake server")

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._respond(
                401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return self._respond(404, {"ok": False, "error_code": 404, "description": "Not Found"})
