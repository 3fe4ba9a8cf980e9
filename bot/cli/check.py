"""``psm-bot check-config``: validate an event file, summarise it, warn about what will not
work as written (every event over, texts Telegram will get split)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from bot.cli.common import EXIT_INVALID, load_config
from bot.config_check import config_warnings
from bot.kernel.clock import SystemClock
from bot.kernel.format import time_text
from bot.kernel.i18n import Catalog
from config.event import EventConfig, bundled_event_file
from config.messages import DEFAULT_CLI_LANGUAGE, message, total_line


def check_config(
    path: Path | None, language: str = DEFAULT_CLI_LANGUAGE, now: dt.datetime | None = None
) -> int:
    """Validate an event file; print a summary and any warnings (exit 0), or one line per
    error and exit code 2. Warnings (every event over, texts Telegram will get split) go to
    stderr after the summary."""
    config = load_config(path, language)
    if config is None:
        return EXIT_INVALID
    for line in summary(config, language):
        print(line)
    warnings = config_warnings(config, Catalog.load(), now or SystemClock().now())
    if warnings:
        sys.stdout.flush()
        source = str(path or bundled_event_file())
        label = message(language, "warning_label")
        for warning in warnings:
            print(f"{source}: {label}: {warning.text(language)}", file=sys.stderr)
        print(total_line(language, len(warnings), warnings=True), file=sys.stderr)
    return 0


def summary(config: EventConfig, language: str = DEFAULT_CLI_LANGUAGE) -> list[str]:
    """A short human summary of a valid configuration, in ``language``."""
    process = config.process

    def say(code: str, **params: object) -> str:
        return message(language, code, **params)

    def places(capacity: int | None) -> str:
        return str(capacity) if capacity else say("summary_no_limit")

    lines = [
        say("summary_ok", name=process.name.get(language), timezone=process.timezone),
        say(
            "summary_counts",
            venues=len(config.venues),
            zones=len(config.zones),
            axes=len(config.axes),
            items=len(config.poll_items()),
        ),
    ]
    for event in config.events:
        modes = " + ".join(say(f"summary_{mode.value}") for mode in event.modes)
        lines.append("")
        lines.append(say("summary_event", id=event.id, title=event.title.get(language)))
        lines.append(f"  {event.date.isoformat()}, {modes}")
        if event.venue:
            venue = config.venue(event.venue)
            lines.append(
                say(
                    "summary_venue",
                    name=venue.name,
                    address=venue.address,
                    places=places(venue.capacity),
                )
            )
        else:
            lines.append(say("summary_tables"))
            for venue in config.venues:
                zones = [str(z.number) for z in config.zones if z.venue == venue.id]
                if zones:
                    lines.append(
                        say(
                            "summary_table",
                            name=venue.name,
                            zones=", ".join(zones),
                            places=places(venue.capacity),
                        )
                    )
        lines.append(say("summary_agenda"))
        for item in event.agenda:
            hybrid = " " + say("summary_hybrid") if item.hybrid else ""
            lines.append(
                f"    {time_text(item.start):>5}-{time_text(item.end):<5} "
                f"{item.kind.value:<13} {item.title.get(language)}{hybrid}"
            )
    return lines
