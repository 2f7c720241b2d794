"""Ledgers: high-volume typed records as Parquet per (dataset, ledger), read through the policy.

Layout: `root/<dataset>/<ledger>/part-<sha256>.parquet`. Each ingest appends one part file
holding the typed columns plus these hidden columns:

- `_dataset`, `_owner_agency`, `_owner_country`, `_marking`, `_releasable_to` (canonical
  text, `releasable_text`): the row's access label;
- `_source_ref`: `<file>:<row>` of the source record (NULL when the caller gave none).

Invariants:
- A part file appears atomically (written to a temporary name, then renamed) and its name is
  a hash of its content and label, so writing the same rows twice is a no-op.
- Reads go through `visible_relation`, which keeps only rows whose label passes
  `ironriver.policy.markings.can_see` — the one visibility rule, applied in Python to the
  few distinct labels, never re-implemented in SQL. Files holding no visible label are not
  even opened for the rows. The label columns stay on the relation (a reader may see the
  marking of what it can see); `_dataset` and `_source_ref` stay too.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ironriver.errors import NotFound, StoreError
from ironriver.policy.markings import AccessLabel, Marking, Principal, can_see, parse_releasable

LABEL_COLUMNS = ("_owner_agency", "_owner_country", "_marking", "_releasable_to")
HIDDEN_COLUMNS = ("_dataset", *LABEL_COLUMNS, "_source_ref")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class LedgerInfo:
    dataset: str
    ledger: str
    rows: int
    files: int


def _check_name(kind: str, name: str) -> None:
    if not _NAME_RE.match(name):
        raise StoreError(
            f"Invalid {kind} name {name!r}.", hint="Use lower-case letters, digits and underscores."
        )


def _sql_text(value: str) -> str:
    """A SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _label_columns(dataset: str, label: AccessLabel) -> dict[str, str]:
    """The hidden columns every row of a part carries: its dataset and access label."""
    return {
        "_dataset": dataset,
        "_owner_agency": label.owner_agency.upper(),
        "_owner_country": label.owner_country.upper(),
        "_marking": label.marking.value,
        "_releasable_to": label.releasable_text,
    }


