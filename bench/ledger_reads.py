"""`python -m bench ledger_reads`: ledger reads of many parts through a view, against plain
DuckDB reading the same files.

Work (bench/_work/ledger_reads.db and its ledger folder, built once, with `ingest_mapping`,
so every part is one an ingest recorded): a `dealer_sales` ledger of 200 parts of 5,000 rows
and 3 of 1,000,000 (4.0M rows), in three datasets of three labels: `us_atf_sales` (ATF,
AMBER, releasable to US and MX: 100 small parts and 2 large), `mx_fgr_sales` (FGR, AMBER,
releasable to MX: 60 small, 1 large), `us_atf_strict_sales` (ATF, AMBER+STRICT, releasable to
ATF: 40 small). It is read by a CBP officer of the US, who sees only the first (2.5M rows in
102 parts), with a reason (every read audited, as in use).

Timed, ours against the peer (one plain `duckdb.connect()` with its defaults, reading the
visible dataset's parts with `read_parquet`, no policy), each pair run back to back:

- ledger_fresh: `View(...).ledger("dealer_sales")` in a new view, then its rows counted and
  their prices summed; peer: `count(*), sum(price)` of the visible parts.
- ledger_repeat: the same on one view, read again.
- rows_serial: `View.ledger_rows("us_atf_sales", [("serial", <one serial>)])` (one row; text
  compares by `identifier_key`); peer: the rows `serial = <it>`, at most 51, counted when more.
- rows_date: `ledger_rows` with `sale_date=<a day>` (~1,400 matches: 50 returned, a second
  scan counts them); peer: the same two queries on `sale_date = <it>`.
- counts: `View.ledger_counts()` (from the footers); peer: `count(*)` of the visible parts.

Medians of 7 (after one untimed round). The first read in the process (the store's DuckDB
made) is printed alone. Last line: `ledger_reads: <name>_ms=<ours> ... overhead_vs_duckdb=<x>`,
x being the geometric mean of the five ratios ours/peer.
"""

from __future__ import annotations

import math
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from bench.ingest import LEDGER, WORK, generate
from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal, View
from ironriver.store import Store, open_store

RUNS = 7
SMALL, LARGE = 5_000, 1_000_000
BUILD = 1  # (bumped when the work changes: an older build is made again)
# dataset -> (agency, country, marking, releasable_to, small parts, large parts)
DATASETS = {
    "us_atf_sales": ("ATF", "US", "AMBER", "[US, MX]", 100, 2),
    "mx_fgr_sales": ("FGR", "MX", "AMBER", "[MX]", 60, 1),
    "us_atf_strict_sales": ("ATF", "US", "AMBER+STRICT", "[ATF]", 40, 0),
}
VISIBLE = "us_atf_sales"
READER = Principal("bench", "CBP", "US")
HEAD = """{dataset}:
  title: "Dealer disposition records (synthetic, ledger reads bench)"
  agency: {agency}
  country: {country}
  marking: {marking}
  releasable_to: {releasable}
  legal_basis: "synthetic"
  queries:
  - csv_url: {csv}
"""


def _paths() -> tuple[Path, Path, Path]:
    db = WORK / "ledger_reads.db"
    return db, WORK / "ledger_reads.db.ledgers", WORK / f"ledger_reads.built-{BUILD}"


def _open() -> Store:
    db, ledgers, _done = _paths()
    return open_store(f"sqlite:///{db}", ledger_dir=ledgers)


