"""A mistake in the command line itself (a mapping file that does not exist, an option value
out of range, an unknown option), which click finds before the command runs, is one JSON
error document on standard output when the line passes `--json`, as every other error of a
`--json` command is: a program reading the output got nothing there before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ironriver

SRC = Path(ironriver.__file__).resolve().parents[1]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    env["PYTHONPATH"] = str(SRC)
    return subprocess.run(
        [sys.executable, "-m", "ironriver", *args],
        capture_output=True,
        env=env,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("lang", "args", "message", "hint"),
    [
        (
            "en",
            ["ingest", "nope/mapping.yaml", "--json"],
            "Invalid value for '[MAPPING]...': File 'nope/mapping.yaml' does not exist.",
            "Run `ironriver ingest --help` to see its arguments and options.",
        ),
        (
            "es",
            ["search", "x", "--limit", "0", "--json"],
            "Valor no válido para '--limit': 0 no está en el intervalo x>=1.",
            "Ejecute `ironriver search --help` para ver sus argumentos y opciones.",
        ),
    ],
)
def test_a_usage_error_is_a_json_document_with_json(
    tmp_path: Path, lang: str, args: list[str], message: str, hint: str
) -> None:
    done = _run(tmp_path, "--lang", lang, *args)
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error == {"kind": "UsageError", "exit_code": 2, "message": message, "hint": hint}
    assert message in done.stderr  # people read it on standard error, as before


def test_without_json_or_after_a_double_dash_it_is_text_only(tmp_path: Path) -> None:
    done = _run(tmp_path, "search", "x", "--limit", "0")
    assert done.returncode == 2 and done.stdout == "" and "--limit" in done.stderr
    done = _run(tmp_path, "search", "--limit", "0", "--", "--json")
    assert done.returncode == 2 and done.stdout == ""
    done = _run(tmp_path, "search", "x", "--jsno", "--json")
    assert done.returncode == 2 and json.loads(done.stdout)["error"]["kind"] == "UsageError"
