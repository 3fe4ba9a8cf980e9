"""Event configuration: the process, zones, venues, strategies and events of one YAML file.

The file is parsed in two passes: pydantic checks the shape of each field, then
:func:`semantic_errors` checks what ties fields together (a zone's venue exists, agenda
items do not overlap, ...). Every problem of both passes is reported at once (the checks
across fields also run on the parts whose shape is right), as an :class:`Issue` naming the
field with items by id, e.g. ``events[copianificazione-2023].agenda[sessione-1].end``, in
the organiser's language (``config/messages.py``).

The package, one module per job (callers import from ``config.event``, this facade):

- :mod:`config.event.values`: single values (texts in two languages, clock times,
  durations, links) and the :class:`Problem` a wrong one raises;
- :mod:`config.event.models`: the sections as models, and :class:`EventConfig` with its
  look-ups and reminder times;
- :mod:`config.event.loading`: reading a file (YAML, then both passes);
- :mod:`config.event.shape`: pydantic's errors as issues; :mod:`config.event.checks`: the
  checks across fields; :mod:`config.event.paths`: how an issue names its field.
"""

from config.event.checks import semantic_errors
from config.event.loading import (
    EventConfigError,
    bundled_event_file,
    load_event_config,
    parse_event_config,
)
from config.event.models import (
    ANCHORS,
    PLACEHOLDERS,
    SELECTORS,
    AgendaItem,
    AgendaKind,
    AttendanceMode,
    Audience,
    Axis,
    Event,
    EventConfig,
    Process,
    QuestionSlot,
    Reminder,
    ReminderSlot,
    ReminderWhen,
    Strategy,
    Venue,
    Zone,
    select_items,
)
from config.event.paths import item_names
from config.event.questions import Moderation, Questions, QuestionWindow
from config.event.values import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LINK_MAX,
    Duration,
    Language,
    LocalText,
    Problem,
    Text,
    check_link,
    parse_duration,
)
from config.event.worksheets import Section, Worksheets, default_sections

__all__ = [
    "ANCHORS",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LINK_MAX",
    "PLACEHOLDERS",
    "SELECTORS",
    "AgendaItem",
    "AgendaKind",
    "AttendanceMode",
    "Audience",
    "Axis",
    "Duration",
    "Event",
    "EventConfig",
    "EventConfigError",
    "Language",
    "LocalText",
    "Moderation",
    "Problem",
    "Process",
    "QuestionSlot",
    "QuestionWindow",
    "Questions",
    "Reminder",
    "ReminderSlot",
    "ReminderWhen",
    "Section",
    "Strategy",
    "Text",
    "Venue",
    "Worksheets",
    "Zone",
    "bundled_event_file",
    "check_link",
    "default_sections",
    "item_names",
    "load_event_config",
    "parse_duration",
    "parse_event_config",
    "select_items",
    "semantic_errors",
]
