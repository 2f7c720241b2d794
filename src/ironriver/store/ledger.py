"""Ledgers: high-volume typed records as Parquet per (dataset, ledger), read through the policy.

Layout: `root/<dataset>/<ledger>/part-<sha256>.parquet`. Each ingest appends one part file
holding the typed columns plus these hidden columns:

- `_dataset`, `_owner_agency`, `_owner_country`, `_marking`, `_releasable_to` (canonical
  text, `releasable_text`): the row's access label;
- `_source_ref`: `<file>:<row>` of the source record (NULL when the caller gave none).

Invariants:
- A part file appears atomically (written to a scratch name, then renamed; the scratch file
  of a killed ingest is removed by the next write to its folder, or renamed into place if
  the ingest had committed: `recover_parts`) and its name is a hash of its content and
  label, so writing the same rows twice is a no-op.
- Reads go through `visible_relation`, which keeps only rows whose label passes
  `ironriver.policy.markings.can_see` — the one visibility rule, applied in Python to the
  few distinct labels, never re-implemented in SQL. Files holding no visible label are not
  even opened for the rows. The label columns stay on the relation (a reader may see the
  marking of what it can see); `_dataset` and `_source_ref` stay too.
- Counts of visible rows (`visible_counts`) apply the same rule to the same labels, read
  from each part's footer where its row groups each hold one label: no row is read.
- A retracted part (`prepare_retraction`) is renamed `retracted-<same digest>.parquet`, out
  of the `part-*.parquet` glob every read lists: nothing reads it, it stays for the audit
  trail, and a write of the same part again (its twin) adds nothing (`PendingPart.retracted`).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ironriver.errors import NotFound, StoreError
from ironriver.i18n import msg
from ironriver.logs import get_logger
from ironriver.policy.markings import AccessLabel, Marking, Principal, can_see, parse_releasable
from ironriver.prefetch import prefetch
from ironriver.scratch import is_dead_scratch, owner_tag, sweep
from ironriver.sqltext import ident, literal

LABEL_COLUMNS = ("_owner_agency", "_owner_country", "_marking", "_releasable_to")

HIDDEN_COLUMNS = ("_dataset", *LABEL_COLUMNS, "_source_ref")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PART_COLUMN = "_part"
"""The column DuckDB adds to name each row's part file, when asked (`filename = '_part'`):
a ledger column may be called `filename`, not `_part` (a leading `_` is reserved)."""
KEY_LOCK = ".ironriver-keys.lock"
"""The lock file of a keyed ledger's folder (`LedgerStore.key_lock`)."""


log = get_logger(__name__)


@dataclass(frozen=True)
class LedgerInfo:
    dataset: str
    ledger: str
    rows: int
    files: int


