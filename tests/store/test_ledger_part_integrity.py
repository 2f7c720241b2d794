"""Ledger parts missing or damaged on disk (review R9): `audit verify` holds each part against
the ingest event that recorded it (`ledger_files`), reads over a damaged part give a clear
error instead of a traceback, and re-ingesting the source file moves the damaged part aside
and writes it again. Real stores on both backends, the real CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sales_fixtures import sales_ledger  # type: ignore[import-not-found]
from sqlalchemy import Connection

from ironriver.cli import cli
from ironriver.errors import NotFound, StoreError
from ironriver.i18n import LANG_ENV
from ironriver.ingest import pipeline
from ironriver.ingest.pipeline import ingest_mapping
from ironriver.store import EventFilter, Store
from ironriver.store.ledger_records import LEDGER_FILES_KEY

SALES = "T1,ABC-123\nT2,XYZ9\nT3,abc 123\n"
READS = (
    ("ledgers",),
    ("ledger", "us_atf_sales", "--reason", "trace 7"),
    ("datasets",),
)


def _load(store: Store, tmp_path: Path, releasable: str = "US, MX") -> Path:
    """Ingest the sales (`tmp_path/sales.csv.yaml`) into `store`; return its one ledger part."""
    mapping = sales_ledger(tmp_path, "sales.csv", SALES, releasable=releasable)
    ingest_mapping(store, mapping, actor="loader")
    (part,) = (tmp_path / "ledgers").glob("*/*/part-*.parquet")
    return part


def _env(store: Store, lang: str = "en") -> dict[str, str]:
    # (a SQLite store's ledgers are beside its file unless named: the fixture names them)
    return {LANG_ENV: lang, "IRONRIVER_LEDGERS": str(store.ledger_dir)}


def _run(store: Store, *args: str, lang: str = "en") -> tuple[int, str]:
    db = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, [*args, "--db", db], env=_env(store, lang))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _verify(store: Store, lang: str = "en") -> tuple[int, str]:
    return _run(store, "audit", "verify", lang=lang)


def _ingest_seq(store: Store) -> int:
    (event,) = store.audit.write_events(EventFilter(action="ingest"))
    return int(event.seq)


def test_an_ingest_event_records_its_ledger_parts_as_committed(
    store: Store, tmp_path: Path
) -> None:
    part = _load(store, tmp_path)
    (detail,) = store.ingest_details()
    assert detail[LEDGER_FILES_KEY] == [
        {
            "path": str(part.relative_to(tmp_path / "ledgers")),
            "rows": 3,
            "sha256": hashlib.sha256(part.read_bytes()).hexdigest(),
        }
    ]
    code, out = _verify(store)
    assert code == 0, out
    assert "Ledger parts intact: 1 part recorded by ingests." in out


def test_verify_names_a_deleted_part_and_its_ingest_event(store: Store, tmp_path: Path) -> None:
    part = _load(store, tmp_path)
    part.unlink()
    code, out = _verify(store)
    assert code == 5, out
    assert "LEDGER PART MISSING OR DAMAGED (1 problem):" in out
    assert f"ledger part {part} is missing (3 rows, written by ingest event" in out
    assert f"ingest event {_ingest_seq(store)})" in out
    assert "restore it from a backup, or re-ingest" in out
    code, out = _verify(store, lang="es")
    assert code == 5
    assert f"falta la parte de libro de registro {part} (3 filas" in out


def test_a_truncated_part_is_reported_read_clearly_and_repaired_by_reingest(
    store: Store, tmp_path: Path
) -> None:
    part = _load(store, tmp_path)
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])
    code, out = _verify(store)
    assert code == 5, out
    assert f"ledger part {part} is damaged: its footer cannot be read" in out
    assert f"ingest event {_ingest_seq(store)}" in out
    for args in READS:  # (`ledger` stops at it; `ledgers` and `datasets` name it, exit 1)
        for lang, said, hint in (
            ("en", "cannot be read", "Run `ironriver audit verify`"),
            # (a read's error: "No se puede leer la parte"; a listing's note: "no se puede leer")
            ("es", "o se puede leer", "Ejecute `ironriver audit"),
        ):
            code, out = _run(store, *args, "--as", "us-atf-analyst", lang=lang)
            assert code == 1, (args, lang, out)
            assert "Traceback" not in out and str(part) in out, out
            assert said in out and hint in out, out
    # the same file again: the damaged part is moved aside (kept), the part written again
    code, out = _run(store, "ingest", str(tmp_path / "sales.csv.yaml"), "--as", "loader")
    assert code == 0, out
    assert "other columns" not in out  # (the damaged part's columns are not read as none)
    aside = list(part.parent.glob("damaged-*.parquet"))
    assert len(aside) == 1 and aside[0].read_bytes() == data[: len(data) // 2]
    assert pq.ParquetFile(part).metadata.num_rows == 3
    code, out = _verify(store)
    assert code == 0, out
    code, out = _run(store, "ledger", "us_atf_sales", "--as", "us-atf-analyst")
    assert code == 0 and "ABC-123" in out, out


def test_a_part_holding_other_rows_than_recorded_is_reported_and_rewritten(
    store: Store, tmp_path: Path
) -> None:
    part = _load(store, tmp_path)
    whole = pq.read_table(part)
    pq.write_table(whole.slice(0, 1), part)  # a readable footer, one row of three
    code, out = _verify(store)
    assert code == 5, out
    assert f"ledger part {part} holds 1 rows, but ingest event" in out
    code, out = _run(store, "ingest", str(tmp_path / "sales.csv.yaml"), "--as", "loader")
    assert code == 0, out
    assert len(list(part.parent.glob("damaged-*.parquet"))) == 1
    assert pq.read_table(part).num_rows == 3
    assert _verify(store)[0] == 0


def test_a_part_holding_more_rows_than_recorded_is_reported(store: Store, tmp_path: Path) -> None:
    """Review R15 (mutant A12): a part rewritten under its name with a row added (its table
    plus a copy of one row) holds more rows than its ingest wrote; `audit verify` says so."""
    part = _load(store, tmp_path)
    whole = pq.read_table(part)
    pq.write_table(pa.concat_tables([whole, whole.slice(0, 1)]), part)  # four rows of three
    code, out = _verify(store)
    assert code == 5, out
    assert f"ledger part {part} holds 4 rows, but ingest event {_ingest_seq(store)} wrote 3" in out


def test_a_part_renamed_by_a_retraction_is_accounted_for(store: Store, tmp_path: Path) -> None:
    part = _load(store, tmp_path)
    part.rename(part.with_name("retracted-" + part.name.removeprefix("part-")))
    code, out = _verify(store)
    assert code == 0, out


def test_a_part_a_retract_event_names_is_accounted_for(store: Store, tmp_path: Path) -> None:
    part = _load(store, tmp_path)
    part.unlink()  # (its retracted twin lost too, or not renamed yet: the event says why)
    detail = {"dataset": "us_atf_sales", "ledger": "dealer_sales", "parts": [part.name]}
    store.audit.append("loader", "retract", "us_atf_sales", "corrected file", detail)
    code, out = _verify(store)
    assert code == 0, out


def test_ingests_recorded_before_their_parts_are_said_once_not_checked(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "LEDGER_FILES_KEY", "not_yet")  # as ingests wrote before
    part = _load(store, tmp_path)
    part.unlink()
    code, out = _verify(store)
    assert code == 0, out
    assert "  1 ingest event wrote ledger rows before ingests recorded their parts" in out


def test_the_ledger_folder_alone_gives_the_clear_error(tmp_path: Path) -> None:
    from ironriver.errors import StoreError
    from ironriver.store.ledger import LedgerStore

    ledgers = LedgerStore(tmp_path)
    folder = tmp_path / "d" / "lg"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1]}), folder / "part-x.parquet")
    (folder / "part-y.parquet").write_bytes(b"PAR1 not a part")
    with pytest.raises(StoreError, match=r"part-y\.parquet cannot be read"):
        ledgers.ledgers()


def test_reads_of_a_ledger_whose_only_part_was_deleted_say_data_is_missing(
    store: Store, tmp_path: Path
) -> None:
    """Review R10: the only part deleted by hand, the reads said "no ledger visible" and
    0 rows; they say the ledger's recorded parts are missing, and what to do."""
    part = _load(store, tmp_path)
    part.unlink()
    for args in (
        ("ledger", "us_atf_sales", "--reason", "trace 7"),
        ("ledger", "us_atf_sales", "--ledger", "dealer_sales", "--reason", "trace 7"),
    ):
        code, out = _run(store, *args, "--as", "us-atf-analyst")
        assert code == 1, (args, out)  # store damage, not "not found" (4)
        assert "Ledger us_atf_sales/dealer_sales cannot be read whole: 1 part file that an " in out
        assert "Run `ironriver audit verify`" in out and "re-ingest" in out, out
        code, out = _run(store, *args, "--as", "us-atf-analyst", lang="es")
        assert code == 1, (args, out)
        assert "El libro de registro us_atf_sales/dealer_sales no se puede leer completo" in out
        assert "Ejecute `ironriver audit verify`" in out, out
    for args in (("ledgers",), ("datasets",), ("datasets", "--json")):
        # listed, its count unknown, exit 1: the listing is not whole (H86; it exited 0)
        code, out = _run(store, *args, "--as", "us-atf-analyst")
        assert code == 1, (args, out)
        assert "Ledger us_atf_sales/dealer_sales is missing 1 part file that an ingest " in out
        assert "how many of its rows you may see is unknown" in out, out
        assert "Run `ironriver audit verify`" in out, out
        assert ("null" if "--json" in args else "unknown") in out, out
        code, out = _run(store, *args, "--as", "us-atf-analyst", lang="es")
        assert code == 1, (args, out)
        assert "Al libro de registro us_atf_sales/dealer_sales le falta 1 archivo" in out
    # a read through the view (`View.ledger`, as `eval` and the strategies read ledgers)
    from ironriver.errors import StoreError
    from ironriver.policy import View
    from ironriver.policy.markings import Principal

    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    with pytest.raises(StoreError, match="1 part file that an ingest wrote is missing"):
        view.ledger("dealer_sales")
    # restored from a backup (here: written again by the same file): nothing is said
    code, out = _run(store, "ingest", str(tmp_path / "sales.csv.yaml"), "--as", "loader")
    assert code == 0, out
    code, out = _run(store, "ledgers", "--as", "us-atf-analyst")
    assert code == 0 and "missing" not in out, out


