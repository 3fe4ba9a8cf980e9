"""Results as people read them: a zone's ranking, quick polls, the cross-zone synthesis.

Texts (HTML, both languages) and charts (PNG) for the chat and for the outbox kind
``results`` (each zone's participants get their zone's results and the synthesis after the
event: a chart with the text as its caption, shortened to fit Telegram's 1024 characters).
"""

from __future__ import annotations

import datetime as dt
import html
import time

from bot.kernel.format import zone_label
from bot.kernel.i18n import Raw, escape
from bot.kernel.outbox import Outgoing, Prepared
from bot.polls.results import PollResult, Synthesis
from bot.polls.service import CAPTION_MAX, PollService
from config.event import Event
from storage.outbox import OutboxRow
from storage.polls import Poll
from storage.registrations import RegistrationRepository
from storage.users import UserRepository

TOP_OVERALL = 5
TOP_DISAGREEMENT = 3
_CACHE_SECONDS = 30.0


def number(value: float) -> str:
    """``42`` or ``7.5``."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def percent(value: float) -> str:
    """``24%``."""
    return f"{value * 100:.0f}%"


def fit(lines: list[str], limit: int = CAPTION_MAX) -> str:
    """Join lines, leaving out whole lines from the end so the text fits ``limit``."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            if kept and kept[-1] != "…":
                kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


