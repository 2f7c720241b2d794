"""`ironriver export --format statements|parquet` reads and writes the statements a batch at
a time (`View.export_batches`): the file is the one a single batch writes, and a failure
after the first batch leaves no file, nor a temporary one, and an existing file as it was
(real SQLite store, click's runner; the batch size made tiny)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import ironriver.policy.export as export_module
import ironriver.policy.table as table_module
from ironriver.cli import cli
from ironriver.store import open_store
from ironriver.store.audit_chain import READS
from samples import sample_db

ARGS = ("--lang", "en", "export", "--as", "mx-fgr-analista", "--reason", "case 9")


def _export(db: str, out: Path, *more: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*ARGS, "--db", db, "-o", str(out), *more])
    return result.exit_code, result.stderr


@pytest.mark.parametrize("fmt", ["statements", "parquet"])
def test_tiny_batches_write_the_file_one_batch_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    db = sample_db(tmp_path)
    assert _export(db, tmp_path / "one", "--format", fmt)[0] == 0
    monkeypatch.setattr(export_module, "EXPORT_BATCH_ROWS", 2)  # FGR sees 5: three batches
    code, err = _export(db, tmp_path / "many", "--format", fmt)
    assert code == 0 and "Exported 5 statements" in err
    one, many = tmp_path / "one", tmp_path / "many"
    if fmt == "statements":
        assert many.read_bytes() == one.read_bytes()
    else:
        assert pq.read_table(many).equals(pq.read_table(one))
        assert pq.ParquetFile(many).metadata.num_row_groups == 3


@pytest.mark.parametrize("fmt", ["statements", "parquet"])
def test_a_failure_after_the_first_batch_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    db = sample_db(tmp_path)
    out = tmp_path / "mx.out"
    out.write_text("the earlier export\n")
    monkeypatch.setattr(export_module, "EXPORT_BATCH_ROWS", 2)
    decode = table_module.decode
    calls: list[int] = []

    def failing(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk pulled")
        return decode(*args)

    monkeypatch.setattr(table_module, "decode", failing)
    result = CliRunner().invoke(
        cli, [*ARGS, "--db", db, "-o", str(out), "--overwrite", "--format", fmt]
    )
    assert isinstance(result.exception, OSError) and len(calls) == 2
    assert out.read_text() == "the earlier export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".mx.out")) == []
    # audited once read (one snapshot), before anything was written: the 5 rows read; then
    # how it ended (R18, F2): none left the store, the file was not kept
    store = open_store(db, create=False)
    try:
        exports = [e for e in store.audit.events() if e.chain == READS and e.action == "export"]
    finally:
        store.close()
    assert [(e.detail["rows"], e.detail.get("outcome")) for e in exports] == [
        (5, None),
        (0, "OSError"),
    ]
