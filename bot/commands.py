"""The participant commands: Italian names, English aliases, and the menus of both languages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One command: its canonical (English) name and its Italian name."""

    canonical: str
    italian: str

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that triggers the command."""
        return tuple(dict.fromkeys((self.italian, self.canonical)))

    def name_in(self, language: str) -> str:
        """The name shown in the menu of ``language``."""
        return self.italian if language == "it" else self.canonical


PARTICIPANT_COMMANDS = (
    Command("register", "iscrizione"),
    Command("agenda", "programma"),
    Command("link", "link"),
    Command("cancel", "annulla"),
    Command("privacy", "privacy"),
    Command("delete_my_data", "cancella_dati"),
    Command("language", "lingua"),
    Command("help", "aiuto"),
)


ORGANISER_COMMANDS = (
    Command("set_link", "imposta_link"),
    Command("import_links", "importa_link"),
)


def menu(language: str, *, organiser: bool = False) -> list[tuple[str, str]]:
    """(command, catalog key of its description) for the menu of ``language``."""
    commands = PARTICIPANT_COMMANDS + (ORGANISER_COMMANDS if organiser else ())
    return [(c.name_in(language), f"commands.{c.canonical}") for c in commands]
