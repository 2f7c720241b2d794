"""`python -m bench entities`: importing FtM entity JSON Lines against FtM's own tools.

Work: the entities `ftm map` makes of the ingest benchmark's first 100,000 dealer-sale rows
(300,000 buyers, firearms and sales; the file is made once with the real `ftm map
--no-sign` into bench/_work/, as `bench ingest` does).

- ours: `ingest_entities` into a fresh SQLite store: parse, check every line against the
  model, clean every value as FtM does, statement ids, store, index, commit (median of 3).
- peers, each timed as a whole command net of its start-up (the same command on a one-line
  copy of the file): `ftm validate` (re-parses and cleans every entity, writes JSON) and
  `ftm statements` (turns every entity into statements, writes CSV). Both only read, clean
  and write a file; ours also stores and indexes.

Also printed: peak memory of one import in a child process at the default budget.
Last line: `entities: entities_per_s=<n> speedup_vs_ftm_validate=<x> speedup_vs_ftm_statements=<x>`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.ingest import ENTITIES, WORK, _run_ftm, fresh_store, generate, head, write_mapping
from ironriver.ingest import ingest_entities
from ironriver.model import write_model_dir
from ironriver.policy.markings import Marking
from ironriver.store import DatasetInfo

INFO = DatasetInfo(
    name="us_atf_dealer_sales",
    agency="ATF",
    country="US",
    marking=Marking.AMBER,
    releasable_to=frozenset({"US", "MX"}),
)
ROWS = 100_000
CHILD = """
import resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from bench.entities import INFO
from bench.ingest import fresh_store
from ironriver.ingest import ingest_entities
store = fresh_store("entities_child")
ingest_entities(store, Path(sys.argv[1]), INFO, actor="bench")
store.close()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def entities_file() -> Path:
    """The `ftm map --no-sign` output of the first `ROWS` rows (made once)."""
    out = WORK / f"entities_{ROWS}.jsonl"
    if out.exists():
        return out
    WORK.mkdir(parents=True, exist_ok=True)
    big = WORK / "sales_1000000.csv"
    if not big.exists():
        generate(big, 1_000_000)
    small = WORK / f"sales_head_{ROWS}.csv"
    head(big, small, ROWS)
    _run_ftm(write_mapping(WORK / "graph_small.yaml", small, ENTITIES), sign=False)
    (WORK / "ftm_out.jsonl").replace(out)
    return out


def time_peer(args: list[str], path: Path) -> float:
    """Wall time of `ftm ARGS` on `path`, net of the same command on its first line."""
    one = WORK / "entities_one.jsonl"
    with path.open("rb") as fin:
        one.write_bytes(fin.readline())
    env = dict(os.environ, FTM_MODEL_PATH=str(write_model_dir(WORK / "model")))
    ftm = str(Path(sys.executable).with_name("ftm"))

    def run(target: Path) -> float:
        start = time.perf_counter()
        cmd = [ftm, *(a.replace("{in}", str(target)) for a in args)]
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        return time.perf_counter() - start

    startup = min(run(one) for _ in range(2))
    return run(path) - startup


def main() -> None:
    path = entities_file()
    with path.open("rb") as fh:
        entities = sum(1 for _ in fh)
    validate = time_peer(["validate", "-i", "{in}", "-o", str(WORK / "peer_validate.jsonl")], path)
    statements = time_peer(
        ["statements", "-d", INFO.name, "-f", "csv", "-o", str(WORK / "peer.csv"), "{in}"], path
    )
    runs = []
    for _ in range(3):
        store = fresh_store("entities")
        start = time.perf_counter()
        result = ingest_entities(store, path, INFO, actor="bench")
        runs.append(time.perf_counter() - start)
        store.close()
    ours = statistics.median(runs)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(Path(__file__).resolve().parents[1])],
        check=True,
        capture_output=True,
        text=True,
    )
    peak_mb = int(child.stdout.split()[-1])
    print(
        f"{entities:,} entities -> {result.statements:,} statements: ironriver "
        f"{ours:.2f}s (median; runs {', '.join(f'{t:.2f}' for t in runs)}), peak {peak_mb} MB",
        flush=True,
    )
    print(
        f"ftm validate {validate:.2f}s, ftm statements {statements:.2f}s (net of start-up)",
        flush=True,
    )
    print(
        f"entities: entities_per_s={entities / ours:.0f} "
        f"speedup_vs_ftm_validate={validate / ours:.2f} "
        f"speedup_vs_ftm_statements={statements / ours:.2f}"
    )


if __name__ == "__main__":
    main()
