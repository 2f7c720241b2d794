"""Which principals a command acts under is never silent: the built-in demo principals are
used only when no principals file is found, and then every command says so (from a folder
without the store's file, they would stand in for it: a principal removed there would still
act from here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import backend_url
from ironriver.cli import cli
from ironriver.settings import shown_url


def test_the_built_in_principals_are_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IRONRIVER_PRINCIPALS", raising=False)
    db = str(tmp_path / "s.db")
    assert CliRunner().invoke(cli, ["init", "--db", db]).exit_code == 0
    (tmp_path / "principals.yaml").unlink()  # (init wrote the starter file here)
    result = CliRunner().invoke(cli, ["stats", "--db", db, "--as", "us-atf-analyst"])
    assert result.exit_code == 0
    assert "using the built-in demo principals" in result.stderr
    (tmp_path / "principals.yaml").write_text(
        "principals:\n  - {name: us-atf-analyst, agency: ATF, country: US}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["stats", "--db", db, "--as", "us-atf-analyst"])
    assert result.exit_code == 0 and "built-in" not in result.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_ingest_into_a_new_store_says_it_made_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, request: pytest.FixtureRequest
) -> None:
    """A mistyped --db on an ingest made an empty store there without a word; an ingest into
    an empty PostgreSQL database (where no file tells a new store) still did."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.jsonl").write_text(
        '{"id": "p1", "schema": "Person", "properties": {"name": ["A"]}}\n', encoding="utf-8"
    )
    args = ["ingest", "--entities", "e.jsonl", "--dataset", "us_x", "--agency", "ATF"]
    args += ["--country", "US", "--marking", "AMBER", "--as", "us-atf-analyst"]
    url = backend_url(backend, tmp_path / "typo.db", request)
    db = url.removeprefix("sqlite:///")
    first = CliRunner().invoke(cli, [*args, "--db", db])
    assert first.exit_code == 0, first.output
    shown = db if backend == "sqlite" else shown_url(url)
    assert f"Created a new store at {shown}: there was none" in first.stderr
    assert ":ironriver@" not in first.stderr  # (the test server's password is not shown)
    again = CliRunner().invoke(cli, [*args, "--db", db])
    assert again.exit_code == 0 and "Created a new store" not in again.stderr
    if backend == "sqlite":  # an empty file is no store either: one is made in it
        (tmp_path / "empty.db").touch()
        es = CliRunner().invoke(cli, ["--lang", "es", *args, "--db", "empty.db"])
        assert es.exit_code == 0
        assert f"Se creó un almacén nuevo en {tmp_path / 'empty.db'}: no había" in es.stderr
