"""A value edited in a ledger part (review R23 F2): the part rewritten with pyarrow, as many
rows, one value changed, passed `audit verify` (it reads footers: rows) and a re-ingest of
its source kept it. Now each ingest records the SHA-256 of the bytes of the parts it writes
(`ledger_files`), `audit verify-data` holds every part to it, and a re-ingest moves a part
whose bytes differ aside and writes it again. Parts an older version recorded (no hash) are
checked by their rows, as before, and said to be. Real stores on both backends, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sales_fixtures import sales_ledger  # type: ignore[import-not-found]

from ironriver.cli import cli
from ironriver.i18n import LANG_ENV
from ironriver.ingest import pipeline
from ironriver.ingest.pipeline import ingest_mapping
from ironriver.policy.markings import AccessLabel, Marking
from ironriver.store import EventFilter, Store
from ironriver.store.data_verify import verify_data
from ironriver.store.ledger import LedgerStore

SALES = "T1,ABC-123\nT2,XYZ9\nT3,abc 123\n"


def _load(store: Store, tmp_path: Path) -> Path:
    """Ingest the sales (`tmp_path/sales.csv.yaml`) into `store`; return its one ledger part."""
    ingest_mapping(store, sales_ledger(tmp_path, "sales.csv", SALES), actor="loader")
    (part,) = (tmp_path / "ledgers").glob("*/*/part-*.parquet")
    return part


def _stamp(part: Path) -> None:
    """The reviewer's edit: the part rewritten by pyarrow, row 0's serial changed, as many rows."""
    table = pq.read_table(part)
    index = table.schema.get_field_index("serial")
    serial = table.column(index).to_pylist()
    serial[0] = "TAMPERED"
    pq.write_table(table.set_column(index, "serial", pa.array(serial, pa.string())), part)


def _run(store: Store, *args: str, lang: str = "en") -> tuple[int, str]:
    db = store.engine.url.render_as_string(hide_password=False)
    env = {LANG_ENV: lang, "IRONRIVER_LEDGERS": str(store.ledger_dir)}
    result = CliRunner().invoke(cli, [*args, "--db", db], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _seq(store: Store) -> int:
    return int(next(iter(store.audit.write_events(EventFilter(action="ingest")))).seq)


def _serials(store: Store) -> list[Any]:
    code, out = _run(store, "ledger", "us_atf_sales", "--as", "us-atf-analyst", "--json")
    assert code == 0, out
    return [row["values"]["serial"] for row in json.loads(out)["rows"]]


def test_an_untouched_store_holds_the_bytes_its_ingests_recorded(
    store: Store, tmp_path: Path
) -> None:
    _load(store, tmp_path)
    code, out = _run(store, "audit", "verify-data")
    assert code == 0, out
    assert "Ledger parts intact: 1 part holds the bytes its ingest recorded." in out
    code, out = _run(store, "audit", "verify-data", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert (data["ledger_parts_hashed"], data["ledger_parts_unhashed"]) == (1, 0)
    code, out = _run(store, "audit", "verify")
    assert code == 0, out
    assert "their bytes, against the hashes their ingests recorded, by `ironriver audit " in out


def test_a_value_edited_in_a_part_is_found_and_a_reingest_writes_it_again(
    store: Store, tmp_path: Path
) -> None:
    part = _load(store, tmp_path)
    _stamp(part)
    assert "TAMPERED" in _serials(store)  # (reads do not hash parts: verify-data does)
    code, out = _run(store, "audit", "verify")  # the rows are right: its check passes
    assert code == 0, out
    code, out = _run(store, "audit", "verify-data")
    assert code == 5, out
    assert "LEDGER PART ALTERED (1 problem):" in out
    assert f"ledger part {part} does not hold the bytes ingest event {_seq(store)} wrote" in out
    assert "Restore it from a backup, or re-ingest that event's source file" in out
    assert "Statements intact" in out  # (the statements' check is its own)
    code, out = _run(store, "audit", "verify-data", lang="es")
    assert code == 5
    assert "PARTE DE LIBRO DE REGISTRO ALTERADA (1 problema):" in out
    assert f"la parte de libro de registro {part} no contiene los bytes" in out
    code, out = _run(store, "audit", "verify-data", "--json")
    assert code == 5 and any(str(part) in p for p in json.loads(out)["problems"]), out
    # the same file again: the edited part is moved aside (kept), the part written again
    code, out = _run(store, "ingest", str(tmp_path / "sales.csv.yaml"), "--as", "loader")
    assert code == 0, out
    (aside,) = part.parent.glob("damaged-*.parquet")
    assert "TAMPERED" in pq.read_table(aside).column("serial").to_pylist()
    assert sorted(_serials(store)) == ["ABC-123", "XYZ9", "abc 123"]
    code, out = _run(store, "audit", "verify-data")
    assert code == 0, out
    assert "Ledger parts intact: 1 part holds" in out


def test_the_library_check_holds_the_parts_too(store: Store, tmp_path: Path) -> None:
    """`verify_data` is the whole check for a library caller (an API, a cron script): an
    edited part makes it fail, as the command does (before, the command composed it with
    `verify_ledger_bytes` itself and `verify_data` alone said ok)."""
    part = _load(store, tmp_path)
    check = verify_data(store)
    assert check.ok and (check.ledger.hashed, check.ledger.unhashed) == (1, 0)
    _stamp(part)
    check = verify_data(store)
    assert not check.ok and check.statement_problems == ()
    [problem] = check.problems
    assert problem.render("en").startswith(f"ledger part {part} does not hold the bytes")
    assert check.ledger.problems == (problem,)


def test_parts_recorded_without_a_hash_are_checked_by_their_rows_and_said_so(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older version's ingest events record no `sha256`: no false alarm, and what is not
    checked is said."""
    recorded = pipeline.committed_files

    def older(root: Path, parts: Any) -> list[dict[str, Any]]:
        return [{"path": f["path"], "rows": f["rows"]} for f in recorded(root, parts)]

    monkeypatch.setattr(pipeline, "committed_files", older)
    part = _load(store, tmp_path)
    code, out = _run(store, "audit", "verify-data")
    assert code == 0, out
    assert "1 ledger part was recorded by an older version, with no hash of its bytes" in out
    assert "Ledger parts intact" not in out
    code, out = _run(store, "audit", "verify-data", lang="es")
    assert code == 0 and "versión anterior" in out, out
    _stamp(part)  # (undetectable there, as before: its rows are right)
    assert _run(store, "audit", "verify-data")[0] == 0
    assert _run(store, "audit", "verify")[0] == 0
    part.unlink()  # its rows are still checked
    assert _run(store, "audit", "verify")[0] == 5


def test_a_part_named_by_its_bytes_is_written_again_when_they_differ(tmp_path: Path) -> None:
    """`LedgerStore.write` with no store (no record): a part whose name hashes its bytes
    must have the bytes just written under that name, or it is moved aside."""
    ledgers = LedgerStore(tmp_path)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    table = pa.table({"serial": ["A1", "A2"]})
    assert ledgers.write("ds", "lg", label, table) == 2
    (part,) = (tmp_path / "ds" / "lg").glob("part-*.parquet")
    whole = pq.read_table(part)
    index = whole.schema.get_field_index("serial")
    edited = pc.if_else(pc.equal(whole.column(index), "A1"), "TAMPERED", whole.column(index))
    pq.write_table(whole.set_column(index, "serial", edited), part)
    assert ledgers.write("ds", "lg", label, table) == 2  # written again
    assert pq.read_table(part).column("serial").to_pylist() == ["A1", "A2"]
    assert len(list(part.parent.glob("damaged-*.parquet"))) == 1
    assert ledgers.write("ds", "lg", label, table) == 0  # in place, whole: a no-op
