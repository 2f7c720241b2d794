"""The command line's hints speak of its options, not of the library's calls: a read or an
export refused for want of a reason says `--reason`, in English and Spanish, and a principals
file of the wrong shape shows the shape; the library-only bulk read keeps its library words.
Real SQLite store, real CLI (click's runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import AccessDenied
from ironriver.i18n import LOCALE_DIR
from ironriver.policy import Marking, View
from ironriver.store import AUDIT_ACTIONS, DatasetInfo, open_store
from samples import ATF, table

SECRET = DatasetInfo("mx_fgr_fuentes", "FGR", "MX", Marking.AMBER_STRICT, frozenset({"MX", "US"}))


def _store(tmp_path: Path) -> str:
    db = tmp_path / "cli.db"
    store = open_store(f"sqlite:///{db}")
    with store.writer() as w:
        w.ensure_dataset(SECRET)
        rows = [("x1", "Individual", "name", "Ana Torres"), ("x1", "Individual", "alias", "La Ti")]
        w.add_statements(table(SECRET.name, rows), SECRET.name, SECRET.label)
    store.close()
    return str(db)


def _error(args: list[str], lang: str) -> dict[str, str]:
    result = CliRunner().invoke(cli, ["--lang", lang, *args, "--json"])
    assert result.exit_code == 3, result.output
    return dict(json.loads(result.stdout)["error"])


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_read_refused_for_want_of_a_reason_says_pass_reason(tmp_path: Path, lang: str) -> None:
    db = _store(tmp_path)  # (AMBER+STRICT: the FGR's own principals see it)
    spanish = lang == "es"
    principal = "mx-fgr-analista"
    for command in (["entity", "x1"], ["search", "torres"]):
        error = _error([*command, "--db", db, "--as", principal], lang)
        assert error["hint"] == (
            'Indique --reason "por qué lo necesita".'
            if spanish
            else 'Pass --reason "why you need it".'
        ), command
    for fmt in ("ftm", "statements"):
        out = tmp_path / f"x.{fmt}"
        args = ["export", "--format", fmt, "-o", str(out), "--db", db, "--as", principal]
        error = _error(args, lang)
        assert error["hint"] == (
            'Indique --reason "por qué y para quién".'
            if spanish
            else 'Pass --reason "why and for whom".'
        ), fmt
        assert not out.exists()


def test_a_library_only_bulk_read_keeps_its_library_words(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{_store(tmp_path)}")
    try:
        with pytest.raises(AccessDenied) as info:
            View(store, ATF).table()
    finally:
        store.close()
    assert info.value.hint == 'Give the View a reason: View(store, principal, reason="why").'


def test_a_principals_file_of_the_wrong_shape_shows_the_shape(tmp_path: Path) -> None:
    bad = tmp_path / "principals.yaml"
    bad.write_text("- name: ana\n", encoding="utf-8")
    args = ["stats", "--db", _store(tmp_path), "--principals", str(bad), "--as", "ana"]
    for lang, words in (("en", "Write it as principals: [{name:"), ("es", "Escríbalo como")):
        result = CliRunner().invoke(cli, ["--lang", lang, *args])
        assert result.exit_code == 2 and words in result.output, result.output
        assert "ironriver.policy" not in result.output


def test_no_hint_in_the_catalogs_speaks_of_the_library_in_parentheses() -> None:
    """A hint that adds "(library: ...)" speaks to programmers in a message for people."""
    folder = LOCALE_DIR / "es" / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        text = path.read_text(encoding="utf-8")
        assert "(library:" not in text and "(biblioteca:" not in text, path.name


def test_an_audit_action_may_be_named_by_its_spanish_meaning(tmp_path: Path) -> None:
    """The actions' names are the API (read, search...); a Spanish reader may type what they
    mean ("buscar"), and a refusal lists each name with its meaning."""
    from ironriver.cli_audit import action_labels

    db = _store(tmp_path)
    CliRunner().invoke(
        cli, ["search", "torres", "--db", db, "--as", "mx-fgr-analista", "--reason", "r"]
    )
    args = ["audit", "log", "--db", db, "--as", "mx-auditor", "--json", "--action"]
    for typed in ("buscar", "BUSCAR", "search"):
        found = CliRunner().invoke(cli, [*args, typed])
        assert found.exit_code == 0, found.output
        assert {e["action"] for e in json.loads(found.stdout)} == {"search"}
    assert json.loads(CliRunner().invoke(cli, [*args, "iniciar la cadena de lecturas"]).stdout)
    es = CliRunner().invoke(cli, ["--lang", "es", *args[:-2], "--action", "leer"])
    assert es.exit_code == 2
    assert (
        "¿Quiso decir ledger (leer un libro de registro), read (leer una entidad), "
        "read-entities (leer entidades)? Las acciones son: export (exportar), ingest (cargar),"
    ) in es.output
    assert "search (buscar), search-identifier (buscar por identificador)" in es.output
    help_es = CliRunner().invoke(cli, ["--lang", "es", "audit", "log", "--help"]).output
    assert "su significado en español (buscar, exportar, cargar…)" in " ".join(help_es.split())
    assert set(action_labels("es")) == AUDIT_ACTIONS  # every action has its meaning


def test_a_mistyped_audit_action_lists_the_actions(tmp_path: Path) -> None:
    db = _store(tmp_path)
    CliRunner().invoke(
        cli, ["search", "torres", "--db", db, "--as", "us-atf-analyst", "--reason", "r"]
    )
    args = ["audit", "log", "--db", db, "--as", "auditor", "--action"]
    en = CliRunner().invoke(cli, [*args, "reads"])
    assert en.exit_code == 2 and en.stdout == ""
    assert "Error: 'reads' is not an audit action.\n  What to do: Did you mean read? The " in (
        en.output
    )
    assert "export, ingest, ingest-check, labels-baseline, ledger, neighbours, read," in en.output
    es = CliRunner().invoke(cli, ["--lang", "es", *args, "serch"])
    assert es.exit_code == 2
    assert "'serch' no es una acción de la bitácora de auditoría." in es.output
    assert "Qué hacer: ¿Quiso decir search (buscar)? Las acciones son: " in es.output
    # a known action nothing did yet is no error, and every action recorded is a known one
    assert (
        CliRunner().invoke(cli, [*args, "retract"]).output.endswith("\nNo audit event matches.\n")
    )
    logged = CliRunner().invoke(cli, ["audit", "log", "--db", db, "--as", "auditor", "--json"])
    actions = {e["action"] for e in json.loads(logged.stdout)}
    assert {"search", "read-chain-start"} <= actions <= AUDIT_ACTIONS
    store = open_store(f"sqlite:///{db}")  # an action of another version still matches
    store.audit.append("old-tool", "legacy-read", "x1")
    store.close()
    old = CliRunner().invoke(cli, [*args, "legacy-read", "--json"])
    assert [e["actor"] for e in json.loads(old.stdout)] == ["old-tool"]
