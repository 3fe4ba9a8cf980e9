"""What ``psm-bot check-config`` (and the bot's refusal to start) says to an organiser.

Every problem found in an event file is an :class:`Issue`: where it is (a field path naming
items by id, e.g. ``venues[pinerolo].capacity``), a message code and its values. The text is
chosen when it is printed, in the organiser's language: Italian by default, English on
request (``check-config --lang en`` or ``PSM_CLI_LANGUAGE=en``). Both languages have every
code (a test checks it), and every message says what is expected (``AAAA-MM-GG``, ``9:15``).

This table lives in ``config`` because the event-file models raise these codes and ``config``
must not import ``bot``; the participant-facing catalogs are ``bot/locales/*.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

CliLanguage = Literal["it", "en"]
CLI_LANGUAGES: tuple[CliLanguage, ...] = ("it", "en")
DEFAULT_CLI_LANGUAGE: CliLanguage = "it"

DATE_FORM = {"it": "AAAA-MM-GG, es. 2023-12-05", "en": "YYYY-MM-DD, e.g. 2023-12-05"}
DATETIME_FORM = {
    "it": "AAAA-MM-GG HH:MM, es. 2023-12-04 18:00",
    "en": "YYYY-MM-DD HH:MM, e.g. 2023-12-04 18:00",
}

MESSAGES: dict[str, dict[str, str]] = {
    # --- the file itself -------------------------------------------------------------------
    "cannot_read": {
        "it": "non riesco a leggere il file: {reason}",
        "en": "cannot read the file: {reason}",
    },
    "not_utf8": {
        "it": "il file non è testo UTF-8 (salvalo come UTF-8)",
        "en": "the file is not UTF-8 text (save it as UTF-8)",
    },
    "yaml_invalid": {
        "it": "{where}YAML non valido ({problem}){hint}",
        "en": "{where}not valid YAML ({problem}){hint}",
    },
    "yaml_where": {"it": "riga {line}, colonna {column}: ", "en": "line {line}, column {column}: "},
    "yaml_tab_hint": {
        "it": ": per rientrare usa gli spazi, non il tasto Tab",
        "en": ": indent with spaces, not tabs",
    },
    "yaml_duplicate_key": {
        "it": "riga {line}: la chiave '{key}' è scritta due volte nella stessa sezione "
        "(ne vale una sola: tienine una)",
        "en": "line {line}: the key '{key}' is written twice in the same section "
        "(only one would count: keep one)",
    },
    "not_a_mapping": {
        "it": "il file deve essere una mappa YAML con le sezioni process, venues, zones, "
        "axes, events",
        "en": "the file must be a YAML mapping with the sections process, venues, zones, "
        "axes, events",
    },
    # --- shapes (pydantic's error types) ---------------------------------------------------
    "missing": {"it": "campo obbligatorio mancante", "en": "required field is missing"},
    "unknown_field": {
        "it": "campo sconosciuto '{name}'{suggestion} (campi ammessi qui: {allowed})",
        "en": "unknown field '{name}'{suggestion} (fields allowed here: {allowed})",
    },
    "did_you_mean": {"it": ": forse '{name}'?", "en": ": did you mean '{name}'?"},
    "not_text": {"it": "dev'essere un testo", "en": "must be a text"},
    "not_local_text": {
        "it": "dev'essere un testo, oppure {{it: ..., en: ...}} per le due lingue",
        "en": "must be a text, or {{it: ..., en: ...}} for the two languages",
    },
    "not_integer": {
        "it": "{value} non è un numero intero (es. 40)",
        "en": "{value} is not a whole number (e.g. 40)",
    },
    "not_number": {
        "it": "{value} non è un numero (con il punto per i decimali, es. 45.07)",
        "en": "{value} is not a number (with a dot for decimals, e.g. 45.07)",
    },
    "not_bool": {"it": "{value}: scrivi true o false", "en": "{value}: write true or false"},
    "not_list": {
        "it": "dev'essere un elenco (una riga '- ...' per elemento, oppure [a, b])",
        "en": "must be a list (one '- ...' line per item, or [a, b])",
    },
    "not_section": {
        "it": "dev'essere una sezione con i suoi campi (nome: valore)",
        "en": "must be a section with its fields (name: value)",
    },
    "greater_than": {
        "it": "dev'essere maggiore di {limit} (è {value})",
        "en": "must be greater than {limit} (it is {value})",
    },
    "greater_equal": {
        "it": "dev'essere almeno {limit} (è {value})",
        "en": "must be at least {limit} (it is {value})",
    },
    "less_than": {
        "it": "dev'essere minore di {limit} (è {value})",
        "en": "must be less than {limit} (it is {value})",
    },
    "less_equal": {
        "it": "dev'essere al massimo {limit} (è {value})",
        "en": "must be at most {limit} (it is {value})",
    },
    "empty_text": {"it": "non può essere vuoto", "en": "must not be empty"},
    "text_too_short": {
        "it": "deve avere almeno {limit} caratteri",
        "en": "must have at least {limit} characters",
    },
    "text_too_long": {
        "it": "è lungo {length} caratteri: al massimo {limit}",
        "en": "is {length} characters long: at most {limit}",
    },
    "list_too_short": {
        "it": "serve almeno {limit} elemento",
        "en": "needs at least {limit} item",
    },
    "list_too_long": {
        "it": "al massimo {limit} elementi",
        "en": "at most {limit} items",
    },
    "bad_slug": {
        "it": "'{value}' non va bene come id: usa lettere minuscole, cifre, - e _ "
        "(al massimo 32 caratteri, es. sessione-1)",
        "en": "'{value}' is not a valid id: use lower-case letters, digits, - and _ "
        "(at most 32 characters, e.g. session-1)",
    },
    "bad_item_id": {
        "it": "'{value}' non va bene come id: usa lettere, cifre, '.', '-' e '_' "
        "(al massimo 16 caratteri, es. 1.2)",
        "en": "'{value}' is not a valid id: use letters, digits, '.', '-' and '_' "
        "(at most 16 characters, e.g. 1.2)",
    },
    "bad_pattern": {
        "it": "'{value}' non ha la forma attesa",
        "en": "'{value}' does not have the expected form",
    },
    "bad_choice": {
        "it": "'{value}' non è ammesso: usa {choices}",
        "en": "'{value}' is not allowed: use {choices}",
    },
    "bad_date": {
        "it": "'{value}' non è una data valida: scrivila come {form}",
        "en": "'{value}' is not a valid date: write it as {form}",
    },
    "bad_datetime": {
        "it": "'{value}' non è una data e ora valida: scrivila come {form} (ora locale)",
        "en": "'{value}' is not a valid date and time: write it as {form} (local time)",
    },
    "bad_time": {
        "it": "'{value}' non è un'ora del giorno: scrivila come \"9:15\" (da 0:00 a 23:59)",
        "en": "'{value}' is not a time of day: write it as \"9:15\" (0:00 to 23:59)",
    },
    "time_with_offset": {
        "it": "scrivi l'ora locale senza fuso orario, es. 9:15 (il fuso è process.timezone)",
        "en": "write the local time without a UTC offset, e.g. 9:15 (the zone is process.timezone)",
    },
    "bad_duration": {
        "it": "'{value}' non è una durata: scrivi ad es. -15m, 1d, 2h30m",
        "en": "'{value}' is not a duration: write e.g. -15m, 1d, 2h30m",
    },
    "bad_valid_for": {
        "it": "'{value}' non è una durata, né until_start o until_end: scrivi ad es. 6h, 90m",
        "en": "'{value}' is not a duration, until_start or until_end: write e.g. 6h, 90m",
    },
    "unknown_timezone": {
        "it": "fuso orario sconosciuto '{value}' (usa ad es. Europe/Rome)",
        "en": "unknown time zone '{value}' (use e.g. Europe/Rome)",
    },
    "link_too_long": {
        "it": "il link è più lungo di {limit} caratteri",
        "en": "the link is longer than {limit} characters",
    },
    "link_form": {
        "it": "il link dev'essere un indirizzo https:// con un nome di host e senza spazi "
        "(es. https://example.zoom.us/j/123)",
        "en": "the link must be a https:// address with a host name and no spaces "
        "(e.g. https://example.zoom.us/j/123)",
    },
    "unknown_anchor": {
        "it": "riferimento sconosciuto '{value}': usa event_start, event_end, "
        "item:<id della voce del programma> o each:<{selectors}>",
        "en": "unknown anchor '{value}': use event_start, event_end, item:<agenda id> or "
        "each:<{selectors}>",
    },
    "invalid": {"it": "valore non valido ({detail})", "en": "invalid value ({detail})"},
    # --- across fields ---------------------------------------------------------------------
    "duplicate_id": {
        "it": "l'id '{value}' è già usato da {first}",
        "en": "the id '{value}' is already used by {first}",
    },
    "duplicate_zone": {
        "it": "la zona {value} è già definita",
        "en": "zone {value} is defined twice",
    },
    "duplicate_zone_name": {
        "it": "il nome '{value}' è già usato dalla zona {first}",
        "en": "the name '{value}' is already used by zone {first}",
    },
    "retention_before_event": {
        "it": "{value} non è dopo l'ultimo evento ({last}): i dati personali si cancellano "
        "quando il processo è finito",
        "en": "{value} is not after the last event ({last}): personal data is erased when "
        "the process has ended",
    },
    "coordinates_pair": {
        "it": "indica sia latitude sia longitude, oppure nessuna delle due",
        "en": "give both latitude and longitude, or neither",
    },
    "unknown_venue": {
        "it": "sede sconosciuta '{value}' (sedi: {known})",
        "en": "unknown venue '{value}' (venues: {known})",
    },
    "mode_twice": {
        "it": "una modalità è elencata due volte",
        "en": "a mode is listed twice",
    },
    "online_needs_hybrid": {
        "it": "la partecipazione online richiede almeno una voce del programma con hybrid: true",
        "en": "online attendance needs at least one agenda item with hybrid: true",
    },
    "end_not_after_start": {
        "it": "la fine {end} non è dopo l'inizio {start}",
        "en": "the end {end} is not after the start {start}",
    },
    "overlaps": {
        "it": "l'inizio {start} si sovrappone alla voce precedente, che finisce alle {end}",
        "en": "the start {start} overlaps the previous item, which ends at {end}",
    },
    "not_table_session": {
        "it": "'{value}' non è una sessione ai tavoli (kind: table_session): i contributi si "
        "raccolgono solo ai tavoli",
        "en": "'{value}' is not a table session (kind: table_session): contributions are "
        "collected at the tables only",
    },
    "unknown_axis": {
        "it": "asse sconosciuto '{value}' (assi: {known})",
        "en": "unknown axis '{value}' (axes: {known})",
    },
    "window_outside_item": {
        "it": "la finestra delle domande '{value}' non sta dentro gli orari della voce '{item}' "
        "(o finisce prima di iniziare)",
        "en": "the question window '{value}' is not within the times of item '{item}' "
        "(or ends before it starts)",
    },
    "unknown_item": {
        "it": "voce del programma sconosciuta '{value}' (voci: {known})",
        "en": "unknown agenda item '{value}' (items: {known})",
    },
    "link_needs_online": {
        "it": "un messaggio con il link online dev'essere per audience: online",
        "en": "a message with the online link must be for audience: online",
    },
    "no_online_mode": {
        "it": "l'incontro non prevede la partecipazione online (modes)",
        "en": "the event has no online attendance (modes)",
    },
    "unknown_zone": {
        "it": "zona sconosciuta {value} (zone: {known})",
        "en": "unknown zone {value} (zones: {known})",
    },
    "bad_braces": {
        "it": "{detail} (per scrivere una graffa usa {{{{ e }}}})",
        "en": "{detail} (write {{{{ and }}}} for braces)",
    },
    "unknown_placeholders": {
        "it": "segnaposto sconosciuti {unknown} (ammessi: {known})",
        "en": "unknown placeholder(s) {unknown} (known: {known})",
    },
    "link_placeholder": {
        "it": "un messaggio con il link deve contenere {{link}}",
        "en": "a link message must contain {{link}}",
    },
    "matches_no_item": {
        "it": "{value} non corrisponde a nessuna voce del programma",
        "en": "{value} matches no agenda item",
    },
    "never_sent": {
        "it": "{value} finisce prima che il promemoria sia dovuto ({due}): non verrebbe mai "
        "inviato",
        "en": "{value} ends before the reminder is due ({due}): it would never be sent",
    },
    # --- warnings (the file is valid) ------------------------------------------------------
    "all_events_over": {
        "it": "tutti gli incontri sono già passati (l'ultimo il {date}): nessuno può "
        "iscriversi. Per provare il bot copia il file, sposta le date (events[].date) nel "
        "futuro e indica la copia in PSM_EVENT_FILE",
        "en": "every event is already over (the last one on {date}): nobody can register. To "
        "try the bot, copy the file, move the dates (events[].date) into the future and point "
        "PSM_EVENT_FILE at the copy",
    },
    "message_split": {
        "it": "{message}, {language}, avrebbe {length} caratteri, oltre i {limit} di un "
        "messaggio Telegram: il bot invierà il testo diviso in più messaggi. Accorcialo se "
        "deve arrivare intero",
        "en": "{message}, {language}, would have {length} characters, over Telegram's {limit} "
        "for a message: the bot will send the text split into several messages. Shorten it "
        "to have it arrive whole",
    },
    "caption_split": {
        "it": "{message}, {language}, avrebbe {length} caratteri, oltre i {limit} di una "
        "didascalia Telegram: il bot invierà il testo diviso in più parti. Accorcialo se deve "
        "arrivare intero",
        "en": "{message}, {language}, would have {length} characters, over Telegram's {limit} "
        "for a caption: the bot will send the text split into several parts. Shorten it to "
        "have it arrive whole",
    },
    "what_welcome": {"it": "il messaggio di benvenuto", "en": "the welcome message"},
    "what_consent": {
        "it": "la domanda di consenso con l'informativa",
        "en": "the consent question with the privacy notice",
    },
    "what_privacy": {
        "it": "la risposta a /privacy",
        "en": "the answer to /privacy",
    },
    "what_confirmation": {
        "it": "la conferma d'iscrizione con il programma ({mode})",
        "en": "the registration confirmation with the programme ({mode})",
    },
    "what_agenda": {
        "it": "il programma di /programma ({mode})",
        "en": "the programme of /agenda ({mode})",
    },
    "what_reminder": {
        "it": "il promemoria con nome, sede e link più lunghi possibili",
        "en": "the reminder with the longest possible name, venue and link",
    },
    "what_export_caption": {
        "it": "la didascalia dell'esportazione dei risultati",
        "en": "the caption of the results export",
    },
    "mode_in_person": {"it": "in presenza", "en": "in person"},
    "mode_online": {"it": "online", "en": "online"},
    "language_it": {"it": "in italiano", "en": "in Italian"},
    "language_en": {"it": "in inglese", "en": "in English"},
    # --- check-config's own lines ----------------------------------------------------------
    "errors_total": {
        "it": "{count} errori: il file dell'evento non è valido",
        "en": "{count} errors: the event file is not valid",
    },
    "errors_total_one": {
        "it": "1 errore: il file dell'evento non è valido",
        "en": "1 error: the event file is not valid",
    },
    "warning_label": {"it": "attenzione", "en": "warning"},
    "warnings_total": {
        "it": "{count} avvisi: il file è valido, ma leggili",
        "en": "{count} warnings: the file is valid, but read them",
    },
    "warnings_total_one": {
        "it": "1 avviso: il file è valido, ma leggilo",
        "en": "1 warning: the file is valid, but read it",
    },
    "summary_ok": {"it": "OK: {name} ({timezone})", "en": "OK: {name} ({timezone})"},
    "summary_counts": {
        "it": "{venues} sedi, {zones} zone, {axes} assi, {items} voci da mettere in priorità",
        "en": "{venues} venues, {zones} zones, {axes} axes, {items} items to prioritise",
    },
    "summary_event": {"it": "incontro {id}: {title}", "en": "event {id}: {title}"},
    "summary_venue": {
        "it": "  sede: {name}, {address} (posti: {places})",
        "en": "  venue: {name}, {address} (places: {places})",
    },
    "summary_tables": {"it": "  tavoli per zona:", "en": "  tables by zone:"},
    "summary_table": {
        "it": "    {name}: zone {zones} (posti: {places})",
        "en": "    {name}: zones {zones} (places: {places})",
    },
    "summary_no_limit": {"it": "senza limite", "en": "no limit"},
    "summary_agenda": {"it": "  programma:", "en": "  agenda:"},
    "summary_hybrid": {"it": "[ibrida]", "en": "[hybrid]"},
    "summary_in_person": {"it": "in presenza", "en": "in person"},
    "summary_online": {"it": "online", "en": "online"},
}


def message(language: str, code: str, /, **params: object) -> str:
    """The message ``code`` in ``language`` (Italian when unknown) with ``params`` filled."""
    templates = MESSAGES[code]
    template = templates.get(language) or templates[DEFAULT_CLI_LANGUAGE]
    return template.format_map({k: _text(v, language) for k, v in params.items()})


def _text(value: object, language: str) -> str:
    if isinstance(value, Localised):
        return value.get(language)
    if isinstance(value, Msg):
        return value.text(language)
    return str(value)


@dataclass(frozen=True)
class Localised:
    """A value that differs by language (e.g. the expected form of a date)."""

    texts: Mapping[str, str]

    def get(self, language: str) -> str:
        """The value in ``language`` (Italian when missing)."""
        return self.texts.get(language) or self.texts[DEFAULT_CLI_LANGUAGE]


@dataclass(frozen=True)
class Msg:
    """A message code with its values, rendered in a language when printed."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, language: str) -> str:
        """The message in ``language``."""
        return message(language, self.code, **self.params)


@dataclass(frozen=True)
class Issue:
    """One problem (or warning) of an event file: where, and what (a :class:`Msg`)."""

    path: str
    what: Msg

    def text(self, language: str) -> str:
        """``<path>: <message>`` in ``language`` (just the message when there is no path)."""
        body = self.what.text(language)
        return f"{self.path}: {body}" if self.path else body


def issue(path: str, code: str, /, **params: object) -> Issue:
    """Shorthand for ``Issue(path, Msg(code, params))``."""
    return Issue(path, Msg(code, params))


def listing(values: Iterable[object]) -> str:
    """``a, b, c`` (the values as written)."""
    return ", ".join(str(value) for value in values)


def total_line(language: str, count: int, *, warnings: bool = False) -> str:
    """``3 errori: ...`` / ``1 warning: ...`` with the right singular or plural."""
    base = "warnings_total" if warnings else "errors_total"
    if count == 1:
        return message(language, f"{base}_one")
    return message(language, base, count=count)
