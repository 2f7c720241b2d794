"""Large files: streamed into DuckDB (bounded memory) with the same outcome as the in-memory read.

A budget of 0 (`ingest_mapping(memory_mb=0)`, `IRONRIVER_INGEST_MEMORY_MB=0` for the CLI) streams every file, so the tiny fixtures take the large-file
path; each case is ingested both ways into fresh stores and everything observable is compared:
the result, the statements, the ledger Parquet bytes, the error report, the error's words.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sales_fixtures import HEADER, ROWS, make_sales_dir, snapshot, write_csv  # type: ignore[import-not-found]

from ironriver.errors import ConfigError, IngestError
from ironriver.ingest import arrow_csv, ingest_mapping, prepare, source
from ironriver.ingest.mapping import SourceSpec
from ironriver.settings import DEFAULT_INGEST_MEMORY_MB, Settings
from ironriver.store import open_store

JSONL_MAPPING = (
    "mx_fgr_people:\n  agency: FGR\n  country: MX\n  marking: GREEN\n  queries:\n"
    "    - jsonl_url: p.jsonl\n      entities:\n        p:\n          schema: Person\n"
    "          keys: [id]\n          properties:\n            name: {column: name}\n"
    "            birthDate: {column: born}\n"
)


def _rows(change: Callable[[list[list[str]]], None]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        rows = [list(r) for r in ROWS]
        change(rows)
        write_csv(folder / "sales.csv", rows)

    return edit


def _set(row: int, col: int, value: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[row][col] = value

    return change


def _good(folder: Path) -> None:
    pass


def _latin1(folder: Path) -> None:
    text = (folder / "sales.csv").read_text(encoding="utf-8")
    (folder / "sales.csv").write_bytes(text.encode("latin-1"))


def _latin1_declared(folder: Path) -> None:
    _latin1(folder)
    mapping = (folder / "sales.yaml").read_text(encoding="utf-8")
    declared = "csv_url: sales.csv\n      encoding: latin-1"
    (folder / "sales.yaml").write_text(mapping.replace("csv_url: sales.csv", declared), "utf-8")


def _missing_column(folder: Path) -> None:
    write_csv(
        folder / "sales.csv", ROWS, header=["buyer" if h == "buyer_id" else h for h in HEADER]
    )


def _ragged(folder: Path) -> None:
    with (folder / "sales.csv").open("a", encoding="utf-8") as fh:
        fh.write("T5,04/01/2023,5-12-347\n")


def _repeated_header(folder: Path) -> None:
    """A repeated column name the mapping reads: refused (which one would it be?)."""
    write_csv(folder / "sales.csv", [[*r, "x"] for r in ROWS], header=[*HEADER, "price"])


def _repeated_unread_header(folder: Path) -> None:
    """A repeated column name the mapping does not read: read by DuckDB's reader (which
    renames the second `notes_1`)."""
    rows = [[*r, "x", "y"] for r in ROWS]
    write_csv(folder / "sales.csv", rows, header=[*HEADER, "notes", "notes"])


def _jsonl(folder: Path) -> None:
    (folder / "p.jsonl").write_text(
        '{"id": "1", "name": "Ana Pérez", "born": "1990-02-03"}\n'
        '{"id": 2, "name": " Bob ", "extra": [1, 2], "born": "1990-02-30"}\n'
        '{"id": "3", "name": "Zoë\\u200b", "born": "1985"}\n',
        encoding="utf-8",
    )
    (folder / "sales.yaml").write_text(JSONL_MAPPING, encoding="utf-8")


CASES: dict[str, tuple[Callable[[Path], None], bool]] = {  # (edit the inputs, skip_invalid)
    "good": (_good, False),
    "bad_dates": (
        _rows(lambda r: (_set(1, 1, "2023-01-06")(r), _set(3, 1, "13/45/2023")(r))),
        False,
    ),
    "bad_dates_skipped": (_rows(_set(3, 1, "not a date")), True),
    "duplicates": (lambda f: write_csv(f / "sales.csv", [*ROWS, ROWS[2]]), False),
    "required_missing": (_rows(_set(2, 7, "")), False),
    "unsafe_text": (_rows(_set(0, 4, "\ufeffAna\u00a0María\x07 ")), False),
    "missing_column": (_missing_column, False),
    "ragged_row": (_ragged, False),
    "not_utf8": (_latin1, False),
    "latin1_declared": (_latin1_declared, False),
    "repeated_header": (_repeated_header, False),
    "repeated_unread_header": (_repeated_unread_header, False),
    "header_only": (lambda f: write_csv(f / "sales.csv", []), False),
    "jsonl": (_jsonl, True),
}


def _outcome(
    root: Path,
    edit: Callable[[Path], None],
    skip_invalid: bool,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
) -> dict[str, Any]:
    """Ingest the sales inputs, edited, into a fresh store under `root`; return all there is
    to see of it, with `root` replaced by `<root>`."""
    root.mkdir()
    folder = make_sales_dir(root)
    edit(folder)
    store = open_store(f"sqlite:///{root / 'store.db'}", ledger_dir=root / "ledgers")
    report = root / "report.csv"
    out: dict[str, Any] = {}
    try:
        result = ingest_mapping(
            store,
            folder / "sales.yaml",
            actor="t",
            skip_invalid=skip_invalid,
            report_path=report,
            memory_mb=memory_mb,
        )
        out["result"] = asdict(result)
    except IngestError as err:
        out["error"] = (err.message, err.hint, err.report_path)
    out["statements"], out["ledger_files"] = snapshot(store)
    store.close()
    out["ledger_bytes"] = {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.glob("ledgers/**/*.parquet"))
    }
    out["report"] = report.read_bytes() if report.exists() else None
    return _without(out, str(root))


def _without(value: Any, root: str) -> Any:
    if isinstance(value, str):
        return value.replace(root, "<root>")
    if isinstance(value, Path):
        return _without(str(value), root)
    if isinstance(value, dict):
        return {k: _without(v, root) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without(v, root) for v in value]
    return value


@pytest.fixture
def streamed_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The `stream` flag of every `load_source` call the pipeline makes."""
    calls: list[bool] = []
    real = prepare.load_source

    def spy(*args: Any, **kwargs: Any) -> int:
        calls.append(bool(kwargs.get("stream")))
        return real(*args, **kwargs)

    monkeypatch.setattr(prepare, "load_source", spy)
    return calls


