"""Tests for the ``psm-bot`` command (bot/cli/), run in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from config.event import bundled_event_file
from tests.harness import (
    bundled_event_data,
    cli_environment,
    stored_comuni,
    write_csv,
    write_yaml,
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment in tmp_path: no PSM_* variables, no .env; returns the database."""
    return cli_environment(monkeypatch, tmp_path)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- check-config ---------------------------------------------------------------------------


def moved_to(data: dict[str, Any], year: int) -> dict[str, Any]:
    """The events moved to ``year`` (their reminders are relative, so they follow)."""
    for event in data["events"]:
        event["date"] = event["date"].replace(year=year)
    return data


def test_check_config_bundled(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(bundled_event_file())]) == 0
    out, err = capsys.readouterr()
    # Italian by default
    assert out.startswith("OK: Piano Strategico Metropolitano Torino 2024|2026 (Europe/Rome)")
    assert "7 sedi, 11 zone, 6 assi, 6 voci da mettere in priorità" in out
    assert "incontro lancio-2023: Verso il nuovo Piano Strategico Metropolitano" in out
    assert "incontro copianificazione-2023" in out
    assert "Città Metropolitana di Torino: zone 1, 2, 3, 4 (posti: 120)" in out
    assert "Comune di Pinerolo: zone 5 (posti: 40)" in out
    assert "  programma:" in out
    assert " 9:15-9:30 " in out
    assert out.count("[ibrida]") == 4
    # the 2023 events are over: a warning (not an error) that says how to try the bot
    (warning, total) = lines(err)
    assert warning.startswith(f"{bundled_event_file()}: attenzione: events: tutti gli incontri")
    assert "2023-12-05" in warning and "PSM_EVENT_FILE" in warning
    assert total == "1 avviso: il file è valido, ma leggilo"
    assert not env.exists()  # checking a file does not create the database


