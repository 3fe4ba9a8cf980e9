"""Results maths (bot/results.py), the SQL view that must agree with it, charts, exports."""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path

import pytest

from bot.polls.charts import PNG_SIGNATURE, Bar, HeatRow, bar_chart, heatmap
from bot.polls.exports import export_results
from bot.polls.results import (
    Tally,
    compute_synthesis,
    manual_respondents,
    points,
    poll_result,
    pooled,
)
from bot.polls.service import parse_quick, toggle
from storage.db import Database
from storage.outbox import Planned
from storage.poll_results import VIEW_COLUMNS
from storage.polls import NewPoll, PollOption, PollRepository
from storage.registrations import NewRegistration, RegistrationRepository

NOW = dt.datetime(2023, 12, 5, 9, 15, tzinfo=dt.UTC)
KEYS = ["1", "2", "3", "4", "5", "6"]


def tally(
    telegram: dict[tuple[int, int | None], int],
    respondents: int,
    *,
    n: int = 3,
    ranked: bool = True,
    manual: dict[tuple[int, int | None], int] | None = None,
    manual_people: int | None = None,
    registered: int = 20,
    options: list[str] | None = None,
) -> Tally:
    return Tally(
        options=options or KEYS,
        max_choices=n,
        ranked=ranked,
        telegram=telegram,
        respondents=respondents,
        registered=registered,
        manual=manual or {},
        manual_respondents=manual_people,
    )


# --- points and one poll ---------------------------------------------------------------------


def test_points_are_rank_weighted() -> None:
    assert [points(r, 3) for r in (1, 2, 3)] == [3, 2, 1]
    assert points(1, 5) == 5 and points(5, 5) == 1
    assert points(None, 3) == 2  # order unknown: the mean of 3, 2, 1
    assert points(1, 3, ranked=False) == 1


def test_poll_result_ranks_by_score_then_choices() -> None:
    # 4 people: A(0) first 3 times, B(1) first once; B second 3 times; C(2) third 2 times
    result = poll_result(
        tally({(0, 1): 3, (1, 1): 1, (1, 2): 3, (2, 3): 2, (0, 2): 1}, respondents=4)
    )
    ranked = [(o.key, o.score, o.chosen) for o in result.options]
    assert ranked[:3] == [("1", 11.0, 4), ("2", 9.0, 4), ("3", 2.0, 2)]
    assert ranked[3:] == [("4", 0.0, 0), ("5", 0.0, 0), ("6", 0.0, 0)]  # ties: by position
    first = result.options[0]
    assert first.first_choices == 3 and first.by_rank == (3, 1, 0)
    # normalised: score / (respondents * 6 points)
    assert first.normalised == pytest.approx(11 / 24)
    assert sum(o.normalised for o in result.options) == pytest.approx(22 / 24)
    assert result.respondents_total == 4 and result.registered == 20


def test_manual_counts_are_kept_apart_and_scored() -> None:
    result = poll_result(
        tally(
            {(0, 1): 2},
            respondents=2,
            manual={(0, 1): 1, (1, 1): 2, (1, None): 3},
        )
    )
    by_key = result.by_key()
    assert by_key["1"].chosen == 2 and by_key["1"].chosen_manual == 1
    assert by_key["1"].score == 9 and by_key["1"].score_manual == 3
    # B: two first choices by hand (6) + three "order unknown" worth 2 each (6)
    assert by_key["2"].score == 12 and by_key["2"].chosen == 0 and by_key["2"].total == 5
    # estimated manual respondents: 3 first choices, at least the largest count (3)
    assert result.respondents_manual == 3
    assert result.respondents_total == 5
    assert result.options[0].key == "2"


def test_manual_respondents_entered_or_estimated() -> None:
    assert manual_respondents(tally({}, 0, manual={(0, 1): 2, (1, 1): 3})) == 5
    assert manual_respondents(tally({}, 0, manual={(0, None): 7, (1, 1): 3})) == 7
    assert manual_respondents(tally({}, 0, manual={(0, 1): 2}, manual_people=9)) == 9
    single = tally({}, 0, n=1, ranked=False, manual={(0, None): 4, (1, None): 5})
    assert manual_respondents(single) == 9  # one answer each: the counts add up