@pytest.mark.parametrize("case", list(CASES))
def test_streamed_ingest_equals_in_memory(
    case: str, tmp_path: Path, streamed_calls: list[bool]
) -> None:
    edit, skip_invalid = CASES[case]
    in_memory = _outcome(tmp_path / "a", edit, skip_invalid)
    assert streamed_calls and not any(streamed_calls)
    streamed_calls.clear()
    streamed = _outcome(tmp_path / "b", edit, skip_invalid, memory_mb=0)
    assert streamed_calls and all(streamed_calls)
    assert streamed == in_memory
    # the cases are what they say: good ones write, bad ones are refused with a report
    if case in ("good", "latin1_declared", "repeated_unread_header", "unsafe_text"):
        assert "error" not in in_memory and in_memory["statements"] and in_memory["ledger_bytes"]
    elif case in ("bad_dates_skipped", "jsonl"):
        assert in_memory["result"]["rejected"] > 0 and in_memory["statements"]
    elif case == "header_only":
        assert in_memory["result"]["records"] == 0 and not in_memory["statements"]
    else:
        assert "error" in in_memory and not in_memory["statements"]


def test_errors_say_what_is_wrong(tmp_path: Path) -> None:
    """The streamed path keeps the in-memory path's words (compared above); here, that
    those words are the useful ones."""
    seen = {
        case: _outcome(tmp_path / case, CASES[case][0], False, memory_mb=0)["error"]
        for case in ("not_utf8", "ragged_row", "missing_column", "bad_dates", "repeated_header")
    }
    assert "names price more than once (columns 10, 11)" in seen["repeated_header"][0]
    assert "not valid utf-8" in seen["not_utf8"][0] and "line 2" in seen["not_utf8"][0]
    assert "encoding: latin-1" in seen["not_utf8"][1]
    assert seen["ragged_row"][0].startswith("Cannot parse sales.csv")
    assert "buyer_id" in seen["missing_column"][0] and "buyer" in seen["missing_column"][1]
    assert "2 of 4 records rejected" in seen["bad_dates"][0]  # 2 rows, each once (2 queries)
    assert (
        "format %m/%d/%Y" in seen["bad_dates"][0] and "first at record 2," in seen["bad_dates"][0]
    )
    assert seen["bad_dates"][2] == "<root>/report.csv"


