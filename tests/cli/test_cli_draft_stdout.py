"""`ironriver mapping draft FILE` to standard output: the mapping reads FILE wherever it is
saved (`> elsewhere/draft.yaml`), and the command its header says to run next runs (user
walkthrough, finding 3: it named the file relative to the data file's folder, and the header
named a mapping file no one had written); with -o, the header names the file as given."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ironriver.cli import cli

DATA = "FOLIO,FECHA,NOMBRE\nA1,02/01/2024,JUAN PEREZ\nA2,13/01/2024,ANA LOPEZ\n"
OWNER = ["--agency", "FGR", "--country", "MX", "--releasable-to", "MX"]


def _run(*args: str) -> tuple[int, str]:
    """Exit code and standard output (what `> file` saves), or all the output on failure."""
    result = CliRunner().invoke(cli, ["--lang", "en", *args])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def _next_step(text: str) -> list[str]:
    """The command the draft's header says to run, as arguments (without `ironriver`)."""
    [line] = [line for line in text.splitlines()[:3] if line.startswith("#   ironriver ")]
    return shlex.split(line.removeprefix("#   ironriver "))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "fgr"
    folder.mkdir()
    path = folder / "detenciones.csv"
    path.write_text(DATA, encoding="utf-8")
    return path


def test_a_draft_printed_reads_its_file_wherever_it_is_saved(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, text = _run("mapping", "draft", "../fgr/detenciones.csv", *OWNER)
    assert code == 0, text
    [dataset] = yaml.safe_load(text).values()
    assert dataset["queries"][0]["csv_url"] == str(data.resolve())
    assert text.splitlines()[1] == (
        "# Save it as detenciones.yaml (or run the draft with -o detenciones.yaml), check "
        "every line marked CHECK, fill in what is empty, then run:"
    )
    assert _next_step(text) == ["ingest", "detenciones.yaml", "--dry-run"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "draft.yaml").write_text(text, encoding="utf-8")
    code, out = _run("ingest", str(elsewhere / "draft.yaml"), "--dry-run")
    assert code == 0, out
    assert "2 records" in out
    (work / "detenciones.yaml").write_text(text, encoding="utf-8")  # as the header says
    code, out = _run(*_next_step(text))
    assert code == 0, out


def test_a_draft_written_with_o_names_the_file_as_given(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mappings").mkdir()
    code, said = _run("mapping", "draft", str(data), *OWNER, "-o", "mappings/fgr.yaml")
    assert code == 0, said
    text = (tmp_path / "mappings" / "fgr.yaml").read_text(encoding="utf-8")
    [dataset] = yaml.safe_load(text).values()
    assert dataset["queries"][0]["csv_url"] == "../fgr/detenciones.csv"
    assert _next_step(text) == ["ingest", "mappings/fgr.yaml", "--dry-run"]
    code, out = _run(*_next_step(text))
    assert code == 0, out


def test_the_header_of_a_printed_draft_in_spanish(data: Path) -> None:
    result = CliRunner().invoke(cli, ["--lang", "es", "mapping", "draft", str(data), *OWNER])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        "# Guárdelo como detenciones.yaml (o redacte el borrador con -o detenciones.yaml), "
        "revise cada línea marcada REVISAR, complete lo que está vacío y luego ejecute:"
    )
