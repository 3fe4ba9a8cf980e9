"""Benchmark (issue 14, packaging): how fast ``psm-bot`` starts and how much memory it idles in.

Measured in real processes, each figure the median of ``--runs`` runs:

- ``psm-bot --help``: wall time from spawning the command to its exit; target at most 0.3 s;
- ``psm-bot run`` against the fake Bot API (its own database already migrated, as at any
  restart): from spawning it to the first ``getUpdates`` the server receives; target at most
  1.5 times the same for a plain python-telegram-bot Application (one /start handler,
  ``run_polling``) started the same way;
- the resident memory (VmRSS) of each one second after its first ``getUpdates``, idle;
  target at most 1.5 times the plain bot's.

Two more bots, for information, tell where the gap is: the plain bot on psm-bot's aiohttp
client, and the same with the other libraries psm-bot starts with (pydantic-settings,
pydantic, PyYAML, aiosqlite); what is left above the second is psm-bot's own code and data.

The bots are started alternately (after one start of each that is not counted), so that
the load of the machine weighs on all alike. The project's modules are byte-compiled first,
as ``pip install`` does for a deployed copy (README, "Install on a server"): a checkout run
with ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile some 170 modules at every start
(about 0.3 s), which no installed bot does.

    .venv/bin/python bench/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Report
from storage.db import Database
from tests.harness import bot_api_server, environ_without_psm

TOKEN = "123456:bench-startup"
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "config", "handlers", "storage")
PSM_BOT = Path(sys.executable).with_name("psm-bot")
PLAIN_BOT = """
import sys
from telegram.ext import ApplicationBuilder, CommandHandler

async def start(update, context):
    await update.message.reply_text("hello")

base = sys.argv[1]
application = (
    ApplicationBuilder().token(sys.argv[2]).base_url(f"{base}/bot")
    .base_file_url(f"{base}/file/bot").build()
)
application.add_handler(CommandHandler("start", start))
application.run_polling()
"""
# The same plain bot on psm-bot's HTTP client (handlers/http.py, loaded by its path so that
# no other psm-bot module comes with it): what the bot's own code and data cost, apart from
# the client it chose for the room's load (aiohttp: README, "HTTP client").
PLAIN_AIOHTTP_BOT = """
import importlib.util, sys
from telegram.ext import ApplicationBuilder, CommandHandler

spec = importlib.util.spec_from_file_location("psm_http", sys.argv[3])
http = importlib.util.module_from_spec(spec)
spec.loader.exec_module(http)

async def start(update, context):
    await update.message.reply_text("hello")

base = sys.argv[1]
application = (
    ApplicationBuilder().token(sys.argv[2]).base_url(f"{base}/bot")
    .base_file_url(f"{base}/file/bot")
    .request(http.AiohttpRequest()).get_updates_request(http.AiohttpRequest(1)).build()
)
application.add_handler(CommandHandler("start", start))
application.run_polling()
"""
# The same again with the other libraries psm-bot starts with (PLAIN_AIOHTTP_BOT's lines after
# these): pydantic-settings for its settings (one setting read, as psm-bot reads its own),
# a pydantic model validated (the event file's), PyYAML (the event file and the catalogs),
# aiosqlite (the database): what the stack alone costs, before a line of psm-bot's own runs.
PLAIN_STACK_BOT = (
    """
import aiosqlite, yaml
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PSM_")
    database: str = "psm.sqlite3"

class Event(BaseModel):
    name: str

Settings()
Event.model_validate(yaml.safe_load("name: psm"))
"""
    + PLAIN_AIOHTTP_BOT
)


def help_time() -> float:
    """Seconds from spawning ``psm-bot --help`` to its exit."""
    start = time.perf_counter()
    subprocess.run(
        [str(PSM_BOT), "--help"], stdout=subprocess.DEVNULL, check=True, env=environ_without_psm()
    )
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid``, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def start_up(
    command: list[str], env: dict[str, str], api_calls: Any
) -> tuple[float, float, float]:
    """(seconds to the first getUpdates, idle RSS in MB, CPU seconds used until that
    getUpdates) of one start of ``command``."""
    seen = len(api_calls())
    start = time.time()
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        while True:
            polls = [r for r in api_calls()[seen:] if r.method == "getUpdates"]
            if polls:
                first = polls[0].time - start
                cpu = cpu_seconds(process.pid)  # within 5 ms of it: the start-up's work
                break
            if process.returncode is not None or time.time() - start > 30:
                err = await process.stderr.read() if process.stderr else b""
                raise SystemExit(f"{command[0]} did not start: {err.decode()[-500:]}")
            await asyncio.sleep(0.005)
        await asyncio.sleep(1.0)
        memory = rss_mb(process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    return first, memory, cpu


def byte_compile() -> None:
    """Write the project's ``.pyc`` files, as installing it does (see the module doc)."""
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)


def spread(values: list[float], unit: str, digits: int) -> str:
    """``min-max unit`` of the runs, to show how steady the median is."""
    return f"{min(values):.{digits}f}-{max(values):.{digits}f} {unit}"