def _sales_rows(n: int) -> list[list[str]]:
    first = ["Ana", "José", " Zoë "]
    return [
        [
            *(f"T{i}", "01/05/2023", f"5-12-{i % 97}", f"B{i % 1000}", first[i % 3]),
            *(f"L{i % 13}", "1990", f"SN{i}", "Glock", str(i % 500)),
        ]
        for i in range(n)
    ]


@pytest.mark.parametrize("late_problem", [None, "ragged", "repeated_header"])
def test_many_batches_same_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late_problem: str | None
) -> None:
    """Streamed in many small batches (Arrow's reader, or DuckDB's when Arrow fails half way
    or refuses the header), `src` holds the rows of the in-memory read, in file order."""
    monkeypatch.setattr(arrow_csv, "_STREAM_BLOCK", 4096)
    monkeypatch.setattr(source, "_STREAM_ROWS", 500)
    monkeypatch.setattr(source, "_BATCH_ROWS", 700)
    path = tmp_path / "s.csv"
    rows = _sales_rows(6000)
    header = list(HEADER)
    if late_problem == "repeated_header":
        header[-1] = "make"  # DuckDB's reader names it make_1
    write_csv(path, rows, header=header)
    if late_problem == "ragged":
        with path.open("a", encoding="utf-8") as fh:
            fh.write("T1,2\n")
    refs = (
        ["txn", "first", "serial"]
        if late_problem == "repeated_header"
        else ["txn", "first", "price"]
    )
    cols = ", ".join(f'"{c}"' for c in [*refs, *(source.sanitized_name(r) for r in refs)])

    def load(stream: bool) -> list[tuple[Any, ...]] | str:
        con = duckdb.connect(config={"preserve_insertion_order": True})
        try:
            n = source.load_source(con, SourceSpec(path), refs, materialize=False, stream=stream)
        except IngestError as err:
            return str(err)
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = 'src'"
        ).fetchall()
        assert kind == [("LOCAL TEMPORARY",)] if stream else [("VIEW",)]
        got = con.execute(f"SELECT _row, {cols} FROM src").fetchall()  # a plain scan
        assert len(got) == n
        return got

    streamed, in_memory = load(True), load(False)
    assert streamed == in_memory
    if late_problem == "ragged":
        assert isinstance(streamed, str) and "Cannot parse s.csv" in streamed
    else:
        assert [r[0] for r in streamed] == list(range(1, 6001))
        assert streamed[2][2] == " Zoë " and streamed[2][5] == "Zoë"


def test_fits_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * (1 << 20))  # 1 MiB: the whole-file read needs ~3
    assert source.fits_in_memory(path, 3)
    assert not source.fits_in_memory(path, 2)
    assert not source.fits_in_memory(path, 0)
    assert source.fits_in_memory(tmp_path / "missing.csv", 0)  # load_source says it is missing


