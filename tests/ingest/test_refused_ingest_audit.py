"""A real ingest refused for what the store holds is audited (review finding F3): a `refused`
event on the reads chain (detail `attempt: ingest`, `because`), written though the load is
rolled back, naming the files and datasets, never a stored value; the store's statements,
ledgers and writes chain stay as they were. A refusal decided by the file alone writes none.
The library on both backends; the command line (`audit log` in English and Spanish, `audit
verify`) on SQLite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import AccessDenied, IngestError, StoreError
from ironriver.ingest import ingest_entities, ingest_mapping
from ironriver.policy import Marking, Principal
from ironriver.store import DatasetInfo, Store
from ironriver.store.audit_chain import READS, WRITES

ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
# an administrator of another agency: may load any dataset, may not read ATF-only rows
ADMIN = Principal("root", "OIG", "US", frozenset({"admin"}))

MAPPING = """\
{dataset}:
  agency: ATF
  country: US
  marking: {marking}
  releasable_to: [ATF]
  queries:
  - csv_url: {file}
    ledger:
      name: dealer_sales
      key: [txn]
      columns:
        txn: {{column: txn, type: string, required: true}}
        serial: serial
"""


def _mapping(
    tmp: Path,
    file: str,
    rows: str,
    marking: str = "AMBER+STRICT",
    dataset: str = "us_atf_sales",
) -> Path:
    (tmp / file).write_text("txn,serial\n" + rows, encoding="utf-8")
    mapping = tmp / f"{file}.yaml"
    text = MAPPING.format(file=file, marking=marking, dataset=dataset)
    mapping.write_text(text, encoding="utf-8")
    return mapping


def _refusals(store: Store) -> list[dict[str, Any]]:
    return [
        {"chain": e.chain, "actor": e.actor, "agency": e.agency, "target": e.target, **e.detail}
        for e in store.audit.events()
        if e.action == "refused"
    ]


def _state(store: Store) -> tuple[int, list[str], list[tuple[str, str]]]:
    """What a refused ingest must leave as it was: the statements, the ledger files, the
    writes chain."""
    files = sorted(str(p.relative_to(store.ledger_dir)) for p in store.ledger_dir.rglob("*"))
    writes = [(e.action, e.target) for e in store.audit.events() if e.chain == WRITES]
    return store.statement_count(), files, writes


def test_a_stored_key_conflict_is_audited_without_the_stored_values(
    store: Store, tmp_path: Path
) -> None:
    first = _mapping(tmp_path, "enero.csv", "TXN-001,SERIAL-A1\n")
    ingest_mapping(store, first, actor="atf-loader", principal=ATF_LOADER)
    before = _state(store)
    # TXN-001 is stored as SERIAL-A1: another agency's administrator, who may not read the row,
    # and the owner alike are refused, and each refusal is on record
    changed = _mapping(tmp_path, "febrero.csv", "TXN-001,SERIAL-B1\nTXN-002,SERIAL-A2\n")
    for principal in (ADMIN, ATF_LOADER):
        with pytest.raises(IngestError, match="key already stored with other values"):
            ingest_mapping(
                store, changed, actor=principal.name, principal=principal, reason="monthly"
            )
    assert _state(store) == before
    first_refusal, second = _refusals(store)
    assert first_refusal == {
        "chain": READS,
        "actor": "root",
        "agency": "OIG",
        "target": "us_atf_sales",
        "attempt": "ingest",
        "mapping": str(changed),
        "files": ["febrero.csv"],
        "file_sha256": first_refusal["file_sha256"],
        "replace": False,
        "keys_checked": ["us_atf_sales/dealer_sales"],
        "records": 2,
        "rejected": 1,
        "because": "stored-keys",
        "outcome": "IngestError",
    }
    assert list(first_refusal["file_sha256"]) == ["febrero.csv"]
    assert (second["actor"], second["agency"]) == ("atf-loader", "ATF")
    events = json.dumps([e.__dict__ for e in store.audit.events()])
    assert "SERIAL-A1" not in events and "TXN-001" not in events  # no stored value, no key
    assert [e.reason for e in store.audit.events() if e.action == "refused"] == ["monthly"] * 2
    assert store.audit.verify().ok


def test_a_refusal_decided_by_the_file_alone_writes_no_event(store: Store, tmp_path: Path) -> None:
    """A record rejected on its own (an empty required key), the ledger holding nothing yet:
    the store told nothing, so nothing is recorded."""
    bad = _mapping(tmp_path, "enero.csv", ",SERIAL-A1\n")
    with pytest.raises(IngestError, match="rejected"):
        ingest_mapping(store, bad, actor="atf-loader", principal=ATF_LOADER)
    assert _refusals(store) == []
    assert [e.action for e in store.audit.events() if e.chain == READS] == []


def test_a_dataset_stored_otherwise_is_audited_as_refused_and_as_a_check(
    store: Store, tmp_path: Path
) -> None:
    """A dataset name stored as another agency's, or under another label: the refusal tells
    what the store holds, before any file is read. A dry run records it as an
    `ingest-check`."""
    ingest_mapping(
        store, _mapping(tmp_path, "enero.csv", "T1,A1\n"), actor="a", principal=ATF_LOADER
    )
    before = _state(store)
    other_label = _mapping(tmp_path, "febrero.csv", "T2,A2\n", marking="AMBER")
    with pytest.raises(StoreError, match="is stored as"):
        ingest_mapping(store, other_label, actor="atf-loader", principal=ATF_LOADER)
    fgr = Principal("fgr-loader", "FGR", "MX", frozenset({"ingest"}))
    taken = tmp_path / "fgr.yaml"
    taken.write_text(
        MAPPING.replace("agency: ATF", "agency: FGR")
        .replace("country: US", "country: MX")
        .replace("[ATF]", "[FGR]")
        .format(file="febrero.csv", marking="AMBER", dataset="us_atf_sales"),
        encoding="utf-8",
    )
    with pytest.raises(StoreError, match="is another agency's"):
        ingest_mapping(store, taken, actor="fgr-loader", principal=fgr)
    with pytest.raises(StoreError, match="is stored as"):
        ingest_mapping(store, other_label, actor="atf-loader", principal=ATF_LOADER, dry_run=True)
    assert _state(store) == before
    assert [(r["actor"], r["because"], r["outcome"], r["files"]) for r in _refusals(store)] == [
        ("atf-loader", "dataset-declared", "StoreError", ["febrero.csv"]),
        ("fgr-loader", "dataset-declared", "StoreError", ["febrero.csv"]),
    ]
    [check] = [e for e in store.audit.events() if e.action == "ingest-check"]
    assert (check.chain, check.detail["outcome"]) == (READS, "StoreError")
    assert store.audit.verify().ok


def test_an_entities_ingest_refused_for_a_stored_label_is_audited(
    store: Store, tmp_path: Path
) -> None:
    """`--entities`: lines naming the owner's own dataset stored under another label
    (without `relabel`), and a dataset declared otherwise than stored, are refused and
    audited as the refusal of another agency's datasets always was."""
    atf = DatasetInfo("us_atf_traces", "ATF", "US", Marking.AMBER, frozenset({"US"}))
    line = tmp_path / "e.jsonl"
    line.write_text(
        '{"id": "p1", "schema": "Person", "properties": {"name": ["Ana"]}, '
        '"datasets": ["us_atf_traces"]}\n',
        encoding="utf-8",
    )
    loader = Principal("atf-loader", "ATF", "US", frozenset({"ingest", "analyst"}))
    ingest_entities(store, line, atf, actor="atf-loader", principal=loader)
    before = _state(store)
    clear = DatasetInfo("atf_open", "ATF", "US", Marking.CLEAR)
    with pytest.raises(AccessDenied, match="labelled otherwise there"):
        ingest_entities(store, line, clear, actor="atf-loader", principal=loader, reason="r")
    stricter = DatasetInfo("us_atf_traces", "ATF", "US", Marking.RED, frozenset({"US"}))
    with pytest.raises(StoreError, match="is stored as"):
        ingest_entities(store, line, stricter, actor="atf-loader", principal=loader)
    assert _state(store) == before
    relabel, declared = _refusals(store)
    assert relabel == {
        "chain": READS,
        "actor": "atf-loader",
        "agency": "ATF",
        "target": "atf_open",
        "attempt": "ingest",
        "entities_file": "e.jsonl",
        "datasets": {"us_atf_traces": 1},
        "records": 1,
        "rejected": 0,
        "because": "relabelled",
        "outcome": "AccessDenied",
    }
    assert (declared["target"], declared["because"]) == ("us_atf_traces", "dataset-declared")
    assert store.audit.verify().ok


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_the_command_line_shows_the_refusal_in_both_languages(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    first = _mapping(tmp_path, "enero.csv", "T1,A1\n")
    code, out = _run("ingest", str(first), "--db", db, "--as", "us-atf-analyst")
    assert code == 0, out
    changed = _mapping(tmp_path, "febrero.csv", "T1,B1\n")
    code, out = _run("ingest", str(changed), "--db", db, "--as", "loader", "--reason", "sondeo")
    assert code == 1 and "key already stored with other values" in out, out
    for lang, label in [("en", "refused"), ("es", "intento rechazado")]:
        code, out = _run("--lang", lang, "audit", "log", "--db", db, "--as", "auditor",
                         "--action", "refused")  # fmt: skip
        assert code == 0, out
        [row] = [line for line in out.splitlines() if "us_atf_sales" in line]
        assert label in row and "loader" in row and "sondeo" in row, out
    code, out = _run("audit", "log", "--db", db, "--as", "auditor", "--json", "--action",
                     "refused")  # fmt: skip
    [event] = json.loads(out)
    assert (event["chain"], event["detail"]["because"]) == ("reads", "stored-keys")
    code, out = _run("audit", "verify", "--db", db)
    assert code == 0, out


def test_a_key_conflict_with_an_earlier_query_of_the_same_ingest_writes_no_event(
    store: Store, tmp_path: Path
) -> None:
    """Two queries of one mapping into one keyed ledger of an empty store: the second's
    keys are checked against the first's part, this ingest's own (not yet in the store),
    so its conflict tells nothing of the store: refused, and nothing is recorded."""
    _mapping(tmp_path, "febrero.csv", "TXN-001,SERIAL-B1\n")
    mapping = _mapping(tmp_path, "enero.csv", "TXN-001,SERIAL-A1\n")
    text = mapping.read_text(encoding="utf-8")
    query = text[text.index("  - csv_url:") :]
    mapping.write_text(text + query.replace("enero.csv", "febrero.csv"), encoding="utf-8")
    with pytest.raises(IngestError, match="key already stored with other values"):
        ingest_mapping(store, mapping, actor="atf-loader", principal=ATF_LOADER)
    assert _refusals(store) == []
    assert [e.action for e in store.audit.events() if e.chain == READS] == []
