"""Ctrl-C (SIGINT) or SIGTERM on a real `ironriver ingest` process: a clean message in the
reader's language and exit code 130 (143 for SIGTERM), no traceback, and the store exactly as
before (no statements, no ledger part, an intact audit chain, no scratch files left). A signal
that comes while an ingest commits waits until its ledger parts are in place. Ctrl-C on a
real `ironriver export` writing to standard output: its note that the output is incomplete,
then the generic message, which speaks for the store and files only, and an audit that
says so."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from ironriver.ingest import ingest_mapping
from ironriver.scratch import HeldInterrupts
from ironriver.store import open_store
from ironriver.store.ledger import LedgerStore, PendingPart
from samples import MX, export_seqs, table

ROWS = 60_000
MAPPING = """us_atf_dealer_sales:
  title: "Dealer sales (synthetic)"
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US, MX]
  queries:
  - csv_url: sales.csv
    entities:
      buyer:
        schema: Individual
        keys: [buyer]
        properties:
          name: {column: buyer}
      firearm:
        schema: Firearm
        keys: [serial]
        properties:
          serialNumber: {column: serial}
      sale:
        schema: Sale
        keys: [txn]
        properties:
          transactionNumber: {column: txn}
          buyer: {entity: buyer}
          firearm: {entity: firearm}
  - csv_url: sales.csv
    ledger:
      name: dealer_sales
      columns:
        txn: {column: txn, type: string, required: true}
        serial: {column: serial, type: string}
"""


@pytest.fixture(autouse=True)
def _ctrl_c_heard() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt here, as in a terminal, even when the suite runs where
    SIGINT is ignored (in the background, under nohup), which these tests assume."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _world(tmp_path: Path, rows: int = ROWS) -> Path:
    n = range(rows)
    pacsv.write_csv(
        pa.table(
            {
                "txn": [f"T{i:08d}" for i in n],
                "buyer": [f"Buyer {i % 7919} Example" for i in n],
                "serial": [f"SN{i:09d}" for i in n],
            }
        ),
        tmp_path / "sales.csv",
    )
    mapping = tmp_path / "sales.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}


def _ironriver(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ironriver", *args],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(tmp_path: Path, *args: str) -> int:
    command = [sys.executable, "-m", "ironriver", *args]
    return subprocess.run(command, cwd=tmp_path, env=_env(), capture_output=True).returncode


@pytest.mark.parametrize(
    ("lang", "when", "signum", "code", "says"),
    [
        ("en", "staging statements", signal.SIGINT, 130, "Interrupted. The store and the files"),
        ("es", "escribiendo", signal.SIGINT, 130, "Interrumpido. El almacén y los archivos"),
        ("en", "writing", signal.SIGTERM, 143, "Interrupted. The store and the files"),
    ],
)
def test_ctrl_c_or_sigterm_during_an_ingest_leaves_the_store_as_it_was(
    tmp_path: Path, lang: str, when: str, signum: int, code: int, says: str
) -> None:
    mapping = _world(tmp_path)
    assert _run(tmp_path, "init", "--db", "s.db") == 0
    proc = _ironriver(
        tmp_path, "--lang", lang, "ingest", str(mapping), "--db", "s.db", "--as", "us-atf-analyst"
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # progress lines, until the phase to interrupt
        seen.append(line)
        if when in line:
            proc.send_signal(signum)
            break
    _, err = proc.communicate(timeout=120)
    err = "".join(seen) + err
    assert proc.returncode == code, err
    assert says in err and "Traceback" not in err, err

    with sqlite3.connect(tmp_path / "s.db") as con:
        assert con.execute("SELECT count(*) FROM statements").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)
    assert LedgerStore(tmp_path / "s.db.ledgers").ledgers() == []
    assert _run(tmp_path, "audit", "verify", "--db", "s.db") == 0
    leftovers = [p.name for p in tmp_path.rglob("*") if "stage" in p.name or "ingest-" in p.name]
    assert leftovers == []


def test_an_interrupt_during_the_commit_waits_for_the_ledger_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT arriving once the store has committed (here: as the first part is renamed into
    place) is held until every part is in place, then raised: the ingest is whole."""
    mapping = _world(tmp_path, rows=2_000)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    real_commit = PendingPart.commit

    def commit_under_interrupt(part: PendingPart) -> int:
        os.kill(os.getpid(), signal.SIGINT)
        return real_commit(part)

    monkeypatch.setattr(PendingPart, "commit", commit_under_interrupt)
    said: list[object] = []
    with pytest.raises(KeyboardInterrupt):
        ingest_mapping(store, mapping, actor="test", progress=said.append)
    assert said[-1] == "stopping once the commit is done…"  # why Ctrl-C seems to wait
    [ledger] = LedgerStore(store.ledger_dir).ledgers()
    assert ledger.rows == 2_000
    assert store.audit.verify().ok
    [event] = [e for e in store.audit.events() if e.action == "ingest"]
    assert event.detail["ledger_rows"] == 2_000
    store.close()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_held_signals_are_delivered_on_release_to_the_handlers_before() -> None:
    heard: list[int] = []
    before = signal.signal(signal.SIGTERM, lambda signum, frame: heard.append(signum))
    try:
        held = HeldInterrupts()
        held.hold()
        os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt here if not held
        os.kill(os.getpid(), signal.SIGTERM)
        assert heard == []
        with pytest.raises(KeyboardInterrupt):
            held.release()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert heard == [signal.SIGTERM]
        quiet = HeldInterrupts()
        quiet.hold()
        quiet.release()  # nothing came: nothing delivered
        assert heard == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, before)