def _check_name(kind: str, name: str) -> None:
    if not _NAME_RE.match(name):
        raise StoreError(
            msg("Invalid dataset name {name!r}.", name=name)
            if kind == "dataset"
            else msg("Invalid ledger name {name!r}.", name=name),
            hint=msg("Use lower-case letters, digits and underscores."),
        )


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
    """Parquet ledgers under `root` (see module doc).

    `committed` lists the details of the store's ingest events (see `recover_parts`): a
    write renames into place the parts they name in its folder before it sweeps the scratch
    files killed ingests left there, so that a part committed by a process killed before its
    rename is not removed by a process that opened the store earlier. Without it (ledgers
    with no store), scratch parts are only swept."""

    def __init__(
        self, root: Path, committed: Callable[[], Iterable[dict[str, Any]]] = lambda: ()
    ) -> None:
        self.root = Path(root)
        self.committed = committed
        self._recovered: set[Path] = set()
        self._recorded: dict[str, int] | None = None  # `recorded_rows`, read once

    def _recover(self, folder: Path) -> None:
        """Rename into place the parts a killed ingest committed in `folder`, once per
        folder for this `LedgerStore` (a keyed ingest reads the parts, then writes)."""
        if folder not in self._recovered:
            recover_parts(self.root, self.committed, folder)
            self._recovered.add(folder)

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
                    msg("Ledger column {name!r} is reserved.", name=name),
                    hint=msg("Column names starting with _ are ledger metadata."),
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
        rows: int | None = None,
        identity: str | None = None,
        twin: str | None = None,
        source: tuple[str, str] | None = None,
    ) -> PendingPart:
        """Write the rows of `select_sql` (typed columns plus `_source_ref`, in record order)
        as a part under a temporary name (`rows`: how many there are, counted while writing
        when not given). DuckDB computes the rows in parallel and hands them over as Arrow
        batches; Arrow's Parquet writer encodes them (a third of the CPU DuckDB's writer
        spends here) while DuckDB computes the next ones. The part's name is a hash of the
        file's bytes, the dataset and the label, so identical input gives the same part; with
        `identity` (what the rows were made from, e.g. the source file's digest and the
        mapping), a hash of that instead, which a new Parquet writer version cannot change.
        `twin` (what the file is, whatever the ledger holds: a keyed ledger's `identity`
        names the stored parts its rows were checked against) is hashed into the part's
        footer (`TWIN_KEY`): a part whose twin was retracted adds nothing. `source` (the
        file every row came from, as `_source_ref` names it, and its bytes' SHA-256) goes in
        the footer too (`SOURCE_KEY`, `SOURCE_SHA256_KEY`): `visible_parts` finds a file's
        parts from the footers, without reading the rows."""
        folder = self._dir(dataset, ledger)
        folder.mkdir(parents=True, exist_ok=True)
        self._recover(folder)  # parts a killed ingest committed
        consts = _label_columns(dataset, label)
        if identity is not None:  # known before writing: an existing part is not rewritten
            final = folder / f"part-{_part_digest(consts, identity)}.parquet"
            # a damaged one (or of other rows than recorded) is moved aside, written again
            kept = sound_rows(final, self.recorded_rows(final))
            if kept is not None:
                return PendingPart(final, None, kept, True)
            retracted = retracted_name(final)
            if retracted.exists():  # retracted: the same rows do not come back
                rows = pq.ParquetFile(retracted).metadata.num_rows
                return PendingPart(final, None, rows, True, retracted=True)
        twin_digest = None if twin is None else _part_digest(consts, twin)
        if twin_digest is not None:
            found = _retracted_twin(folder, twin_digest)
            if found is not None:
                return PendingPart(found[0], None, found[1], True, retracted=True)
        sweep(folder)  # parts a killed ingest left half-written (not committed)
        tmp = folder / f".ironriver-stage-{owner_tag()}-{uuid.uuid4().hex}.parquet"
        try:
            reader = con.sql(select_sql).to_arrow_reader(ROW_GROUP_ROWS)
            written = _write_parquet(reader, consts, tmp, twin_digest, source)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        final = folder / f"part-{_part_digest(consts, identity, tmp)}.parquet"
        n = written if rows is None else rows
        if sound_rows(final, n) is not None:
            tmp.unlink()
            return PendingPart(final, None, n, existed=True)
        if retracted_name(final).exists():
            tmp.unlink()
            return PendingPart(final, None, n, existed=True, retracted=True)
        return PendingPart(final, tmp, n, existed=False)

    def recorded_rows(self, part: Path) -> int | None:
        """The rows the ingest events (`committed`) recorded for `part` (`LEDGER_FILES_KEY`);
        None when none did, or when no part of that name is in place (the events are not
        read then). The events are read once per `LedgerStore` (one per ingest), into a
        name -> rows dict: an ingest of a mapping of many ledger queries into a store of
        many ingest events read them all once per query before."""
        if not part.exists():
            return None
        if self._recorded is None:
            recorded: dict[str, int] = {}
            for detail in self.committed():
                for entry in detail.get(LEDGER_FILES_KEY) or []:
                    # the first event to record a name gives its rows (as the scan did)
                    recorded.setdefault(str(entry.get("path")), int(entry["rows"]))
            self._recorded = recorded
        return self._recorded.get(str(part.relative_to(self.root)))

    @contextmanager
    def key_lock(
        self, dataset: str, ledger: str, waiting: Callable[[], None] = lambda: None
    ) -> Iterator[None]:
        """Hold one keyed ledger's lock (an exclusive `flock` on a file in its folder), which
        an ingest into it holds from reading the stored parts' keys until its own part is in
        place: two ingests of overlapping cumulative exports would otherwise both find a new
        key missing and both append it. `waiting` is called once if another process holds
        it. The kernel drops the lock of a killed process. (Ledgers live on a node's own
        disk, so a lock of this host is the right scope.)"""
        folder = self._dir(dataset, ledger)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / KEY_LOCK).open("a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waiting()
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def write(self, dataset: str, ledger: str, label: AccessLabel, table: pa.Table) -> int:
        """Append `table` as one part file; return the rows added (0 when already present)."""
        part = self.prepare(dataset, ledger, label, table)
        return part.commit()

    def parts(self, dataset: str, ledger: str) -> list[Path]:
        """The part files of one dataset's ledger (in place: committed), those a killed
        ingest committed included (renamed into place first: a keyed ledger's ingest reads
        its stored keys from these)."""
        folder = self._dir(dataset, ledger)
        if not folder.exists():
            return []
        self._recover(folder)
        return sorted(folder.glob("part-*.parquet"))

    def files(self, ledger: str, dataset: str | None = None) -> list[Path]:
        """The part files of `ledger`, of every dataset or of `dataset` alone."""
        _check_name("ledger", ledger)
        if dataset is not None:
            _check_name("dataset", dataset)
        if not self.root.exists():
            return []
        return sorted(self.root.glob(f"{dataset or '*'}/{ledger}/part-*.parquet"))

    def dataset_ledgers(self, dataset: str) -> list[str]:
        """The names of the ledgers of `dataset` that hold a part, whoever may see them
        (`visible_relation` tells which a principal sees)."""
        _check_name("dataset", dataset)
        folder = self.root / dataset
        if not folder.is_dir():
            return []
        return sorted(
            sub.name
            for sub in folder.iterdir()
            if _NAME_RE.match(sub.name) and any(sub.glob("part-*.parquet"))
        )

    def ledgers(self) -> list[LedgerInfo]:
        """Every (dataset, ledger) with its row and file counts (for admins; not filtered)."""
        out: dict[tuple[str, str], list[int]] = {}
        if not self.root.exists():
            return []
        for path in sorted(self.root.glob("*/*/part-*.parquet")):
            key = (path.parent.parent.name, path.parent.name)
            acc = out.setdefault(key, [0, 0])
            acc[0] += _open_part(path).metadata.num_rows
            acc[1] += 1
        return [LedgerInfo(d, lg, rows, files) for (d, lg), (rows, files) in out.items()]

    def visible_relation(
        self,
        con: duckdb.DuckDBPyConnection,
        ledger: str,
        principal: Principal,
        dataset: str | None = None,
    ) -> duckdb.DuckDBPyRelation:
        """The rows of `ledger` (over all datasets, or of `dataset` alone: only its parts
        are read, and only they decide a column's type) that `principal` may see."""
        files = self.files(ledger, dataset)
        if not files:
            raise _no_ledger(ledger)
        paths = [str(p) for p in files]
        labels = _part_labels(con, paths)
        visible: set[tuple[str, str, str, str]] = set()
        keep_files: set[str] = set()
        for filename, agency, country, marking, rel in labels:
            if can_see(principal, _access_label(agency, country, marking, rel)):
                visible.add((str(agency), str(country), str(marking), str(rel or "")))
                keep_files.add(str(filename))
        keep = [p for p in paths if p in keep_files]
        if not keep:
            # Indistinguishable from a ledger that does not exist: the principal must not
            # learn that records it may not see are there.
            raise _no_ledger(ledger)
        allowed = [list(t) for t in sorted(visible)]
        return con.sql(
            f"SELECT * FROM {parts_sql(part_schemas(Path(p) for p in keep))} "
            "WHERE list_contains(?, [_owner_agency, _owner_country, _marking, "
            "coalesce(_releasable_to, '')])",
            params=[allowed],
        )

    def visible_parts(self, dataset: str, ledger: str, principal: Principal) -> list[StoredPart]:
        """The parts of one dataset's ledger whose rows `principal` may all see (labels from
        the footers, as `visible_relation` reads them), each with its rows and the source
        files they came from (the file of `_source_ref`'s `<file>:<row>`; an ingest's part
        holds one file's rows). A part holding a label it may not see is left out: it is
        not the principal's to know of, nor to retract. A part whose footer names its file
        (`SOURCE_KEY`: those an ingest wrote since) is not read; the `_source_ref` column of
        the others is (an empty one of those holds no file and is left out)."""
        paths = [str(p) for p in self.parts(dataset, ledger)]
        if not paths:
            return []
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            hidden: set[str] = set()
            shown: set[str] = set()
            for path, *label in _part_labels(con, paths):
                (shown if can_see(principal, _access_label(*label)) else hidden).add(str(path))
            keep = sorted(shown - hidden)
            if not keep:
                return []
            stored: list[StoredPart] = []
            unread: list[str] = []  # parts without their source in the footer
            for path in keep:
                stat = Path(path).stat()
                told = _footer_source(path, stat.st_mtime_ns, stat.st_size)
                if told is None:
                    unread.append(path)
                elif told[2]:  # (an empty part holds no file's rows)
                    stored.append(StoredPart(Path(path), told[2], (told[0],), told[1]))
            found = (
                con.execute(
                    f"SELECT {PART_COLUMN}, count(*), list(DISTINCT "
                    "regexp_extract(_source_ref, '^(.*):[0-9]+$', 1)) FROM "
                    f"read_parquet(?, filename = '{PART_COLUMN}', union_by_name = true) "
                    "GROUP BY ALL",
                    [unread],
                ).fetchall()
                if unread
                else []
            )
        finally:
            con.close()
        stored += [
            StoredPart(Path(str(part)), int(rows), tuple(sorted(f for f in files if f)))
            for part, rows, files in found
        ]
        return sorted(stored)

    def prepare_retraction(
        self, dataset: str, ledger: str, parts: Sequence[Path]
    ) -> PendingRetraction:
        """Write the marker of a retraction of `parts` (of one dataset's ledger) before its
        audit event is committed; `commit()` then renames them out of every read, or
        `discard()` if the event was not committed. A process killed between the commit and
        the renames leaves its marker, which the event names (`RETRACT_KEY`):
        `recover_parts` renames them then."""
        folder = self._dir(dataset, ledger)
        marker = folder / f".ironriver-stage-{owner_tag()}-{uuid.uuid4().hex}{_MARKER_SUFFIX}"
        marker.touch(exist_ok=False)
        return PendingRetraction(marker, [Path(p) for p in parts])

    def visible_counts(self, principal: Principal) -> dict[tuple[str, str], int]:
        """The rows `principal` may see per (dataset, ledger), in that order; a ledger of
        which it sees no row is left out. A part whose row groups each hold one dataset and
        one label (every part an ingest writes) is counted from its footer (`_footer_rows`):
        no row is read, so counting takes no longer for more rows, hidden or visible. The
        dataset and label columns of any other part are read (one query for them all)."""
        counts: dict[tuple[str, str], int] = {}

        def add(dataset: Any, ledger: str, label: Sequence[Any], rows: int) -> None:
            if rows and can_see(principal, _access_label(*label)):
                key = (str(dataset), ledger)
                counts[key] = counts.get(key, 0) + rows

        unread: dict[str, str] = {}  # part -> its ledger
        paths = self.root.glob("*/*/part-*.parquet") if self.root.exists() else []
        for path in paths:
            dataset, ledger = path.parent.parent.name, path.parent.name
            if not (_NAME_RE.match(dataset) and _NAME_RE.match(ledger)):
                continue  # (not a ledger folder: no read reaches it)
            stat = path.stat()
            told = _footer_rows(str(path), stat.st_mtime_ns, stat.st_size, _COUNTED)
            if told is None:
                unread[str(path)] = ledger
                continue
            for (part_dataset, *label), rows in told.items():
                add(part_dataset, ledger, label, rows)
        if unread:
            con = duckdb.connect()
            try:
                con.execute("SET enable_progress_bar = false")
                found = con.execute(
                    f"SELECT {PART_COLUMN}, {', '.join(_COUNTED)}, count(*) FROM read_parquet(?, "
                    f"filename = '{PART_COLUMN}', union_by_name = true) GROUP BY ALL",
                    [sorted(unread)],
                ).fetchall()
            finally:
                con.close()
            for filename, part_dataset, *label, rows in found:
                add(part_dataset, unread[str(filename)], label, int(rows))
        return dict(sorted(counts.items()))


def _part_labels(con: duckdb.DuckDBPyConnection, paths: list[str]) -> list[tuple[Any, ...]]:
    """(part, *LABEL_COLUMNS) for each label of each part of `paths`: from its footer's
    statistics where they tell them (no row read: a read of a dataset none of whose rows is
    visible takes about as long as one of a dataset that does not exist); the rows of a part
    whose footer does not are read."""
    labels: list[tuple[Any, ...]] = []
    unread: list[str] = []
    for path in paths:
        stat = Path(path).stat()
        told = _footer_labels(path, stat.st_mtime_ns, stat.st_size)
        if told is None:
            unread.append(path)
        else:
            labels.extend((path, *label) for label in told)
    if unread:
        labels += con.execute(
            f"SELECT DISTINCT {PART_COLUMN}, {', '.join(LABEL_COLUMNS)} FROM "
            f"read_parquet(?, filename = '{PART_COLUMN}', union_by_name = true)",
            [unread],
        ).fetchall()
    return labels


def _access_label(agency: Any, country: Any, marking: Any, releasable: Any) -> AccessLabel:
    """The access label of a part's label columns (`LABEL_COLUMNS`), as read."""
    return AccessLabel(
        str(agency),
        str(country),
        Marking(str(marking)),
        parse_releasable(str(releasable)) if releasable else frozenset(),
    )


def _same_kind(types: set[pa.DataType]) -> bool:
    """Whether DuckDB reads columns of these types as one (numbers as a number, dates and
    times as a timestamp): else a column is read as text."""
    numbers = all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types)
    return len(types) == 1 or numbers or all(pa.types.is_temporal(t) for t in types)