class LedgerStore:
    """Parquet ledgers under `root` (see module doc)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, dataset: str, ledger: str) -> Path:
        _check_name("dataset", dataset)
        _check_name("ledger", ledger)
        return self.root / dataset / ledger

    def prepare(
        self, dataset: str, ledger: str, label: AccessLabel, table: pa.Table
    ) -> PendingPart:
        """Write an Arrow table as a part under a temporary name; `commit()` or `discard()`
        it. (The same path as `prepare_query`, through an in-memory DuckDB.)"""
        for name in table.column_names:
            if name.startswith("_") and name != "_source_ref":
                raise StoreError(
                    f"Ledger column {name!r} is reserved.",
                    hint="Column names starting with _ are ledger metadata.",
                )
        n = table.num_rows
        if "_source_ref" not in table.column_names:
            table = table.append_column("_source_ref", pa.nulls(n, pa.string()))
        else:
            src = table.column("_source_ref").cast(pa.string())
            table = table.drop_columns(["_source_ref"]).append_column("_source_ref", src)
        con = duckdb.connect(config={"preserve_insertion_order": True})
        try:
            con.register("ledger_rows", table)
            return self.prepare_query(con, "SELECT * FROM ledger_rows", dataset, ledger, label, n)
        finally:
            con.close()

    def prepare_query(
        self,
        con: duckdb.DuckDBPyConnection,
        select_sql: str,
        dataset: str,
        ledger: str,
        label: AccessLabel,
        rows: int,
    ) -> PendingPart:
        """Write the rows of `select_sql` (typed columns plus `_source_ref`, in record order)
        as a part under a temporary name: DuckDB writes the Parquet itself, in parallel and
        without a round trip through Python. The part's name is a hash of the file's bytes,
        the dataset and the label, so identical input gives the same part."""
        folder = self._dir(dataset, ledger)
        folder.mkdir(parents=True, exist_ok=True)
        consts = _label_columns(dataset, label)
        extra = ", ".join(f"{_sql_text(v)} AS {k}" for k, v in consts.items())
        tmp = folder / f".tmp-{os.getpid()}-{uuid.uuid4().hex}.parquet"
        con.execute(
            f"COPY (SELECT *, {extra} FROM ({select_sql})) TO {_sql_text(str(tmp))} "
            "(FORMAT parquet, COMPRESSION zstd)"  # default row groups: written in parallel
        )
        digest = hashlib.sha256("\x1f".join(consts.values()).encode())
        with tmp.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                digest.update(chunk)
        final = folder / f"part-{digest.hexdigest()[:32]}.parquet"
        if final.exists():
            tmp.unlink()
            return PendingPart(final, None, rows, existed=True)
        return PendingPart(final, tmp, rows, existed=False)

    def write(self, dataset: str, ledger: str, label: AccessLabel, table: pa.Table) -> int:
        """Append `table` as one part file; return the rows added (0 when already present)."""
        part = self.prepare(dataset, ledger, label, table)
        return part.commit()

    def files(self, ledger: str) -> list[Path]:
        _check_name("ledger", ledger)
        if not self.root.exists():
            return []
        return sorted(self.root.glob(f"*/{ledger}/part-*.parquet"))

    def ledgers(self) -> list[LedgerInfo]:
        """Every (dataset, ledger) with its row and file counts (for admins; not filtered)."""
        out: dict[tuple[str, str], list[int]] = {}
        if not self.root.exists():
            return []
        for path in sorted(self.root.glob("*/*/part-*.parquet")):
            key = (path.parent.parent.name, path.parent.name)
            acc = out.setdefault(key, [0, 0])
            acc[0] += pq.ParquetFile(path).metadata.num_rows
            acc[1] += 1
        return [LedgerInfo(d, lg, rows, files) for (d, lg), (rows, files) in out.items()]

    def visible_relation(
        self, con: duckdb.DuckDBPyConnection, ledger: str, principal: Principal
    ) -> duckdb.DuckDBPyRelation:
        """The rows of `ledger` (over all datasets) that `principal` may see."""
        files = self.files(ledger)
        if not files:
            raise NotFound(
                f"No ledger named {ledger!r}.", hint="List the ledgers with `ironriver ledgers`."
            )
        paths = [str(p) for p in files]
        labels = con.execute(
            "SELECT DISTINCT filename, _owner_agency, _owner_country, _marking, _releasable_to "
            "FROM read_parquet(?, filename = true, union_by_name = true)",
            [paths],
        ).fetchall()
        visible: set[tuple[str, str, str, str]] = set()
        keep_files: set[str] = set()
        for filename, agency, country, marking, rel in labels:
            label = AccessLabel(
                str(agency),
                str(country),
                Marking(str(marking)),
                parse_releasable(str(rel)) if rel else frozenset(),
            )
            if can_see(principal, label):
                visible.add((str(agency), str(country), str(marking), str(rel or "")))
                keep_files.add(str(filename))
        keep = [p for p in paths if p in keep_files]
        if not keep:
            # Indistinguishable from a ledger that does not exist: the principal must not
            # learn that records it may not see are there.
            raise NotFound(
                f"No ledger named {ledger!r}.", hint="List the ledgers with `ironriver ledgers`."
            )
        allowed = [list(t) for t in sorted(visible)]
        return con.sql(
            "SELECT * FROM read_parquet(?, union_by_name = true) "
            "WHERE list_contains(?, [_owner_agency, _owner_country, _marking, "
            "coalesce(_releasable_to, '')])",
            params=[keep, allowed],
        )


@dataclass
class PendingPart:
    """A part file written under a temporary name, made visible by `commit()`."""

    final: Path
    tmp: Path | None
    rows: int
    existed: bool

    def commit(self) -> int:
        if self.tmp is None:
            return 0
        if self.final.exists():  # written meanwhile by an identical ingest
            self.tmp.unlink(missing_ok=True)
            return 0
        self.tmp.replace(self.final)
        self.tmp = None
        return self.rows

    def discard(self) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self.tmp = None