def test_a_missing_part_of_a_dataset_the_reader_may_not_see_is_not_revealed(
    store: Store, tmp_path: Path
) -> None:
    part = _load(store, tmp_path, releasable="US")
    part.unlink()
    code, out = _run(store, "ledger", "us_atf_sales", "--as", "mx-fgr-analista")
    assert code == 4, out  # as a dataset that does not exist
    assert "No ledger of a dataset 'us_atf_sales' is visible to you." in out
    for args in (("ledgers",), ("datasets",)):
        code, out = _run(store, *args, "--as", "mx-fgr-analista")
        assert code == 0 and "us_atf_sales" not in out and "missing" not in out, (args, out)


def test_a_retracted_part_is_not_said_missing_by_reads(store: Store, tmp_path: Path) -> None:
    part = _load(store, tmp_path)
    part.rename(part.with_name("retracted-" + part.name.removeprefix("part-")))
    code, out = _run(store, "ledgers", "--as", "us-atf-analyst")
    assert code == 0 and "missing" not in out, out
    code, out = _run(store, "ledger", "us_atf_sales", "--as", "us-atf-analyst")
    assert code == 4, out  # no rows left: none visible, as before


def test_a_view_reads_the_recorded_parts_again_only_after_a_write(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view reads the events' recorded parts once (`View._recorded_parts`), and again only
    when the writes chain's newest event changed: an ingest between two reads is seen (its
    part, deleted by hand, is missing). The disk is looked at on every read: a part deleted
    between two reads with no event between them is missing at the second."""
    import ironriver.store.ledger_records as records
    from ironriver.errors import StoreError
    from ironriver.policy import View
    from ironriver.policy.markings import Principal

    first = _load(store, tmp_path)
    reads: list[int] = []
    real = records.recorded_parts

    def counted(conn: Connection) -> records.RecordedParts:
        reads.append(1)
        return real(conn)

    monkeypatch.setattr(records, "recorded_parts", counted)
    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    for _ in range(2):
        assert view.ledger("dealer_sales").count("*").fetchall() == [(3,)]
        assert view.ledger_rows("us_atf_sales").matched == 3
    assert len(reads) == 1  # (reads append to the reads chain, not the writes chain)
    (tmp_path / "sales.csv").write_text("txn,serial\nT9,QQ1\n", encoding="utf-8")
    ingest_mapping(store, tmp_path / "sales.csv.yaml", actor="loader")
    ingested = len(reads)  # (the ingest's own, `Store.recorded_parts`: not the view's)
    (second,) = set((tmp_path / "ledgers").glob("*/*/part-*.parquet")) - {first}
    second.unlink()
    with pytest.raises(StoreError, match="1 part file that an ingest wrote is missing"):
        view.ledger("dealer_sales")
    assert len(reads) == ingested + 1
    first.unlink()
    with pytest.raises(StoreError, match="2 part files that ingests wrote are missing"):
        view.ledger_rows("us_atf_sales")
    assert len(reads) == ingested + 1


# -- parts no ingest recorded, and parts a killed ingest left under their scratch names (R12)


def test_a_part_no_ingest_recorded_is_reported_with_its_rows_and_what_to_do(
    store: Store, tmp_path: Path
) -> None:
    """Review R12 F2: a part file copied into a ledger folder by hand was read as data and
    `audit verify` said "intact"; it is a problem (exit 5), named with its rows."""
    part = _load(store, tmp_path)
    stray = part.with_name("part-0000copiedbyhand.parquet")
    pq.write_table(pq.read_table(part).slice(0, 2), stray)
    broken = part.with_name("part-0000broken.parquet")
    broken.write_bytes(b"PAR1 not a part")
    code, out = _verify(store)
    assert code == 5, out
    assert "LEDGER PARTS NO INGEST RECORDED (2 problems):" in out
    assert f"ledger part {stray} (2 rows) was recorded by no ingest event of this store" in out
    assert f"ledger part {broken} (its footer cannot be read) was recorded by no ingest" in out
    assert "it is not this store's data" in out and "Move it out of the ledger folder" in out
    assert "Ledger parts intact: 1 part recorded by ingests." in out  # (the recorded one is)
    code, out = _verify(store, lang="es")
    assert code == 5, out
    assert "PARTES DE LIBRO DE REGISTRO QUE NINGUNA CARGA REGISTRÓ (2 problemas):" in out
    assert f"la parte de libro de registro {stray} (2 filas) no la registró ningún evento" in out
    code, out = _run(store, "audit", "verify", "--json")
    assert code == 5 and str(stray) in out, out
    stray.rename(tmp_path / stray.name)  # moved aside, as the message says
    broken.unlink()
    code, out = _verify(store)
    assert code == 0, out


def test_a_ledger_folder_copied_after_the_database_is_caught(tmp_path: Path) -> None:
    """A backup that copied the database, then the ledger folder after a later ingest: the
    folder holds a part the copied database has no event of."""
    import shutil
    import sqlite3

    from ironriver.store import open_store

    db = tmp_path / "live.db"
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    _load(store, tmp_path)
    copy = tmp_path / "backup" / "live.db"
    copy.parent.mkdir()
    for name in (db, Path(f"{db}.read-audit.sqlite")):  # (as docs/operations.md says)
        with sqlite3.connect(name) as src, sqlite3.connect(copy.parent / name.name) as dst:
            src.backup(dst)
    (tmp_path / "sales.csv").write_text("txn,serial\nT9,QQ1\n", encoding="utf-8")
    ingest_mapping(store, tmp_path / "sales.csv.yaml", actor="loader")  # after the copy
    store.close()
    shutil.copytree(tmp_path / "ledgers", copy.parent / "ledgers")
    env = {LANG_ENV: "en", "IRONRIVER_LEDGERS": str(copy.parent / "ledgers")}
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", str(copy)], env=env)
    assert result.exit_code == 5, result.output
    assert "LEDGER PART NO INGEST RECORDED (1 problem):" in result.output
    assert "(1 row) was recorded by no ingest event of this store" in result.output


def test_parts_no_ingest_recorded_are_not_looked_for_beside_older_ingests(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest events from before ingests recorded their parts: which part files are theirs
    cannot be told, so none is reported as unrecorded; the note says so."""
    monkeypatch.setattr(pipeline, "LEDGER_FILES_KEY", "not_yet")
    monkeypatch.setattr(pipeline, "PARTS_KEY", "not_yet_either")
    part = _load(store, tmp_path)
    code, out = _verify(store)
    assert code == 0, out
    assert "nor are part files that no ingest recorded looked for" in out
    assert str(part) not in out


