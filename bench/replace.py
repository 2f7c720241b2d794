"""`python -m bench replace`: `ingest --replace` of a file against loading it again plainly.

Work: a store holding the ingest benchmark's 1,000,000 dealer-sale rows (bench/_work/, made as
`bench ingest` makes it: about 11M statements) plus 100,000 rows of another month
(`sales_more_100000.csv`); that month's file is then loaded again, alternately plain (the
peer: every statement known, nothing written) and with `replace=True` (the same, plus finding
what the earlier load of the file stated that this one does not: nothing here, so the
difference is the search itself), three times each.

The search reads the statements a file stated by their `source_id`, which has no index
(review R27 F2: an index would make every bulk ingest write one more B-tree), so its cost
grows with the store, not with the file; this benchmark keeps that cost in view.

Last line: `replace: plain_s=<t> replace_s=<t> replace_vs_plain=<x>` (medians; the ratio is
replace over plain, lower is better).

Env: BENCH_ROWS (default 1000000), BENCH_FTM_ROWS (the other month's rows, default 100000).
"""

from __future__ import annotations

import os
import statistics
import time

from bench.ingest import ENTITIES, WORK, fresh_store, sales_files, write_mapping
from ironriver.ingest import ingest_mapping


def main() -> None:
    csv, more, month = sales_files()
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    store = fresh_store("replace")
    start = time.perf_counter()
    first = ingest_mapping(
        store, write_mapping(WORK / "replace_big.yaml", csv, ENTITIES), actor="bench"
    )
    monthly = write_mapping(WORK / "replace_more.yaml", more, ENTITIES)
    added = ingest_mapping(store, monthly, actor="bench")
    print(
        f"store: {first.statements + added.statements:,} statements "
        f"({rows:,} + {month:,} rows) in {time.perf_counter() - start:.1f}s",
        flush=True,
    )
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(3):
        for replace in (False, True):
            start = time.perf_counter()
            again = ingest_mapping(store, monthly, actor="bench", replace=replace)
            times[replace].append(time.perf_counter() - start)
            assert again.statements_new == 0, "the same file again adds nothing"
    store.close()
    plain, replaced = statistics.median(times[False]), statistics.median(times[True])
    for replace, label in ((False, "plain"), (True, "replace")):
        print(f"{label}: " + ", ".join(f"{t:.2f}" for t in times[replace]) + " s", flush=True)
    print(
        f"replace: plain_s={plain:.2f} replace_s={replaced:.2f} "
        f"replace_vs_plain={replaced / plain:.2f}",
        flush=True,
    )