def test_memory_setting() -> None:
    assert Settings.from_env({}).ingest_memory_mb == DEFAULT_INGEST_MEMORY_MB
    assert Settings.from_env({"IRONRIVER_INGEST_MEMORY_MB": "0"}).ingest_memory_mb == 0
    assert Settings.from_env({"IRONRIVER_INGEST_MEMORY_MB": "512"}).ingest_memory_mb == 512
    for bad in ("-1", "2GB", "1.5"):
        with pytest.raises(ConfigError, match="IRONRIVER_INGEST_MEMORY_MB") as err:
            Settings.from_env({"IRONRIVER_INGEST_MEMORY_MB": bad})
        assert err.value.hint is not None and "4096" in err.value.hint


def _spill_dirs(tmp: Path) -> list[Path]:
    return sorted(tmp.glob(f"{source.SPILL_PREFIX}*"))


def _spill(con: duckdb.DuckDBPyConnection) -> Path:
    """Make DuckDB spill (a table larger than a lowered limit); return its spill folder."""
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con.execute("SET memory_limit = '16MiB'")
    con.execute(
        "CREATE TEMP TABLE _ballast AS SELECT i, md5(CAST(i AS VARCHAR)) AS s FROM range(1000000) t(i)"
    )
    con.execute(f"SET memory_limit = '{limit}'")
    folder = Path(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
    assert folder.is_dir() and any(folder.iterdir())
    return folder


def test_connect_spills_to_a_folder_deleted_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    con = source.connect(1024)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit == "512.0 MiB"  # the budget less PROCESS_RESERVE_MB
    assert not _spill_dirs(tmp_path)  # created on first use only
    folder = _spill(con)
    assert folder.parent == tmp_path and folder.name.startswith(source.SPILL_PREFIX)
    con.close()
    assert not folder.exists() and not _spill_dirs(tmp_path)
    floor = source.connect(0)
    assert floor.execute("SELECT current_setting('memory_limit')").fetchall() == [("128.0 MiB",)]
    floor.close()


@pytest.mark.parametrize("case", ["good", "bad_dates", "ragged_row", "bad_dates_skipped"])
def test_spill_folder_removed_after_ingest(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the ingest succeeds, is refused after validation or fails while reading, the
    folders DuckDB spilled to are gone when `ingest_mapping` returns or raises."""
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    made: list[Path] = []
    real = prepare.connect

    def spilling(
        memory_mb: int | None = None, spill_root: Path | None = None
    ) -> duckdb.DuckDBPyConnection:
        con = real(memory_mb, spill_root)
        made.append(_spill(con))
        return con

    monkeypatch.setattr(prepare, "connect", spilling)
    edit, skip_invalid = CASES[case]
    out = _outcome(tmp_path / "run", edit, skip_invalid, memory_mb=0)
    assert made and ("error" in out) == (case in ("bad_dates", "ragged_row"))
    assert not any(folder.exists() for folder in made)
    assert not _spill_dirs(spill_root)
    # beside the store (on its disk), never in $TMPDIR, which may be memory-backed
    assert all(folder.is_relative_to(tmp_path / "run") for folder in made)


def test_report_rows_name_the_streamed_records(tmp_path: Path) -> None:
    out = _outcome(tmp_path / "run", CASES["duplicates"][0], False, memory_mb=0)
    rows = list(csv.DictReader(out["report"].decode().splitlines()))
    # one per query of the mapping (statements, ledger), as the in-memory read reports it
    assert [(r["row"], r["reason"]) for r in rows] == [("5", "duplicate of row 3")] * 2


def test_ingest_mapping_takes_the_budget_from_its_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget is what the caller passes; the environment is read by `Settings` only."""
    monkeypatch.setenv("IRONRIVER_INGEST_MEMORY_MB", "100000")  # ignored by the library
    budgets: list[int | None] = []
    real = prepare.connect

    def spy(memory_mb: int | None = None, spill_root: Path | None = None) -> Any:
        budgets.append(memory_mb)
        return real(memory_mb, spill_root)

    monkeypatch.setattr(prepare, "connect", spy)
    folder = make_sales_dir(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    ingest_mapping(store, folder / "sales.yaml", actor="t", memory_mb=0)
    store.close()
    assert budgets and all(b == 0 for b in budgets)  # every file streamed, on budget 0
