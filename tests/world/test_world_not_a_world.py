"""A folder that holds no generated world, passed to `world report` or an `eval` command,
is said to be no world, with what to pass or run (a path that does not exist is click's
error) (walkthrough finding: "Cannot use
fgr/world.json ... its folder must exist and you must be allowed to read or write there")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli

COMMANDS = [
    ["world", "report", "{dir}"],
    ["eval", "world", "--world", "{dir}"],
    ["eval", "drafts", "--world", "{dir}"],
    ["eval", "search", "--world", "{dir}"],
]


def _invoke(command: list[str], folder: Path, *extra: str) -> tuple[int, str]:
    args = [*extra, *(a.replace("{dir}", str(folder)) for a in command)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_folder_with_no_world_is_said_to_be_none(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "fgr"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a world", encoding="utf-8")
    code, out = _invoke(command, folder)
    assert code == 2, out
    assert f"{folder} is not a generated world: it holds no world.json." in out
    assert "`ironriver world generate --out DIR`" in out
    assert "Cannot use" not in out and "Ingesting" not in out
    code, out = _invoke(command, tmp_path / "missing")  # (click's own error: no such path)
    assert code == 2 and "does not exist" in out and "Cannot use" not in out, out


def test_it_is_said_in_spanish_and_as_json(tmp_path: Path) -> None:
    code, out = _invoke(COMMANDS[0], tmp_path, "--lang", "es")
    assert code == 2
    assert "no es un mundo generado: no contiene world.json" in out
    assert "genere uno con `ironriver world generate --out DIR`" in out
    code, out = _invoke([*COMMANDS[3], "--json"], tmp_path)
    error = json.loads(out[out.index("{") :])["error"]
    assert error["kind"] == "WorldOptionError" and error["exit_code"] == 2
