"""The typed button codecs: every family packs and unpacks to itself, anything else is None,
Telegram's 64 bytes are enforced where a button is made, and only the last field may be
left out."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.attendance.flows import CheckinButton
from bot.broadcasts.service import BroadcastButton
from bot.kernel.buttons import MAX_BYTES, ButtonData
from bot.kernel.conversation import FlowButton
from bot.registration.manage import ManageAction, ManageButton
from bot.registration.participant import LanguageButton
from bot.stats.export import ExportButton

EVERY_FAMILY: list[ButtonData] = [
    FlowButton("Ab3_-x9Z", "z", "5"),
    FlowButton("Ab3_-x9Z", "skip"),
    ManageButton(ManageAction.CANCEL, "copianificazione-2023"),
    LanguageButton("en"),
    CheckinButton("m", 42),
    BroadcastButton("cancel", 7),
    ExportButton("e", "lancio-2023"),
    ExportButton("f", "xlsx", "*"),
]


@pytest.mark.parametrize("button", EVERY_FAMILY, ids=repr)
def test_pack_unpack_round_trip(button: ButtonData) -> None:
    data = button.pack()
    assert type(button).unpack(data) == button
    assert re.match(type(button).pattern(), data)
    assert len(data.encode()) <= MAX_BYTES


def test_the_packed_form_is_the_prefix_and_the_fields() -> None:
    assert LanguageButton("it").pack() == "l|it"
    assert ManageButton(ManageAction.ZONE, "lancio-2023").pack() == "m|zone|lancio-2023"
    assert CheckinButton("m", 12).pack() == "ci|m|12"
    assert FlowButton("tok", "skip").pack() == "r|tok|skip|"  # an empty value is still a part


def test_an_optional_last_field_is_left_out_when_none() -> None:
    assert ExportButton("e", "lancio-2023").pack() == "xr|e|lancio-2023"
    assert ExportButton.unpack("xr|e|lancio-2023") == ExportButton("e", "lancio-2023", None)
    assert ExportButton.unpack("xr|f|csv|*") == ExportButton("f", "csv", "*")


def test_a_typed_field_comes_back_typed() -> None:
    checkin = CheckinButton.unpack("ci|m|-3")
    assert checkin == CheckinButton("m", -3) and isinstance(checkin.registration_id, int)
    manage = ManageButton.unpack("m|mode|lancio-2023")
    assert manage is not None and manage.action is ManageAction.MODE


@pytest.mark.parametrize(
    ("family", "data"),
    [
        (LanguageButton, None),
        (LanguageButton, ""),
        (LanguageButton, "l"),  # the field is missing
        (LanguageButton, "l|it|en"),  # one part too many
        (LanguageButton, "x|it"),  # another family
        (LanguageButton, "lx|it"),  # a prefix that only starts alike
        (ManageButton, "m|delete|lancio-2023"),  # not a ManageAction
        (ManageButton, "m|zone"),
        (CheckinButton, "ci|m|12a"),  # not a number
        (CheckinButton, "ci|m|"),
        (CheckinButton, "ci|m|1234567890123456789"),  # more digits than any id
        (BroadcastButton, "b|cancel|1|2"),
        (ExportButton, "xr"),
        (ExportButton, "xr|f|csv|*|more"),
        (FlowButton, "r|token"),
        (FlowButton, "l|it"),
    ],
)
def test_anything_else_unpacks_to_none(family: type[ButtonData], data: str | None) -> None:
    assert family.unpack(data) is None


def test_pattern_routes_only_its_own_family() -> None:
    pattern = ManageButton.pattern()
    assert re.match(pattern, "m|zone|x")
    assert not re.match(pattern, "mx|zone|x") and not re.match(pattern, "xr|e|x")


def test_telegrams_64_bytes_are_enforced_when_packing() -> None:
    ManageButton(ManageAction.NEW, "e" * (MAX_BYTES - len("m|new|"))).pack()  # just fits
    with pytest.raises(ValueError, match="64 bytes"):
        ManageButton(ManageAction.NEW, "e" * (MAX_BYTES - len("m|new|") + 1)).pack()
    with pytest.raises(ValueError, match="64 bytes"):
        FlowButton("token", "cm", "è" * 30).pack()  # bytes, not characters, count


def test_a_field_cannot_carry_the_separator() -> None:
    with pytest.raises(ValueError, match="cannot contain"):
        FlowButton("token", "ev", "a|b").pack()


def test_only_the_last_field_may_be_optional() -> None:
    @dataclass(frozen=True)
    class Misshapen(ButtonData, prefix="zz"):
        first: str | None
        second: str

    with pytest.raises(TypeError, match="only the last"):
        Misshapen(None, "x").pack()


def test_a_prefix_may_have_several_parts() -> None:
    @dataclass(frozen=True)
    class Kind(ButtonData, prefix="o|inv"):
        scope: str

    assert Kind("5").pack() == "o|inv|5"
    assert Kind.unpack("o|inv|5") == Kind("5")
    assert Kind.unpack("o|rev|5") is None and Kind.unpack("o|5") is None
