"""A source file rewritten while the ingest reads it is refused, and nothing is ingested (review
R19 F1). The ingest reads a file more than once (its SHA-256 for the audit event and a ledger
part's name, its UTF-8 check, its parse); a file cut short or rewritten between those reads
(an agency's export rewritten in place) was loaded as whatever the parse saw, under a digest
of other bytes: a cut last row stored as "SERI", and an audit `file_sha256` matching neither
the file before nor after. Each case rewrites the file right after its digest was taken and
before the rows are read (the readers are patched to run one after the other)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from sales_fixtures import FGR_EXPORT, sales_ledger, snapshot  # type: ignore[import-not-found]

import ironriver.ingest.entities as entities
import ironriver.ingest.prepare as prepare
from ironriver.errors import IngestError
from ironriver.ingest import ingest_entities, ingest_mapping
from ironriver.store import Store

ROWS = "".join(f"T{i:05d},SERIAL{i:05d}\n" for i in range(2000))
CHANGED = "changed while it was read"


def _cut_after_digest(monkeypatch: pytest.MonkeyPatch, module: Any, change: Any) -> None:
    """`module.file_digest` changes the file (`change(path)`) once it has hashed it, and
    the parse (`prepare.load_source`), when patched here, waits for that."""
    digested = threading.Event()
    real_digest = module.file_digest

    def digest_then_change(path: Path) -> str:
        result: str = real_digest(path)
        change(path)
        digested.set()
        return result

    monkeypatch.setattr(module, "file_digest", digest_then_change)
    if module is prepare:
        real_load = prepare.load_source

        def load_after(*args: Any, **kwargs: Any) -> Any:
            assert digested.wait(30)
            return real_load(*args, **kwargs)

        monkeypatch.setattr(prepare, "load_source", load_after)


def _cut(path: Path, mid_row: bool = True) -> None:
    """Keep the header and 10 rows, and with `mid_row` the first 4 bytes of the next (then
    the parse fails: the file's change is what is said, not the cut row)."""
    lines = path.read_bytes().split(b"\n")
    os.truncate(path, len(b"\n".join(lines[:11])) + 1 + (4 if mid_row else 0))


def _ledger_rows(store: Store) -> int:
    return sum(1 for _ in store.ledger_dir.rglob("*.parquet")) if store.ledger_dir.exists() else 0


@pytest.mark.parametrize("mid_row", [True, False], ids=["mid-row", "row-end"])
@pytest.mark.parametrize("buyers", [False, True], ids=["ledger", "entities-and-ledger"])
def test_a_mapped_file_cut_short_while_read_is_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, buyers: bool, mid_row: bool
) -> None:
    rows = "".join(f"T{i:05d},P{i:05d},Ana {i}\n" for i in range(2000)) if buyers else ROWS
    mapping = sales_ledger(tmp_path, "a.csv", rows, buyers=buyers)
    before = snapshot(store)
    _cut_after_digest(monkeypatch, prepare, lambda path: _cut(path, mid_row))
    with pytest.raises(IngestError) as caught:
        ingest_mapping(store, mapping, actor="t")
    assert caught.value.message.startswith(f"a.csv {CHANGED}")
    assert "nothing was ingested" in caught.value.message
    assert snapshot(store) == before and _ledger_rows(store) == 0
    assert "ingest" not in [e.action for e in store.audit.events()]
    # the same file, left alone, is ingested whole
    monkeypatch.undo()
    if mid_row:  # (else what the file holds now is well formed)
        with pytest.raises(IngestError, match="line 12 has 1 fields"):
            ingest_mapping(store, mapping, actor="t")
        _cut(tmp_path / "a.csv", mid_row=False)
    result = ingest_mapping(store, mapping, actor="t")
    assert result.ledger_rows == 10 and _ledger_rows(store) == 1


def test_the_message_is_in_spanish_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ironriver.cli import cli

    mapping = sales_ledger(tmp_path, "a.csv", ROWS)
    _cut_after_digest(monkeypatch, prepare, _cut)
    args = ["--lang", "es", "ingest", str(mapping), "--db", str(tmp_path / "s.db")]
    done = CliRunner().invoke(cli, [*args, "--as", "us-atf-analyst"])
    assert done.exit_code != 0
    assert "a.csv cambió mientras se leía" in done.stderr and "no se cargó nada" in done.stderr
    assert not (tmp_path / "s.db").exists()  # (the new store it made is removed)