def _killed_before_the_rename(store: Store, tmp_path: Path, owner: str) -> tuple[Path, Path]:
    """A part its ingest committed, put back under the scratch name its event records (as a
    process killed between the commit and the rename leaves it), the scratch name's owner
    being `owner`; return (the part's place, its scratch file)."""
    import ironriver.store.ledger as ledger_module

    with pytest.MonkeyPatch.context() as killed:
        killed.setattr(ledger_module, "owner_tag", lambda: owner)
        part = _load(store, tmp_path)
    (detail,) = store.ingest_details()
    ((scratch_name, final_name),) = detail["ledger_parts"]
    assert store.ledger_dir / final_name == part
    scratch = store.ledger_dir / scratch_name
    part.rename(scratch)
    return part, scratch


def _dead_owner() -> str:
    import subprocess
    import sys

    from ironriver.scratch import owner_tag

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id no longer alive: the "killed" ingest's
    return f"{owner_tag().rsplit('.', 1)[0]}.{gone.pid}"


def test_a_part_a_killed_ingest_left_under_its_scratch_name_is_said_so(
    store: Store, tmp_path: Path
) -> None:
    """Review R12 F3: verify said such a part was missing, "restore it from a backup"; it is
    whole beside it, and the next command renames it into place: a note, exit 0."""
    part, scratch = _killed_before_the_rename(store, tmp_path, _dead_owner())
    code, out = _verify(store)
    assert code == 0, out
    assert "Ledger part not in place yet (1), nothing lost:" in out
    assert f"ledger part {part} is not in place yet: it was left by a killed ingest" in out
    assert f"its scratch name {scratch.name}, where it is whole" in out
    assert "`ironriver stats --as NAME`" in out
    assert "restore it from a backup" not in out and "missing" not in out, out
    code, out = _verify(store, lang="es")
    assert code == 0, out
    assert "la dejó una carga terminada a la fuerza" in out
    code, out = _run(store, "audit", "verify", "--json")
    assert code == 0 and '"ledger_pending": [' in out and scratch.name in out, out
    assert scratch.exists()  # (verify renames nothing)
    # the command it names finishes it
    code, out = _run(store, "stats", "--as", "us-atf-analyst")
    assert code == 0, out
    assert part.exists() and not scratch.exists()
    code, out = _verify(store)
    assert code == 0 and "not in place" not in out, out


