"""Benchmark (issue 10, item 17): ``psm-bot import-comuni`` on files of 1,000 and 8,000 rows.

An 8,000-row file used to take 46 s, and the time grew faster than the file: every name not
in the list was compared (difflib) with every comune of the mapping, which the previous
import had grown. Now close spellings are looked for only for the 20 names a report shows.

Each file holds the 312 comuni of the list (upper case, "Comune di ..." and accent-less
variants) and new names up to its size, with misspellings among them (the slowest to
compare), imported with ``--allow-new`` (every row is stored) into a new database; then a
second file of as many other new names over the grown mapping; then the same file without
``--allow-new`` (refused, listing the first 20 with their rows). Each run is the whole
command in-process: event file, reading the CSV, merging, SQLite.

Prints the time of each run (target: 8,000 rows at most 2 s) and how the time grows from
1,000 to 8,000 rows (target: at most 12 times for 8 times the rows; quadratic growth would
be about 64 times).

    .venv/bin/python bench/bench_import_comuni.py
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Report
from bot.cli import main as cli
from bot.registration.comuni import bundled_comuni

TARGET_8000 = 2.0  # seconds
TARGET_GROWTH = 12.0  # time(8,000 rows) / time(1,000 rows)


report = Report(44, 10, 10)  # name, value, target columns


def write_file(path: Path, rows: int, prefix: str, seed: int) -> Path:
    """A CSV of ``rows`` rows: the list's comuni in variant spellings, then new names."""
    rng = random.Random(seed)
    comuni = bundled_comuni()
    lines = ["Comune;Zona"]
    for n, comune in enumerate(comuni[:rows]):
        name = (comune.name.upper(), f"Comune di {comune.name}", comune.name)[n % 3]
        lines.append(f"{name};{comune.zone or 7}")
    for n in range(rows - len(lines) + 1):
        base = comuni[n % len(comuni)].name
        k = rng.randrange(len(base))
        misspelt = f"{base[:k]}{rng.choice(string.ascii_lowercase)}{base[k + 1 :]}"
        lines.append(f"{prefix} {misspelt} {n};{n % 11 + 1}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed(*argv: str) -> tuple[float, int]:
    """Seconds taken by ``psm-bot *argv`` (output discarded), and its exit code."""
    sink = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = cli(list(argv))
    return time.perf_counter() - started, code


def run(folder: Path, rows: int) -> tuple[float, float, float]:
    """(first import, second import over the grown mapping, refused import) in seconds."""
    os.environ["PSM_DATABASE"] = str(folder / f"bench-{rows}.sqlite3")
    first = write_file(folder / f"first-{rows}.csv", rows, "Nuovo", 1)
    second = write_file(folder / f"second-{rows}.csv", rows, "Altro", 2)
    refused = write_file(folder / f"refused-{rows}.csv", rows, "Ignoto", 3)
    t_first, code_first = timed("import-comuni", "--allow-new", str(first))
    t_second, code_second = timed("import-comuni", "--allow-new", str(second))
    t_refused, code_refused = timed("import-comuni", str(refused))
    assert (code_first, code_second, code_refused) == (0, 0, 2)
    return t_first, t_second, t_refused


def main() -> int:
    for name in [n for n in os.environ if n.upper().startswith("PSM_")]:
        del os.environ[name]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.chdir(folder)  # no .env of the project
        timed("check-config")  # imports and the event file, once
        small = run(folder, 1_000)
        large = run(folder, 8_000)
    ok = True
    for label, t_small, t_large in zip(
        ("new database, --allow-new", "over the grown mapping", "refused (no --allow-new)"),
        small,
        large,
        strict=True,
    ):
        report(f"1,000 rows, {label}", f"{t_small:.2f} s", "-", True)
        fits = t_large <= TARGET_8000
        report(f"8,000 rows, {label}", f"{t_large:.2f} s", f"<= {TARGET_8000:g} s", fits)
        growth = t_large / t_small
        grows = growth <= TARGET_GROWTH
        report("  growth 1,000 -> 8,000 rows", f"x {growth:.1f}", f"<= x {TARGET_GROWTH:g}", grows)
        ok = ok and fits and grows
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
