"""Under `--log-json` (or IRONRIVER_LOG_FORMAT=json) the error a command fails with is a JSON
object on stderr shaped as the log events (`event` error, `level` error, the error's `kind` as
`--json` names it, `message`, `hint`, `exit_code`), in the reader's language, so that stderr
stays JSON Lines: a mistake in the command line click finds, an `IronriverError` (NotFound, a
refused ingest), Ctrl-C and SIGTERM, a bug (its traceback in `exception`). Without it, stderr
is the text it always was. The real command (`python -m ironriver`), in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ironriver

SRC = Path(ironriver.__file__).resolve().parents[1]
PRINCIPALS = SRC.parent / "principals.yaml"
FIELDS = {"event", "level", "logger", "kind", "message", "hint", "exit_code", "timestamp"}
BAD_MAPPING = """bad:
  queries:
  - csv_url: x.csv
    entities:
      a:
        schema: Person
        keys: [x]
"""


def _run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`ironriver ARGS` (or the Python `code`, with ARGS as its command line) in `cwd`, with
    no IRONRIVER_* setting but those of `env`."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    run_env |= {"PYTHONPATH": str(SRC), **(env or {})}
    command = ["-c", code, *args] if code is not None else ["-m", "ironriver", *args]
    return subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        env=run_env,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _error_event(stderr: str) -> dict[str, Any]:
    """The one error event of `stderr`, every line of which must be a JSON object."""
    objects = [json.loads(line) for line in stderr.splitlines()]  # (fails on any not JSON)
    assert objects and all(isinstance(o, dict) for o in objects)
    errors = [o for o in objects if o["event"] == "error"]
    assert len(errors) == 1 and objects[-1] is errors[0]
    error = errors[0]
    assert set(error) == FIELDS
    assert error["level"] == "error" and error["logger"] == "ironriver.cli"
    assert error["timestamp"].endswith("Z")
    return error


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a new, empty store (`s.db`) and a mapping that names no agency."""
    folder = tmp_path_factory.mktemp("log_json_errors")
    done = _run(folder, "init", "--db", "s.db", "--principals-out", "p.yaml")
    assert done.returncode == 0, done.stderr
    (folder / "m.yaml").write_text(BAD_MAPPING, encoding="utf-8")
    (folder / "x.csv").write_text("x\n1\n", encoding="utf-8")
    return folder


STORE = ("--db", "s.db", "--as", "loader", "--principals", str(PRINCIPALS))
CASES = {  # command line, exit code, kind, then per language the message and the hint
    "usage": (
        ["search", "x", "--bogus"],
        2,
        "UsageError",
        {
            "en": (
                "No such option '--bogus'.",
                "Run `ironriver search --help` to see its arguments and options.",
            ),
            "es": (
                "No existe la opción '--bogus'.",
                "Ejecute `ironriver search --help` para ver sus argumentos y opciones.",
            ),
        },
    ),
    "not-found": (
        ["entity", "NOPE", *STORE],
        4,
        "NotFound",
        {
            "en": (
                "No entity 'NOPE' is visible to you.",
                "Check the id, or search: ironriver search NAME",
            ),
            "es": (
                "No hay ninguna entidad 'NOPE' que usted pueda ver.",
                "Verifique el id, o busque: ironriver search NOMBRE",
            ),
        },
    ),
    "refused-ingest": (
        ["ingest", "m.yaml", *STORE, "--reason", "t"],
        1,
        "IngestError",
        {
            "en": (
                "Mapping error in m.yaml, dataset 'bad': missing 'agency'.",
                "Every dataset names its agency, country and TLP marking.",
            ),
            "es": (
                "Error de mapeo en m.yaml, conjunto de datos 'bad': falta 'agency'.",
                "Cada conjunto de datos indica su dependencia, su país y su marca TLP.",
            ),
        },
    ),
}
TEXT = {  # stderr without --log-json, as it always was
    "usage": {
        "en": "Usage: ironriver search [OPTIONS] TEXT\nTry 'ironriver search --help' for help."
        "\n\nError: {message}\n",
        "es": "Uso: ironriver search [OPCIONES] TEXTO\nPruebe 'ironriver search --help' para "
        "ver la ayuda.\n\nError: {message}\n",
    },
    "not-found": {
        "en": "Error: {message}\n  What to do: {hint}\n",
        "es": "Error: {message}\n  Qué hacer: {hint}\n",
    },
}
TEXT["refused-ingest"] = TEXT["not-found"]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_an_error_is_a_json_event_under_log_json(workdir: Path, case: str, lang: str) -> None:
    args, exit_code, kind, said = CASES[case]
    message, hint = said[lang]
    done = _run(workdir, "--log-json", "--lang", lang, *args)
    assert done.returncode == exit_code and done.stdout == ""
    error = _error_event(done.stderr)
    assert error["kind"] == kind and error["exit_code"] == exit_code
    assert (error["message"], error["hint"]) == (message, hint)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_without_log_json_the_error_is_the_text_it_was(workdir: Path, case: str, lang: str) -> None:
    args, exit_code, _kind, said = CASES[case]
    message, hint = said[lang]
    done = _run(workdir, "--lang", lang, *args)
    assert done.returncode == exit_code and done.stdout == ""
    assert done.stderr == TEXT[case][lang].format(message=message, hint=hint)


