"""Charts as PNG bytes: a zone's ranking (horizontal bars) and the strategy x zone heatmap.

matplotlib's object API with the Agg canvas only (no pyplot, no display, no global state),
so charts can be drawn in a worker thread while the bot keeps answering. Texts arrive
already localised; numbers are written for the reader's language (a decimal comma in
Italian). Emoji are avoided (the bundled DejaVu font has none).

Both charts are sent as Telegram photos, which Telegram shrinks to at most 1280 px on the
long side (2560 px for "HD"): the heatmap is drawn for that size. With the 25 strategies of
the 2024-26 plan and 11 zones it has one row per strategy (its code and its title, wrapped
on two lines) and one column per zone (the zone's number and name, upright) plus the mean
of all zones as the last column, so it grows downwards with the strategies instead of
sideways, and it fits in about 1,100 x 1,250 px. ``*_figure`` return the figure before it
is saved, so tests can check the layout (sizes, overlapping texts).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

# matplotlib (~0.3 s, ~30 MB) is imported by the functions that draw, not with this module:
# the bot and every command start without it (tests/test_packaging.py).
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TELEGRAM = "#2AABEE"
_MANUAL = "#F5A623"
_DPI = 110
#: the largest side of a heatmap, in pixels (Telegram's "HD" photo size)
MAX_SIDE_PX = 2560
_HEAT_LABEL_WIDTH = 34  # characters per line of a strategy's title
_HEAT_ROW_IN = 0.34  # inches per strategy row (two lines of 8.5 pt)
_HEAT_COLUMN_IN = 0.56  # inches per zone column (fits "12,5" at 8 pt)


@dataclass(frozen=True)
class Bar:
    """One bar: a label, the Telegram part and the part counted by hand."""

    label: str
    value: float
    manual: float = 0.0


@dataclass(frozen=True)
class HeatRow:
    """One heatmap row: a strategy's (or axis's) short code, e.g. ``1.1``, and its title."""

    code: str
    title: str


def decimal_point(language: str) -> str:
    """The decimal separator of a language: a comma in Italian, a point in English."""
    return "," if language == "it" else "."


def number_text(value: float, language: str, decimals: int = 1) -> str:
    """A number as the reader writes it: ``4``, ``4,5`` (it) or ``4.5`` (en)."""
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.{decimals}f}".replace(".", decimal_point(language))


def percent_text(share: float, language: str) -> str:
    """A share (0..1) as a percentage, one decimal: ``12,5`` (it); ``0``; ``<0,1``."""
    percent = round(share * 100, 1)
    if percent == 0:
        return "0" if share <= 0 else "<" + "0.1".replace(".", decimal_point(language))
    return f"{percent:.1f}".replace(".", decimal_point(language))


def _wrap(label: str, width: int = 38, lines: int = 2) -> str:
    wrapped = textwrap.wrap(label, width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        rest = textwrap.shorten(" ".join(wrapped[lines - 1 :]), width, placeholder="…")
        wrapped = [*wrapped[: lines - 1], rest]
    return "\n".join(wrapped)


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def bar_chart_figure(
    title: str,
    bars: Sequence[Bar],
    *,
    axis_label: str,
    telegram_label: str,
    manual_label: str,
    subtitle: str = "",
    language: str = "it",
) -> Figure:
    """Horizontal bars, best at the top, each with its number; manual parts stacked apart.

    The count axis has whole-number ticks; the numbers use the language's decimal separator.
    """
    height = 1.6 + 0.48 * max(len(bars), 1)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(9, height), dpi=_DPI)
    FigureCanvasAgg(figure)
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
            number_text(bar.value, language),
            va="center",
            fontsize=9,
        )
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_xlim(0, largest * 1.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: number_text(x, language)))
    ax.set_xlabel(axis_label)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=12, loc="left", fontweight="bold")
    if subtitle:
        figure.text(0.01, 0.005, subtitle, fontsize=8, color="#555555", va="bottom")
    if has_manual:
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.03 if subtitle else 0, 1, 1))
    return figure


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    axis_label: str,
    telegram_label: str,
    manual_label: str,
    subtitle: str = "",
    language: str = "it",
) -> bytes:
    """:func:`bar_chart_figure` as PNG bytes."""
    return png(
        bar_chart_figure(
            title,
            bars,
            axis_label=axis_label,
            telegram_label=telegram_label,
            manual_label=manual_label,
            subtitle=subtitle,
            language=language,
        )
    )


def heatmap_figure(
    title: str,
    rows: Sequence[HeatRow],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    subtitle: str = "",
    separate_last: bool = False,
    language: str = "it",
) -> Figure:
    """A rows x columns grid of shares (0..1), each cell printed as a percentage.

    ``rows`` are the strategies (code and wrapped title on the left), ``columns`` the zones
    (upright names on top; with ``separate_last`` the last one — the mean — is set apart),
    ``values[row][column]``. The size follows the number of rows and columns, capped at
    :data:`MAX_SIDE_PX` on each side.
    """
    n_rows, n_columns = max(len(rows), 1), max(len(columns), 1)
    longest = max((len(label) for label in columns), default=1)
    header = 0.5 + 0.065 * min(longest, 30)  # room for the upright column names
    width = min(3.9 + _HEAT_COLUMN_IN * n_columns, MAX_SIDE_PX / _DPI)
    height = min(0.8 + header + _HEAT_ROW_IN * n_rows, MAX_SIDE_PX / _DPI)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=_DPI)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    grid = [list(row) for row in values] or [[0.0] * n_columns]
    top = max((v for row in grid for v in row), default=0.0) or 1.0
    ax.imshow(grid, cmap="YlGnBu", vmin=0.0, vmax=top, aspect="auto")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            colour = "white" if value > top * 0.6 else "black"
            ax.text(
                c,
                r,
                percent_text(value, language),
                ha="center",
                va="center",
                fontsize=8,
                color=colour,
            )
    row_in = (height - 0.8 - header) / n_rows
    lines = 2 if row_in >= 0.3 else 1  # past the cap rows get thinner: one line each
    labels = [
        f"{row.code}  {_wrap(row.title, _HEAT_LABEL_WIDTH, lines)}".replace(
            "\n",
            "\n" + " " * (len(row.code) + 3),  # continuation lines under the title
        )
        for row in rows
    ]
    ax.set_yticks(range(len(rows)), labels, fontsize=8.5)
    ax.set_xticks(range(len(columns)), [_wrap(c, 30, 1) for c in columns], fontsize=8.5)
    ax.tick_params(top=True, bottom=False, labeltop=True, labelbottom=False, left=False, length=0)
    for label in ax.get_xticklabels():
        label.set_rotation(90)
        label.set_horizontalalignment("center")
        label.set_verticalalignment("bottom")
    for label in ax.get_yticklabels():
        label.set_horizontalalignment("left")
    ax.yaxis.set_tick_params(pad=_y_label_pad(canvas, ax))
    if separate_last and len(columns) > 1:  # the mean of all zones, set apart
        ax.axvline(len(columns) - 1.5, color="white", linewidth=4)
        ax.get_xticklabels()[-1].set_fontweight("bold")
    for spine in ax.spines.values():
        spine.set_visible(False)
    figure.suptitle(title, fontsize=12, fontweight="bold", x=0.01, ha="left")
    if subtitle:
        figure.text(0.01, 0.005, subtitle, fontsize=8, color="#555555", va="bottom")
    figure.tight_layout(rect=(0, 0.02 if subtitle else 0, 1, 1))
    return figure


def _y_label_pad(canvas: FigureCanvasAgg, ax: Axes) -> float:
    """Left-aligned row labels: the pad (points) that puts them in the left margin."""
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    widest = max(
        (label.get_window_extent(renderer).width for label in ax.get_yticklabels()), default=0.0
    )
    return float(widest * 72 / canvas.figure.dpi) + 4


def heatmap(
    title: str,
    rows: Sequence[HeatRow],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    subtitle: str = "",
    separate_last: bool = False,
    language: str = "it",
) -> bytes:
    """:func:`heatmap_figure` as PNG bytes."""
    return png(
        heatmap_figure(
            title,
            rows,
            columns,
            values,
            subtitle=subtitle,
            separate_last=separate_last,
            language=language,
        )
    )
