"""The local Bot API server's messages: files, texts and entities, new messages and edits."""

from __future__ import annotations

import copy
import mimetypes
import time
from pathlib import PurePosixPath
from typing import Any

from .common import (
    _FILE_PREFIX,
    _MEDIA_KINDS,
    NOT_MODIFIED,
    ApiError,
)
from .markup import parse_html, utf16_len
from .models import ChatState, RequestRecord, SentMessage, StoredFile
from .spec import UploadedFile
from .transport import ServerHttp
from .users import FakeUser


class ServerContent(ServerHttp):
    """Files, texts, entities and the messages the bot sends or edits."""

    # ================================================================== helpers
    def _unique(self, prefix: str = "") -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08d}"

    def _chat_of(self, params: dict[str, Any]) -> ChatState:
        return self.chats[params["chat_id"]]

    def store_file(
        self,
        data: bytes,
        *,
        kind: str = "document",
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store file content and return it with fresh file_id/file_unique_id."""
        n = self._unique()
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQACAgQ')}AAxk{kind[:3]}{n}",
            file_unique_id=f"AgAD{n}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            kind=kind,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _attached(value: Any, record: RequestRecord) -> Any:
        """Resolve an ``attach://name`` reference of a nested object to the uploaded part."""
        if isinstance(value, str) and value.startswith("attach://"):
            return record.files[value[len("attach://") :]]  # existence checked by validation
        return value

    def _file_param(self, value: Any, kind: str, params: dict[str, Any]) -> StoredFile:
        if isinstance(value, UploadedFile):
            name = value.filename
            if kind == "photo":
                name = None
            mime = value.content_type
            if name and (not mime or mime == "application/octet-stream"):
                mime = mimetypes.guess_type(name)[0] or mime
            if kind == "photo":
                mime = None
            return self.store_file(value.data, kind=kind, file_name=name, mime_type=mime)
        if isinstance(value, str):
            stored = self.files.get(value)
            if stored is not None:
                return stored
            if value.startswith(("http://", "https://")):
                name = PurePosixPath(value.split("?", 1)[0]).name or None
                if kind == "photo":
                    name = None
                mime = mimetypes.guess_type(name)[0] if name else None
                return self.store_file(b"", kind=kind, file_name=name, mime_type=mime)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _media_object(self, stored: StoredFile, kind: str, params: dict[str, Any]) -> Any:
        base: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if kind == "photo":
            small = {
                **base,
                "file_id": stored.file_id + "_s",
                "file_unique_id": stored.file_unique_id + "s",
                "width": 90,
                "height": 90,
                "file_size": min(stored.file_size, 1500),
            }
            self.files.setdefault(small["file_id"], stored)
            return [small, {**base, "width": 800, "height": 800, "file_size": stored.file_size}]
        base["file_size"] = stored.file_size
        if kind in ("document", "audio", "video", "animation") and stored.file_name:
            base["file_name"] = stored.file_name
        if kind in ("document", "audio", "video", "animation", "voice") and stored.mime_type:
            base["mime_type"] = stored.mime_type
        duration = int(params.get("duration") or 0)
        if kind in ("audio", "voice"):
            base["duration"] = duration
        if kind in ("video", "animation"):
            base.update(
                width=int(params.get("width") or 640),
                height=int(params.get("height") or 360),
                duration=duration,
            )
        if kind == "video_note":
            base.update(length=int(params.get("length") or 240), duration=duration)
        if kind == "sticker":
            base.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
            if params.get("emoji"):
                base["emoji"] = params["emoji"]
        return base

    def _text_and_entities(
        self,
        params: dict[str, Any],
        field: str,
        entities_field: str,
        mode_field: str = "parse_mode",
    ) -> tuple[str, list[dict[str, Any]]]:
        """Plain text and entities of a text-like parameter, as Telegram would store them."""
        text = params[field]
        parsed = params.get("_parsed", {}).get(field)
        if parsed is None and params.get(mode_field) == "HTML":
            parsed = parse_html(text)  # nested texts (e.g. media group captions)
        if parsed is not None:
            plain, entities = parsed.text, list(parsed.entities)  # fresh per request
        else:
            plain, entities = text, list(params.get(entities_field) or [])
        # Telegram trims leading and trailing whitespace
        stripped = plain.strip()
        if stripped != plain:
            lead = utf16_len(plain) - utf16_len(plain.lstrip())
            size = utf16_len(stripped)
            kept = []
            for ent in entities:
                start = max(ent["offset"] - lead, 0)
                end = min(ent["offset"] + ent["length"] - lead, size)
                if end > start:
                    kept.append({**ent, "offset": start, "length": end - start})
            plain, entities = stripped, kept
        return plain, entities

    def _reply_to(self, chat: ChatState, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target_chat = chat
        if reply.get("chat_id") is not None:
            found = self._resolve_chat(reply["chat_id"])
            if found is None:
                raise ApiError(400, "Bad Request: chat not found")
            target_chat = found
        target = target_chat.by_id.get(reply["message_id"])
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        raw = copy.deepcopy(target.raw)
        raw.pop("reply_to_message", None)
        return raw

    def _new_message(
        self,
        method: str,
        chat: ChatState,
        params: dict[str, Any],
        content: dict[str, Any],
        *,
        text: str | None = None,
        plain_text: str | None = None,
        caption: str | None = None,
        plain_caption: str | None = None,
        file: StoredFile | None = None,
        extra: dict[str, Any] | None = None,
    ) -> SentMessage:
        reply_to = self._reply_to(chat, params)
        mid = chat.new_message_id()
        now = int(time.time())
        raw: dict[str, Any] = {
            "message_id": mid,
            "from": dict(self.bot_user),
            "chat": chat.chat_dict,
            "date": now,
        }
        if extra:
            raw.update(extra)
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        if params.get("protect_content"):
            raw["has_protected_content"] = True
        raw.update(content)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            raw["reply_markup"] = markup  # decoded for this request: owned, not copied
        msg = SentMessage(
            chat_id=chat.id,
            message_id=mid,
            method=method,
            date=now,
            raw=raw,
            text=text,
            plain_text=plain_text,
            caption=caption,
            plain_caption=plain_caption,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup if isinstance(markup, dict) else None,
            file=file,
            params={k: v for k, v in params.items() if k != "_parsed"},
        )
        chat.all_messages.append(msg)
        chat.by_id[mid] = msg
        self.sent.append(msg)
        chat.delivered += 1
        self.stats["delivered"] += 1
        self._notify()
        return msg

    def _caption_content(
        self, params: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None, str | None]:
        caption = params.get("caption")
        if caption is None:
            return {}, None, None
        plain, entities = self._text_and_entities(params, "caption", "caption_entities")
        content: dict[str, Any] = {}
        if plain:
            content["caption"] = plain
        if entities:
            content["caption_entities"] = entities
        return content, caption, plain

    def _send_media(self, kind: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_of(params)
        stored = self._file_param(params[kind], kind, params)
        content, caption, plain_caption = self._caption_content(params)
        content[kind] = self._media_object(stored, kind, params)
        if kind == "photo" and params.get("has_spoiler"):
            content["has_media_spoiler"] = True
        msg = self._new_message(
            method,
            chat,
            params,
            content,
            caption=caption,
            plain_caption=plain_caption,
            file=stored,
        )
        return msg.raw

    def _find_message(self, params: dict[str, Any], action: str) -> SentMessage:
        chat = self._chat_of(params)
        msg = chat.by_id.get(params["message_id"])
        if msg is None or msg.deleted:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return msg

    def _editable(self, params: dict[str, Any]) -> SentMessage | None:
        if params.get("inline_message_id") is not None:
            return None
        msg = self._find_message(params, "edit")
        if not msg.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: SentMessage, method: str, changes: dict[str, Any]) -> dict[str, Any]:
        new_raw = copy.deepcopy(msg.raw)
        for key in ("text", "entities", "caption", "caption_entities", "reply_markup"):
            if key in changes:
                if changes[key] in (None, [], ""):
                    new_raw.pop(key, None)
                else:
                    new_raw[key] = copy.deepcopy(changes[key])
        for key in _MEDIA_KINDS:
            if key in changes:
                for other in _MEDIA_KINDS:
                    new_raw.pop(other, None)
                new_raw[key] = changes[key]
        old_cmp = {k: v for k, v in msg.raw.items() if k != "edit_date"}
        new_cmp = {k: v for k, v in new_raw.items() if k != "edit_date"}
        if old_cmp == new_cmp:
            raise ApiError(400, NOT_MODIFIED)
        snapshot = msg.snapshot()
        snapshot["method"] = method
        snapshot["time"] = time.time()
        msg.edits.append(snapshot)
        new_raw["edit_date"] = int(time.time())
        msg.raw = new_raw
        for attr in ("text", "plain_text", "caption", "plain_caption", "reply_markup", "file"):
            if attr in changes.get("_attrs", {}):
                setattr(msg, attr, changes["_attrs"][attr])
        self._notify()
        return new_raw

    def _new_user_message(
        self,
        chat: ChatState,
        user: FakeUser,
        content: dict[str, Any],
        *,
        file: StoredFile | None = None,
    ) -> SentMessage:
        """Record a message sent by a simulated user (used by FakeUser)."""
        mid = chat.new_message_id()
        now = int(time.time())
        raw = {
            "message_id": mid,
            "from": user.user_dict,
            "chat": chat.chat_dict,
            "date": now,
            **content,
        }
        msg = SentMessage(
            chat_id=chat.id,
            message_id=mid,
            method="user",
            date=now,
            raw=raw,
            from_bot=False,
            text=content.get("text"),
            plain_text=content.get("text"),
            caption=content.get("caption"),
            plain_caption=content.get("caption"),
            file=file,
        )
        chat.all_messages.append(msg)
        chat.by_id[mid] = msg
        return msg
