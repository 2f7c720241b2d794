"""Standard output that cannot be written, for any command (review R19, F4 and F11), in a
real process: on a full disk (`/dev/full`) the command says so in one clean message, in
English and Spanish, exit code 6, and nothing more as the process exits (no traceback, no
"Exception ignored", not the store's "disk is full" text), whether the failure comes at a
write or at the last flush; a reader that stopped reading ends it quietly (exit code 1).
With standard output closed (`>&-`), any command that would print there (its results, its
help, its JSON) is refused before anything is read or audited, exit code 2; one that prints
nothing there (an export or a draft given -o, without --json) runs. (An export's own output
failures: test_cli_export_output.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ironriver
from samples import export_events, sample_db

SRC = Path(ironriver.__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parents[1]
FULL = {
    "en": "Error: Could not write to standard output: No space left on device.",
    "es": "Error: No se pudo escribir en la salida estándar: No queda espacio en el dispositivo.",
}


def _run(args: list[str], stdout: Any, buffered: bool = True, closed: bool = False) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TESTS)])
    command = [sys.executable, "-m", "ironriver", *args]
    if closed:  # (`>&-` by a shell: a preexec_fn would fork the whole test process)
        command = ["sh", "-c", 'exec "$@" >&-', "sh", *command]
    return subprocess.run(
        command, stdout=stdout, stderr=subprocess.PIPE, env=env, text=True, timeout=300
    )


def _clean(stderr: str) -> bool:
    """Nothing but our own message: no traceback, no exit-time noise, not the store's disk."""
    return all(
        text not in stderr
        for text in ("Traceback", "Exception ignored", "rolled back", "se revirtió")
    )


@pytest.mark.parametrize(
    ("lang", "more", "buffered"),
    [  # (buffered: the last flush fails; unbuffered: the first write, inside the command)
        ("en", [], True),
        ("es", ["--json"], True),
        ("en", [], False),
    ],
)
def test_a_full_standard_output_is_said_for_any_command(
    tmp_path: Path, lang: str, more: list[str], buffered: bool
) -> None:
    db = sample_db(tmp_path)
    args = ["--lang", lang, "stats", "--db", db, "--as", "mx-fgr-analista", *more]
    with open("/dev/full", "w") as full:
        done = _run(args, full, buffered)
    assert done.returncode == 6, done.stderr
    assert FULL[lang] in done.stderr and _clean(done.stderr), done.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_the_group_s_own_output_is_said_alike(args: list[str]) -> None:
    """Written before any command runs (click's eager options)."""
    with open("/dev/full", "w") as full:
        done = _run(["--lang", "en", *args], full)
    assert done.returncode == 6 and FULL["en"] in done.stderr and _clean(done.stderr)


def test_an_export_to_a_file_whose_summary_cannot_be_written_is_said(tmp_path: Path) -> None:
    """The export is whole in its file (audited as such); only its summary was lost."""
    db = sample_db(tmp_path)
    out = tmp_path / "ok.jsonl"
    args = ["--lang", "en", "export", "--db", db, "--as", "mx-fgr-analista", "--reason", "r"]
    with open("/dev/full", "w") as full:
        done = _run([*args, "--json", "-o", str(out)], full)
    assert done.returncode == 6 and FULL["en"] in done.stderr and _clean(done.stderr)
    assert len(out.read_text().splitlines()) == 3
    assert export_events(db) == [{}]