def part_schemas(paths: Iterable[Path]) -> dict[Path, pa.Schema]:
    """Each part's schema, from its footer (no rows read), each footer read once per
    process while the file stays as it is (every ledger read and keyed ingest asks)."""
    out = {}
    for path in paths:
        stat = path.stat()
        out[path] = _footer_schema(str(path), stat.st_mtime_ns, stat.st_size)
    return out


def readable_schemas(paths: Iterable[Path]) -> dict[Path, pa.Schema]:
    """`part_schemas` of the parts of `paths` whose footer can be read: for what only advises
    (an ingest's note on a ledger's columns), where a damaged part is `audit verify`'s to
    report and the ingest of its file's to rewrite, not a reason to stop."""
    out = {}
    for path in paths:
        try:
            out.update(part_schemas([path]))
        except (StoreError, OSError):
            continue
    return out


@lru_cache(maxsize=4096)
def _footer_schema(path: str, _mtime_ns: int, _size: int) -> pa.Schema:
    """The schema in the footer of the Parquet file at `path` (its modification time and
    size are the cache's key: a file replaced under the same name is read again)."""
    return _open_part(path).schema_arrow


LABEL_COLUMNS = ("_owner_agency", "_owner_country", "_marking", "_releasable_to")
"""A ledger row's access label, in `AccessLabel`'s order (`_releasable_to` may be NULL)."""