def test_a_scratch_part_of_a_running_process_is_said_to_be_renamed_by_it(
    store: Store, tmp_path: Path
) -> None:
    from ironriver.scratch import owner_tag

    part, scratch = _killed_before_the_rename(store, tmp_path, owner_tag())  # (alive)
    code, out = _verify(store)
    assert code == 0, out
    assert f"ledger part {part} is not in place yet: ingest event" in out
    assert f"under its scratch name {scratch.name}, whose process" in out
    assert "whose process is still running or ran on another host" in out


def test_a_scratch_part_without_the_recorded_rows_is_still_missing(
    store: Store, tmp_path: Path
) -> None:
    part, scratch = _killed_before_the_rename(store, tmp_path, _dead_owner())
    pq.write_table(pq.read_table(scratch).slice(0, 1), scratch)
    code, out = _verify(store)
    assert code == 5, out
    assert f"ledger part {part} is missing (3 rows" in out and "not in place" not in out


# -- reads leave out the parts no ingest recorded (R12 F2, the read half)


def _copied_in(store: Store, part: Path, rows: int, folder: str | None = None) -> Path:
    """A part file no ingest recorded, holding the first `rows` rows of `part`: copied by
    hand beside it, or into another ledger's `folder` (`dataset/ledger`)."""
    where = part.parent if folder is None else store.ledger_dir / folder
    where.mkdir(parents=True, exist_ok=True)
    stray = where / f"part-0000copied{rows}.parquet"
    pq.write_table(pq.read_table(part).slice(0, rows), stray)
    return stray