def test_quick_poll_shares_are_per_respondent() -> None:
    result = poll_result(
        tally({(0, None): 3, (1, None): 1}, respondents=4, n=1, ranked=False, options=["1", "2"])
    )
    assert [(o.key, o.score, o.normalised) for o in result.options] == [
        ("1", 3.0, 0.75),
        ("2", 1.0, 0.25),
    ]


def test_nobody_answered() -> None:
    result = poll_result(tally({}, respondents=0))
    assert result.respondents_total == 0 and all(o.normalised == 0 for o in result.options)


def test_pooled_counts_everyone_once() -> None:
    a = poll_result(tally({(0, 1): 2, (1, 2): 2}, respondents=2))
    b = poll_result(tally({(1, 1): 4}, respondents=4))
    both = pooled([a, b])
    assert both.respondents == 6
    by_key = both.by_key()
    assert by_key["2"].score == 4 + 12 and by_key["2"].by_rank == (4, 2, 0)
    assert by_key["2"].normalised == pytest.approx(16 / 36)
    assert both.options[0].key == "2"


# --- synthesis -------------------------------------------------------------------------------


def test_synthesis_normalises_zones_of_different_size() -> None:
    # zone 1: 10 people all put "1" first; zone 2: 2 people both put "2" first
    big = poll_result(tally({(0, 1): 10}, respondents=10))
    small = poll_result(tally({(1, 1): 2}, respondents=2))
    empty = poll_result(tally({}, respondents=0))
    synthesis = compute_synthesis({1: big, 2: small, 3: empty}, KEYS)
    assert synthesis.zones == (1, 2)  # zone 3 has no data
    assert synthesis.matrix[0][0] == pytest.approx(0.5) and synthesis.matrix[1][1] == 0.5
    overall = dict(synthesis.overall)
    assert overall["1"] == pytest.approx(0.25) and overall["2"] == pytest.approx(0.25)
    assert synthesis.top_by_zone == {1: ("1",), 2: ("2",)}
    spread = {s.key: s for s in synthesis.disagreement}
    assert spread["1"].stdev == pytest.approx(0.25)
    assert (spread["1"].low_zone, spread["1"].high_zone) == (2, 1)
    assert spread["3"].stdev == 0
    assert synthesis.respondents == {1: 10, 2: 2}


def test_synthesis_most_disagreement_first() -> None:
    agree = {z: poll_result(tally({(0, 1): 5, (1, 2): 5}, respondents=5)) for z in (1, 2)}
    agree[3] = poll_result(tally({(0, 1): 5, (2, 2): 5}, respondents=5))
    synthesis = compute_synthesis(agree, KEYS)
    assert synthesis.overall[0][0] == "1"  # everyone's first
    keys = [s.key for s in synthesis.disagreement]
    assert keys[:2] in (["2", "3"], ["3", "2"])
    assert synthesis.disagreement[0].stdev == pytest.approx(
        math.sqrt(((1 / 3) ** 2 * 2 + (2 / 3) ** 2) / 3) * (2 / 6)
    )


