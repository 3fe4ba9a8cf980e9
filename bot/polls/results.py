"""Results maths, pure and fast: tallies in, rankings, scores and the cross-zone synthesis out.

Definitions (the README repeats them for facilitators):

- **Points.** In a priority poll with up to N choices a first choice is worth N points, a
  second N-1, ... the N-th 1. A manual count entered without an order ("chosen, order
  unknown") is worth the mean, (N+1)/2 points per person. In a quick poll every choice is
  worth 1 point (the score is the number of choices).
- **Respondents** = people who answered on Telegram (confirmed at least one choice) plus
  people counted by hand: the number the facilitator entered, or, when they did not, an
  estimate: the number of manual first choices (everyone has exactly one), and at least the
  largest single manual count.
- **Normalised score** of an option in one poll = its score / (respondents x N(N+1)/2): the
  share of all the priority points the respondents had to give (0..1; the options' shares add
  up to 1 when everyone used all N choices). Zones of different size compare fairly, and so do
  polls with a different N. In a quick poll it is the share of respondents who chose it.
- **Synthesis** over zones (one priority poll per zone: the latest with respondents):
  the overall score of a strategy is the mean of its normalised scores over the zones with
  data (each zone weighs the same, whatever its size); disagreement is the population
  standard deviation of those normalised scores across the zones (the range, max - min, is
  given too).

The same numbers are computed in SQL by the ``results_by_zone`` view (a test checks that they
agree), so facilitators opening the database with any SQLite tool see what the bot says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# A tally key: (option position, rank); rank None = order unknown / does not count.
RankKey = tuple[int, int | None]


@dataclass(frozen=True)
class Tally:
    """The raw aggregates of one poll, as storage returns them."""

    options: Sequence[str]  # option keys (strategy or axis ids), by position
    max_choices: int
    ranked: bool
    telegram: Mapping[RankKey, int]  # choices on Telegram per (position, rank)
    respondents: int  # people who answered on Telegram
    registered: int  # people who were sent the poll
    manual: Mapping[RankKey, int] = field(default_factory=dict)  # counts entered by hand
    manual_respondents: int | None = None  # as entered; None: estimated


@dataclass(frozen=True)
class OptionResult:
    """One option of one poll (or of several pooled together)."""

    key: str
    position: int
    chosen: int  # Telegram choices
    chosen_manual: int
    first_choices: int  # Telegram + manual
    by_rank: tuple[int, ...]  # Telegram + manual choices at rank 1..N (ranked polls)
    score: float  # Telegram + manual points
    score_manual: float
    normalised: float

    @property
    def total(self) -> int:
        """Everyone who chose it, on Telegram or by hand."""
        return self.chosen + self.chosen_manual


@dataclass(frozen=True)
class PollResult:
    """A poll's options ranked by score, with its respondents."""

    options: tuple[OptionResult, ...]  # best first
    max_choices: int
    ranked: bool
    respondents: int  # Telegram
    respondents_manual: int
    registered: int
    denominator: float  # respondents x points per respondent (0: nobody answered)

    @property
    def respondents_total(self) -> int:
        """Telegram and manual respondents."""
        return self.respondents + self.respondents_manual

    def by_key(self) -> dict[str, OptionResult]:
        """The options by key."""
        return {option.key: option for option in self.options}


def points(rank: int | None, max_choices: int, ranked: bool = True) -> float:
    """Points of one choice: N for a first choice ... 1 for the N-th; the mean when unknown."""
    if not ranked:
        return 1.0
    if rank is None:
        return (max_choices + 1) / 2
    return float(max_choices - rank + 1)


def points_per_respondent(max_choices: int, ranked: bool = True) -> float:
    """All the points one respondent can give: N(N+1)/2 (1 in a quick poll)."""
    return max_choices * (max_choices + 1) / 2 if ranked else 1.0


def manual_respondents(tally: Tally) -> int:
    """Entered, or estimated from the manual counts (see the module docstring)."""
    if tally.manual_respondents is not None:
        return tally.manual_respondents
    single = not tally.ranked and tally.max_choices == 1
    firsts = sum(n for (_, rank), n in tally.manual.items() if rank == 1 or single)
    largest = max(tally.manual.values(), default=0)
    return max(firsts, largest)


def _sort_key(option: OptionResult) -> tuple[float, int, int, int]:
    return (-option.score, -option.total, -option.first_choices, option.position)


def poll_result(tally: Tally) -> PollResult:
    """Rank a poll's options by score (then by choices, first choices, position)."""
    n = tally.max_choices
    size = len(tally.options)
    chosen, chosen_manual, firsts = [0] * size, [0] * size, [0] * size
    score, score_manual = [0.0] * size, [0.0] * size
    by_rank = [[0] * n for _ in range(size)]
    for source, counts in ((False, tally.telegram), (True, tally.manual)):
        for (position, rank), count in counts.items():
            if not 0 <= position < size or count <= 0:
                continue
            value = points(rank, n, tally.ranked) * count
            if source:
                chosen_manual[position] += count
                score_manual[position] += value
            else:
                chosen[position] += count
            score[position] += value
            if rank == 1:
                firsts[position] += count
            if rank is not None and 1 <= rank <= n:
                by_rank[position][rank - 1] += count
    manual_people = manual_respondents(tally)
    denominator = (tally.respondents + manual_people) * points_per_respondent(n, tally.ranked)
    options = [
        OptionResult(
            key=key,
            position=position,
            chosen=chosen[position],
            chosen_manual=chosen_manual[position],
            first_choices=firsts[position],
            by_rank=tuple(by_rank[position]),
            score=score[position],
            score_manual=score_manual[position],
            normalised=score[position] / denominator if denominator else 0.0,
        )
        for position, key in enumerate(tally.options)
    ]
    return PollResult(
        options=tuple(sorted(options, key=_sort_key)),
        max_choices=n,
        ranked=tally.ranked,
        respondents=tally.respondents,
        respondents_manual=manual_people,
        registered=tally.registered,
        denominator=denominator,
    )