def _footer_labels(path: str, mtime_ns: int, size: int) -> frozenset[tuple[str | None, ...]] | None:
    """The access labels (`LABEL_COLUMNS`) of the rows of the Parquet part at `path`, from
    its footer (`_footer_rows`); None when a row group does not tell: its rows must be read."""
    rows = _footer_rows(path, mtime_ns, size, LABEL_COLUMNS)
    return None if rows is None else frozenset(rows)


_COUNTED = ("_dataset", *LABEL_COLUMNS)
"""What `LedgerStore.visible_counts` counts a part's rows by: their dataset and label."""
_MAY_BE_NULL = frozenset({"_releasable_to"})


@lru_cache(maxsize=4096)
def _footer_rows(
    path: str, _mtime_ns: int, _size: int, columns: tuple[str, ...]
) -> Mapping[tuple[str | None, ...], int] | None:
    """How many rows of the Parquet part at `path` hold each combination of values of the
    hidden `columns`, from its footer alone: each row group whose `columns` each hold one
    value (their statistics' minimum equal to their maximum, no NULL; or, for
    `_releasable_to`, all NULL: None) holds its `num_rows` of that one combination. None when
    a row group does not tell (several values in it, no statistics): its rows must be read.
    Cached like `_footer_schema` (a mapping the caller must not change)."""
    meta = _open_part(path).metadata
    index = {meta.schema.column(i).name: i for i in range(meta.num_columns)}
    if any(name not in index for name in columns):
        return None
    out: dict[tuple[str | None, ...], int] = {}
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        values: list[str | None] = []
        for name in columns:
            stats = group.column(index[name]).statistics
            if stats is None:
                return None
            if name in _MAY_BE_NULL and stats.null_count == group.num_rows:
                values.append(None)
                continue
            if stats.null_count != 0 or not stats.has_min_max or stats.min != stats.max:
                return None
            values.append(str(stats.min))
        key = tuple(values)
        out[key] = out.get(key, 0) + group.num_rows
    return out