def test_the_environment_asks_for_it_as_the_option_does(workdir: Path) -> None:
    """IRONRIVER_LOG_FORMAT=json, also for a mistake in the group's own options (found before
    they configure logging); an unknown format is said in text, as it was."""
    json_env = {"IRONRIVER_LOG_FORMAT": "json"}
    done = _run(workdir, "--lang", "es", "entity", "NOPE", *STORE, env=json_env)
    assert _error_event(done.stderr)["kind"] == "NotFound" and done.returncode == 4
    done = _run(workdir, "--lang", "xx", "search", "x", env=json_env)
    error = _error_event(done.stderr)
    assert (error["kind"], error["exit_code"], done.returncode) == ("UsageError", 2, 2)
    assert error["hint"] == "Run `ironriver --help` to see its arguments and options."
    done = _run(workdir, "search", "x", env={"IRONRIVER_LOG_FORMAT": "xml"})
    assert done.returncode == 2 and done.stderr.startswith("Error: log format must be ")


def test_with_json_too_the_same_error_is_on_both_streams(workdir: Path) -> None:
    for args in (["search", "x", "--bogus", "--json"], ["entity", "NOPE", *STORE, "--json"]):
        done = _run(workdir, "--log-json", "--lang", "es", *args)
        error = _error_event(done.stderr)
        document = json.loads(done.stdout)["error"]
        assert document == {k: error[k] for k in ("kind", "exit_code", "message", "hint")}


def test_a_log_json_after_the_command_name_is_no_group_option(workdir: Path) -> None:
    done = _run(workdir, "--lang", "en", "search", "--log-json", "x")
    assert done.returncode == 2
    assert done.stderr.endswith("Error: No such option '--log-json'. Did you mean '--json'?\n")


# `model-dir` made to fail as asked: a bug, or the signal it sends itself
TRIP = """import os, signal, sys, time
import ironriver.cli as cli
how = sys.argv.pop(1)
def trip(target):
    if how == "bug":
        raise ValueError("boom")
    os.kill(os.getpid(), signal.SIGTERM if how == "term" else signal.SIGINT)
    time.sleep(30)
cli.model_dir.callback = trip
sys.argv[0] = "ironriver"
cli.main()
"""


@pytest.mark.parametrize(("how", "exit_code"), [("int", 130), ("term", 143)])
def test_an_interrupt_is_an_error_event(tmp_path: Path, how: str, exit_code: int) -> None:
    done = _run(tmp_path, how, "--log-json", "--lang", "es", "model-dir", "m", code=TRIP)
    assert done.returncode == exit_code
    error = _error_event(done.stderr)  # (no blank line closing a ^C)
    assert (error["kind"], error["exit_code"], error["hint"]) == ("Interrupted", exit_code, None)
    assert error["message"].startswith("Interrumpido. ")
    text = _run(tmp_path, how, "--lang", "es", "model-dir", "m", code=TRIP)
    assert text.returncode == exit_code
    assert text.stderr == f"\n\n{error['message']}\n"  # (click's blank line, then ours)


def test_a_bug_is_an_error_event_holding_its_traceback(tmp_path: Path) -> None:
    done = _run(tmp_path, "bug", "--log-json", "model-dir", "m", code=TRIP)
    assert done.returncode == 1
    objects = [json.loads(line) for line in done.stderr.splitlines()]
    assert len(objects) == 1 and set(objects[0]) == FIELDS | {"exception"}
    bug = objects[0]
    assert (bug["kind"], bug["message"], bug["exit_code"]) == ("ValueError", "boom", 1)
    assert bug["exception"].startswith("Traceback (most recent call last):\n")
    assert bug["exception"].endswith("ValueError: boom\n")
    text = _run(tmp_path, "bug", "model-dir", "m", code=TRIP)  # Python's traceback, as ever
    assert text.returncode == 1 and text.stderr.startswith("Traceback (most recent call last):")
    assert text.stderr.endswith("\nValueError: boom\n")


def test_the_notes_of_a_command_are_json_events_too(tmp_path: Path) -> None:
    """A note a command says on stderr (here: no principals file, so the built-in demo
    principals stand in; a ledger holding no row) is a JSON `note` event under --log-json,
    so every stderr line is JSON; without it, the sentence as it was."""
    db = str(tmp_path / "s.db")
    (tmp_path / "sales.csv").write_text("txn,serial\n", encoding="utf-8")
    (tmp_path / "sales.yaml").write_text(
        "us_atf_sales:\n  agency: ATF\n  country: US\n  marking: AMBER\n"
        "  releasable_to: [US]\n  queries:\n  - csv_url: sales.csv\n    ledger:\n"
        "      name: dealer_sales\n      columns:\n"
        "        txn: {column: txn, type: string, required: true}\n",
        encoding="utf-8",
    )
    done = _run(tmp_path, "--log-json", "ingest", "sales.yaml", "--db", db, "--as", "loader")
    assert done.returncode == 0, done.stderr
    notes = [json.loads(line) for line in done.stderr.splitlines()]  # (fails on any not JSON)
    said = [n["message"] for n in notes if n["event"] == "note"]
    assert any(s.startswith("No principals file (--principals") for s in said), said
    read = _run(
        tmp_path, "--log-json", "--lang", "en", "ledger", "us_atf_sales", "--db", db, "--as",
        "us-atf-analyst",
    )  # fmt: skip
    assert read.returncode == 0, read.stderr
    events = [json.loads(line) for line in read.stderr.splitlines()]
    assert {"event": "note", "message": "Ledger us_atf_sales/dealer_sales holds no row that "
            "you may see."}.items() <= events[-1].items()  # fmt: skip
    stats = _run(tmp_path, "--log-json", "--lang", "en", "stats", "--db", db, "--as", "loader")
    assert stats.returncode == 0, stats.stderr
    [*_, last] = [json.loads(line) for line in stats.stderr.splitlines()]
    assert last["event"] == "note" and last["message"].startswith("Nothing is visible to you yet")
    text = _run(tmp_path, "--lang", "en", "ledger", "us_atf_sales", "--db", db, "--as", "loader")
    assert text.stderr.splitlines()[0].startswith("No principals file (--principals")
    assert "{" not in text.stderr