def pooled(results: Iterable[PollResult]) -> PollResult:
    """Several polls counted as one (every respondent weighs the same): "all zones".

    Options are matched by key; the normalised score is the pooled points over the pooled
    points available. Per-rank counts are kept only when every poll has the same N.
    """
    results = list(results)
    if not results:
        return PollResult((), 0, True, 0, 0, 0, 0.0)
    same_n = len({r.max_choices for r in results}) == 1
    n = results[0].max_choices if same_n else 0
    merged: dict[str, dict[str, float]] = {}
    ranks: dict[str, list[int]] = {}
    order: list[str] = []
    for result in results:
        for option in sorted(result.options, key=lambda o: o.position):
            if option.key not in merged:
                order.append(option.key)
                merged[option.key] = {"c": 0, "m": 0, "f": 0, "s": 0.0, "sm": 0.0}
                ranks[option.key] = [0] * n
            slot = merged[option.key]
            slot["c"] += option.chosen
            slot["m"] += option.chosen_manual
            slot["f"] += option.first_choices
            slot["s"] += option.score
            slot["sm"] += option.score_manual
            if same_n:
                for index, count in enumerate(option.by_rank):
                    ranks[option.key][index] += count
    denominator = sum(r.denominator for r in results)
    options = [
        OptionResult(
            key=key,
            position=position,
            chosen=int(merged[key]["c"]),
            chosen_manual=int(merged[key]["m"]),
            first_choices=int(merged[key]["f"]),
            by_rank=tuple(ranks[key]),
            score=merged[key]["s"],
            score_manual=merged[key]["sm"],
            normalised=merged[key]["s"] / denominator if denominator else 0.0,
        )
        for position, key in enumerate(order)
    ]
    return PollResult(
        options=tuple(sorted(options, key=_sort_key)),
        max_choices=n,
        ranked=all(r.ranked for r in results),
        respondents=sum(r.respondents for r in results),
        respondents_manual=sum(r.respondents_manual for r in results),
        registered=sum(r.registered for r in results),
        denominator=denominator,
    )


@dataclass(frozen=True)
class Spread:
    """How much zones disagree on one strategy."""

    key: str
    stdev: float
    low: float
    high: float
    low_zone: int
    high_zone: int


@dataclass(frozen=True)
class Synthesis:
    """The cross-zone view: a zone x strategy matrix of normalised scores and what it says."""

    zones: tuple[int, ...]  # zones with data, in order
    keys: tuple[str, ...]  # strategies, in the order given
    matrix: tuple[tuple[float, ...], ...]  # [zone][strategy] normalised score
    overall: tuple[tuple[str, float], ...]  # (key, mean normalised score), best first
    top_by_zone: Mapping[int, tuple[str, ...]]
    disagreement: tuple[Spread, ...]  # most disagreement first
    respondents: Mapping[int, int]  # per zone, Telegram + manual


def compute_synthesis(
    results: Mapping[int, PollResult], keys: Sequence[str], *, top: int = 3
) -> Synthesis:
    """The synthesis of one priority poll per zone (zones without respondents are left out).

    ``keys`` are the strategies in the event file's order; a strategy a zone's poll did not
    offer counts as 0 for that zone. Linear in zones x strategies.
    """
    zones = tuple(sorted(z for z, r in results.items() if r.respondents_total > 0))
    keys = tuple(dict.fromkeys([*keys, *(o.key for z in zones for o in results[z].options)]))
    matrix: list[tuple[float, ...]] = []
    top_by_zone: dict[int, tuple[str, ...]] = {}
    for zone in zones:
        found = results[zone].by_key()
        matrix.append(tuple(found[k].normalised if k in found else 0.0 for k in keys))
        top_by_zone[zone] = tuple(o.key for o in results[zone].options if o.score > 0)[:top]
    columns = list(zip(*matrix, strict=True)) if matrix else [() for _ in keys]
    overall: list[tuple[str, float]] = []
    spreads: list[Spread] = []
    for index, key in enumerate(keys):
        values = columns[index]
        if not values:
            continue
        mean = sum(values) / len(values)
        overall.append((key, mean))
        stdev = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        low = min(range(len(values)), key=lambda i: (values[i], zones[i]))
        high = max(range(len(values)), key=lambda i: (values[i], -zones[i]))
        spreads.append(Spread(key, stdev, values[low], values[high], zones[low], zones[high]))
    order = {key: index for index, key in enumerate(keys)}
    overall.sort(key=lambda item: (-item[1], order[item[0]]))
    spreads.sort(key=lambda s: (-s.stdev, -(s.high - s.low), order[s.key]))
    return Synthesis(
        zones=zones,
        keys=keys,
        matrix=tuple(matrix),
        overall=tuple(overall),
        top_by_zone=top_by_zone,
        disagreement=tuple(spreads),
        respondents={zone: results[zone].respondents_total for zone in zones},
    )
