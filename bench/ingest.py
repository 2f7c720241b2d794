"""`python -m bench ingest`: bulk ingest against the real `ftm map` on the same file and mapping.

Work: a seeded 1,000,000-row, 10-column dealer-sales CSV (bench/_work/, regenerated only when
missing) mapped to buyer (Individual), firearm (Firearm) and sale (Sale) entities, and
separately to a `dealer_sales` ledger.

- statements_per_s: statements produced and stored (SQLite store, indexed, committed) over the
  wall time of `ingest_mapping` on the 1M-row file into a fresh store.
- speedup_vs_ftm_map: the peer is `ftm map --no-sign` (unsigned ids, exactly the ids ours
  produce, so the same work) writing entity JSON to a file; both run on the same first
  100,000 rows with the same mapping. The peer's time is its wall time minus its start-up
  (the same command on a one-row copy of the file: interpreter, FtM import, model load), since
  ours is timed inside a running process; speedup = peer / ours (ours includes storing and
  indexing; the peer's only mapping and serialising). The default `ftm map` (which also signs
  every id with an HMAC) is timed the same way and printed beside it.
- ledger_rows_per_s: ledger ingest of the 1M-row file (validate, type, write Parquet) into a
  fresh store, median of three.
- view_entity_p50_ms: median of `View(store, principal).entity(id)` over 1,000 random sale
  ids in the 1M-row store, each read appending its audit event (the real read path); the
  unaudited median is printed beside it.

Also printed: 100,000 new rows (another seed, distinct ids) ingested into the 1M-row store,
the everyday case of a new file into a large store; and name searches on that store (medians
of 3; no peer: a regression check for the ranked search).

Env: BENCH_ROWS (default 1000000), BENCH_FTM_ROWS (default 100000).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ironriver.ingest import ingest_mapping
from ironriver.model import write_model_dir
from ironriver.policy.markings import Principal
from ironriver.store import open_store

WORK = Path(__file__).resolve().parent / "_work"
SEED = 20240611
FIRST = [
    "Ana",
    "José",
    "María",
    "Juan",
    "Luis",
    "Carlos",
    "Jennifer",
    "Michael",
    "Sofía",
    "David",
    "Guadalupe",
    "Robert",
    "Ramón",
    "Linda",
    "Jesús",
    "James",
]
LAST = [
    "García",
    "Martínez",
    "López",
    "Hernández",
    "Smith",
    "Johnson",
    "Pérez",
    "Núñez",
    "Gonzalez",
    "Williams",
    "Rodríguez",
    "Brown",
    "Sánchez",
    "Ramírez",
    "Jones",
    "Torres",
]
MAKES = [
    "Glock",
    "Smith & Wesson",
    "Ruger",
    "Colt",
    "Taurus",
    "Sig Sauer",
    "Century Arms",
    "Springfield",
    "Beretta",
    "FN Herstal",
]

ENTITIES = """
    entities:
      buyer:
        schema: Individual
        keys: [buyer_id]
        properties:
          firstName: {column: first}
          lastName: {column: last}
          name: {columns: [first, last], join: " "}
          birthDate: {column: dob}
      firearm:
        schema: Firearm
        keys: [serial, make]
        properties:
          serialNumber: {column: serial}
          make: {column: make}
      sale:
        schema: Sale
        keys: [txn]
        properties:
          transactionNumber: {column: txn}
          date: {column: sold, format: "%m/%d/%Y"}
          dealerLicense: {column: ffl}
          price: {column: price}
          buyer: {entity: buyer}
          firearm: {entity: firearm}
"""
LEDGER = """
    ledger:
      name: dealer_sales
      columns:
        txn: {column: txn, type: string, required: true}
        sale_date: {column: sold, type: date, format: "%m/%d/%Y", required: true}
        ffl: {column: ffl, type: string}
        buyer_id: {column: buyer_id, type: string}
        serial: {column: serial, type: string}
        make: {column: make, type: string}
        price: {column: price, type: float}
"""
HEAD = """us_atf_dealer_sales:
  title: "Dealer disposition records (synthetic)"
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US, MX]
  legal_basis: "Gun Control Act, 18 USC 923(g)"
  queries:
  - csv_url: {csv}
