"""Staff roles through the flows: an organiser invites a facilitator or a referent, the
invitation is redeemed once, listed, revoked, the role removed; /mioid. Every press is
checked against the presser's role."""

from __future__ import annotations

import datetime as dt
import re

from bot.kernel.replies import Outcome
from bot.staff.flows import INVITE_PREFIX, read_staff_button
from bot.staff.roles import FACILITATOR, REFERENT
from tests.flows.helpers import (
    ANNA,
    BOT_USERNAME,
    BRUNO,
    STAFF,
    Domain,
    data_of,
    labels,
    question,
    texts,
)


async def press(domain: Domain, outcome: Outcome, label: str) -> Outcome:
    """Press an organiser's button (``o|...``) labelled ``label``."""
    return await domain.flows.staff.button(
        STAFF, read_staff_button(data_of(outcome, label)), BOT_USERNAME
    )


async def invitation(domain: Domain, zone: str = "5 · Pinerolese") -> tuple[Outcome, str]:
    """The organiser invites a facilitator of ``zone``: the answer and the invite token."""
    out = await domain.flows.staff.ask_invite(STAFF, FACILITATOR)
    out = await press(domain, out, zone)
    found = re.search(rf"\?start={INVITE_PREFIX}([\w-]+)", question(out).text)
    assert found is not None
    return out, found.group(1)


async def test_inviting_is_for_organisers(domain: Domain) -> None:
    out = await domain.flows.staff.ask_invite(ANNA, FACILITATOR)
    assert texts(out) == [domain.t("it", "roles.organisers_only")]
    refused = await domain.flows.staff.button(ANNA, read_staff_button("o|inv|f|5"), BOT_USERNAME)
    assert refused.alert == domain.t("it", "roles.organisers_only")
    assert await domain.services.roles.store.open_invites(domain.clock.now()) == []


async def test_an_invitation_for_a_zone(domain: Domain) -> None:
    out = await domain.flows.staff.ask_invite(STAFF, FACILITATOR)
    assert question(out).text == domain.t("it", "staff.pick_zone") and len(labels(out)) == 11
    out, token = await invitation(domain)
    link = f"https://t.me/{BOT_USERNAME}?start={INVITE_PREFIX}{token}"
    expires = "27/11/2023 10:00"  # a week
    assert question(out).text == domain.t(
        "it", "staff.invite_facilitator", scope="5 · Pinerolese", link=link, expires=expires
    )
    assert labels(out) == [domain.t("it", "staff.revoke")]
    (invite,) = await domain.services.roles.store.open_invites(domain.clock.now())
    assert (invite.token, invite.role, invite.scope) == (token, FACILITATOR, "5")


async def test_an_invitation_for_a_venue(domain: Domain) -> None:
    out = await domain.flows.staff.ask_invite(STAFF, REFERENT)
    assert question(out).text == domain.t("it", "staff.pick_venue")
    out = await press(domain, out, "Comune di Pinerolo")
    assert "referente della sede <b>Comune di Pinerolo</b>" in question(out).text


async def test_redeeming_gives_the_role_once(domain: Domain) -> None:
    _, token = await invitation(domain)
    out = await domain.flows.staff.redeem(ANNA, token)
    assert texts(out) == [domain.t("it", "staff.welcome_facilitator", scope="5 · Pinerolese")]
    assert out.refresh_menus == [ANNA.user_id]
    (grant,) = await domain.services.roles.store.grants(ANNA.user_id)
    assert (grant.role, grant.scope, grant.name) == (FACILITATOR, "5", "Anna Rossi")
    assert await domain.services.roles.facilitator_zones(ANNA.user_id) == {5}
    again = await domain.flows.staff.redeem(BRUNO, token)
    assert texts(again) == [domain.t("it", "staff.invalid_invite")]
    assert await domain.services.roles.store.grants(BRUNO.user_id) == []


async def test_an_expired_or_unknown_invitation(domain: Domain) -> None:
    _, token = await invitation(domain)
    assert texts(await domain.flows.staff.redeem(ANNA, "nosuchtoken")) == [
        domain.t("it", "staff.invalid_invite")
    ]
    domain.clock.advance(dt.timedelta(days=7, minutes=1))
    assert texts(await domain.flows.staff.redeem(ANNA, token)) == [
        domain.t("it", "staff.invalid_invite")
    ]


async def test_revoking_an_invitation(domain: Domain) -> None:
    out, token = await invitation(domain)
    revoked = await press(domain, out, "Revoca")
    assert revoked.toast == domain.t("it", "staff.revoked")
    assert texts(await domain.flows.staff.redeem(ANNA, token)) == [
        domain.t("it", "staff.invalid_invite")
    ]
    again = await press(domain, out, "Revoca")
    assert again.alert == domain.t("it", "staff.not_revocable")


async def test_the_staff_list_and_removing_a_role(domain: Domain) -> None:
    assert texts(await domain.flows.staff.list_staff(STAFF)) == [domain.t("it", "staff.none")]
    _, token = await invitation(domain)
    await domain.flows.staff.redeem(ANNA, token)
    await invitation(domain, "9 · Eporediese")  # still open
    out = await domain.flows.staff.list_staff(STAFF)
    member, open_invite = texts(out)
    assert member == domain.t(
        "it",
        "staff.member",
        name="Anna Rossi",
        role="facilitatore",
        scope="5 · Pinerolese",
        user=ANNA.user_id,
    )
    assert open_invite.startswith("✉️ Invito aperto: facilitatore di 9 · Eporediese")
    removed = await press(domain, out, "Rimuovi")
    assert texts(removed) == [
        domain.t("it", "staff.removed", role="facilitatore", scope="5 · Pinerolese")
    ]
    assert removed.refresh_menus == [ANNA.user_id]
    assert await domain.services.roles.store.grants(ANNA.user_id) == []
    stale = await press(domain, out, "Rimuovi")
    assert stale.alert == domain.t("it", "button.stale")


async def test_forged_staff_buttons_are_refused(domain: Domain) -> None:
    invalid = domain.t("it", "button.invalid")
    for data in ("o|inv|f|99", "o|inv|r|nowhere", "o|inv|x|5", "o|rm|7|organiser|x", "o|zzz"):
        out = await domain.flows.staff.button(STAFF, read_staff_button(data), BOT_USERNAME)
        assert out.alert == invalid, data
    assert await domain.services.roles.store.open_invites(domain.clock.now()) == []


async def test_my_id(domain: Domain) -> None:
    (text,) = texts(await domain.flows.staff.my_id(ANNA))
    assert text == domain.t("it", "myid.text", id=ANNA.user_id)