def column_types(schemas: Mapping[Path, pa.Schema]) -> dict[str, set[pa.DataType]]:
    """The types each column has in the parts of `schemas` (`part_schemas`); a column a
    part lacks is absent from that part's set."""
    out: dict[str, set[pa.DataType]] = {}
    for schema in schemas.values():
        for f in schema:
            if not pa.types.is_null(f.type):
                out.setdefault(f.name, set()).add(f.type)
    return out


def parts_sql(
    schemas: Mapping[Path, pa.Schema], text: Iterable[str] = (), part_column: bool = False
) -> str:
    """A FROM item reading the parts of `schemas` (`part_schemas`) as one table, columns
    matched by name (a part lacking a column gives NULL there). A column whose parts
    disagree on its type (one dataset's `week` an integer, another's a date, or a mapping
    that changed it) is read as text in every part, as are the columns `text` names: DuckDB
    would pick one of the types and fail at the first value that is not of it, so one
    agency's part would make the rows of every other unreadable. With `part_column`,
    `_part` (PART_COLUMN) names each row's file."""
    types = column_types(schemas)
    as_text = {c for c, kinds in types.items() if not _same_kind(kinds)} | set(text)
    # one read per set of parts that agree on those columns' types (most often: one)
    groups: dict[tuple[tuple[str, str], ...], list[Path]] = {}
    for path, schema in schemas.items():
        these = tuple(sorted((c, str(schema.field(c).type)) for c in as_text if c in schema.names))
        groups.setdefault(these, []).append(path)
    named = f", filename = '{PART_COLUMN}'" if part_column else ""
    selects = []
    for these, group in groups.items():
        files = "[" + ", ".join(literal(str(p)) for p in group) + "]"
        source = f"read_parquet({files}, union_by_name = true{named})"
        if len(groups) == 1 and not these:
            return source  # the usual case: one read, nothing cast
        replaced = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c, _type in these)
        selects.append(
            f"SELECT * REPLACE ({replaced}) FROM {source}" if these else f"SELECT * FROM {source}"
        )
    return "(" + " UNION ALL BY NAME ".join(selects) + ")"