def test_an_entity_file_rewritten_while_read_is_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FtM entity JSON Lines: the digest runs beside the staging; a line appended meanwhile
    (the file's size and times change) refuses the ingest before the store is written."""
    path = tmp_path / "e.jsonl"
    items = [
        {"id": f"p{i}", "schema": "Person", "properties": {"name": [f"Ana {i}"]}} for i in range(50)
    ]
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    before = snapshot(store)

    def append(p: Path) -> None:
        with p.open("a", encoding="utf-8") as fh:
            fh.write(
                json.dumps({"id": "px", "schema": "Person", "properties": {"name": ["Bo"]}}) + "\n"
            )

    _cut_after_digest(monkeypatch, entities, append)
    with pytest.raises(IngestError) as caught:
        ingest_entities(store, path, FGR_EXPORT, actor="t")
    assert caught.value.message.startswith(f"e.jsonl {CHANGED}")
    assert snapshot(store) == before
    monkeypatch.undo()
    assert ingest_entities(store, path, FGR_EXPORT, actor="t").records == 51


def _rewrite_after_first_query(monkeypatch: pytest.MonkeyPatch, module: Any, data: bytes) -> None:
    """`module.prepare_query` writes `data` over the query's file once the first query of the
    ingest has read it, before the second one does."""
    real = module.prepare_query
    calls: list[str] = []

    def prepare_then_rewrite(mapping: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        prep = real(mapping, query, *args, **kwargs)
        calls.append(prep.source_digest)
        if len(calls) == 1:
            query.source.path.write_bytes(data)
        return prep

    monkeypatch.setattr(module, "prepare_query", prepare_then_rewrite)


SALE_T9 = b"txn,sold,ffl,buyer_id,first,last,dob,serial,make,price\n" + (
    b"T9,01/05/2023,5-12-345,B9,Eve,Other,,SN009,Colt,99\n"
)


def test_a_file_rewritten_between_two_queries_is_refused(
    store: Store, sales_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review R20 F1: `sales.yaml` reads sales.csv twice (its entities, then its ledger); an
    export rewritten between the two reads loaded the first version's statements beside the
    second's ledger rows, under the audit's digest of the second alone."""
    import ironriver.ingest.pipeline as pipeline

    before = snapshot(store)
    _rewrite_after_first_query(monkeypatch, pipeline, SALE_T9)
    with pytest.raises(IngestError) as caught:
        ingest_mapping(store, sales_dir / "sales.yaml", actor="t")
    assert caught.value.message.startswith(f"sales.csv {CHANGED}")
    assert "nothing was ingested" in caught.value.message
    assert snapshot(store) == before and _ledger_rows(store) == 0
    assert "ingest" not in [e.action for e in store.audit.events()]
    monkeypatch.undo()  # the file as it is now, read by both queries, is ingested whole
    result = ingest_mapping(store, sales_dir / "sales.yaml", actor="t")
    assert result.ledger_rows == 1 and _ledger_rows(store) == 1


def test_a_file_rewritten_between_two_queries_is_refused_by_check(
    sales_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ironriver.ingest.check as check
    from ironriver.ingest import check_mapping

    _rewrite_after_first_query(monkeypatch, check, SALE_T9)
    with pytest.raises(IngestError, match=f"sales.csv {CHANGED}"):
        check_mapping(sales_dir / "sales.yaml")


def test_a_file_rewritten_with_the_same_bytes_between_queries_is_ingested(
    store: Store, sales_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is compared is the bytes each query read, not the file's times: the same export
    copied in again between the two reads is one version."""
    import ironriver.ingest.pipeline as pipeline

    same = (sales_dir / "sales.csv").read_bytes()
    _rewrite_after_first_query(monkeypatch, pipeline, same)
    result = ingest_mapping(store, sales_dir / "sales.yaml", actor="t")
    assert result.ledger_rows == 4 and _ledger_rows(store) == 1