def build() -> None:
    """The store, its 203 ingests, once (a build that did not finish is made again)."""
    db, _ledgers, done = _paths()
    if done.exists():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    for path in WORK.glob("ledger_reads.*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    csvs = WORK / "ledger_reads.csv"
    csvs.mkdir()
    store = _open()
    start = time.perf_counter()
    n = 0
    for dataset, (agency, country, marking, releasable, small, large) in DATASETS.items():
        for i in range(small + large):
            rows = SMALL if i < small else LARGE
            tag = f"{dataset[:2].upper()}{i:03d}"  # (ids distinct across every file)
            csv = csvs / f"{dataset}_{i:03d}.csv"
            generate(csv, rows, seed=1000 + n, tag=tag)
            mapping = csvs / f"{dataset}_{i:03d}.yaml"
            head = HEAD.format(
                dataset=dataset,
                agency=agency,
                country=country,
                marking=marking,
                releasable=releasable,
                csv=csv.name,
            )
            mapping.write_text(head + LEDGER, encoding="utf-8")
            ingest_mapping(store, mapping, actor="bench")
            csv.unlink()
            n += 1
    store.close()
    done.write_text(f"{n} ingests\n", encoding="utf-8")
    print(f"built {db.name}: {n} ingests in {time.perf_counter() - start:.1f}s", flush=True)


def _ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def _peer_rows(con: duckdb.DuckDBPyConnection, parts: list[str], where: str, value: Any) -> Any:
    """The peer of `ledger_rows`: the first 50 rows matching, and how many match."""
    source = "read_parquet(?)"
    rows = con.execute(f"SELECT * FROM {source} WHERE {where} LIMIT 51", [parts, value]).fetchall()
    if len(rows) <= 50:
        return len(rows)
    [(count,)] = con.execute(
        f"SELECT count(*) FROM {source} WHERE {where}", [parts, value]
    ).fetchall()
    return int(count)


def main() -> None:
    build()
    store = _open()
    view = View(store, READER, reason="bench")
    parts = sorted(str(p) for p in (store.ledger_dir / VISIBLE / "dealer_sales").glob("*.parquet"))
    first_ms, _ = _ms(lambda: view.ledger("dealer_sales").aggregate("count(*)").fetchall())
    [(serial, day)] = (
        view.ledger("dealer_sales")
        .order("txn")
        .limit(1, offset=1_234_567)
        .project("serial, sale_date")
        .fetchall()
    )
    peer = duckdb.connect()
    peer.execute("SET enable_progress_bar = false")

    def scan(relation: Any) -> Any:
        return relation.aggregate("count(*), sum(price)").fetchall()

    source = "read_parquet(?)"  # (the parts share one schema)
    cases: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "ledger_fresh": (
            lambda: scan(View(store, READER, reason="bench").ledger("dealer_sales")),
            lambda: peer.execute(f"SELECT count(*), sum(price) FROM {source}", [parts]).fetchall(),
        ),
        "ledger_repeat": (
            lambda: scan(view.ledger("dealer_sales")),
            lambda: peer.execute(f"SELECT count(*), sum(price) FROM {source}", [parts]).fetchall(),
        ),
        "rows_serial": (
            lambda: view.ledger_rows(VISIBLE, [("serial", serial)]).matched,
            lambda: _peer_rows(peer, parts, "serial = ?", serial),
        ),
        "rows_date": (
            lambda: view.ledger_rows(VISIBLE, [("sale_date", day.isoformat())]).matched,
            lambda: _peer_rows(peer, parts, "sale_date = ?", day),
        ),
        "counts": (
            lambda: view.ledger_counts()[(VISIBLE, "dealer_sales")],
            lambda: peer.execute(f"SELECT count(*) FROM {source}", [parts]).fetchall()[0][0],
        ),
    }
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in cases}
    for run in range(RUNS + 1):
        for name, (ours, theirs) in cases.items():
            ours_ms, got = _ms(ours)
            peer_ms, expected = _ms(theirs)
            if name == "counts" or name.startswith("rows"):
                assert got == expected, (name, got, expected)  # (the same rows found)
            else:  # (a float sum's last digits depend on the order DuckDB's threads add in)
                [(count, total)], [(peer_count, peer_total)] = got, expected
                assert count == peer_count and math.isclose(total, peer_total), (got, expected)
            if run:  # (the first round warms up, untimed)
                times[name][0].append(ours_ms)
                times[name][1].append(peer_ms)
    store.close()
    print(
        f"{len(parts)} visible parts of {sum(s + la for *_, s, la in DATASETS.values())}; "
        f"first View.ledger in the process (its DuckDB made): {first_ms:.1f} ms",
        flush=True,
    )
    ratios: list[float] = []
    line = []
    for name, (ours_t, peer_t) in times.items():
        ours_ms, peer_ms = statistics.median(ours_t), statistics.median(peer_t)
        ratios.append(ours_ms / peer_ms)
        line.append(f"{name}_ms={ours_ms:.1f}")
        print(
            f"{name}: ours {ours_ms:.1f} ms, duckdb {peer_ms:.1f} ms, "
            f"ratio {ours_ms / peer_ms:.2f} (medians of {RUNS})",
            flush=True,
        )
    overhead = math.exp(statistics.fmean(math.log(r) for r in ratios))
    print(f"ledger_reads: {' '.join(line)} overhead_vs_duckdb={overhead:.2f}")


if __name__ == "__main__":
    main()
