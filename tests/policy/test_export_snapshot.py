"""`View.export_batches` reads every batch of an export from one snapshot of the store, so
that its `export` event counts the statements exported (review R17, F2), and a store error
while reading is audited as an export of no rows, not of every visible one (R17, F3): real
stores, SQLite and PostgreSQL; the ingest committed mid-read comes from another process (on
SQLite no `sqlite3` connection of this one may open while ADBC reads the file)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy.exc import OperationalError

import ironriver.store.dialect as dialect
from ironriver.errors import ConfigError
from ironriver.policy import View
from ironriver.store import Store
from ironriver.store.audit_chain import READS
from samples import FGR, MX, fail_second_read, load, table

TESTS = Path(__file__).resolve().parents[1]
_ALL = {"schemata": [], "types": []}  # (the filters of an export of them all)

# another process's ingest of three statements FGR sees (entity ids after every sample's)
_INGEST = """
import sys
from pathlib import Path
from ironriver.store import open_store
from samples import MX, table
store = open_store(sys.argv[1], ledger_dir=Path(sys.argv[2]))
with store.writer() as w:
    rows = [(f"zz{i}", "Person", "name", f"Nombre {i}") for i in range(3)]
    w.add_statements(table(MX.name, rows), MX.name, MX.label)
store.close()
"""


def _exports(store: Store) -> list[dict[str, Any]]:
    return [detail for _seq, detail in _export_seqs(store)]


def _export_seqs(store: Store) -> list[tuple[int, dict[str, Any]]]:
    events = store.audit.events()
    return [(e.seq, e.detail) for e in events if e.chain == READS and e.action == "export"]


def _ingest_elsewhere(store: Store, tmp_path: Path) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    paths = [str(Path(dialect.__file__).resolve().parents[2]), str(TESTS)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    script = [sys.executable, "-c", _INGEST, url, str(tmp_path / "ledgers")]
    subprocess.run(script, check=True, env=env, timeout=120)


def test_the_export_event_counts_the_statements_exported(store: Store) -> None:
    """R17 F2 as found: an ingest between two batches the caller asks for."""
    load(store)
    batches = View(store, FGR, reason="case 9").export_batches(batch_rows=1)
    exported = next(batches).num_rows
    with store.writer() as w:  # meanwhile another command ingests more of what FGR sees
        more = [(f"zz{i}", "Person", "name", f"Nombre {i}") for i in range(3)]
        w.add_statements(table(MX.name, more), MX.name, MX.label)
    exported += sum(b.num_rows for b in batches)
    assert [d["rows"] for d in _exports(store)] == [exported] == [5]


def test_an_ingest_committed_while_the_batches_are_read_is_in_none(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(store)
    real = dialect.read_snapshot
    reads: list[int] = []

    @contextmanager
    def ingest_after_first_read(*args: Any) -> Iterator[Callable[..., Any]]:
        with real(*args) as read:

            def reading(query: Select[Any], schema: Any) -> Any:
                reads.append(1)
                if len(reads) == 2:  # the first batch read: another process commits
                    _ingest_elsewhere(store, tmp_path)
                return read(query, schema)

            yield reading

    monkeypatch.setattr(dialect, "read_snapshot", ingest_after_first_read)
    view = View(store, FGR, reason="case 9")
    ids = [i for b in view.export_batches(batch_rows=2) for i in b.column("entity_id").to_pylist()]
    assert len(reads) == 3 and len(ids) == 5 and not [i for i in ids if i.startswith("zz")]
    assert [d["rows"] for d in _exports(store)] == [5]
    monkeypatch.undo()  # the ingest was committed: the next export holds it
    assert sum(b.num_rows for b in view.export_batches()) == 8


@pytest.fixture
def second_read_fails(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The store's connection lost at the second query of an export's rows, whichever way
    they are read (ADBC, COPY, the engine's rows)."""
    return fail_second_read(monkeypatch)


def test_a_store_error_while_reading_is_audited_as_no_rows_exported(
    store: Store, second_read_fails: list[int]
) -> None:
    load(store)
    view = View(store, FGR, reason="case 9")
    with pytest.raises(OperationalError):
        list(view.export_batches(batch_rows=2))
    assert len(second_read_fails) == 2
    exports = _exports(store)
    assert exports == [{"schemata": [], "types": [], "rows": 0, "outcome": "OperationalError"}]
    view.export_failed(OSError(errno.ENOSPC, "full"), 0, kept=True)  # (its read is audited)
    assert _exports(store) == exports


