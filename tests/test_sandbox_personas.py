"""The sandbox's personas: each template as the bot would make it; chats never mixed; reset."""

from __future__ import annotations

from pathlib import Path

from bot.staff.roles import FACILITATOR, REFERENT
from tests.sandbox_support import containing, running_sandbox


async def test_every_template_as_the_bot_makes_it(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as client:
        services = client.sandbox.services
        p5 = await client.persona("p5")
        online = await client.persona("p1_online")
        fac = await client.persona("fac5")
        referent = await client.persona("referent")
        organiser = await client.persona("organiser")
        english = await client.persona("new_en")
        ids = {p["user_id"] for p in (p5, online, fac, referent, organiser, english)}
        assert len(ids) == 6, "each persona its own Telegram user"
        assert english["language"] == "en" and english["role"] == "new"
        # registered: the confirmation and the calendar file arrive as after the chat
        ics = await client.wait_message(p5["user_id"], lambda m: "document" in m)
        assert ics["document"]["name"].endswith(".ics")
        async with client.session.get(client.url + ics["document"]["url"]) as response:
            assert response.status == 200
            assert b"BEGIN:VCALENDAR" in await response.read()
        registration = await services.registrations.active_for_user(p5["user_id"])
        assert registration and registration[0].zone == 5
        assert registration[0].mode == "in_person"
        await client.wait_message(online["user_id"], lambda m: "document" in m)
        # staff: an invitation redeemed in their chat
        await client.wait_message(fac["user_id"], containing("5"))
        assert await services.roles.facilitator_zones(fac["user_id"]) == {5}
        grants = await services.roles.store.grants(referent["user_id"], REFERENT)
        assert [g.scope for g in grants] == [
            services.config.venue_for(services.config.events[-1], 5).id
        ]
        assert await services.roles.store.grants(p5["user_id"], FACILITATOR) == []
        assert services.roles.is_organiser(organiser["user_id"])
        await client.wait_message(organiser["user_id"], lambda m: m["from"] == "bot")
        # chats never mixed: every message of a chat is of that chat only
        sandbox = client.sandbox
        for persona in (p5, online, fac, referent, organiser):
            chat = sandbox.api.chats[persona["user_id"]]
            assert all(m.chat_id == persona["user_id"] for m in chat.all_messages)
        fac_html = [m["html"] for m in await client.messages(fac["user_id"])]
        p5_html = [m["html"] for m in await client.messages(p5["user_id"])]
        assert not set(fac_html) & {h for h in p5_html if "Marco" in h}
        menus = {
            p["role"]: {
                c["command"] for c in (await client.get(f"/api/chats/{p['user_id']}"))["commands"]
            }
            for p in (english, fac, organiser)
        }
        assert "register" in menus["new"] and "sondaggio" not in menus["new"]  # English
        assert {"sondaggio", "scheda"} <= menus["facilitator"]
        assert "regia" in menus["organiser"] and "regia" not in menus["facilitator"]
        state = await client.get("/api/state")
        assert [p["id"] for p in state["personas"]] == [
            "p5-1",
            "p1_online-1",
            "fac5-1",
            "referent-1",
            "organiser-1",
            "new_en-1",
        ]


async def test_reset_starts_from_empty(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as client:
        p5 = await client.persona("p5")
        await client.wait_message(p5["user_id"], lambda m: "document" in m)
        database = client.sandbox.database
        assert database.exists()
        assert await client.post("/api/reset") == {"ok": True}
        state = await client.get("/api/state")
        assert state["personas"] == []
        services = client.sandbox.services
        assert await services.registrations.active_for_user(p5["user_id"]) == []
        again = await client.persona("p5")
        assert again["id"] == "p5-1"
        await client.wait_message(again["user_id"], lambda m: "document" in m)


async def test_personas_come_back_after_a_restart_and_ids_are_not_reused(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as client:
        p5 = await client.persona("p5")
        await client.wait_message(p5["user_id"], lambda m: "document" in m)
    async with running_sandbox(tmp_path) as client:
        state = await client.get("/api/state")
        assert state["personas"] == [p5]
        services = client.sandbox.services
        assert await services.registrations.active_for_user(p5["user_id"])
        newcomer = await client.persona("new_it")
        assert newcomer["user_id"] != p5["user_id"]
        await client.post(f"/api/chats/{p5['user_id']}/send", {"text": "/start"})
        await client.wait_message(p5["user_id"], lambda m: m["from"] == "bot")
        await client.post("/api/reset")
        assert not (tmp_path / "sandbox.sqlite3.personas.json").exists()