async def measure(runs: int) -> int:
    """Print the figures with their targets; 0 when every target is met, else 1."""
    byte_compile()
    helps = sorted(help_time() for _ in range(runs))
    psm: list[tuple[float, float, float]] = []
    plain: list[tuple[float, float, float]] = []
    plain_aiohttp: list[tuple[float, float, float]] = []
    plain_stack: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "psm.sqlite3"
        await (await Database.open(database)).close()
        async with bot_api_server(token=TOKEN) as api:
            env = environ_without_psm(
                PSM_BOT_TOKEN=TOKEN, PSM_API_BASE_URL=api.url, PSM_DATABASE=str(database)
            )
            psm_command = [str(PSM_BOT), "run"]
            plain_command = [sys.executable, "-c", PLAIN_BOT, api.url, TOKEN]
            http_file = str(ROOT / "handlers" / "http.py")
            aiohttp_command = [sys.executable, "-c", PLAIN_AIOHTTP_BOT, api.url, TOKEN, http_file]
            stack_command = [sys.executable, "-c", PLAIN_STACK_BOT, api.url, TOKEN, http_file]
            for run in range(runs + 1):  # alternately; the first start of each not counted
                one_psm = await start_up(psm_command, env, api.calls)
                one_plain = await start_up(plain_command, env, api.calls)
                one_aiohttp = await start_up(aiohttp_command, env, api.calls)
                one_stack = await start_up(stack_command, env, api.calls)
                if run:
                    psm.append(one_psm)
                    plain.append(one_plain)
                    plain_aiohttp.append(one_aiohttp)
                    plain_stack.append(one_stack)
    report = Report(34, 9, 24)
    help_s = statistics.median(helps)
    report("psm-bot --help", f"{help_s:.3f} s", "<= 0.300 s", help_s <= 0.3)
    psm_s, plain_s = (statistics.median(r[0] for r in runs_) for runs_ in (psm, plain))
    psm_mb, plain_mb = (statistics.median(r[1] for r in runs_) for runs_ in (psm, plain))
    psm_cpu, plain_cpu = (statistics.median(r[2] for r in runs_) for runs_ in (psm, plain))
    print(
        f"(medians of {runs} alternate starts; plain PTB bot: first getUpdates {plain_s:.3f} s "
        f"[{spread([r[0] for r in plain], 's', 3)}], idle RSS {plain_mb:.1f} MB "
        f"[{spread([r[1] for r in plain], 'MB', 1)}]; psm-bot: "
        f"[{spread([r[0] for r in psm], 's', 3)}], [{spread([r[1] for r in psm], 'MB', 1)}])"
    )
    # CPU time is what start-up costs whatever the machine's load (wall time is the target)
    print(
        f"(CPU time to the first getUpdates: psm-bot {psm_cpu:.2f} s, plain {plain_cpu:.2f} s, "
        f"{psm_cpu / plain_cpu:.2f}x)"
    )
    on_s, on_mb, on_cpu = (statistics.median(r[i] for r in plain_aiohttp) for i in range(3))
    print(
        f"(the plain bot on psm-bot's aiohttp client: first getUpdates {on_s:.3f} s, idle RSS "
        f"{on_mb:.1f} MB, CPU {on_cpu:.2f} s; psm-bot against it: start-up {psm_s / on_s:.2f}x, "
        f"memory {psm_mb / on_mb:.2f}x, CPU {psm_cpu / on_cpu:.2f}x)"
    )
    st_s, st_mb, st_cpu = (statistics.median(r[i] for r in plain_stack) for i in range(3))
    print(
        f"(the plain bot on psm-bot's libraries, aiohttp, pydantic-settings, pydantic, PyYAML, "
        f"aiosqlite: first getUpdates {st_s:.3f} s ({st_s / plain_s:.2f}x the plain bot), idle "
        f"RSS {st_mb:.1f} MB ({st_mb / plain_mb:.2f}x), CPU {st_cpu:.2f} s; psm-bot's own code "
        f"and data on top: {psm_s - st_s:.3f} s, {psm_mb - st_mb:.1f} MB, "
        f"CPU {psm_cpu - st_cpu:.2f} s)"
    )
    report(
        "start-up to first getUpdates",
        f"{psm_s:.3f} s",
        f"<= {1.5 * plain_s:.3f} s (1.5x)",
        psm_s <= 1.5 * plain_s,
    )
    report(
        "idle RSS after start",
        f"{psm_mb:.1f} MB",
        f"<= {1.5 * plain_mb:.1f} MB (1.5x)",
        psm_mb <= 1.5 * plain_mb,
    )
    met = help_s <= 0.3 and psm_s <= 1.5 * plain_s and psm_mb <= 1.5 * plain_mb
    return 0 if met else 1


def main() -> int:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop("PSM_BOT_TOKEN", None)
    return asyncio.run(measure(args.runs))


if __name__ == "__main__":
    raise SystemExit(main())
