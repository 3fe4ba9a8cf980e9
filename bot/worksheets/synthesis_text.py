"""The session-2 part of ``/sintesi`` as text: per strategy, its zones and, section by
section, the shared networks first, then the items, each with its zone. HTML, split into
messages within Telegram's limit (:func:`bot.kernel.textsplit.split_html`), at strategy
boundaries where it can.
"""

from __future__ import annotations

from bot.kernel.i18n import Catalog, Raw
from bot.kernel.textsplit import TEXT_LIMIT, split_html, visible_length
from bot.worksheets.service import WorksheetService
from bot.worksheets.synthesis import Item, SectionPart, StrategyPart, SynthesisView


class SynthesisText:
    """Writes a :class:`SynthesisView`'s strategies as messages."""

    def __init__(self, catalog: Catalog, worksheets: WorksheetService) -> None:
        self.catalog = catalog
        self.worksheets = worksheets

    def t(self, language: str, key: str, /, **params: object) -> str:
        """A catalog message."""
        return str(self.catalog(language, key, **params))

    def zones(self, zones: tuple[int, ...]) -> str:
        """``Z1, Z5, Z7``."""
        return ", ".join(f"Z{zone}" for zone in zones)

    def item(self, item: Item, language: str) -> str:
        """One item with its zone (a star for a facilitator's key point)."""
        text = " / ".join(line.strip() for line in item.text.splitlines() if line.strip())
        text = text or self.t(language, "regia.synthesis_photo")
        if item.photo and item.text:
            text = f"{self.t(language, 'regia.synthesis_photo')} {text}"
        key = "regia.synthesis_starred" if item.starred else "regia.synthesis_item"
        return self.t(language, key, text=text, zone=item.zone)

    def section(self, view: SynthesisView, part: SectionPart, language: str) -> list[str]:
        """A section's lines (none when it is empty)."""
        if part.empty:
            return []
        title = self.worksheets.section_title(view.event, part.section, language)
        lines = [self.t(language, "regia.synthesis_section", section=title)]
        for shared in part.shared:
            lines.append(
                self.t(
                    language,
                    "regia.synthesis_shared",
                    name=shared.name,
                    zones=self.zones(shared.zones),
                )
            )
        lines += [self.item(item, language) for item in part.items]
        return lines

    def strategy(self, view: SynthesisView, part: StrategyPart, language: str) -> str:
        """One strategy as a block of text."""
        title = self.worksheets.strategy_title(part.strategy, language)
        lines = [
            self.t(
                language,
                "regia.synthesis_strategy",
                strategy=title,
                count=len(part.zones),
                zones=self.zones(part.zones),
            )
        ]
        body = [line for section in part.sections for line in self.section(view, section, language)]
        lines += body or [self.t(language, "regia.synthesis_nothing_yet")]
        return "\n".join(lines)

    def messages(self, view: SynthesisView, language: str) -> list[Raw]:
        """The messages: a heading, then strategies packed into messages of at most the limit."""
        heading = self.t(language, "regia.synthesis_title")
        if not view.strategies:
            return [Raw(heading + "\n\n" + self.t(language, "regia.synthesis_none"))]
        messages: list[str] = []
        current = heading
        for part in view.strategies:
            block = self.strategy(view, part, language)
            joined = current + "\n\n" + block if current else block
            if visible_length(joined) <= TEXT_LIMIT:
                current = joined
                continue
            if current:
                messages.append(current)
            if visible_length(block) <= TEXT_LIMIT:
                current = block
            else:  # one strategy longer than a message: split it where it can
                pieces = split_html(block)
                messages += pieces[:-1]
                current = pieces[-1]
        if current:
            messages.append(current)
        return [Raw(m) for m in messages]


__all__ = ["SynthesisText"]