def test_an_output_that_failed_after_the_event_is_audited_once(store: Store) -> None:
    """R18 F2: the event (five rows) stays; a second one says how many left the store."""
    load(store)
    view = View(store, FGR, reason="case 9")
    batches = view.export_batches(batch_rows=2)
    handed = next(batches).num_rows
    batches.close()  # (the writer stops: its file was not kept)
    view.export_failed(OSError(errno.ENOSPC, "full"), handed, kept=False)
    view.export_failed(OSError(errno.ENOSPC, "full"), handed, kept=False)  # (said already)
    first = _export_seqs(store)[0][0]
    ended = {"rows": 0, "handed": 2, "outcome": "OSError", "ends": first}
    assert _exports(store) == [{**_ALL, "rows": 5}, {**_ALL, **ended}]
    entities = view.export(datasets=[MX.name])
    next(entities)
    entities.close()
    view.export_failed(BrokenPipeError(errno.EPIPE, "pipe"), 1, kept=True)
    first = _export_seqs(store)[2][0]
    ended = {"datasets": [MX.name], "entities": 1, "handed": 1, "outcome": "BrokenPipeError"}
    assert _exports(store)[2:] == [{"datasets": [MX.name]}, {**ended, "ends": first}]


def test_two_exports_of_one_target_at_once_are_paired(store: Store) -> None:
    """R19 F10: one principal exports one target twice at once (two views); the second
    event of each names the seq of its own first (`ends`), which nothing else tells apart."""
    load(store)
    one, two = View(store, FGR, reason="case 9"), View(store, FGR, reason="case 9")
    first_batches, second_batches = one.export_batches(), two.export_batches()
    list(second_batches)
    first_batches.close()
    one.export_failed(OSError(errno.ENOSPC, "full"), 0, kept=False)
    two.export_failed(BrokenPipeError(errno.EPIPE, "pipe"), 5, kept=True)
    (seq_one, _), (seq_two, _), (_, ended_one), (_, ended_two) = _export_seqs(store)
    assert (ended_one["ends"], ended_one["outcome"]) == (seq_one, "OSError")
    assert (ended_two["ends"], ended_two["outcome"]) == (seq_two, "BrokenPipeError")


def test_a_failure_after_an_export_table_audits_no_earlier_export(store: Store) -> None:
    """R19 F10: `export_table` returns its rows whole (no output of it to fail), so an
    `export_failed` after it tells of no export, nor of the one before it."""
    load(store)
    view = View(store, FGR, reason="case 9")
    list(view.export_batches(schema="Firearm"))
    view.export_table()
    view.export_failed(OSError(errno.ENOSPC, "full"), 0, kept=False)
    assert [d.get("outcome") for d in _exports(store)] == [None, None]


def test_a_completed_export_leaves_nothing_to_audit_as_failed(store: Store) -> None:
    load(store)
    view = View(store, FGR, reason="case 9")
    list(view.export())
    view.export_completed()
    view.export_failed(OSError(errno.ENOSPC, "full"), 0, kept=False)
    assert _exports(store) == [{}]


def test_a_store_that_fails_to_audit_the_failure_raises_nothing_more(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Best effort: the store may be what failed; the caller raises the first error."""
    load(store)
    view = View(store, FGR, reason="case 9")
    list(view.export_batches())
    lost = OperationalError("INSERT", {}, Exception("server closed the connection"))
    monkeypatch.setattr(store.audit, "append", lambda *a, **k: (_ for _ in ()).throw(lost))
    view.export_failed(lost, 5, kept=True)
    monkeypatch.undo()
    assert _exports(store) == [{**_ALL, "rows": 5}]


def test_a_refused_export_leaves_nothing_to_audit_as_failed(store: Store) -> None:
    load(store)
    view = View(store, FGR, reason="case 9")
    list(view.export_batches())
    with pytest.raises(ConfigError):
        view.export_batches(schema="NoSuchSchema")
    view.export_failed(OSError(errno.ENOSPC, "full"), 0, kept=True)  # (not the one before)
    assert _exports(store) == [{**_ALL, "rows": 5}]
