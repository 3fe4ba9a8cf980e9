"""The sandbox's JSON API without a browser: state, personas, chats, buttons, SSE, errors."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.sandbox_support import containing, running_sandbox


async def test_state_and_new_persona_registers_by_pressing(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as client:
        state = await client.get("/api/state")
        assert state["bot"]["username"] == "psm_sandbox_bot"
        assert state["database"].endswith("sandbox.sqlite3")
        assert {t["id"] for t in state["templates"]} >= {"new_it", "p5", "organiser"}
        assert state["now_text"] == "martedì 1 dicembre 2026, 10:00"
        giulia = await client.persona("new_it")
        assert giulia["role"] == "new" and giulia["language"] == "it"
        uid = giulia["user_id"]
        await client.post(f"/api/chats/{uid}/send", {"text": "/start"})
        privacy = await client.wait_message(uid, containing("rivacy"))
        assert privacy["from"] == "bot" and privacy["buttons"]
        button = privacy["buttons"][0][0]
        await client.post(
            f"/api/chats/{uid}/press", {"message_id": privacy["message_id"], "data": button["data"]}
        )
        await client.wait_message(uid, containing("nome"))
        chat = await client.get(f"/api/chats/{uid}")
        assert chat["commands"], "the command menu the bot set"
        assert any(m["from"] == "user" and m["html"] == "/start" for m in chat["messages"])


async def test_bad_input_gets_a_clear_answer(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as client:
        answer = await client.post("/api/personas", {"template": "nobody"}, status=400)
        assert "unknown template" in answer["error"]
        answer = await client.get("/api/chats/42", status=404)
        assert "no persona" in answer["error"]
        persona = await client.persona("new_en")
        uid = persona["user_id"]
        await client.post(f"/api/chats/{uid}/send", {"text": "  "}, status=400)
        await client.post(f"/api/chats/{uid}/press", {"message_id": 99, "data": "x"}, status=404)
        await client.post("/api/clock", {"moment": "never"}, status=400)
        await client.post("/api/clock", {"at": "tomorrow"}, status=400)
        assert "no such file" in (await client.get("/files/nothing", status=404))["error"]
        await client.post("/api/crowd", {"zone": 99, "count": 1}, status=400)
        await client.post("/api/crowd", {"zone": 5, "count": 0}, status=400)
        async with client.session.post(client.url + "/api/personas", data=b"{") as response:
            assert response.status == 400
            assert "JSON" in (await response.json())["error"]


async def test_events_tell_the_page_of_changes(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as client:
        persona = await client.persona("new_it")
        uid = persona["user_id"]
        timeout = aiohttp.ClientTimeout(total=10)
        async with client.session.get(client.url + "/api/events", timeout=timeout) as events:
            assert events.headers["Content-Type"].startswith("text/event-stream")
            await client.post(f"/api/chats/{uid}/send", {"text": "/start"})
            while True:
                line = (await events.content.readline()).decode()
                if line.startswith("data:") and f'"user_id": {uid}' in line:
                    break
            await client.post("/api/clock", {"moment": "day"})
            await client.post("/api/reset")
            seen: list[str] = []
            while '"reset": true' not in "".join(seen):
                seen.append((await events.content.readline()).decode())
            assert any('"clock":' in line for line in seen)