def _cli(store: Store, *args: str) -> tuple[int, str, str]:
    """The CLI's exit code, standard output and standard error (the log's)."""
    db = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, [*args, "--db", db], env=_env(store))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_reads_leave_out_a_part_no_ingest_recorded(store: Store, tmp_path: Path) -> None:
    """Review R12 F2: a part file no ingest event names (copied in by hand, or by a ledger
    folder copied after the database) was read as data by every read, though `audit verify`
    reported it. `View.ledger`, `View.ledger_rows` and the counts (`datasets`, `ledgers`)
    now leave it out, as does a ledger folder holding only such parts; verify still
    reports them, and the log names each file left out (stderr: the operator's)."""
    from ironriver.policy import View
    from ironriver.policy.markings import Principal

    part = _load(store, tmp_path)  # 3 rows
    beside = _copied_in(store, part, 2)
    alone = _copied_in(store, part, 1, "us_atf_sales/returns")
    code, out, log = _cli(store, "ledgers", "--as", "us-atf-analyst", "--json")
    assert code == 0, out + log
    assert '"ledger": "dealer_sales"' in out and '"visible_ledger_rows": 3' in out, out
    assert "returns" not in out, out
    assert "ledger.unrecorded_part_ignored" in log and str(beside) in log and str(alone) in log
    code, out, log = _cli(store, "datasets", "--as", "us-atf-analyst", "--json")
    assert code == 0 and '"visible_ledger_rows": 3' in out, out + log
    code, out, _log = _cli(store, "ledger", "us_atf_sales", "--as", "us-atf-analyst")
    assert code == 0 and out.count("sales.csv:") == 3, out  # T1-T3, not the copies
    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    assert view.ledger("dealer_sales").count("*").fetchall() == [(3,)]
    assert view.ledger_rows("us_atf_sales").matched == 3
    assert view.ledger_counts() == {("us_atf_sales", "dealer_sales"): 3}
    with pytest.raises(NotFound):  # as a ledger that does not exist
        view.ledger("returns")
    with pytest.raises(NotFound):
        view.ledger_rows("us_atf_sales", ledger="returns")
    code, out = _verify(store)  # still reported, named
    assert code == 5 and "LEDGER PARTS NO INGEST RECORDED (2 problems):" in out, out
    assert f"ledger part {beside} (2 rows) was recorded by no ingest event" in out
    assert "and reads leave it out" in out, out


