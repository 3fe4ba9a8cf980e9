"""The Bot API methods that send (sendMessage, sendDocument, sendMediaGroup, copies...)."""

from __future__ import annotations

import copy
from typing import Any

from .common import (
    _CONTENT_KEYS,
    _MEDIA_KINDS,
    ApiError,
)
from .content import ServerContent
from .models import RequestRecord, SentMessage


class ServerSending(ServerContent):
    """The methods that send: messages, media, venues, polls, copies and forwards."""

    # ================================================================== methods
    def _m_getme(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return dict(self.me)

    def _m_logout(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return True

    def _m_close(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return True

    def _m_sendmessage(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        plain, entities = self._text_and_entities(params, "text", "entities")
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        msg = self._new_message(
            "sendMessage", chat, params, content, text=params["text"], plain_text=plain
        )
        return msg.raw

    def _m_senddocument(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("document", "sendDocument", params)

    def _m_sendphoto(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("photo", "sendPhoto", params)

    def _m_sendaudio(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("audio", "sendAudio", params)

    def _m_sendvideo(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("video", "sendVideo", params)

    def _m_sendanimation(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("animation", "sendAnimation", params)

    def _m_sendvoice(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("voice", "sendVoice", params)

    def _m_sendvideonote(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("video_note", "sendVideoNote", params)

    def _m_sendsticker(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("sticker", "sendSticker", params)

    def _m_sendlocation(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        location: dict[str, Any] = {
            "latitude": float(params["latitude"]),
            "longitude": float(params["longitude"]),
        }
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if params.get(key) is not None:
                location[key] = params[key]
        msg = self._new_message("sendLocation", chat, params, {"location": location})
        return msg.raw

    def _m_sendvenue(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue: dict[str, Any] = {
            "location": location,
            "title": params["title"],
            "address": params["address"],
        }
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(key) is not None:
                venue[key] = params[key]
        msg = self._new_message(
            "sendVenue",
            chat,
            params,
            {"venue": venue, "location": dict(location)},
            text=None,
            plain_text=None,
        )
        return msg.raw

    def _m_sendcontact(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        contact = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
        for key in ("last_name", "vcard"):
            if params.get(key):
                contact[key] = params[key]
        return self._new_message("sendContact", chat, params, {"contact": contact}).raw

    def _m_senddice(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        emoji = params.get("emoji") or "🎲"
        dice = {"emoji": emoji, "value": 1 + self._counter % 6}
        return self._new_message("sendDice", chat, params, {"dice": dice}).raw

    def _m_sendpoll(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        poll_id = self._unique("5")
        options = []
        for i, opt in enumerate(params["options"]):
            text = opt if isinstance(opt, str) else opt.get("text", "")
            options.append({"persistent_id": f"{poll_id}-{i}", "text": text, "voter_count": 0})
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": params["question"],
            "options": options,
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": params.get("type") or "regular",
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", True)),
            "members_only": bool(params.get("members_only", False)),
        }
        msg = self._new_message("sendPoll", chat, params, {"poll": poll})
        self.polls[poll_id] = msg
        return msg.raw

    def _m_stoppoll(self, params: dict[str, Any], record: RequestRecord) -> Any:
        msg = self._find_message(params, "stop poll")
        poll = msg.raw.get("poll")
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll["is_closed"] = True
        self._notify()
        return copy.deepcopy(poll)

    def _m_sendmediagroup(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        group_id = self._unique("1")
        out = []
        for item in params["media"]:
            kind = item["type"]
            media = self._attached(item["media"], record)
            stored = self._file_param(media, kind, item)
            sub = {**item, "_parsed": {}}
            content, caption, plain_caption = self._caption_content(sub)
            content[kind] = self._media_object(stored, kind, item)
            msg = self._new_message(
                "sendMediaGroup",
                chat,
                params,
                content,
                caption=caption,
                plain_caption=plain_caption,
                file=stored,
                extra={"media_group_id": group_id},
            )
            out.append(msg.raw)
        return out

    def _m_sendchataction(self, params: dict[str, Any], record: RequestRecord) -> Any:
        self.stats["chat_actions"] += 1
        return True

    def _copy_content(self, source: SentMessage, params: dict[str, Any]) -> dict[str, Any]:
        content = {k: copy.deepcopy(v) for k, v in source.raw.items() if k in _CONTENT_KEYS}
        if "caption" in params and any(k in content for k in _MEDIA_KINDS):
            cap_content, _, _ = self._caption_content(params)
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(cap_content)
        return content

    def _source_message(self, params: dict[str, Any], action: str) -> SentMessage:
        source_chat = self.chats[params["from_chat_id"]]
        source = source_chat.by_id.get(params["message_id"])
        if source is None or source.deleted:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return source

    def _m_copymessage(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        source = self._source_message(params, "copy")
        content = self._copy_content(source, params)
        msg = self._new_message(
            "copyMessage",
            chat,
            params,
            content,
            text=source.text,
            plain_text=source.plain_text,
            caption=params.get("caption", source.caption),
            plain_caption=content.get("caption"),
            file=source.file,
        )
        return {"message_id": msg.message_id}

    def _m_forwardmessage(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        source = self._source_message(params, "forward")
        content = {k: copy.deepcopy(v) for k, v in source.raw.items() if k in _CONTENT_KEYS}
        origin = {"type": "user", "date": source.date, "sender_user": source.raw["from"]}
        content["forward_origin"] = origin
        msg = self._new_message(
            "forwardMessage",
            chat,
            params,
            content,
            text=source.text,
            plain_text=source.plain_text,
            caption=source.caption,
            plain_caption=source.plain_caption,
            file=source.file,
        )
        return msg.raw

    def _m_copymessages(self, params: dict[str, Any], record: RequestRecord) -> Any:
        out = []
        for mid in params["message_ids"]:
            sub = {**params, "message_id": mid}
            sub.pop("message_ids", None)
            out.append(self._m_copymessage(sub, record))
        return out

    def _m_forwardmessages(self, params: dict[str, Any], record: RequestRecord) -> Any:
        out = []
        for mid in params["message_ids"]:
            sub = {**params, "message_id": mid}
            sub.pop("message_ids", None)
            out.append({"message_id": self._m_forwardmessage(sub, record)["message_id"]})
        return out