def _no_ledger(ledger: str) -> NotFound:
    return NotFound(
        msg("No ledger named {name!r}.", name=ledger),
        hint=msg("List the ledgers with `ironriver ledgers`."),
    )


# Parquet layout of a part. Pinned, because a part's name hashes the file's bytes: the same
# rows must give the same bytes. Row groups of a fixed size whatever the batches DuckDB hands
# over (big enough that a high-cardinality column gives up its dictionary once per group, not
# once per 100k rows; small enough that readers split a part across threads). A column is
# dictionary-encoded while its dictionary stays under 64 KiB (codes, dealer licences, the
# one-value label columns); past that Arrow falls back to plain pages early instead of
# building a dictionary as big as the column. zstd at level 1: higher levels cost more time
# than they save bytes here.
ROW_GROUP_ROWS = 262_144
_PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": True,
    "dictionary_pagesize_limit": 64 << 10,
    "write_statistics": True,  # per column, see _statistics
    "data_page_version": "1.0",
    "store_schema": False,  # plain Parquet: label columns read back as text everywhere
}


def _part_digest(consts: dict[str, str], identity: str | None, path: Path | None = None) -> str:
    """A part's name: a hash of its label columns and its `identity`, or else of the file."""
    digest = hashlib.sha256("\x1f".join(consts.values()).encode())
    if identity is not None:
        digest.update(b"\x1e" + identity.encode())
    else:
        assert path is not None
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()[:32]