def test_a_keyed_ingest_and_a_retraction_leave_out_a_part_no_ingest_recorded(
    store: Store, tmp_path: Path
) -> None:
    """A keyed ledger's ingest checks its keys against the stored parts: a part no ingest
    recorded holding a key made the ingest drop the new row of that key (never read now:
    lost). A retraction of a file's rows retracts the recorded parts only (it renamed the
    copy too, and its event named it, making it look recorded)."""
    from ironriver.policy import Principal, View, retract_ledger_file

    mapping = sales_ledger(tmp_path, "sales.csv", SALES, key=True)
    ingest_mapping(store, mapping, actor="loader")
    (part,) = (tmp_path / "ledgers").glob("*/*/part-*.parquet")
    table = pq.read_table(part)
    stray = part.with_name("part-0000copiedbyhand.parquet")
    t9 = table.slice(0, 1).set_column(0, "txn", pa.array(["T9"]))
    t9 = t9.set_column(1, "serial", pa.array(["QQ1"]))
    pq.write_table(pa.concat_tables([table, t9]), stray)  # T1-T3, T9 (`_source_ref` sales.csv)
    more = sales_ledger(tmp_path, "more.csv", "T9,QQ1\n", key=True)
    result = ingest_mapping(store, more, actor="loader")
    assert result.ledger_rows_new == 1  # (0: T9 was taken as stored)
    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    rows = view.ledger("dealer_sales").project("txn").order("txn").fetchall()
    assert rows == [("T1",), ("T2",), ("T3",), ("T9",)]
    loader = Principal("loader", "ATF", "US", frozenset({"ingest"}))
    done = retract_ledger_file(
        store, loader, "us_atf_sales", "dealer_sales", "sales.csv", reason="entered in error"
    )
    assert done.parts == (part.name,) and done.rows == 3, done
    assert stray.exists()  # (not this store's: left where it is, for verify to report)
    assert view.ledger("dealer_sales").project("txn").fetchall() == [("T9",)]