class ResultsPresenter:
    """Results texts and charts, in the reader's language."""

    def __init__(
        self, polls: PollService, registrations: RegistrationRepository, users: UserRepository
    ) -> None:
        self.polls = polls
        self.registrations = registrations
        self.users = users
        self.t = polls.catalog
        self.config = polls.config
        self._cache: dict[
            str, tuple[float, tuple[Synthesis, dict[int, tuple[Poll, PollResult]]]]
        ] = {}

    def ordinal(self, language: str, rank: int) -> str:
        ordinals = self.t.raw(language, "results.ordinals")
        return str(ordinals[rank - 1]) if 1 <= rank <= len(ordinals) else str(rank)

    def labels(self, poll: Poll, language: str) -> dict[str, str]:
        """Option key -> text, for a poll."""
        return {o.key: self.polls.label(poll.kind, o, language) for o in poll.options}

    def scale(self, max_choices: int, language: str) -> str:
        """E.g. "3 points for a 1st choice, 2 for a 2nd, 1 for a 3rd"."""
        parts = [
            str(
                self.t(
                    language,
                    "results.scale_first" if rank == 1 else "results.scale_next",
                    count=max_choices - rank + 1,
                    points=max_choices - rank + 1,
                    rank=self.ordinal(language, rank),
                )
            )
            for rank in range(1, max_choices + 1)
        ]
        return ", ".join(parts)

    def people(self, result: PollResult, language: str) -> Raw:
        """E.g. "18 of 23 registered answered, + 4 without Telegram"."""
        manual = (
            self.t(language, "results.manual_people", count=result.respondents_manual)
            if result.respondents_manual
            else ""
        )
        return self.t(
            language,
            "results.people",
            count=result.respondents,
            respondents=result.respondents,
            registered=result.registered,
            manual=manual,
        )

    def status(self, poll: Poll, language: str) -> Raw:
        """Open (until when) or closed."""
        if poll.is_open:
            return self.t(
                language, "results.status_open", closes=self.polls.local_time(poll.closes_at)
            )
        return self.t(language, "results.status_closed")

    def ranking_lines(
        self, result: PollResult, labels: dict[str, str], language: str, *, detail: bool = True
    ) -> list[str]:
        """One line per option, best first (options nobody chose are left out)."""
        lines = []
        for rank, option in enumerate((o for o in result.options if o.total > 0), start=1):
            manual = (
                self.t(
                    language,
                    "results.line_manual",
                    count=option.chosen_manual,
                    points=number(option.score_manual),
                )
                if option.chosen_manual
                else ""
            )
            by_rank = ""
            if detail and result.ranked and any(option.by_rank):
                by_rank = (
                    " ("
                    + " · ".join(
                        f"{self.ordinal(language, r)}: {n}"
                        for r, n in enumerate(option.by_rank, start=1)
                        if n
                    )
                    + ")"
                )
            lines.append(
                str(
                    self.t(
                        language,
                        "results.line" if result.ranked else "results.line_quick",
                        rank=rank,
                        option=labels.get(option.key, option.key),
                        count=option.score,
                        score=number(option.score),
                        chosen=option.chosen,
                        manual=manual,
                        share=percent(option.normalised),
                    )
                )
                + escape(by_rank)
            )
        return lines

    def zone_text(
        self,
        event: Event,
        poll: Poll,
        result: PollResult,
        language: str,
        *,
        zone: str | None = None,
        compact: bool = False,
    ) -> Raw:
        """A priority poll's results for a zone (or for "all zones")."""
        labels = self.labels(poll, language)
        head = [
            str(
                self.t(
                    language,
                    "results.title",
                    zone=zone or zone_label(self.config, poll.zone),
                    event=event.title.get(language),
                )
            ),
            str(self.status(poll, language)) if zone is None else "",
            str(self.people(result, language)),
        ]
        head = [line for line in head if line]
        if result.max_choices:
            head.append(
                str(
                    self.t(
                        language, "results.scoring", scale=self.scale(result.max_choices, language)
                    )
                )
            )
        lines = self.ranking_lines(result, labels, language, detail=not compact)
        if not lines:
            lines = [str(self.t(language, "results.none"))]
        if compact:
            return Raw(fit([*head, "", *lines]))
        return Raw("\n".join([*head, "", *lines]))

    def quick_text(self, poll: Poll, result: PollResult, language: str) -> Raw:
        """A quick poll's results."""
        labels = self.labels(poll, language)
        head = str(
            self.t(
                language,
                "results.quick_title",
                question=poll.question or "",
                status=self.status(poll, language),
            )
        )
        lines = self.ranking_lines(result, labels, language) or [
            str(self.t(language, "results.none"))
        ]
        return Raw("\n".join([head, str(self.people(result, language)), "", *lines]))

    def synthesis_text(
        self, event: Event, synthesis: Synthesis, language: str, *, compact: bool = False
    ) -> Raw:
        """The cross-zone synthesis: top overall, top per zone, where zones disagree."""
        t = self.t
        label = self.polls.label_for_key
        title = str(t(language, "results.synthesis_title", event=event.title.get(language)))
        if not synthesis.zones:
            return Raw(title + "\n\n" + t(language, "results.synthesis_none"))
        lines = [
            title,
            str(
                t(
                    language,
                    "results.synthesis_intro",
                    zones=len(synthesis.zones),
                    total=len(self.config.zones),
                    count=sum(synthesis.respondents.values()),
                    respondents=sum(synthesis.respondents.values()),
                )
            ),
            "",
            str(t(language, "results.synthesis_top")),
        ]
        for rank, (key, share) in enumerate(synthesis.overall[:TOP_OVERALL], start=1):
            lines.append(
                str(
                    t(
                        language,
                        "results.synthesis_top_line",
                        rank=rank,
                        option=label(key, language),
                        share=percent(share),
                    )
                )
            )
        if not compact:
            lines += ["", str(t(language, "results.synthesis_by_zone", top=3))]
            for zone in synthesis.zones:
                names = ", ".join(label(k, language) for k in synthesis.top_by_zone[zone]) or "—"
                lines.append(
                    str(
                        t(
                            language,
                            "results.synthesis_zone_line",
                            zone=zone_label(self.config, zone)
                            if self.config.has_zone(zone)
                            else zone,
                            options=names,
                        )
                    )
                )
        disagreement = [s for s in synthesis.disagreement if s.stdev > 0][:TOP_DISAGREEMENT]
        if disagreement and len(synthesis.zones) > 1:
            lines += ["", str(t(language, "results.synthesis_disagree"))]
            for spread in disagreement:
                lines.append(
                    str(
                        t(
                            language,
                            "results.synthesis_disagree_line",
                            option=label(spread.key, language),
                            low=percent(spread.low),
                            low_zone=spread.low_zone,
                            high=percent(spread.high),
                            high_zone=spread.high_zone,
                            count=round(spread.stdev * 100),
                            stdev=f"{spread.stdev * 100:.0f}",
                        )
                    )
                )
        missing = [z.number for z in self.config.zones if z.number not in synthesis.zones]
        if missing and not compact:
            lines += [
                "",
                str(
                    t(
                        language,
                        "results.synthesis_missing",
                        zones=", ".join(str(z) for z in missing),
                    )
                ),
            ]
        return Raw(fit(lines) if compact else "\n".join(lines))

    async def zone_chart(
        self, event: Event, poll: Poll, result: PollResult, language: str, zone: str | None = None
    ) -> bytes:
        """The zone's ranking as a bar chart."""
        where = zone or zone_label(self.config, poll.zone)
        # chart texts are not HTML: the catalog's escaping is undone
        title = html.unescape(self.t(language, "results.chart_title", zone=where))
        subtitle = html.unescape(
            self.t(
                language,
                "results.chart_subtitle",
                event=event.title.get(language),
                count=result.respondents_total,
                respondents=result.respondents_total,
                scale=self.scale(result.max_choices, language) if result.max_choices else "",
            )
        )
        return await self.polls.bar_chart(
            title, result, language, self.labels(poll, language), subtitle
        )

    async def synthesis_chart(self, event: Event, synthesis: Synthesis, language: str) -> bytes:
        """The zone x strategy heatmap."""
        title = html.unescape(self.t(language, "results.heatmap_title"))
        subtitle = html.unescape(
            self.t(language, "results.heatmap_subtitle", event=event.title.get(language))
        )
        return await self.polls.heatmap(synthesis, language, title, subtitle)

    # --- outbox kind "results" ------------------------------------------------------------------
    async def _synthesis(
        self, event_id: str
    ) -> tuple[Synthesis, dict[int, tuple[Poll, PollResult]]]:
        """The synthesis, computed at most every 30 s while a wave of messages goes out."""
        cached = self._cache.get(event_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        value = await self.polls.synthesis(event_id)
        self._cache[event_id] = (now, value)
        return value

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind ``results``: a zone's results, or the synthesis, as chart + caption."""
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if registration is None or not registration.active:
            return Prepared(None, skip="registration_inactive")
        try:
            event = self.config.event(str(row.payload.get("event")))
        except KeyError:
            return Prepared(None, skip="event_removed")
        language = registration.language
        user = await self.users.get(row.user_id)
        if user is not None and user.language:
            language = user.language
        synthesis, zones = await self._synthesis(event.id)
        if row.payload.get("part") == "zone":
            found = zones.get(registration.zone)
            if found is None or found[1].respondents_total == 0:
                return Prepared(None, skip="no_results")
            poll, result = found
            caption = self.zone_text(event, poll, result, language, compact=True)
            photo = await self.zone_chart(event, poll, result, language)
            return Prepared(Outgoing(text=caption, photo=photo))
        caption = self.synthesis_text(event, synthesis, language, compact=True)
        photo = await self.synthesis_chart(event, synthesis, language)
        return Prepared(Outgoing(text=caption, photo=photo))