def test_synthesis_is_fast_for_11_zones_and_5000_people() -> None:
    rng = __import__("random").Random(7)
    results = {}
    for zone in range(1, 12):
        counts: dict[tuple[int, int | None], int] = {}
        for _ in range(5000 // 11):
            for rank, position in enumerate(rng.sample(range(25), 3), start=1):
                counts[(position, rank)] = counts.get((position, rank), 0) + 1
        keys = [str(i) for i in range(25)]
        results[zone] = poll_result(tally(counts, 5000 // 11, options=keys))
    started = time.perf_counter()
    synthesis = compute_synthesis(results, [str(i) for i in range(25)])
    assert time.perf_counter() - started < 0.1
    assert len(synthesis.zones) == 11 and len(synthesis.overall) == 25


# --- pure helpers -----------------------------------------------------------------------------


def test_toggle_keeps_tap_order() -> None:
    assert toggle([], 4, 3) == [4]
    assert toggle([4, 1], 2, 3) == [4, 1, 2]
    assert toggle([4, 1, 2], 1, 3) == [4, 2]  # removing renumbers the later ones
    assert toggle([4, 1, 2], 0, 3) is None  # more than N


def test_parse_quick() -> None:
    assert parse_quick("Which?\nA\n- B\n\n• C") == ("Which?", ["A", "B", "C"])
    assert parse_quick("Only a question\nA") is None
    assert parse_quick("Q\n" + "\n".join(str(i) for i in range(11))) is None
    assert parse_quick("Q\nA\na") is None  # the same answer twice
    assert parse_quick("Q\n" + "x" * 61 + "\nB") is None


# --- charts and files -------------------------------------------------------------------------


def test_charts_are_png() -> None:
    bars = [Bar("Salute", 12, 3), Bar("Istruzione e ricerca " * 4, 7)]
    png = bar_chart("Zona 5", bars, axis_label="punti", telegram_label="T", manual_label="M")
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000
    grid = heatmap(
        "Sintesi",
        [HeatRow("1", "A"), HeatRow("2", "B")],
        ["x", "y", "z"],
        [[0.1, 0.5, 0.0], [0.3, 0, 1]],
    )
    assert grid.startswith(PNG_SIGNATURE) and len(grid) > 5000
    assert bar_chart("Nobody", [], axis_label="", telegram_label="", manual_label="").startswith(
        PNG_SIGNATURE
    )


# --- the SQL views agree with the Python maths -------------------------------------------------


async def test_results_by_zone_view_agrees_with_python(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "views.sqlite3")
    try:
        registrations = RegistrationRepository(db)
        store = PollRepository(db)
        ids = []
        for index in range(5):
            registration = await registrations.create(
                NewRegistration(
                    "ev", 100 + index, f"P{index}", 5, "in_person", "v", None, None, "it"
                ),
                None,
                NOW,
            )
            ids.append(registration.id)
        options = [PollOption(i, key, None, f"Option {key}") for i, key in enumerate(KEYS)]

        def no_message(poll_id: int, registration_id: int) -> Planned | None:
            return None

        poll = await store.create(
            NewPoll("priority", "ev", 5, "s1", 3, True, 1, NOW + dt.timedelta(hours=1), options),
            ids,
            no_message,
            NOW,
        )
        assert poll is not None
        await store.save_answer(poll.id, ids[0], [0, 1, 2], True, NOW)
        await store.save_answer(poll.id, ids[1], [1, 0], True, NOW)
        await store.save_answer(poll.id, ids[2], [3], True, NOW)
        await store.save_answer(poll.id, ids[2], [1, 3], True, NOW)  # changed: replaces
        await store.set_manual(poll.id, 1, 1, 2, 1, NOW)
        await store.set_manual(poll.id, 4, None, 3, 1, NOW)
        raw = (await store.tallies([poll.id]))[poll.id]
        assert raw.respondents == 3 and raw.registered == 5
        python = poll_result(
            Tally(KEYS, 3, True, raw.telegram, raw.respondents, raw.registered, raw.manual, None)
        )
        rows = await store.view("results_by_zone", "ev")
        columns = VIEW_COLUMNS["results_by_zone"]
        by_key = {
            row[columns.index("option_id")]: dict(zip(columns, row, strict=True)) for row in rows
        }
        for option in python.options:
            sql = by_key[option.key]
            assert sql["score"] == pytest.approx(option.score), option.key
            assert sql["score_manual"] == pytest.approx(option.score_manual)
            assert sql["chosen_telegram"] == option.chosen
            assert sql["chosen_manual"] == option.chosen_manual
            assert sql["first_choices"] == option.first_choices
            assert sql["score_normalised"] == pytest.approx(option.normalised)
            assert sql["respondents"] == python.respondents_total == 3 + 3
            assert sql["registered"] == 5
        answers = await store.view("answers_export", "ev")
        telegram = [
            r for r in answers if r[VIEW_COLUMNS["answers_export"].index("source")] == "telegram"
        ]
        assert len(telegram) == 3 + 2 + 2  # one row per chosen option, the change replaced
        respondents = {r[-1] for r in telegram}
        assert respondents == {1, 2, 3}  # anonymous numbers, no registration ids
        files = await export_results(store, "csv", "x", dt.UTC, event_id="ev")
        assert [name for name, _ in files] == ["x-answers.csv", "x-results.csv"]
    finally:
        await db.close()
