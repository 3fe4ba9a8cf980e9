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
    Command("contribute", "contributo"),  # session 2: a contribution to a worksheet
    Command("my_contributions", "contributi"),  # session 2: one's own, to withdraw one
    Command("question", "domanda"),  # plenaries: a question from the room or online
    Command("questions", "domande"),  # plenaries: the open questions, to support them
    Command("cancel", "annulla"),
    Command("privacy", "privacy"),
    Command("delete_my_data", "cancella_dati"),
    Command("language", "lingua"),
    Command("help", "aiuto"),
)


# Commands of each role (a role's menu is the participant menu plus its own commands;
# organisers see every staff command).
# Figures (/statistiche) are scoped to the role: see bot/stats.py.
_STATS = Command("stats", "statistiche")
# Polls at the tables (bot/poll_staff.py): open/close, manual counts, results, export.
_POLLS = (
    Command("poll", "sondaggio"),
    Command("counts", "conteggi"),
    Command("results", "risultati"),
    Command("export", "esporta"),
)
# Session 2 (bot/worksheets/): the facilitator's board and report; referents see the board.
_WORKSHEET = Command("worksheet", "scheda")
_REPORT = Command("report", "resoconto")
FACILITATOR_COMMANDS: tuple[Command, ...] = (
    Command("broadcast", "messaggio"),
    _STATS,
    *_POLLS,
    _WORKSHEET,
    _REPORT,
)
REFERENT_COMMANDS: tuple[Command, ...] = (Command("checkin", "presenze"), _STATS, _WORKSHEET)
# --- questions at the plenaries, part B (bot/questions/moderation.py): the moderators' queue;
# organisers moderate too (their menu has every staff command).
_PROJECTOR = Command("projector", "proiettore")  # issue 15, part C: the room's screen
MODERATOR_COMMANDS: tuple[Command, ...] = (Command("moderate", "moderazione"), _PROJECTOR)
ORGANISER_COMMANDS: tuple[Command, ...] = (
    Command("set_link", "imposta_link"),
    Command("import_links", "importa_link"),
    Command("invite_facilitator", "invita_facilitatore"),
    Command("invite_referent", "invita_referente"),
    Command("invite_moderator", "invita_moderatore"),  # questions, part B: a moderator
    Command("staff", "staff"),
    Command("broadcasts", "messaggi"),
    Command("export_registrations", "esporta_iscrizioni"),
    Command("synthesis", "sintesi"),  # polls: the cross-zone synthesis
    Command("send_results", "invia_risultati"),  # polls: results to every zone's participants
    Command("control_room", "regia"),  # session 2: the regia's board of the zones
    Command("send_synthesis", "invia_sintesi"),  # session 2: the final synthesis to everyone
    # issue 15, part D: the plenary's questions and their fates to every registrant
    Command("send_questions", "invia_domande"),
    _PROJECTOR,  # issue 15, part C: the room's screen (moderators too)
)

# In no menu (it is for setting the bot up) but listed by /aiuto, for everyone: the user's
# numeric Telegram id, which is what PSM_ORGANISERS lists.
OTHER_COMMANDS: tuple[Command, ...] = (Command("myid", "mioid"),)

ORGANISER, FACILITATOR, REFERENT = "organiser", "facilitator", "referent"
MODERATOR = "moderator"  # questions at the plenaries, part B


def role_commands(roles: set[str]) -> tuple[Command, ...]:
    """The staff commands for a set of roles, without duplicates, in menu order."""
    commands: list[Command] = []
    if ORGANISER in roles:
        commands += [
            *FACILITATOR_COMMANDS,
            *REFERENT_COMMANDS,
            *MODERATOR_COMMANDS,
            *ORGANISER_COMMANDS,
        ]
    else:
        if FACILITATOR in roles:
            commands += FACILITATOR_COMMANDS
        if REFERENT in roles:
            commands += REFERENT_COMMANDS
        if MODERATOR in roles:
            commands += MODERATOR_COMMANDS
    return tuple(dict.fromkeys(commands))


def menu(language: str, roles: set[str] | None = None) -> list[tuple[str, str]]:
    """(command, catalog key of its description) for the menu of ``language``."""
    commands = PARTICIPANT_COMMANDS + role_commands(roles or set())
    return [(c.name_in(language), f"commands.{c.canonical}") for c in commands]
