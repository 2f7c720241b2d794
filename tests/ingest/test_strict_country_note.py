"""AMBER+STRICT is read by the agencies named only (TLP 2.0: the recipient organisation), so
a country code in its `releasable_to` shares with no one, unless some agency goes by that code
(Mexico's Guardia Nacional is `GN`, Guinea's code). An ingest says so when no principal of the
principals file belongs to such an agency; it does not refuse (a partner node's principals
file may declare it)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli_ingest import ingest_command
from ironriver.i18n import render
from ironriver.policy import AccessLabel, Marking, Principal, View
from ironriver.policy.markings import strict_country_note
from ironriver.store import open_store

MAPPING = """\
mx_fgr_informes:
  agency: FGR
  country: MX
  marking: {marking}
  releasable_to: {releasable}
  queries:
    - csv_url: informes.csv
      entities:
        person:
          schema: Person
          keys: [folio]
          properties: {{name: {{column: nombre}}}}
"""


def _mapping(tmp_path: Path, marking: str, releasable: str) -> Path:
    (tmp_path / "informes.csv").write_text("folio,nombre\nI1,Ana Ruiz\n", encoding="utf-8")
    path = tmp_path / "m.yml"
    path.write_text(MAPPING.format(marking=marking, releasable=releasable), encoding="utf-8")
    return path


def _label(marking: Marking, *tokens: str) -> AccessLabel:
    return AccessLabel("FGR", "MX", marking, frozenset(tokens))


def test_a_country_code_no_agency_here_is_named_under_amber_strict() -> None:
    agencies = {"FGR", "SEDENA", "ATF"}
    note = strict_country_note("ds", _label(Marking.AMBER_STRICT, "US", "SEDENA"), agencies)
    assert note is not None
    assert render(note, "en") == (
        "ds: AMBER+STRICT is read by the agencies named only, and US is a country code that "
        "no principal's agency is here: no one reads these facts through it. To release them "
        "to a country, choose AMBER; name agencies for AMBER+STRICT (e.g. FGR, SEDENA). If US "
        "is a partner node's agency, this is as meant."
    )
    assert "US es un código de país" in render(note, "es")
    both = strict_country_note("ds", _label(Marking.AMBER_STRICT, "US", "MX"), agencies)
    assert both is not None and "MX, US are country codes" in render(both, "en")


def test_agencies_a_principal_belongs_to_and_other_markings_say_nothing() -> None:
    # GN is Guinea's code and an agency's: here a principal belongs to it
    strict_gn = _label(Marking.AMBER_STRICT, "GN", "SEDENA")
    assert strict_country_note("ds", strict_gn, {"GN", "SEDENA"}) is None
    assert strict_country_note("ds", strict_gn, {"gn"}) is None  # (agencies in any case)
    # agencies that are no country code (FGR, ATF: FtM reads no three-letter code) and users
    assert strict_country_note("ds", _label(Marking.AMBER_STRICT, "ATF", "FGR"), set()) is None
    for marking in (Marking.AMBER, Marking.GREEN):  # a country reads these
        assert strict_country_note("ds", _label(marking, "US"), {"FGR"}) is None


def test_the_ingest_says_it_and_the_facts_are_read_as_the_note_says(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    mapping = _mapping(tmp_path, "AMBER+STRICT", "[US, SEDENA]")
    args = ["--db", str(db), "--as", "mx-fgr-analista", str(mapping)]
    runner = CliRunner(env={"IRONRIVER_LANG": "en"})
    got = runner.invoke(ingest_command, ["--json", *args])
    assert got.exit_code == 0, got.output
    [data] = json.loads(got.stdout)
    assert [n.split(":")[0] for n in data["notes"]] == ["mx_fgr_informes"]
    assert "US is a country code" in data["notes"][0]
    human = runner.invoke(ingest_command, ["--dry-run", *args])
    assert "Note: mx_fgr_informes: AMBER+STRICT is read by" in human.stderr
    spanish = CliRunner(env={"IRONRIVER_LANG": "es"}).invoke(ingest_command, ["--dry-run", *args])
    assert "US es un código de país" in spanish.stderr
    # what the note says: a US reader does not see them, SEDENA's does
    store = open_store(f"sqlite:///{db}")
    try:
        [hit] = View(store, Principal("s", "SEDENA", "MX"), audit=False).search("ana ruiz")
        assert View(store, Principal("a", "ATF", "US"), audit=False).entity(hit.entity_id) is None
    finally:
        store.close()


def test_agencies_only_and_amber_to_a_country_are_no_note(tmp_path: Path) -> None:
    runner = CliRunner(env={"IRONRIVER_LANG": "en"})
    for marking, releasable in (("AMBER+STRICT", "[SEDENA, ATF]"), ("AMBER", "[US]")):
        mapping = _mapping(tmp_path, marking, releasable)
        args = ["--json", "--db", str(tmp_path / "s.db"), "--as", "mx-fgr-analista"]
        got = runner.invoke(ingest_command, [*args, "--dry-run", str(mapping)])
        assert got.exit_code == 0, got.output
        assert json.loads(got.stdout)[0]["notes"] == []


def test_an_entity_file_says_it_too(tmp_path: Path) -> None:
    lines = {"id": "p1", "schema": "Person", "properties": {"name": ["Ana Ruiz"]}}
    (tmp_path / "e.jsonl").write_text(json.dumps(lines) + "\n", encoding="utf-8")
    args = ["--json", "--db", str(tmp_path / "s.db"), "--as", "mx-fgr-analista"]
    args += ["--entities", str(tmp_path / "e.jsonl"), "--dataset", "mx_fgr_export"]
    args += ["--agency", "FGR", "--country", "MX", "--marking", "AMBER+STRICT"]
    runner = CliRunner(env={"IRONRIVER_LANG": "en"})
    for extra in (["--dry-run"], []):
        got = runner.invoke(ingest_command, [*args, *extra, "--releasable-to", "MX,SEDENA"])
        assert got.exit_code == 0, got.output
        [data] = json.loads(got.stdout)
        assert len(data["notes"]) == 1 and "MX is a country code" in data["notes"][0]
