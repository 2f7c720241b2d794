"""Who may declare a dataset's owner, and what an `--entities` ingest may re-release (review
R11 F1, F2): real SQLite stores, the real command through click's runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.policy import Marking
from ironriver.store import DatasetInfo, open_store
from samples import MX, US, load, table

# HSI's informant, released to HSI and ATF only: ATF reads it, and exports it with the rest
HSI = DatasetInfo("hsi_zafiro", "HSI", "US", Marking.AMBER_STRICT, frozenset({"HSI", "ATF"}))
# a dataset an older version let CBP declare as Mexico's (before the country was checked)
CBP_MX = DatasetInfo("cbp_as_mx", "CBP", "MX", Marking.CLEAR)


def _store(tmp_path: Path, *extra: DatasetInfo) -> str:
    db = tmp_path / "x.db"
    store = open_store(f"sqlite:///{db}")
    load(store)  # ATF's us_atf_traces (AMBER, US) and FGR's mx_fgr_aseguramientos (AMBER, MX,US)
    rows = {
        HSI: [("inf1", "Person", "name", "Informante Zafiro")],
        CBP_MX: [("c1", "Vehicle", "registrationNumber", "CBP111")],
    }
    with store.writer() as w:
        for info in extra:
            w.ensure_dataset(info)
            w.add_statements(table(info.name, rows[info]), info.name, info.label)
    store.close()
    return str(db)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _datasets(db: str) -> set[str]:
    store = open_store(f"sqlite:///{db}")
    try:
        return {info.name for _id, info in store.datasets()}
    finally:
        store.close()


def _events(db: str, *args: str, auditor: str = "loader") -> list[dict[str, Any]]:
    code, out = run("audit", "log", "--db", db, "--as", auditor, "--json", *args)
    assert code == 0, out
    return list(json.loads(out))


def test_a_loader_declares_its_own_countrys_datasets_only(tmp_path: Path) -> None:
    """CBP declaring a dataset as Mexico's was loaded (F2): a principal's ingest declares its
    own agency's and country's datasets only, with --entities and in a mapping alike; an
    admin any agency's, in the country the principals file places it in (anywhere for an
    agency the file does not know)."""
    db = _store(tmp_path)
    lines = tmp_path / "f.jsonl"
    lines.write_text(
        '{"id": "v9", "schema": "Vehicle", "properties": {"registrationNumber": ["Q1"]}}\n',
        encoding="utf-8",
    )
    entities = ("ingest", "--db", db, "--entities", str(lines), "--marking", "CLEAR")
    code, out = run(*entities, "--as", "us-cbp-officer", "--dataset", "cbp_mx", "--agency", "CBP",
                    "--country", "MX")  # fmt: skip
    assert code == 3, out
    assert "us-cbp-officer (CBP, US) may not load 'cbp_mx' as a dataset of MX" in out
    assert "Declare the country US (--country US" in out
    code, out = run(*entities, "--as", "mx-fgr-analista", "--dataset", "fgr_us", "--agency", "FGR",
                    "--country", "us")  # fmt: skip
    assert code == 3 and "no puede cargar 'fgr_us' como conjunto de datos de US" in out, out
    assert "Declare el país MX" in out
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "fgr_us:\n  agency: FGR\n  country: US\n  marking: AMBER\n  releasable_to: [MX]\n"
        "  queries:\n  - csv_url: guns.csv\n    entities:\n      arma:\n        schema: Firearm\n"
        "        keys: [serie]\n        properties:\n          serialNumber: {column: serie}\n",
        encoding="utf-8",
    )
    (tmp_path / "guns.csv").write_text("serie\nABC9\n", encoding="utf-8")
    code, out = run("--lang", "en", "ingest", str(mapping), "--db", db, "--as", "mx-fgr-analista")
    assert code == 3 and "as a dataset of US" in out, out
    # an admin: FGR is Mexico's in the principals file; an agency it does not know, anywhere
    code, out = run(*entities, "--as", "loader", "--dataset", "fgr_us", "--agency", "FGR",
                    "--country", "US")  # fmt: skip
    assert code == 3 and "'fgr_us' is declared as FGR's of US, but the principals file " in out
    assert "places FGR in MX" in out
    assert _datasets(db) == {US.name, MX.name}  # nothing written by the refusals
    for agency, country in (("FGR", "MX"), ("SSPC", "MX")):
        code, out = run(*entities, "--as", "loader", "--dataset", f"{agency}_ds".lower(),
                        "--agency", agency, "--country", country)  # fmt: skip
        assert code == 0, out


def test_an_auditor_reads_its_own_countrys_principals_only(tmp_path: Path) -> None:
    """A dataset labelled Mexico's (here CBP's, as an older version let CBP declare) does not
    give the Mexican auditor CBP's events: the auditor's scope comes from the principals
    file only (F2)."""
    db = _store(tmp_path, CBP_MX)
    code, out = run("search", "perez", "--db", db, "--as", "us-cbp-officer", "--reason", "caso 7")
    assert code == 0, out
    assert _events(db, "--actor", "us-cbp-officer", auditor="mx-auditor") == []
    us = _events(db, "--actor", "us-cbp-officer", auditor="auditor")
    assert [(e["action"], e["reason"]) for e in us] == [("search", "caso 7")]
    code, out = run("audit", "log", "--db", db, "--as", "mx-auditor")
    assert "(CNI, FGR, SABG, SEDENA)" in out, out


def _export(db: str, path: Path, *args: str) -> list[dict[str, Any]]:
    code, out = run("export", "--db", db, "--as", "us-atf-analyst", "--reason", "r", "-o",
                    str(path), *args)  # fmt: skip
    assert code == 0, out
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_another_agencys_data_is_not_re_released(tmp_path: Path) -> None:
    """ATF exports all it reads (HSI's AMBER+STRICT informant, FGR's records) and loads the
    file back as CLEAR (F1): refused, naming the other agencies' datasets and how many
    entities come from each, nothing written, the attempt audited; Mexican analysts still
    do not find the informant. A line of the per-line path (a key given twice) naming a
    dataset as one string counts too."""
    db = _store(tmp_path, HSI)
    every = tmp_path / "all.jsonl"
    exported = _export(db, every)
    assert ["hsi_zafiro"] in [e["datasets"] for e in exported]
    args = ("ingest", "--db", db, "--as", "us-atf-analyst", "--entities", str(every), "--dataset",
            "atf_reshare", "--agency", "ATF", "--country", "US", "--marking", "CLEAR")  # fmt: skip
    code, out = run(*args, "--reason", "share")
    assert code == 3, out
    assert (
        "Entities of all.jsonl come from datasets another agency owns (hsi_zafiro of HSI: 1 "
        "entity; mx_fgr_aseguramientos of FGR: 3 entities): ATF may not re-release them under "
        "a label of its own; nothing was ingested." in out
    )
    assert "ask FGR, HSI to share that data" in out
    assert _datasets(db) == {US.name, MX.name, HSI.name}
    code, out = run("search", "zafiro", "--db", db, "--as", "mx-fgr-analista")
    assert code == 0 and "Informante" not in out, out
    [refused] = _events(db, "--action", "refused")
    assert (refused["actor"], refused["target"], refused["reason"]) == (
        "us-atf-analyst",
        "atf_reshare",
        "share",
    )
    assert refused["detail"]["datasets"] == {
        "hsi_zafiro": {"agency": "HSI", "entities": 1},
        "mx_fgr_aseguramientos": {"agency": "FGR", "entities": 3},
    }
    # one line, read by the per-line path (its id given twice), naming HSI's as a string
    one = tmp_path / "one.jsonl"
    one.write_text(
        '{"id": "inf1", "schema": "Person", "properties": {"name": ["Informante Zafiro"]}, '
        '"datasets": "hsi_zafiro", "id": "inf1"}\n',
        encoding="utf-8",
    )
    code, out = run("--lang", "es", *args[:6], str(one), *args[7:])
    assert code == 3, out
    assert "(hsi_zafiro de HSI: 1 entidad): ATF no puede volver a divulgarlas" in out
    assert _datasets(db) == {US.name, MX.name, HSI.name}


def test_the_owner_of_a_dataset_the_loader_may_not_see_is_not_named(tmp_path: Path) -> None:
    """Review R24 F7: SEDENA's file names HSI's AMBER+STRICT informant dataset (released to
    HSI and ATF) and FGR's records (released to MX and US): refused all the same, but only
    FGR, whose dataset SEDENA's analyst may see, is named as an owner; of HSI's, the name
    alone, as the refusal of the dataset name itself says only "another agency's". The
    event still records both owners (the audit log is not a view). A loader without the
    analyst role reads nothing, so ATF's clerk, whose label HSI's dataset names, is told
    no owner either."""
    db = _store(tmp_path, HSI)
    lines = tmp_path / "both.jsonl"
    lines.write_text(
        '{"id": "inf1", "schema": "Person", "properties": {"name": ["X"]}, '
        '"datasets": ["hsi_zafiro"]}\n'
        '{"id": "m1", "schema": "Person", "properties": {"name": ["Y"]}, '
        '"datasets": ["mx_fgr_aseguramientos"]}\n',
        encoding="utf-8",
    )
    args = ("ingest", "--db", db, "--entities", str(lines), "--dataset", "sedena_copia",
            "--agency", "SEDENA", "--country", "MX", "--marking", "AMBER", "--releasable-to",
            "MX", "--reason", "r")  # fmt: skip
    code, out = run("--lang", "en", *args, "--as", "mx-sedena-analista")
    assert code == 3, out
    assert (
        "Entities of both.jsonl come from datasets another agency owns (hsi_zafiro: 1 entity; "
        "mx_fgr_aseguramientos of FGR: 1 entity): SEDENA may not re-release them" in out
    )
    assert "ask the agency that owns that data to share it" in out and "HSI" not in out
    code, out = run("--lang", "es", *args, "--as", "mx-sedena-analista")
    assert code == 3 and "(hsi_zafiro: 1 entidad; mx_fgr_aseguramientos de FGR" in out, out
    assert "pida a la dependencia dueña de esos datos" in out and "HSI" not in out
    refused = _events(db, "--action", "refused", "--actor", "mx-sedena-analista")
    assert refused[0]["detail"]["datasets"] == {
        "hsi_zafiro": {"agency": "HSI", "entities": 1},
        "mx_fgr_aseguramientos": {"agency": "FGR", "entities": 1},
    }
    principals = tmp_path / "principals.yaml"
    principals.write_text(
        "principals:\n  - {name: us-atf-clerk, agency: ATF, country: US, roles: [ingest]}\n",
        encoding="utf-8",
    )
    code, out = run("--lang", "en", "ingest", "--db", db, "--entities", str(lines), "--dataset",
                    "atf_copia", "--agency", "ATF", "--country", "US", "--marking", "AMBER",
                    "--reason", "r", "--principals", str(principals), "--as", "us-atf-clerk")  # fmt: skip
    assert code == 3, out
    assert "(hsi_zafiro: 1 entity; mx_fgr_aseguramientos: 1 entity)" in out
    assert "HSI" not in out and "FGR" not in out
    assert _datasets(db) == {US.name, MX.name, HSI.name}


def test_an_agencys_own_data_is_relabelled_only_when_asked(tmp_path: Path) -> None:
    """ATF's own AMBER (US) records exported and loaded back as CLEAR: refused unless
    --relabel, which loads them with a note and records the relabelling in the ingest's
    audit event; under the same label they load without it."""
    db = _store(tmp_path)
    mine = tmp_path / "atf.jsonl"
    _export(db, mine, "--dataset", US.name)
    args = ("ingest", "--db", db, "--as", "us-atf-analyst", "--entities", str(mine),
            "--agency", "ATF", "--country", "US")  # fmt: skip
    code, out = run(*args, "--dataset", "atf_open", "--marking", "CLEAR")
    assert code == 3, out
    assert (
        "atf.jsonl holds entities of ATF's other datasets, labelled otherwise there: 3 entities "
        "come from us_atf_traces, marked AMBER there (releasable to US); in atf_open they are "
        "marked CLEAR (releasable to -). Nothing was ingested." in out
    )
    assert "pass --relabel" in out and _datasets(db) == {US.name, MX.name}
    code, out = run(*args, "--dataset", "atf_open", "--marking", "CLEAR", "--relabel")
    assert code == 0 and "Note: 3 entities come from us_atf_traces, marked AMBER" in out, out
    [ingest] = _events(db, "--action", "ingest", "--target", "atf_open")
    assert ingest["detail"]["relabelled"] == {"us_atf_traces": 3}
    code, out = run(*args, "--dataset", "atf_copy", "--marking", "AMBER", "--releasable-to", "US")
    assert code == 0 and "Note:" not in out, out
    (tmp_path / "m.yaml").write_text("{}\n", encoding="utf-8")
    code, out = run("ingest", "--db", db, "--as", "us-atf-analyst", str(tmp_path / "m.yaml"),
                    "--relabel")  # fmt: skip
    assert code == 2 and "--relabel goes with --entities" in out, out