# Runs `ironriver` with the sorted lookup rows of the staging step replaced by a stream that
# sends the process a signal from inside it, where ADBC pulls rows from a Python generator
# (`where == "adbc"`: ADBC reports the handler's exception as an OperationalError of its own,
# naming it but without a cause), or on the way there, reported as DuckDB reports a query a
# signal stopped (`"duckdb"`: a bare "Query interrupted", which does not say which signal;
# DuckDB itself notices a signal too unreliably to be the test).
SIGNALLED_STAGING = """
import os, signal, sys
import pyarrow as pa
from ironriver.store import staging
from ironriver.cli import main

where, signum = sys.argv[1], int(sys.argv[2])
real = staging.LookupSorter.sorted

def signalled(self, i):
    if where == "duckdb":
        try:
            os.kill(os.getpid(), signum)
        except KeyboardInterrupt:
            pass  # DuckDB's error comes instead, with no cause or context
        raise RuntimeError("Query interrupted")
    reader = real(self, i)

    def batches():
        os.kill(os.getpid(), signum)
        yield from reader

    return pa.RecordBatchReader.from_batches(reader.schema, batches())

staging.LookupSorter.sorted = signalled
sys.argv[:3] = ["ironriver"]
main()
"""


@pytest.mark.parametrize(
    ("where", "signum", "code"),
    [
        ("adbc", signal.SIGTERM, 143),
        ("adbc", signal.SIGINT, 130),
        ("duckdb", signal.SIGTERM, 143),
    ],
)
def test_a_signal_a_library_reports_as_its_own_error_still_ends_cleanly(
    tmp_path: Path, where: str, signum: int, code: int
) -> None:
    """The signal the handler heard decides: one clean message, 143 for SIGTERM (130 for
    Ctrl-C), no traceback, the store as it was."""
    mapping = _world(tmp_path, rows=2_000)
    assert _run(tmp_path, "init", "--db", "s.db") == 0
    command = [sys.executable, "-c", SIGNALLED_STAGING, where, str(int(signum))]
    args = ["ingest", str(mapping), "--db", "s.db", "--as", "us-atf-analyst"]
    done = subprocess.run(
        [*command, *args], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == code, done.stderr
    assert "Interrupted. The store and the files" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    with sqlite3.connect(tmp_path / "s.db") as con:
        assert con.execute("SELECT count(*) FROM statements").fetchone() == (0,)
    assert LedgerStore(tmp_path / "s.db.ledgers").ledgers() == []
    assert _run(tmp_path, "audit", "verify", "--db", "s.db") == 0
    leftovers = [p.name for p in tmp_path.rglob("*") if "stage" in p.name or "ingest-" in p.name]
    assert leftovers == []


ENTITIES = 3_000  # ~0.7 MB of FtM JSON: far more than a pipe holds (64 KiB)


@pytest.mark.parametrize(
    ("lang", "note", "says"),
    [
        (
            "en",
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "entities. Discard what was written and export again.",
            "Interrupted. The store and the files the command writes (not its standard "
            "output) were left whole",
        ),
        (
            "es",
            "La exportación en la salida estándar está incompleta: se interrumpió tras {n:,} "
            "entidades. Descarte lo escrito y exporte de nuevo.",
            "Interrumpido. El almacén y los archivos que escribe el comando (no su salida "
            "estándar) quedaron enteros",
        ),
    ],
)
def test_ctrl_c_during_an_export_to_standard_output(
    tmp_path: Path, lang: str, note: str, says: str
) -> None:
    """The export writes until the pipe is full (this test reads one byte, then stops
    reading), and is interrupted there: exit code 130; on standard error its note (how many
    entities it wrote), then the generic message, which no longer says "nothing was
    half-written" beside it; the audit holds the export's event and a second one saying it
    ended interrupted with that many handed over, and verifies."""
    db = str(tmp_path / "s.db")
    store = open_store(f"sqlite:///{db}")
    rows = [(f"p{i}", "Individual", "name", f"Persona {i} de Ejemplo") for i in range(ENTITIES)]
    with store.writer() as w:
        w.ensure_dataset(MX)
        w.add_statements(table(MX.name, rows), MX.name, MX.label)
    store.close()
    args = ["--lang", lang, "export", "--db", db, "--as", "mx-fgr-analista", "--reason", "r"]
    proc = _ironriver(tmp_path, *args)
    assert proc.stdout is not None
    first = os.read(proc.stdout.fileno(), 1).decode()  # (the export is writing)
    assert first == "{", first
    _wait_blocked(proc.pid)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    [(seq, _), (_, ended)] = export_seqs(db)
    n = ended["handed"]
    assert 0 < n < ENTITIES and ended["outcome"] == "KeyboardInterrupt" and ended["ends"] == seq
    said = " ".join(err.split())
    assert note.format(n=n) in said and says in said, err
    assert said.index(note.format(n=n)) < said.index(says)  # (the note first)
    assert "Traceback" not in err and "Error" not in err, err
    # (about n there, in the export's order: the write Ctrl-C interrupted may still be
    # flushed as the command ends, or be lost with what Python's buffers held for it)
    written = (first + out).splitlines()
    assert 0 < len(written) <= n + 1, (n, len(written))
    ids = [json.loads(line)["id"] for line in written[:-1]]  # (the last may be cut short)
    assert ids == sorted(f"p{i}" for i in range(ENTITIES))[: len(ids)]
    assert _run(tmp_path, "audit", "verify", "--db", db) == 0


def _wait_blocked(pid: int) -> None:
    """Wait (up to 30 s) until process `pid` sleeps without using the CPU for a while: its
    write to the full pipe blocks (a signal then interrupts that write)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():  # (not Linux: the pipe fills soon enough)
        return
    last, still = None, 0
    for _ in range(300):
        fields = stat.read_text().rsplit(")", 1)[1].split()
        state, cpu = fields[0], int(fields[11]) + int(fields[12])  # state, utime + stime
        still = still + 1 if state == "S" and cpu == last else 0
        if still >= 3:
            return
        last = cpu
        time.sleep(0.1)