def test_a_reader_that_stopped_reading_ends_any_command_quietly(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    read, write = os.pipe()
    os.close(read)  # (the reader is gone before the first byte)
    with os.fdopen(write, "w") as closed:
        done = _run(["stats", "--db", db, "--as", "mx-fgr-analista"], closed)
    assert done.returncode == 1
    assert "Error" not in done.stderr and _clean(done.stderr), done.stderr


@pytest.mark.parametrize(
    ("lang", "fmt", "said"),
    [
        (
            "en",
            "ftm",
            "Error: Standard output is closed, and `ironriver export` writes there without -o.",
        ),
        (
            "es",
            "parquet",
            "Error: La salida estándar está cerrada, y sin -o `ironriver export` escribe allí.",
        ),
    ],
)
def test_an_export_to_a_closed_standard_output_is_refused(
    tmp_path: Path, lang: str, fmt: str, said: str
) -> None:
    db = sample_db(tmp_path)
    args = ["--lang", lang, "export", "--db", db, "--as", "mx-fgr-analista", "--reason", "r"]
    done = _run([*args, "--format", fmt], None, closed=True)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr and _clean(done.stderr), done.stderr
    assert export_events(db) == []  # (refused before anything was read)


CLOSED = {
    "en": "Error: Standard output is closed, and `ironriver{command}` prints its results there.",
    "es": "Error: La salida estándar está cerrada, y `ironriver{command}` imprime allí sus "
    "resultados.",
}
AS = ("--as", "mx-fgr-analista")


@pytest.mark.parametrize(
    ("lang", "args"),
    [
        ("en", ["stats", *AS]),
        ("es", ["datasets", *AS, "--json"]),
        ("en", ["search", "Juan", *AS, "--reason", "r"]),
        ("es", ["audit", "verify"]),
        ("en", ["audit", "log", *AS]),
        ("en", ["ledgers", *AS]),
        ("en", ["export", *AS, "--reason", "r", "-o", "OUT", "--json"]),  # (its summary)
        ("en", ["stats", "--help"]),
        ("en", ["--version"]),
    ],
)
def test_a_command_that_prints_is_refused_with_standard_output_closed(
    tmp_path: Path, lang: str, args: list[str]
) -> None:
    """Said, exit code 2, before the command reads or audits anything (before, most exited 0
    having printed nothing)."""
    db = sample_db(tmp_path)
    before = _audit_actions(db)
    out = tmp_path / "x.jsonl"
    args = [str(out) if a == "OUT" else a for a in args]
    store = ["--db", db] if args[0] != "--version" else []
    done = _run(["--lang", lang, *args, *store], None, closed=True)
    names = [a for a in args[:2] if not a.startswith("-") and a != "Juan"]
    said = CLOSED[lang].format(command="".join(f" {n}" for n in names))
    assert done.returncode == 2, done.stderr
    assert said in done.stderr and _clean(done.stderr), done.stderr
    assert _audit_actions(db) == before
    assert not out.exists()


def test_a_command_that_prints_nothing_there_runs_with_standard_output_closed(
    tmp_path: Path,
) -> None:
    """An export to -o (its summary on standard error) and a draft mapping to -o."""
    db = sample_db(tmp_path)
    out = tmp_path / "x.jsonl"
    args = ["--lang", "en", "export", "--db", db, *AS, "--reason", "r", "-o", str(out)]
    done = _run(args, None, closed=True)
    assert done.returncode == 0, done.stderr
    assert f"Exported 3 entities to {out}" in done.stderr and _clean(done.stderr)
    assert len(out.read_text().splitlines()) == 3
    sales = tmp_path / "sales.csv"
    sales.write_text("txn\nT1\n", encoding="utf-8")
    draft = tmp_path / "sales.yaml"
    done = _run(["--lang", "en", "mapping", "draft", str(sales), f"-o{draft}"], None, closed=True)
    assert done.returncode == 0, done.stderr
    assert "# Draft mapping for sales.csv" in draft.read_text(encoding="utf-8")


def _audit_actions(db: str) -> list[str]:
    from ironriver.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        return [e.action for e in store.audit.events()]
    finally:
        store.close()


LEDGER = """\
us_atf_sales:
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US, MX]
  queries:
  - csv_url: sales.csv
    ledger:
      name: dealer_sales
      columns:
        txn: {column: txn, type: string}
"""


def test_bytes_written_to_a_full_standard_output_are_said_alike(tmp_path: Path) -> None:
    """`ledger --format csv --excel` writes standard output's bytes, not its text."""
    from click.testing import CliRunner

    from ironriver.cli import cli

    (tmp_path / "sales.csv").write_text("txn\nT1\nT2\n", encoding="utf-8")
    (tmp_path / "sales.yaml").write_text(LEDGER, encoding="utf-8")
    db = str(tmp_path / "l.db")
    loaded = CliRunner().invoke(
        cli, ["ingest", str(tmp_path / "sales.yaml"), "--db", db, "--as", "loader"]
    )
    assert loaded.exit_code == 0, loaded.output
    args = ["--lang", "en", "ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst"]
    with open("/dev/full", "w") as full:
        done = _run([*args, "--reason", "r", "--format", "csv", "--excel"], full)
    assert done.returncode == 6 and FULL["en"] in done.stderr and _clean(done.stderr)
