"""The command line meets bad input — wrong paths, undecodable arguments, badly encoded
files — with a clean message and exit code, never a traceback or a half-made file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.store import open_store
from samples import sample_db


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--lang", "en", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_an_output_folder_that_is_a_file_is_a_clean_error(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    for args in (
        ("world", "generate", "--scale", "0.01", "--out", str(afile)),
        ("model-dir", str(afile)),
    ):
        code, out = run(*args)
        assert code == 2, out
        assert f"Cannot use {afile}" in out and "a file stands where a folder is wanted" in out


def test_an_export_to_a_folder_is_refused_before_it_runs(tmp_path: Path) -> None:
    """Nothing is exported nor audited, and the error names the folder, not a scratch file."""
    db = str(tmp_path / "s.db")
    open_store(db).close()
    out = tmp_path / "out"
    out.mkdir()
    code, text = run(
        "export", "--db", db, "--as", "mx-fgr-analista", "--reason", "r", "-o", str(out)
    )
    assert code == 2 and f"Cannot use {out}: " in text and "a folder stands where" in text
    assert ".part" not in text and list(out.iterdir()) == []
    code, text = run("audit", "log", "--db", db, "--as", "auditor", "--action", "export")
    assert code == 0 and "mx-fgr-analista" not in text


def test_an_output_file_in_a_missing_folder_is_named_as_given(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("nombre,serie\nJuan,A1\n", encoding="utf-8")
    target = tmp_path / "nodir" / "x.yaml"
    code, out = run("mapping", "draft", str(data), "-o", str(target))
    assert code == 2 and f"Cannot use {target}: " in out and ".part" not in out


def test_an_argument_that_is_not_utf8_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    """Bytes a Latin-1 terminal sends ("García") reach Python as lone surrogates."""
    garcia = b"Garc\xeda".decode("utf-8", "surrogateescape")
    db = str(tmp_path / "s.db")
    assert run("init", "--db", db, "--principals-out", str(tmp_path / "p.yaml"))[0] == 0
    cases = {
        "An argument": ("entity", garcia, "--db", db, "--as", "loader"),
        "--reason": ("search", "x", f"--reason=caso {garcia}", "--db", db, "--as", "loader"),
        "--actor": ("audit", "log", "--actor", garcia, "--db", db, "--as", "auditor"),
        "--db": ("stats", "--db", str(tmp_path / f"{garcia}.db"), "--as", "loader"),
    }
    for name, args in cases.items():
        code, out = run(*args)
        assert code == 2, out
        assert f"{name} is not UTF-8 text: " in out and "Garc\\xeda" in out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("Garc")]  # no store made
    # a flag's neighbour is an argument, not the flag's value
    code, out = run("search", "--identifier", garcia, "--db", db)
    assert code == 2 and "An argument is not UTF-8 text" in out


def test_an_argument_not_in_utf8_is_a_json_error_under_json(tmp_path: Path) -> None:
    """Found before click parses the command's own --json (review R32 F8): with --json,
    standard output still holds the error document; a command without --json prints none."""
    garcia = b"Garc\xeda".decode("utf-8", "surrogateescape")
    db = str(tmp_path / "s.db")
    result = CliRunner().invoke(
        cli, ["--lang", "en", "entity", garcia, "--db", db, "--as", "loader", "--json"]
    )
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "ConfigError" and error["exit_code"] == 2
    assert error["message"] == 'An argument is not UTF-8 text: "Garc\\xeda".'
    assert "not UTF-8 text" in result.stderr  # (and the text error, as before)
    plain = CliRunner().invoke(cli, ["--lang", "en", "entity", garcia, "--db", db])
    assert plain.exit_code == 2 and plain.stdout == ""
    no_json = CliRunner().invoke(cli, ["--lang", "en", "model-dir", garcia, "--json"])
    assert no_json.exit_code == 2 and no_json.stdout == ""  # (model-dir takes no --json)
    assert not (tmp_path / "s.db").exists()


def test_a_principals_or_mapping_file_not_in_utf8_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file saved as Latin-1 on a Windows machine ("Dirección")."""
    monkeypatch.chdir(tmp_path)
    principals = tmp_path / "principals.yaml"
    principals.write_bytes(
        b"principals:\n  - name: a\n    description: Direcci\xf3n\n"
        b"    agency: FGR\n    country: MX\n    roles: [analyst]\n"
    )
    open_store(str(tmp_path / "s.db")).close()
    code, out = run("datasets", "--db", str(tmp_path / "s.db"), "--as", "a")
    assert code == 2 and "Principals file principals.yaml is not UTF-8 text (byte 0xf3" in out
    principals.unlink()
    (tmp_path / "d.csv").write_text("A\nx\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_bytes(
        b'mx_x:\n  title: "Direcci\xf3n"\n  agency: FGR\n  country: MX\n  marking: AMBER\n'
        b"  queries:\n  - csv_url: d.csv\n    entities:\n      p:\n        schema: Person\n"
        b"        keys: [A]\n        properties:\n          name: {column: A}\n"
    )
    code, out = run("ingest", str(mapping), "--dry-run", "--as", "loader")
    assert code == 1 and f"Mapping {mapping} is not UTF-8 text (byte 0xf3" in out


def test_a_single_role_without_brackets_is_one_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`roles: auditor` (a YAML string, not a list) was read letter by letter."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "principals.yaml").write_text(
        "principals:\n  - name: a\n    agency: FGR\n    country: MX\n    roles: auditor\n",
        encoding="utf-8",
    )
    open_store(str(tmp_path / "s.db")).close()
    code, out = run("audit", "log", "--db", str(tmp_path / "s.db"), "--as", "a")
    assert code == 0, out


def test_counts_of_one_read_in_the_singular(tmp_path: Path) -> None:
    db = sample_db(tmp_path, "c.db")
    as_us = ("--db", db, "--as", "us-atf-analyst")
    assert run("audit", "checkpoint", "--db", db, "--as", "auditor")[0] == 0
    run("search", "nobody", "--identifier", *as_us)  # one read after the newest anchor
    _, out = run("audit", "verify", "--db", db)
    assert "The newest is not yet (its removal" in out and "The 1 newest" not in out
    _, out = run("--lang", "es", "audit", "verify", "--db", db)
    assert "La más reciente aún no" in out
    _, out = run("entity", "p1", *as_us, "--neighbours", "0")  # p1 has one neighbour
    assert "Its 1 link is not shown; show it with --neighbours 1." in out
    _, out = run("--lang", "es", "entity", "p1", *as_us, "--neighbours", "0")
    assert "No se muestra su 1 vínculo; véalo con --neighbours 1." in out


def test_export_json_prints_the_summary_as_json(tmp_path: Path) -> None:
    db = sample_db(tmp_path, "c.db")
    target = tmp_path / "out.jsonl"
    args = ("--db", db, "--as", "mx-fgr-analista", "--reason", "r", "-o", str(target))
    result = CliRunner().invoke(cli, ["export", *args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "exported": 3,
        "format": "ftm",
        "path": str(target),
        # FGR's statements are AMBER, which the FtM entities do not carry
        "entities_marked": 3,
        "markings_not_carried": [
            {"marking": "AMBER", "releasable_to": ["MX", "US"], "entities_marked": 3}
        ],
    }
    _, out = run("export", "--help")
    assert "--json changes nothing" in " ".join(out.split())
