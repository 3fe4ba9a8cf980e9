"""How a problem names its field: list items by id (zones by number), else by position,
e.g. ``events[copianificazione-2023].agenda[#3].end``."""

from __future__ import annotations

from typing import Any

# In a list under these keys, an item is named by this field (zones by number), else by
# its position from 1: ``venues[pinerolo]``, ``zones[5]``, ``agenda[#3]``.
ITEM_KEYS = {
    "venues": "id",
    "zones": "number",
    "axes": "id",
    "strategies": "id",
    "events": "id",
    "agenda": "id",
    "reminders": "id",
}


def labels(values: list[object]) -> list[str]:
    """How items are named in a path: their id when it is there and unique, else ``#n``."""
    names = [
        str(value).strip()
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip()
        else None
        for value in values
    ]
    return [
        name if name is not None and names.count(name) == 1 else f"#{index + 1}"
        for index, name in enumerate(names)
    ]


def item_names(values: list[object]) -> list[str]:
    """How ``check-config`` names the items of a list, from their ids (``#n`` when missing
    or repeated)."""
    return labels(values)


def raw_labels(items: list[Any], key: str | None) -> list[str]:
    """How the items of a list read from YAML are named, by their ``key`` field."""
    if key is None or not all(isinstance(item, dict) for item in items):
        return [f"#{index + 1}" for index in range(len(items))]
    return labels([item.get(key) for item in items])
