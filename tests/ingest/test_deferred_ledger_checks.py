"""A ledger-only query's checks (dates, numbers, required values) left to the part's write
(`prepare._prepare`'s `defer`, `ledger_parts.ledger_part`) give what running them before
the write gives: the same outcome (error message, counts), the same error report, the
same parts (names and rows), whatever the bad values and wherever they are (in the first
rows the write reads or after parts of the part were written), with and without
`--skip-invalid`, over one or two files."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ironriver.store.ledger as ledger_module
from ironriver.errors import IngestError
from ironriver.ingest import ingest_mapping
from ironriver.ingest import pipeline as pipeline_module
from ironriver.store import open_store

MAPPING = """
us_atf_sales:
  title: "Sales"
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US, MX]
  queries:
{queries}"""
QUERY = """    - csv_url: {file}
      ledger:
        name: dealer_sales
        columns:
          txn: {{column: txn, type: string, required: true}}
          sold: {{column: sold, type: date, format: "%m/%d/%Y", required: true}}
          price: {{column: price, type: float}}
          qty: {{column: qty, type: integer}}
"""
HEADER = "txn,sold,price,qty\n"

# a row: txn, sold, price, qty; the bad values each check rejects beside good ones
TXN = st.sampled_from(["", "T"])  # "" is missing (required); "T" gets the row's number
SOLD = st.sampled_from(["01/05/2023", "12/31/2022", "13/45/2023", "2023-01-05", ""])
PRICE = st.sampled_from(["499.99", "350", "", "abc"])
QTY = st.sampled_from(["1", "12", "", "1.5"])
ROW = st.tuples(TXN, SOLD, PRICE, QTY)
GOOD = ("T", "01/05/2023", "10", "1")


def _csv(rows: list[tuple[str, str, str, str]], tag: str, duplicate: int | None) -> str:
    lines = [
        ",".join([f"{tag}{i}" if txn else "", sold, price, qty])
        for i, (txn, sold, price, qty) in enumerate(rows)
    ]
    if duplicate is not None and lines:
        lines.append(lines[duplicate % len(lines)])  # (the duplicate check is not deferred)
    return HEADER + "".join(f"{line}\n" for line in lines)


@contextmanager
def _checks_before_the_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every check run in `prepare`, as before checks were left to the write."""
    real = pipeline_module.prepare_query

    def undeferred(*args: Any, **kwargs: Any) -> Any:
        kwargs["defer"] = False
        return real(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(pipeline_module, "prepare_query", undeferred)
        yield


def _outcome(folder: Path, files: dict[str, str], skip_invalid: bool) -> dict[str, Any]:
    """What one ingest of `files` into a new store gives: its result or error, its report,
    its ledger parts (names and rows)."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    queries = "".join(QUERY.format(file=name) for name in files)
    (folder / "m.yaml").write_text(MAPPING.format(queries=queries), encoding="utf-8")
    store = open_store(f"sqlite:///{folder / 's.db'}")
    try:
        result = ingest_mapping(store, folder / "m.yaml", actor="test", skip_invalid=skip_invalid)
        said: Any = (
            result.records,
            result.rejected,
            result.ledger_rows,
            result.ledger_rows_new,
            [str(n) for n in result.notes],
        )
    except IngestError as exc:
        said = (
            "error",
            str(exc).replace(str(folder), "<folder>"),
            str(exc.hint).replace(str(folder), "<folder>"),
        )
    finally:
        store.close()
    report = folder / "m.yaml.errors.csv"
    parts = sorted(store.ledger_dir.rglob("*.parquet")) if store.ledger_dir.exists() else []
    return {
        "said": said,
        "report": report.read_text(encoding="utf-8") if report.exists() else None,
        "parts": [p.name for p in parts],
        "rows": [pq.read_table(p).to_pylist() for p in parts],
        "scratch": [p.name for p in folder.rglob(".ironriver-stage-*")],
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    first=st.lists(ROW, min_size=1, max_size=9),
    second=st.none() | st.lists(ROW, min_size=1, max_size=5),
    duplicate=st.none() | st.integers(0, 20),
    skip_invalid=st.booleans(),
    batch=st.sampled_from([2, 3, 1 << 20]),
)
@example(
    first=[GOOD] * 5 + [("T", "13/45/2023", "1", "1")],
    second=None,
    duplicate=None,
    skip_invalid=False,
    batch=2,
)  # (rejected after two batches were written)
@example(
    first=[GOOD] * 3,
    second=[("", "01/05/2023", "1", "1")],
    duplicate=None,
    skip_invalid=False,
    batch=2,
)  # (the second file's write finds the missing value)
@example(
    first=[("T", "x", "1", "1")], second=[GOOD], duplicate=None, skip_invalid=False, batch=2
)  # (the first file rejected: the second is checked, not written)
def test_checks_left_to_the_write_give_what_checks_before_it_give(
    monkeypatch: pytest.MonkeyPatch,
    first: list[tuple[str, str, str, str]],
    second: list[tuple[str, str, str, str]] | None,
    duplicate: int | None,
    skip_invalid: bool,
    batch: int,
) -> None:
    files = {"a.csv": _csv(first, "A", duplicate)}
    if second is not None:
        files["b.csv"] = _csv(second, "B", None)
    monkeypatch.setattr(ledger_module, "ROW_GROUP_ROWS", batch)  # (the write's batches)
    with tempfile.TemporaryDirectory() as tmp:
        deferred = _outcome(Path(tmp) / "deferred", files, skip_invalid)
        with _checks_before_the_write(monkeypatch):
            before = _outcome(Path(tmp) / "before", files, skip_invalid)
    assert deferred == before
    assert deferred["scratch"] == []  # (a vetoed write leaves nothing behind)


def test_a_clean_file_is_typed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of leaving the checks to the write: no scan of `led` but the write's."""
    scans: list[str] = []
    real = pipeline_module.prepare_query

    def counting(*args: Any, **kwargs: Any) -> Any:
        prep = real(*args, **kwargs)
        scans.extend(c for c in prep.checks if getattr(c, "table", None) == "led")
        return prep

    monkeypatch.setattr(pipeline_module, "prepare_query", counting)
    outcome = _outcome(tmp_path / "one", {"a.csv": _csv([GOOD] * 4, "A", None)}, False)
    assert outcome["said"][2] == 4  # four ledger rows
    assert scans == []  # no check over `led` ran before the write


@pytest.mark.parametrize("defer", [True, False])
def test_a_file_whose_retracted_part_skipped_bad_rows_is_still_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, defer: bool
) -> None:
    """A part in place or retracted is not written again, so its write checks nothing: the
    checks left to it run all the same (`settle`). Loaded with --skip-invalid, retracted,
    then ingested again without it, the file is refused with its report, as before."""
    from ironriver.policy.markings import Principal
    from ironriver.policy.retract_ledger import retract_ledger_file

    rows = [GOOD, ("T", "13/45/2023", "1", "1"), GOOD]
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text(_csv(rows, "A", None), encoding="utf-8")
    (folder / "m.yaml").write_text(
        MAPPING.format(queries=QUERY.format(file="a.csv")), encoding="utf-8"
    )
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    first = ingest_mapping(store, folder / "m.yaml", actor="test", skip_invalid=True)
    assert (first.ledger_rows, first.rejected) == (2, 1)
    loader = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
    retract_ledger_file(store, loader, "us_atf_sales", "dealer_sales", "a.csv", reason="test")
    context = monkeypatch.context()
    with context as patched:
        if not defer:
            real = pipeline_module.prepare_query
            patched.setattr(
                pipeline_module,
                "prepare_query",
                lambda *a, **k: real(*a, **{**k, "defer": False}),
            )
        with pytest.raises(IngestError, match="1 record of 3 rejected"):
            ingest_mapping(store, folder / "m.yaml", actor="test")
        again = ingest_mapping(store, folder / "m.yaml", actor="test", skip_invalid=True)
    assert (again.ledger_rows, again.ledger_rows_new, again.rejected) == (2, 0, 1)
    store.close()