def test_a_store_whose_ingests_predate_the_records_still_reads_its_parts(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest events written before ingests recorded their parts: which part files are
    theirs cannot be told (verify looks for no stray), so every part file is read, as
    verify accepts them (one rule: `RecordedParts.stray`)."""
    from ironriver.policy import View
    from ironriver.policy.markings import Principal

    monkeypatch.setattr(pipeline, "LEDGER_FILES_KEY", "not_yet")
    monkeypatch.setattr(pipeline, "PARTS_KEY", "not_yet_either")
    part = _load(store, tmp_path)
    monkeypatch.undo()
    _copied_in(store, part, 2)
    (tmp_path / "sales.csv").write_text("txn,serial\nT9,QQ1\n", encoding="utf-8")
    ingest_mapping(store, tmp_path / "sales.csv.yaml", actor="loader")  # one recorded since
    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    assert view.ledger("dealer_sales").count("*").fetchall() == [(6,)]
    assert view.ledger_rows("us_atf_sales").matched == 6
    assert view.ledger_counts() == {("us_atf_sales", "dealer_sales"): 6}
    code, out = _verify(store)
    assert code == 0 and "NO INGEST RECORDED" not in out, out


def test_a_part_a_killed_ingest_left_is_read_once_when_renamed_into_place(
    store: Store, tmp_path: Path
) -> None:
    """A part its ingest committed, left under its scratch name by a process killed before
    the rename: a store opened before (no recovery) reads neither it (a scratch file is
    never read) nor no rows: the read says parts are missing. Once a writing open renames
    it into place, it is read, once (its event names it: not left out)."""
    from ironriver.errors import StoreError
    from ironriver.policy import View
    from ironriver.policy.markings import Principal

    part, scratch = _killed_before_the_rename(store, tmp_path, _dead_owner())
    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    with pytest.raises(StoreError, match="1 part file that an ingest wrote is missing"):
        view.ledger("dealer_sales")
    assert view.ledger_counts() == {}
    code, out = _run(store, "stats", "--as", "us-atf-analyst")  # a writing open: recovers
    assert code == 0 and part.exists() and not scratch.exists(), out
    assert view.ledger("dealer_sales").count("*").fetchall() == [(3,)]
    assert view.ledger_counts() == {("us_atf_sales", "dealer_sales"): 3}
    code, out = _verify(store)
    assert code == 0, out


def test_a_part_ingested_after_a_view_read_the_events_is_read(store: Store, tmp_path: Path) -> None:
    """A view trusts what it read of the events for the parts named there (no query per
    count), and reads them again for a part they do not name: one ingested since (by
    another process: another store object here) is counted and read, not left out."""
    from ironriver.policy import View
    from ironriver.policy.markings import Principal
    from ironriver.store import open_store

    _load(store, tmp_path)
    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    assert view.ledger_counts() == {("us_atf_sales", "dealer_sales"): 3}
    other = open_store(
        store.engine.url.render_as_string(hide_password=False), ledger_dir=store.ledger_dir
    )
    try:
        (tmp_path / "sales.csv").write_text("txn,serial\nT9,QQ1\n", encoding="utf-8")
        ingest_mapping(other, tmp_path / "sales.csv.yaml", actor="loader")
    finally:
        other.close()
    assert view.ledger_counts() == {("us_atf_sales", "dealer_sales"): 4}
    assert view.ledger("dealer_sales").count("*").fetchall() == [(4,)]


def test_an_ingest_takes_no_part_no_ingest_recorded_under_the_name_it_writes(
    store: Store, tmp_path: Path
) -> None:
    """A file planted under the very name a later ingest's part gets (the name is a hash of
    the file loaded and its mapping, which anyone holding both can compute) was taken as
    that ingest's part: its rows, whatever they were, became recorded data. The ingest now
    refuses, writes nothing, and leaves the file for `audit verify` to report."""
    from ironriver.policy import View
    from ironriver.policy.markings import Principal
    from ironriver.store import open_store

    _load(store, tmp_path)
    more = sales_ledger(tmp_path, "more.csv", "T9,QQ1\n")
    elsewhere = open_store(f"sqlite:///{tmp_path / 'other.db'}", ledger_dir=tmp_path / "other")
    ingest_mapping(elsewhere, more, actor="loader")
    (theirs,) = (tmp_path / "other").glob("*/*/part-*.parquet")
    elsewhere.close()
    planted = store.ledger_dir / theirs.relative_to(tmp_path / "other")
    forged = pq.read_table(theirs).set_column(1, "serial", pa.array(["FORGED"]))
    pq.write_table(forged, planted)
    events = len(store.audit.write_events(EventFilter(action="ingest")))
    with pytest.raises(StoreError) as refused:
        ingest_mapping(store, more, actor="loader")
    assert str(planted) in str(refused.value) and "no ingest of this store" in str(refused.value)
    assert "audit verify" in str(refused.value.hint)
    assert len(store.audit.write_events(EventFilter(action="ingest"))) == events
    assert planted.exists()
    view = View(store, Principal("atf", "ATF", "US"), reason="trace 7")
    serials = view.ledger("dealer_sales").project("serial").fetchall()
    assert ("FORGED",) not in serials and len(serials) == 3
    code, out = _verify(store)
    assert code == 5 and str(planted) in out, out
    code, out = _run(store, "ingest", str(more), "--as", "loader", lang="es")
    assert code == 1 and "no la registró ninguna carga" in out, out