def test_check_config_in_english(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--lang", "en", str(bundled_event_file())]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("OK: Turin Metropolitan Strategic Plan 2024|2026 (Europe/Rome)")
    assert "7 venues, 11 zones, 6 axes, 6 items to prioritise" in out
    assert "event lancio-2023: Towards the new Metropolitan Strategic Plan" in out
    assert "event copianificazione-2023" in out
    assert "Città Metropolitana di Torino: zones 1, 2, 3, 4 (places: 120)" in out
    assert "Comune di Pinerolo: zones 5 (places: 40)" in out
    assert "Comune di Condove: zones 6 (places: 40)" in out
    assert "Comune di Ciriè - Palazzo D'Oria: zones 7, 8 (places: 60)" in out
    assert "Comune di Strambino: zones 9, 10 (places: 60)" in out
    assert "Comune di Riva presso Chieri - Palazzo Grosso: zones 11 (places: 40)" in out
    assert " 9:15-9:30 " in out
    assert out.count("[hybrid]") == 4
    assert ": warning: events: every event is already over (the last one on 2023-12-05)" in err
    assert lines(err)[-1] == "1 warning: the file is valid, but read it"


def test_check_config_language_from_the_setting(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSM_CLI_LANGUAGE", "en")
    assert main(["check-config"]) == 0
    assert "items to prioritise" in capsys.readouterr().out
    assert main(["check-config", "--lang", "it"]) == 0  # the option wins
    assert "voci da mettere in priorità" in capsys.readouterr().out


def test_check_config_future_events_have_no_warning(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_yaml(tmp_path / "future.yaml", moved_to(bundled_event_data(), 2099))
    assert main(["check-config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("OK: ")
    assert err == ""


def test_check_config_default_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_check_config_uses_psm_event_file(
    env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = bundled_event_data()
    data["process"]["short_name"] = "Prova"
    data["events"] = data["events"][:1]
    monkeypatch.setenv("PSM_EVENT_FILE", str(write_yaml(tmp_path / "mine.yaml", data)))
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "incontro lancio-2023" in out
    assert "copianificazione" not in out


def test_check_config_broken_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bundled_event_data()
    data["zones"][4]["venue"] = "pinerol"
    data["events"][1]["agenda"][3]["end"] = "9:50"
    data["events"][0]["venue"] = "elsewhere"
    path = write_yaml(tmp_path / "broken.yaml", data)

    assert main(["check-config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert lines(err) == [
        f"{path}: zones[5].venue: sede sconosciuta 'pinerol' (sedi: cmt-auditorium, cmt, "
        "pinerolo, condove, cirie, strambino, riva)",
        f"{path}: events[lancio-2023].venue: sede sconosciuta 'elsewhere' (sedi: "
        "cmt-auditorium, cmt, pinerolo, condove, cirie, strambino, riva)",
        f"{path}: events[copianificazione-2023].agenda[spostamento].end: la fine 9:50 non è "
        "dopo l'inizio 10:00",
        "3 errori: il file dell'evento non è valido",
    ]
    assert main(["check-config", "--lang", "en", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: zones[5].venue: unknown venue 'pinerol' (venues: cmt-auditorium," in err
    assert "agenda[spostamento].end: the end 9:50 is not after the start 10:00" in err
    assert lines(err)[-1] == "3 errors: the event file is not valid"


@pytest.mark.parametrize(
    ("written", "problem"),
    [("2023-02-30", "day"), ("2023-13-45", "month"), ("2023-12-5", "digits")],
)
def test_check_config_impossible_date(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], written: str, problem: str
) -> None:
    # YAML's date reader used to stop the whole file with a traceback (exit 1)
    text = bundled_event_file().read_text(encoding="utf-8")
    path = tmp_path / "date.yaml"
    path.write_text(text.replace("date: 2023-12-05", f"date: {written}"), encoding="utf-8")
    assert main(["check-config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert lines(err) == [
        f"{path}: events[copianificazione-2023].date: '{written}' non è una data valida: "
        "scrivila come AAAA-MM-GG, es. 2023-12-05",
        "1 errore: il file dell'evento non è valido",
    ]
    assert main(["check-config", "--lang", "en", str(path)]) == 2
    assert f"'{written}' is not a valid date: write it as YYYY-MM-DD" in capsys.readouterr().err


def test_check_config_impossible_date_and_time(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bundled_event_data()
    data["events"][1]["registration_closes"] = "2023-11-31 18:00"
    data["events"][1]["reminders"][0]["when"] = {"at": "2023-12-04 25:00"}
    assert main(["check-config", "--lang", "en", str(write_yaml(tmp_path / "at.yaml", data))]) == 2
    errors = lines(capsys.readouterr().err)
    assert len(errors) == 3
    assert errors[0].endswith(
        "events[copianificazione-2023].registration_closes: '2023-11-31 18:00' is not a valid "
        "date and time: write it as YYYY-MM-DD HH:MM, e.g. 2023-12-04 18:00 (local time)"
    )
    assert "events[copianificazione-2023].reminders[vigilia-presenza].when.at: " in errors[1]


def test_check_config_one_problem_does_not_hide_another(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # shape problems (a typo, a bad number, an impossible date) used to hide every check
    # across fields (an unknown venue, agenda items out of order, a reminder's references)
    data = bundled_event_data()
    data["venues"][2]["capacty"] = 40
    data["venues"][3]["capacity"] = 0
    data["zones"][4]["venue"] = "pinerol"
    data["events"][1]["date"] = "2023-02-30"
    data["events"][1]["agenda"][4]["end"] = "10:05"
    data["events"][1]["reminders"][0]["zones"] = [12]
    data["events"][1]["reminders"][5]["about"] = "plenaria-finale"
    path = write_yaml(tmp_path / "many.yaml", data)
    assert main(["check-config", "--lang", "en", str(path)]) == 2
    errors = lines(capsys.readouterr().err)
    fields = [line.removeprefix(f"{path}: ").split(": ")[0] for line in errors[:-1]]
    assert sorted(fields) == sorted(
        [
            "venues[pinerolo].capacty",
            "venues[condove].capacity",
            "zones[5].venue",
            "events[copianificazione-2023].date",
            "events[copianificazione-2023].agenda[sessione-1].end",
            "events[copianificazione-2023].reminders[vigilia-presenza].zones",
            "events[copianificazione-2023].reminders[link-chiusura].about",
        ]
    )
    assert errors[-1] == "7 errors: the event file is not valid"
    text = "\n".join(errors)
    assert "unknown field 'capacty': did you mean 'capacity'?" in text
    assert "venues[condove].capacity: must be greater than 0 (it is 0)" in text


def test_check_config_key_written_twice(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = bundled_event_file().read_text(encoding="utf-8")
    text = text.replace("    capacity: 40\n", "    capacity: 40\n    capacity: 400\n", 1)
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check-config", "--lang", "en", str(path)]) == 2
    (error, total) = lines(capsys.readouterr().err)
    assert "the key 'capacity' is written twice in the same section" in error
    line = int(error.split("line ")[1].split(":")[0])
    assert text.splitlines()[line - 1] == "    capacity: 400"
    assert total == "1 error: the event file is not valid"


def test_check_config_shape_error(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bundled_event_data()
    data["venues"][0]["capacty"] = 10
    path = write_yaml(tmp_path / "typo.yaml", data)
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: venues[cmt-auditorium].capacty: campo sconosciuto 'capacty': forse " in err


def test_check_config_missing_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml: non riesco a leggere il file" in err


def test_check_config_warns_about_texts_too_long_for_telegram(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A 4,100-character privacy notice passed, then every /start failed ("text is too long")
    data = moved_to(bundled_event_data(), 2099)
    paragraph = "Informativa. " * 45 + "\n\n"  # 587 characters a paragraph
    data["process"]["privacy_notice"] = {"it": paragraph * 7, "en": "Short notice."}
    data["process"]["welcome"] = "W" * 4090
    data["events"][1]["agenda"][4]["title"] = "Sessione " * 400
    data["events"][1]["reminders"][0]["text"] = {"it": "Ciao {name}! " + "x" * 4010}
    data["events"][1]["reminders"][4]["text"]["en"] = "Join: {link} " + "y" * 3600
    data["events"][0]["title"]["en"] = "T" * 1000
    path = write_yaml(tmp_path / "long.yaml", data)
    assert main(["check-config", str(path)]) == 0  # warnings do not make the file invalid
    out, err = capsys.readouterr()
    assert out.startswith("OK: ")
    warnings = lines(err)
    fields = [line.removeprefix(f"{path}: attenzione: ").split(": ")[0] for line in warnings]
    assert fields == [
        "process.welcome",  # Italian (a plain text is both languages)
        "process.privacy_notice",  # Italian only: the English notice is short
        "process.welcome",  # English
        "events[lancio-2023].title",  # the English title in the export caption
        "events[copianificazione-2023].agenda",  # Italian, then English
        "events[copianificazione-2023].reminders[vigilia-presenza].text.it",
        "events[copianificazione-2023].agenda",
        "events[copianificazione-2023].reminders[link].text.en",  # with a 512-character link
        "8 avvisi",
    ]
    assert warnings[-1] == "8 avvisi: il file è valido, ma leggili"
    notice = warnings[1]
    assert "la domanda di consenso con l'informativa, in italiano, avrebbe 4" in notice
    assert "oltre i 4096 di un messaggio Telegram: il bot invierà il testo diviso" in notice
    assert "la conferma d'iscrizione con il programma (in presenza)" in warnings[4]
    assert "didascalia" in warnings[3] and "1024" in warnings[3]


def test_check_config_counts_what_telegram_counts(env: Path, tmp_path: Path) -> None:
    from bot.kernel.textsplit import visible_length

    assert visible_length("<b>Tom &amp; Jerry</b>") == len("Tom & Jerry")
    assert visible_length("😀") == 2  # UTF-16 code units, as Telegram counts
    assert visible_length('<a href="https://x.org">link</a>') == 4


# --- run --------------------------------------------------------------------------------------


def test_run_without_token(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "PSM_BOT_TOKEN" in err
    assert "Traceback" not in err
    assert not env.exists()


def test_no_command_prints_the_help(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: psm-bot") and "run" in out and "schedule" in out
    assert err == ""
    assert not env.exists()


def test_run_with_blank_token(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSM_BOT_TOKEN", "  ")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "PSM_BOT_TOKEN" in err


def test_invalid_setting(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSM_ORGANISERS", "12,abc")
    assert main(["check-config"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("settings: PSM_ORGANISERS: ")
    assert "Traceback" not in err


# --- import-comuni ----------------------------------------------------------------------------


def test_import_comuni_completes_the_mapping(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "zone.csv", "comune;zona\nAlmese;6\nAla di Stura;7\nPinerolo;5\n")
    assert main(["import-comuni", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == f"database: {env.resolve()} (new file)\n"  # allowed to create it
    assert "zone set for 2 comuni (were unverified)" in out
    assert "unchanged: 1" in out
    assert f"saved to {env}" in out

    comuni = stored_comuni(env)
    assert len(comuni) == 312  # the bundled mapping, completed
    assert comuni["Almese"].zone == 6
    assert comuni["Almese"].source == "zone.csv"
    assert comuni["Almese"].istat == "001006"
    assert comuni["Ala di Stura"].zone == 7
    assert comuni["Pinerolo"].zone == 5
    assert comuni["Agliè"].zone == 8  # not in the file: kept as bundled
    assert comuni["Agliè"].source != "zone.csv"


def test_import_comuni_builds_on_the_stored_mapping(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_csv(tmp_path / "first.csv", "comune;zona\nAvigliana;6\n")
    assert main(["import-comuni", str(first)]) == 0
    capsys.readouterr()
    second = write_csv(tmp_path / "second.csv", "Comune;Zona\nPinerolo;4\nAVIGLIANA;6\n")
    assert main(["import-comuni", str(second)]) == 0
    out = capsys.readouterr().out
    assert "zone changed for 1: Pinerolo 5 -> 4" in out
    assert "unchanged: 1" in out
    comuni = stored_comuni(env)
    assert comuni["Avigliana"].zone == 6  # from the first import, kept
    assert comuni["Pinerolo"].zone == 4
    assert "AVIGLIANA" not in comuni  # matched to the official name


def test_import_comuni_unknown_zone_changes_nothing(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_csv(tmp_path / "good.csv", "comune;zona\nAvigliana;6\n")
    assert main(["import-comuni", str(good)]) == 0
    capsys.readouterr()
    before = stored_comuni(env)

    bad = write_csv(tmp_path / "bad.csv", "comune;zona\nPinerolo;4\nAvigliana;12\n")
    assert main(["import-comuni", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{bad}: row 3: unknown zone '12' for 'Avigliana'" in err
    assert "nothing was imported" in err
    assert stored_comuni(env) == before
    assert before["Pinerolo"].zone == 5


def test_import_comuni_unknown_zone_creates_no_database(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_csv(tmp_path / "bad.csv", "comune;zona\nAvigliana;12\n")
    assert main(["import-comuni", str(bad)]) == 2
    assert "12" in capsys.readouterr().err
    assert not env.exists()


def test_import_comuni_replace(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "all.csv", "comune;zona\nAvigliana;6\nPinerolo;5\nCiriè;7\nNuovo Comune;3\n"
    )
    assert main(["import-comuni", "--replace", "--allow-new", str(path)]) == 0
    out = capsys.readouterr().out
    assert "removed 309 comuni not in the file" in out
    assert "added 1 new comune" in out and "Nuovo Comune (zone 3" in out
    comuni = stored_comuni(env)
    assert set(comuni) == {"Avigliana", "Pinerolo", "Ciriè", "Nuovo Comune"}
    assert {name: row.zone for name, row in comuni.items()} == {
        "Avigliana": 6,
        "Pinerolo": 5,
        "Ciriè": 7,
        "Nuovo Comune": 3,
    }
    assert comuni["Nuovo Comune"].istat is None
    assert "still without a zone" not in out


def test_import_comuni_unsupported_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "zone.xlsx"
    path.write_bytes(b"PK")
    assert main(["import-comuni", str(path)]) == 2
    err = capsys.readouterr().err
    assert "save it as .ods or .csv" in err
    assert not env.exists()
