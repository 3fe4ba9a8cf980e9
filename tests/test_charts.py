"""The charts (bot/charts.py) as Telegram photos: readable sizes, no overlapping texts.

The synthesis heatmap must stay readable with the 25 strategies of the 2024-26 plan and the
11 zones: Telegram shows photos at most 1280 px on the long side (2560 px in "HD"), and the
labels must not run into each other. Numbers follow the reader's language.
"""

from __future__ import annotations

import datetime as dt
import itertools
import struct
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import bot.polls.service
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Catalog
from bot.polls.charts import (
    PNG_SIGNATURE,
    Bar,
    HeatRow,
    bar_chart_figure,
    heatmap,
    heatmap_figure,
    number_text,
    percent_text,
    png,
)
from bot.polls.results import Synthesis
from bot.polls.service import PollService
from config.event import load_event_config

TITLES = [
    "Costruire capacità 4.0",
    "Innovare nella produzione montana e agricola",
    "Stimolare innovazione nel sistema delle PMI e microimprese",
    "Rendere semplice e accessibile la pubblica amministrazione grazie al digitale",
    "Integrare l'infrastruttura e l'offerta turistica",
]
# 25 strategies over six axes, as in the 2024-26 plan (titles made up to a realistic length)
ROWS = [
    HeatRow(f"{axis}.{number}", TITLES[(axis + number) % len(TITLES)])
    for axis, count in ((1, 5), (2, 5), (3, 4), (4, 4), (5, 3), (6, 4))
    for number in range(1, count + 1)
]
ZONES = [
    "Torino Città",
    "AMT Ovest",
    "AMT Sud",
    "AMT Nord",
    "Pinerolese",
    "Valli di Susa e Sangone",
    "Ciriacese-Valli di Lanzo",
    "Canavese occidentale",
    "Eporediese",
    "Chivassese",
    "Chierese-Carmagnolese",
]
COLUMNS = [f"{n} · {name}" for n, name in enumerate(ZONES, start=1)] + ["Tutte le Zone (media)"]


def values(rows: int, columns: int) -> list[list[float]]:
    """Shares with one decimal that matters (12.5%), zeros and tiny ones."""
    return [[((r * 7 + c * 3) % 26) / 200 for c in range(columns)] for r in range(rows)]


def drawn_texts(figure: Figure) -> list[tuple[str, Any]]:
    """Every visible, non-empty text of a drawn figure with its box in pixels."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    found = []
    for text in figure.findobj(Text):
        assert isinstance(text, Text)
        if text.get_visible() and text.get_text().strip():
            found.append((text.get_text(), text.get_window_extent(renderer)))
    return found


def overlapping(texts: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than a pixel each way."""
    pairs = []
    for (a, box_a), (b, box_b) in itertools.combinations(texts, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > 1 and height > 1:
            pairs.append((a, b))
    return pairs


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG."""
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def heat(language: str = "it", rows: list[HeatRow] = ROWS) -> Figure:
    return heatmap_figure(
        "Priorità per Zona: quota dei punti di priorità (%)",
        rows,
        COLUMNS,
        values(len(rows), len(COLUMNS)),
        subtitle="Dalle strategie alle azioni · punteggi normalizzati per numero di rispondenti",
        separate_last=True,
        language=language,
    )


def test_heatmap_of_25_strategies_and_11_zones_fits_a_telegram_photo() -> None:
    figure = heat()
    width, height = png_size(png(figure))
    assert max(width, height) <= 1280, (width, height)  # not shrunk by Telegram
    assert min(width, height) >= 900  # and not a thumbnail either
    texts = drawn_texts(figure)
    assert overlapping(texts) == []
    inside = figure.bbox
    for text, box in texts:
        assert box.x0 >= inside.x0 - 1 and box.x1 <= inside.x1 + 1, text
        assert box.y0 >= inside.y0 - 1 and box.y1 <= inside.y1 + 1, text
    labels = {text for text, _ in texts}
    assert {"5 · Pinerolese", "Tutte le Zone (media)"} <= labels
    for row in ROWS:  # every strategy: its code, then its title (wrapped)
        assert any(text.startswith(f"{row.code}  {row.title[:10]}") for text in labels), row


def test_heatmap_numbers_follow_the_language() -> None:
    italian = {text for text, _ in drawn_texts(heat("it"))}
    english = {text for text, _ in drawn_texts(heat("en"))}
    assert "12,5" in italian and "12.5" not in italian
    assert "12.5" in english and "12,5" not in english
    assert "0" in italian  # an empty cell is a plain zero
    assert [percent_text(0.0004, "it"), percent_text(0.0004, "en")] == ["<0,1", "<0.1"]
    assert percent_text(0.125, "it") == "12,5" and percent_text(0.1, "it") == "10,0"


def test_heatmap_stays_within_telegram_limits_with_many_rows() -> None:
    many = [HeatRow(str(i), TITLES[i % len(TITLES)]) for i in range(80)]
    figure = heat(rows=many)
    width, height = png_size(png(figure))
    assert max(width, height) <= 2560 and height / width < 20
    assert overlapping(drawn_texts(figure)) == []
    few = png_size(heatmap("S", ROWS[:3], COLUMNS[:2], values(3, 2)))
    assert max(few) <= 1280


def test_bar_chart_has_whole_ticks_and_local_decimals() -> None:
    bars = [Bar("Salute", 3, 1.5), Bar("Istruzione e ricerca", 2.5), Bar("Mobilità", 1)]
    figure = bar_chart_figure(
        "Priorità · Zona 5",
        bars,
        axis_label="punti",
        telegram_label="Telegram",
        manual_label="a mano",
        subtitle="Dalle strategie alle azioni",
        language="it",
    )
    texts = drawn_texts(figure)
    assert overlapping(texts) == []
    ticks = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert ticks and all(tick.isdigit() for tick in ticks), ticks  # 0 1 2 3, never 0.5
    shown = {text for text, _ in texts}
    assert "2,5" in shown and "3" in shown
    assert number_text(2.5, "en") == "2.5" and number_text(4.0, "it") == "4"


async def test_synthesis_heatmap_is_transposed_and_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service draws strategies as rows, zones (then the mean) as columns."""
    drawn: dict[str, Any] = {}

    def fake_heatmap(*args: Any, **kwargs: Any) -> bytes:
        drawn.update(args=args, kwargs=kwargs)
        return PNG_SIGNATURE

    monkeypatch.setattr(bot.polls.service, "heatmap", fake_heatmap)
    config = load_event_config()
    service = PollService(
        config,
        Catalog.load(),
        FakeClock(dt.datetime(2023, 12, 5, 12, tzinfo=dt.UTC)),
        None,  # type: ignore[arg-type]
    )
    synthesis = Synthesis(
        zones=(5, 9),
        keys=("1", "6"),
        matrix=((0.5, 0.25), (0.125, 0.75)),
        overall=(("6", 0.5), ("1", 0.3125)),
        top_by_zone={5: ("1",), 9: ("6",)},
        disagreement=(),
        respondents={5: 3, 9: 2},
    )
    assert await service.heatmap(synthesis, "en", "Synthesis", "") == PNG_SIGNATURE
    _, rows, columns, matrix = drawn["args"]
    assert [row.code for row in rows] == ["1", "6"]
    assert rows[0].title.startswith("Digitalisation")  # English titles
    assert columns == ["5 · Pinerolese", "9 · Eporediese", "All zones (mean)"]
    assert matrix == [[0.5, 0.125, 0.3125], [0.25, 0.75, 0.5]]
    assert drawn["kwargs"]["language"] == "en" and drawn["kwargs"]["separate_last"] is True