"""


def generate(path: Path, rows: int, seed: int = SEED, tag: str = "") -> None:
    """`tag` makes the ids (transactions, buyers, serials) distinct from an untagged file's."""
    rng = np.random.default_rng(seed)
    n_buyers = max(1, rows * 6 // 10)
    buyer = rng.integers(0, n_buyers, rows)
    first = np.array(FIRST)[buyer % len(FIRST)]
    last = np.array(LAST)[(buyer // len(FIRST)) % len(LAST)]
    dob_days = (buyer * 7919) % 18000
    dob = (np.datetime64("1950-01-01") + dob_days.astype("timedelta64[D]")).astype(str)
    sold_days = rng.integers(0, 5 * 365, rows)
    sold = np.datetime64("2019-01-01") + sold_days.astype("timedelta64[D]")
    sold_s = pa.compute.strftime(pa.array(sold.astype("datetime64[s]")), format="%m/%d/%Y")
    table = pa.table(
        {
            "txn": [f"T{tag}{i:08d}" for i in range(rows)],
            "sold": sold_s,
            "ffl": [f"5-74-{d:05d}" for d in rng.integers(0, 2000, rows)],
            "buyer_id": [f"B{tag}{b:08d}" for b in buyer],
            "first": first,
            "last": last,
            "dob": dob,
            "serial": [f"SN{tag}{i:09d}" for i in rng.permutation(rows)],
            "make": np.array(MAKES)[rng.integers(0, len(MAKES), rows)],
            "price": np.round(rng.uniform(150, 2500, rows), 2).astype(str),
        }
    )
    tmp = path.with_suffix(".tmp")
    pacsv.write_csv(table, tmp)
    tmp.replace(path)


def head(src: Path, dst: Path, rows: int) -> None:
    with src.open("rb") as fin, dst.open("wb") as fout:
        for i, line in enumerate(fin):
            if i > rows:
                break
            fout.write(line)


def write_mapping(path: Path, csv: Path, body: str) -> Path:
    path.write_text(HEAD.format(csv=csv.name) + body, encoding="utf-8")
    return path


def fresh_store(name: str):  # type: ignore[no-untyped-def]
    db = WORK / f"{name}.db"
    for p in WORK.glob(f"{name}.db*"):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    return open_store(f"sqlite:///{db}", ledger_dir=WORK / f"{name}.db.ledgers")


def time_ftm(mapping: Path, csv: Path, sign: bool = False) -> float:
    """Wall time of the real `ftm map` on `mapping` (which reads `csv`), net of its start-up:
    the best of two runs of the same command on a one-row copy of the file."""
    one_csv = WORK / "sales_one_row.csv"
    head(csv, one_csv, 1)
    one = write_mapping(WORK / "graph_one_row.yaml", one_csv, ENTITIES)
    startup = min(_run_ftm(one, sign) for _ in range(2))
    return _run_ftm(mapping, sign) - startup


def _run_ftm(mapping: Path, sign: bool) -> float:
    env = dict(os.environ)
    env.pop("FTM_MODEL_PATH", None)
    env["FTM_MODEL_PATH"] = str(write_model_dir(WORK / "model"))
    ftm = Path(sys.executable).with_name("ftm")
    out = WORK / "ftm_out.jsonl"
    start = time.perf_counter()
    subprocess.run(
        [str(ftm), "map", "--sign" if sign else "--no-sign", "-o", str(out), mapping.name],
        cwd=mapping.parent,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def sales_files() -> tuple[Path, Path, int]:
    """The bench's work files, made once in `WORK`: the dealer-sales CSV of BENCH_ROWS rows
    (default 1,000,000) and another month's of BENCH_FTM_ROWS (default 100,000, distinct
    ids), and that month's number of rows."""
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    month = min(rows, int(os.environ.get("BENCH_FTM_ROWS", "100000")))
    WORK.mkdir(parents=True, exist_ok=True)
    csv, more = WORK / f"sales_{rows}.csv", WORK / f"sales_more_{month}.csv"
    if not csv.exists():
        print(f"generating {csv} ...", flush=True)
        generate(csv, rows)
    if not more.exists():
        generate(more, month, seed=SEED + 1, tag="M")
    return csv, more, month


def main() -> None:
    csv, more, ftm_rows = sales_files()
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    small = WORK / f"sales_head_{ftm_rows}.csv"
    head(csv, small, ftm_rows)
    graph_small = write_mapping(WORK / "graph_small.yaml", small, ENTITIES)
    graph = write_mapping(WORK / "graph.yaml", csv, ENTITIES)
    ledger = write_mapping(WORK / "ledger.yaml", csv, LEDGER)

    ftm_s = time_ftm(graph_small, small)
    ftm_signed_s = time_ftm(graph_small, small, sign=True)
    runs = []
    for _ in range(3):  # median of three: the machine is shared and noisy
        store = fresh_store("small")
        start = time.perf_counter()
        ingest_mapping(store, graph_small, actor="bench")
        runs.append(time.perf_counter() - start)
        store.close()
    ours_small = statistics.median(runs)
    print(
        f"{ftm_rows} rows: ftm map (default, signed ids) {ftm_signed_s:.2f}s net of start-up "
        f"-> speedup {ftm_signed_s / ours_small:.2f}x",
        flush=True,
    )
    print(
        f"{ftm_rows} rows: ftm map --no-sign {ftm_s:.2f}s net of start-up "
        f"({ftm_rows / ftm_s:,.0f} rows/s), ironriver ingest {ours_small:.2f}s "
        f"(median; runs {', '.join(f'{t:.2f}' for t in runs)}; "
        f"{ftm_rows / ours_small:,.0f} rows/s) -> speedup {ftm_s / ours_small:.2f}x",
        flush=True,
    )

    ledger_runs, ledger_cpu = [], []
    for _ in range(3):  # median of three, each into a fresh store
        led_store = fresh_store("ledger")
        start, cpu = time.perf_counter(), time.process_time()
        led = ingest_mapping(led_store, ledger, actor="bench")
        ledger_runs.append(time.perf_counter() - start)
        ledger_cpu.append(time.process_time() - cpu)  # (every thread of the process)
        led_store.close()
    ledger_s = statistics.median(ledger_runs)
    print(
        f"{led.ledger_rows:,} ledger rows in {ledger_s:.2f}s "
        f"(median; runs {', '.join(f'{t:.2f}' for t in ledger_runs)}; "
        f"CPU {', '.join(f'{t:.2f}' for t in ledger_cpu)} s)",
        flush=True,
    )

    store = fresh_store("big")
    start = time.perf_counter()
    result = ingest_mapping(store, graph, actor="bench")
    graph_s = time.perf_counter() - start
    print(f"{rows} rows -> {result.statements:,} statements stored in {graph_s:.1f}s", flush=True)

    # the everyday case: a new month's file into a store that already holds the big one
    start = time.perf_counter()
    added = ingest_mapping(
        store, write_mapping(WORK / "graph_more.yaml", more, ENTITIES), actor="bench"
    )
    print(
        f"{ftm_rows} new rows into that store -> {added.statements_new:,} new statements in "
        f"{time.perf_counter() - start:.1f}s",
        flush=True,
    )

    p50 = float("nan")
    try:
        from sqlalchemy import text

        from ironriver.policy.view import View

        with store.engine.connect() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT s.entity_id FROM statements s JOIN props p ON p.id = s.prop_id "
                        "WHERE p.prop = 'transactionNumber' LIMIT 200000"
                    )
                )
            ]
        sample = random.Random(SEED).sample(ids, min(1000, len(ids)))
        medians = {}
        for audited in (False, True):
            view = View(store, Principal("bench", "CBP", "US"), reason="bench", audit=audited)
            times = []
            for entity_id in sample:
                t0 = time.perf_counter()
                entity = view.entity(entity_id)
                times.append((time.perf_counter() - t0) * 1000)
                assert entity is not None
            medians[audited] = statistics.median(times)
        print(
            f"View.entity p50: {medians[False]:.3f} ms unaudited, "
            f"{medians[True]:.3f} ms with its audit event (the real read path)",
            flush=True,
        )
        p50 = medians[True]
        # name search on the big store (ranked by name length, stops at its hits): common
        # and rare prefixes, one and two words, no match
        searcher = View(store, Principal("bench", "CBP", "US"), reason="bench", audit=False)
        timings = []
        for query in ("j", "jose", "garcia", "jose garcia", "zz"):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                searcher.search(query)
                runs.append((time.perf_counter() - t0) * 1000)
            timings.append(f"{query!r} {statistics.median(runs):.1f}")
        print(f"View.search (20 hits) median ms: {', '.join(timings)}", flush=True)
    except ImportError:
        pass
    store.close()
    print(
        f"ingest: statements_per_s={result.statements / graph_s:.0f} "
        f"speedup_vs_ftm_map={ftm_s / ours_small:.2f} "
        f"ledger_rows_per_s={led.ledger_rows / ledger_s:.0f} view_entity_p50_ms={p50:.3f}"
    )


if __name__ == "__main__":
    main()