def _row_groups(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """`batches` regrouped into tables of exactly `size` rows (the last one may be shorter)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        while batch.num_rows:
            take = min(size - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == size:
                yield pa.Table.from_batches(pending).combine_chunks()
                pending, held = [], 0
    if held:
        yield pa.Table.from_batches(pending).combine_chunks()


def _constant(value: str, n: int) -> pa.DictionaryArray:
    """`value` n times, as a one-entry dictionary (no per-row string to hash or copy).
    Built from buffers: `pa.array` would import pandas on first use (0.2 s)."""
    data = value.encode()
    entry = pa.Array.from_buffers(
        pa.string(), 1, [None, pa.py_buffer(struct.pack("=2i", 0, len(data))), pa.py_buffer(data)]
    )
    indices = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(bytes(4 * n))])
    return pa.DictionaryArray.from_arrays(indices, entry)


def _labelled(groups: Iterable[pa.Table], consts: dict[str, str]) -> Iterator[pa.Table]:
    for group in groups:
        n = group.num_rows
        for name, value in consts.items():
            group = group.append_column(name, _constant(value, n))
        yield group


def _write_parquet(
    reader: pa.RecordBatchReader,
    consts: dict[str, str],
    path: Path,
    twin: str | None = None,
    source: tuple[str, str] | None = None,
) -> int:
    """Write the rows of `reader` plus the constant label columns to `path` (an empty file
    with the columns when there are none), with `twin` (`TWIN_KEY`) and `source` (file,
    SHA-256: `SOURCE_KEY`, `SOURCE_SHA256_KEY`) in its footer; return
    the rows written. A background thread pulls the rows from DuckDB and assembles each row
    group; this one only encodes."""
    schema = reader.schema
    for name in consts:
        schema = schema.append(pa.field(name, pa.dictionary(pa.int32(), pa.string())))
    options = dict(_PARQUET_OPTIONS)
    options["write_statistics"] = [f.name for f in schema if _statistics(f.type)]
    rows = 0
    with pq.ParquetWriter(path, schema, **options) as writer:
        groups = _labelled(_row_groups(reader, ROW_GROUP_ROWS), consts)
        for group in prefetch(groups):
            writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
            rows += group.num_rows
        footer = {} if twin is None else {TWIN_KEY: twin}
        if source is not None:
            footer |= {SOURCE_KEY: source[0], SOURCE_SHA256_KEY: source[1]}
        if footer:
            writer.add_key_value_metadata(footer)
    return rows


TWIN_KEY = "ironriver.twin"
"""In a part's footer: a hash of its label and of what its file is (`prepare_query`'s
`twin`), by which an ingest of the same file finds the part retracted."""


SOURCE_KEY = "ironriver.source"
"""In the footer of a part an ingest wrote: the file all its rows came from, as their
`_source_ref` (`<file>:<row>`) names it."""
SOURCE_SHA256_KEY = "ironriver.source_sha256"
"""In the footer of a part an ingest wrote: the SHA-256 of that file's bytes (as the ingest's
audit event records it, `file_sha256`)."""


@lru_cache(maxsize=4096)
def _footer_source(path: str, _mtime_ns: int, _size: int) -> tuple[str, str, int] | None:
    """The source file (`SOURCE_KEY`), its SHA-256 and the rows of the part at `path`, from
    its footer; None for a part written without them (before they were, or by a library
    write, whose rows may come from several files: its `_source_ref` column is read)."""
    meta = _open_part(path).metadata
    told = meta.metadata or {}
    file = told.get(SOURCE_KEY.encode())
    if file is None:
        return None
    sha = told.get(SOURCE_SHA256_KEY.encode(), b"")
    return file.decode(), sha.decode(), int(meta.num_rows)


def _retracted_twin(folder: Path, twin: str) -> tuple[Path, int] | None:
    """The retracted part of `folder` whose footer names `twin`, with its rows; None when
    there is none (one glob; the footers of retracted parts, each read once per process)."""
    for path in folder.glob("retracted-*.parquet"):
        stat = path.stat()
        told = _footer_twin(str(path), stat.st_mtime_ns, stat.st_size)
        if told is not None and told[0] == twin:
            return path, told[1]
    return None


@lru_cache(maxsize=1024)
def _footer_twin(path: str, _mtime_ns: int, _size: int) -> tuple[str, int] | None:
    """The `TWIN_KEY` of the Parquet part at `path` and its rows (None without one)."""
    meta = pq.ParquetFile(path).metadata
    value = (meta.metadata or {}).get(TWIN_KEY.encode())
    return None if value is None else (value.decode(), meta.num_rows)


def _statistics(kind: pa.DataType) -> bool:
    """Whether a column gets min/max statistics: all but free text (whose min/max prunes
    nothing unless the part is sorted by it, and costs a fifth of the write). The
    dictionary-encoded label columns keep theirs."""
    return not (pa.types.is_string(kind) or pa.types.is_large_string(kind))


@dataclass(frozen=True, order=True)
class StoredPart:
    """A stored part of a ledger (`LedgerStore.visible_parts`): its file, its rows and the
    source files they came from."""

    path: Path
    rows: int
    files: tuple[str, ...]
    sha256: str = ""  # of the source file, when the footer records it (`SOURCE_SHA256_KEY`)


def retracted_name(part: Path) -> Path:
    """Where a retracted part goes: `retracted-<its digest>.parquet` beside it, out of the
    `part-*.parquet` glob of every read."""
    return part.with_name("retracted-" + part.name.removeprefix("part-"))


@dataclass
class PendingRetraction:
    """A retraction of ledger parts whose marker is written (`prepare_retraction`): its audit
    event names the marker (`marker_name`); after the commit, `commit()` renames the parts
    out of every read, else `discard()` removes the marker."""

    marker: Path
    parts: list[Path]

    def marker_name(self, root: Path) -> str:
        return str(self.marker.relative_to(root))

    def commit(self) -> None:
        for part in self.parts:
            _retract_part(part)
        self.marker.unlink(missing_ok=True)

    def discard(self) -> None:
        self.marker.unlink(missing_ok=True)


def _retract_part(part: Path) -> bool:
    """Rename `part` to its retracted name; False when it is not there (renamed already)."""
    try:
        part.replace(retracted_name(part))
    except FileNotFoundError:
        return False
    return True


@dataclass
class PendingPart:
    """A part file written under a temporary name, made visible by `commit()`."""

    final: Path
    tmp: Path | None
    rows: int
    existed: bool
    retracted: bool = False  # its twin was retracted: nothing is added (`retracted_name`)

    def pending_names(self, root: Path) -> list[str]:
        """[scratch name, final name] under the ledger root `root`, as an ingest's audit
        event records them (see `recover_parts`)."""
        assert self.tmp is not None
        return [str(self.tmp.relative_to(root)), str(self.final.relative_to(root))]

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


_SCRATCH = ".ironriver-stage-*"  # a part's scratch name (`prepare_query`), or a marker
_MARKER_SUFFIX = ".retract"  # a retraction's marker (`prepare_retraction`)
PARTS_KEY = "ledger_parts"
"""In an ingest's audit event detail: its ledger parts as [scratch name, final name] pairs
under the ledger root, renamed into place after the commit."""
RETRACT_KEY = "ledger_marker"
"""In a ledger retraction's audit event detail: its marker's name under the ledger root
(`prepare_retraction`); the detail's `parts` names the retracted parts of its `dataset`'s
`ledger` (their file names), renamed out of every read after the commit."""

MARKERS_KEY = "ledger_markers"
"""In the `retract` event of a load that replaced an earlier one's ledger parts
(`ironriver.ingest.replace`): one `{"marker": its name under the ledger root, "parts":
[the parts it retracts, under the root]}` per ledger folder (`RETRACT_KEY` names one)."""


def recover_parts(
    root: Path, committed: Callable[[], Iterable[dict[str, Any]]], folder: Path | None = None
) -> int:
    """Finish what a process killed between its commit and its renames left: rename into
    place the ledger parts its ingest left under their scratch names (the commit is the
    ingest's truth: its statements and audit event are in the store, its ledger rows must be
    too), and rename out of every read the parts its retraction's marker stands for (its
    `retract` event is committed: the rows must go); return how many parts were renamed.
    `committed` lists the details of the store's ingest and retract events (read only when a
    dead process's scratch part or marker is found: most calls are one glob). With `folder`
    (one ledger's, under `root`), only the files in it. A scratch part no committed ingest
    names is left for `sweep`; a marker no committed retraction names is removed (nothing
    was retracted)."""
    if not root.exists():
        return 0
    found = folder.glob(_SCRATCH) if folder is not None else root.glob(f"*/*/{_SCRATCH}")
    dead = [p for p in found if is_dead_scratch(p)]
    if not dead:
        return 0
    named: dict[str, str] = {}
    retracted: dict[str, list[str]] = {}
    for detail in committed():
        for pair in detail.get(PARTS_KEY) or []:
            named[str(pair[0])] = str(pair[1])
        if detail.get(RETRACT_KEY):
            retracted[str(detail[RETRACT_KEY])] = [str(p) for p in detail.get("parts") or []]
        for marker in detail.get(MARKERS_KEY) or []:  # (a load that replaced parts)
            retracted[str(marker["marker"])] = [str(p) for p in marker["parts"]]
    moved = 0
    for scratch in dead:
        name = str(scratch.relative_to(root))
        if scratch.name.endswith(_MARKER_SUFFIX):
            for part in retracted.get(name, []):
                moved += _retract_part(scratch.parent / Path(part).name)
            scratch.unlink(missing_ok=True)
            continue
        final = named.get(name)
        if final is None or not scratch.name.endswith(".parquet"):
            continue
        target = root / final
        try:
            if target.exists():  # an identical ingest placed it meanwhile
                scratch.unlink()
            else:
                scratch.replace(target)
                moved += 1
        except FileNotFoundError:
            continue  # another process recovered it first
    if moved:
        log.warning("ledger.parts_recovered", parts=moved, root=str(root))
    return moved


LEDGER_FILES_KEY = "ledger_files"
"""In an ingest's audit event detail: the ledger parts it committed (written, or found in
place), each `{"path": its name under the ledger root, "rows": its rows}`; `audit verify`
checks that each is there with that many rows (`ironriver.store.audit_verify`)."""


def committed_files(root: Path, parts: Iterable[PendingPart]) -> list[dict[str, Any]]:
    """The `LEDGER_FILES_KEY` entries of an ingest's `parts` under the ledger root `root`
    (a keyed ledger's file whose records were all stored already has no part, and a file
    whose rows were retracted adds none: both left out)."""
    return [
        {"path": str(p.final.relative_to(root)), "rows": p.rows}
        for p in parts
        if p.final != Path() and not p.retracted
    ]


def _open_part(path: str | Path) -> pq.ParquetFile:
    """The Parquet part at `path`, its footer read; a `StoreError` naming it when the footer
    cannot be read (the file truncated, overwritten, or removed since it was listed)."""
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise StoreError(
            msg(
                "Ledger part {path} cannot be read ({error}): it was truncated, overwritten "
                "or removed.",
                path=path,
                error=str(exc).strip(),
            ),
            hint=msg(
                "Run `ironriver audit verify` to list the damaged ledger parts, then restore "
                "each from a backup or re-ingest its source file, which rewrites it."
            ),
        ) from exc


def part_rows(path: Path) -> int | None:
    """The rows the footer of the part at `path` gives; None when there is no file or its
    footer cannot be read. Reads the footer only; writes nothing."""
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowException, OSError):
        return None


def sound_rows(final: Path, rows: int | None = None) -> int | None:
    """The rows of the part in place at `final` when it can be trusted (its footer reads, and
    gives `rows` when that is known); None when there is none. A part that cannot be trusted
    (truncated, overwritten, other rows than what the same input writes) is moved aside to
    `damaged-<digest>-<UTC time>.parquet`, never deleted, so that the caller writes it again."""
    if not final.exists():
        return None
    found = part_rows(final)
    if found is not None and (rows is None or found == rows):
        return found
    digest = final.name.removeprefix("part-").removesuffix(".parquet")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = final.with_name(f"damaged-{digest}-{stamp}-{uuid.uuid4().hex[:8]}.parquet")
    try:
        final.replace(aside)
    except FileNotFoundError:
        return None  # another ingest moved it aside first
    log.warning("ledger.damaged_part_moved", part=str(final), moved_to=str(aside), rows=found)
    return None
