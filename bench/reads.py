"""`python -m bench reads`: bulk reads of a view, against the view's own entity export.

Work: the ingest benchmark's first 100,000 dealer-sale rows (1.27M statements) in a SQLite
store (bench/_work/reads.db, made once with `ingest_mapping`), read by a US principal.

- ours: `View.table()`, every visible statement as one Arrow table (ADBC in C, decoded with
  Arrow kernels): what resolve, network and trace analyses read.
- peer: `View.export()` over the same statements, turned into FtM entity dicts (FtM's
  `StatementEntity` per entity: what an analysis had before `table()`).
- also timed: `View.table(types=["entity"])` (the graph's edges) and `View.datasets()`
  (statements per dataset, summed from the statement tally).

Medians of 3. Last line: `reads: table_statements_per_s=<n> speedup_vs_export=<x>`.
"""

from __future__ import annotations

import statistics
import time

from bench.ingest import ENTITIES, WORK, generate, head, write_mapping
from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal, View, entity_dict
from ironriver.store import open_store

ROWS = 100_000


def _median(fn, runs: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "reads.db"
    if not db.exists():
        big = WORK / "sales_1000000.csv"
        if not big.exists():
            generate(big, 1_000_000)
        small = WORK / f"sales_head_{ROWS}.csv"
        head(big, small, ROWS)
        store = open_store(f"sqlite:///{db}", ledger_dir=WORK / "reads.db.ledgers")
        ingest_mapping(
            store, write_mapping(WORK / "graph_reads.yaml", small, ENTITIES), actor="bench"
        )
        store.close()
    store = open_store(f"sqlite:///{db}", ledger_dir=WORK / "reads.db.ledgers")
    view = View(store, Principal("bench", "CBP", "US"), reason="bench")

    table_s, table = _median(view.table)
    n = table.num_rows  # type: ignore[attr-defined]
    export_s, _ = _median(lambda: sum(1 for e in view.export() if entity_dict(e)), runs=1)
    edges_s, edges = _median(lambda: view.table(types=["entity"]))
    datasets_s, _ = _median(view.datasets)
    print(f"View.table: {n:,} statements in {table_s:.2f}s (median of 3)", flush=True)
    print(f"View.export + entity dicts (peer): {export_s:.2f}s", flush=True)
    print(
        f"View.table(types=['entity']): {edges.num_rows:,} edges in {edges_s:.2f}s; "  # type: ignore[attr-defined]
        f"View.datasets: {datasets_s * 1000:.0f} ms",
        flush=True,
    )
    store.close()
    print(
        f"reads: table_statements_per_s={n / table_s:.0f} speedup_vs_export={export_s / table_s:.2f}"
    )


if __name__ == "__main__":
    main()
