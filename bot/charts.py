"""Charts as PNG bytes: a zone's ranking (horizontal bars) and the zone x strategy heatmap.

matplotlib's object API with the Agg canvas only (no pyplot, no display, no global state),
so charts can be drawn in a worker thread while the bot keeps answering. Texts arrive
already localised; emoji are avoided (the bundled DejaVu font has none).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TELEGRAM = "#2AABEE"
_MANUAL = "#F5A623"
_DPI = 110


@dataclass(frozen=True)
class Bar:
    """One bar: a label, the Telegram part and the part counted by hand."""

    label: str
    value: float
    manual: float = 0.0


def _wrap(label: str, width: int = 38, lines: int = 2) -> str:
    wrapped = textwrap.wrap(label, width, break_long_words=False) or [""]
    if len(wrapped) > lines:
        rest = textwrap.shorten(" ".join(wrapped[lines - 1 :]), width, placeholder="…")
        wrapped = [*wrapped[: lines - 1], rest]
    return "\n".join(wrapped)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    axis_label: str,
    telegram_label: str,
    manual_label: str,
    subtitle: str = "",
) -> bytes:
    """Horizontal bars, best at the top, each with its number; manual parts stacked apart."""
    height = 1.6 + 0.48 * max(len(bars), 1)
    figure = Figure(figsize=(9, height), dpi=_DPI)
    ax = figure.add_subplot()
    labels = [_wrap(bar.label) for bar in bars]
    positions = list(range(len(bars)))[::-1]  # the first bar at the top
    telegram = [bar.value - bar.manual for bar in bars]
    manual = [bar.manual for bar in bars]
    ax.barh(positions, telegram, color=_TELEGRAM, label=telegram_label)
    has_manual = any(value > 0 for value in manual)
    if has_manual:
        ax.barh(positions, manual, left=telegram, color=_MANUAL, hatch="//", label=manual_label)
    largest = max((bar.value for bar in bars), default=0.0) or 1.0
    for position, bar in zip(positions, bars, strict=True):
        ax.text(
            bar.value + largest * 0.01,
            position,
            _number(bar.value),
            va="center",
            fontsize=9,
        )
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_xlim(0, largest * 1.12)
    ax.set_xlabel(axis_label)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=12, loc="left", fontweight="bold")
    if subtitle:
        figure.text(0.01, 0.005, subtitle, fontsize=8, color="#555555", va="bottom")
    if has_manual:
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.03 if subtitle else 0, 1, 1))
    return _png(figure)


def heatmap(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    colour_label: str,
    subtitle: str = "",
    separate_last: bool = False,
) -> bytes:
    """A rows x columns grid of shares (0..1) printed as percentages on each cell."""
    width = min(4.0 + 1.1 * max(len(columns), 1), 24.0)
    height = 2.4 + 0.42 * max(len(rows), 1)
    figure = Figure(figsize=(width, height), dpi=_DPI)
    ax = figure.add_subplot()
    grid = [list(row) for row in values] or [[0.0] * max(len(columns), 1)]
    top = max((v for row in grid for v in row), default=0.0) or 1.0
    image = ax.imshow(grid, cmap="YlGnBu", vmin=0.0, vmax=top, aspect="auto")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            colour = "white" if value > top * 0.6 else "black"
            ax.text(c, r, f"{value * 100:.0f}", ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(
        range(len(columns)),
        [_wrap(label, 18, 3) for label in columns],
        fontsize=8,
        rotation=0,
    )
    ax.set_yticks(range(len(rows)), [_wrap(label, 28, 1) for label in rows], fontsize=8)
    ax.tick_params(top=False, bottom=True)
    if separate_last and len(rows) > 1:  # e.g. a total row under the others
        ax.axhline(len(rows) - 1.5, color="white", linewidth=3)
    ax.set_title(title, fontsize=12, loc="left", fontweight="bold")
    percent = PercentFormatter(1.0, decimals=0)
    bar = figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02, format=percent)
    bar.set_label(colour_label, fontsize=8)
    if subtitle:
        figure.text(0.01, 0.005, subtitle, fontsize=8, color="#555555", va="bottom")
    figure.tight_layout(rect=(0, 0.03 if subtitle else 0, 1, 1))
    return _png(figure)
