"""Reading ledger parts: their footers (labels, row counts, schemas, source files) and the
DuckDB relation over the parts a principal may see (`LedgerReads`, the read half of
`ironriver.store.ledger.LedgerStore`; see that module's doc for the layout and invariants).

Every read lists the `part-*.parquet` files of a ledger folder, then leaves out those no
event of the store names (`LedgerReads.accounted`, by `RecordedParts.stray`: the parts
`audit verify` reports as no ingest recorded), so a file copied in by hand, or a ledger
folder copied after the database, is not read as this store's data.

Every footer read here is cached per process by (path, modification time, size): a file
replaced under the same name is read again. Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ironriver.errors import NotFound, StoreError
from ironriver.i18n import msg
from ironriver.logs import get_logger
from ironriver.policy.markings import AccessLabel, Marking, Principal, can_see, parse_releasable
from ironriver.sqltext import ident, literal
from ironriver.store.ledger_duck import LedgerDuck

if TYPE_CHECKING:
    from ironriver.store.ledger_records import RecordedParts

log = get_logger("ironriver.store.ledger")  # (the name its log lines always had)

LABEL_COLUMNS = ("_owner_agency", "_owner_country", "_marking", "_releasable_to")
"""A ledger row's access label, in `AccessLabel`'s order (`_releasable_to` may be NULL)."""

HIDDEN_COLUMNS = ("_dataset", *LABEL_COLUMNS, "_source_ref")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PART_COLUMN = "_part"
"""The column DuckDB adds to name each row's part file, when asked (`filename = '_part'`):
a ledger column may be called `filename`, not `_part` (a leading `_` is reserved)."""


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


SOURCE_KEY = "ironriver.source"
"""In the footer of a part an ingest wrote: the file all its rows came from, as their
`_source_ref` (`<file>:<row>`) names it."""
SOURCE_SHA256_KEY = "ironriver.source_sha256"
"""In the footer of a part an ingest wrote: the SHA-256 of that file's bytes (as the ingest's
audit event records it, `file_sha256`)."""


@dataclass(frozen=True)
class LedgerCounts:
    """What `LedgerReads.visible_counts` counted: the rows a principal may see per (dataset,
    ledger) of the ledgers whose every part's footer read (`rows`; a ledger of which it
    sees no row is left out), and per (dataset, ledger) the parts whose footer could not be
    read (`unreadable`: truncated, overwritten), whose ledgers `rows` leaves out: how many
    of their rows are visible is not known. `empty`: the other ledgers it sees no row of
    that hold a part of no row at all (a file of a header alone loaded), which
    `empty_relation` reads (their dataset is `shown` to the principal): listed with 0 rows,
    not counted in `rows`, so that what uses those counts (a dataset's, `View.datasets`;
    the datasets an export knows of) is as it was."""

    rows: dict[tuple[str, str], int]
    unreadable: dict[tuple[str, str], tuple[Path, ...]]
    empty: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VisibleLedger:
    """What `LedgerReads.visible_ledger` read: the relation of a principal's visible rows of
    a ledger, and the markings those rows hold (known from their parts' labels: the
    distinct `_marking` a scan of the relation finds, without the scan)."""

    relation: duckdb.DuckDBPyRelation
    markings: frozenset[str]


@dataclass(frozen=True, order=True)
class StoredPart:
    """A stored part of a ledger (`LedgerStore.visible_parts`): its file, its rows and the
    source files they came from."""

    path: Path
    rows: int
    files: tuple[str, ...]
    sha256: str = ""  # of the source file, when the footer records it (`SOURCE_SHA256_KEY`)


class LedgerReads:
    """The reads of `LedgerStore` (its parts listed, counted, read as one relation): the
    rows `principal` may see, by `can_see` over the few distinct labels. Of a store's
    ledgers (`dataset_label` given), only the parts of the datasets whose own label the
    principal may see are listed at all (`shown`): a part of another's dataset is never
    opened, so nothing about it (its rows, its labels, that its footer cannot be read) can
    reach the principal."""

    root: Path
    dataset_label: Callable[[str], AccessLabel | None] | None = None
    """The own label of the store's dataset of a name (its `datasets` row; None: the store
    has no dataset of that name, whose parts no principal reads). None (no store): every
    dataset's parts are read, their rows kept by their labels alone."""
    recorded: Callable[[], RecordedParts] | None
    """What the store's events recorded of its parts, as they are at the call (None:
    ledgers without a store, whose every part is read)."""
    known: RecordedParts | None
    """The last reading of `recorded` (or one the caller made): a part it names stays
    named (events are only appended), so it is trusted; read again for a part it lacks."""

    def recorded_now(self) -> RecordedParts:
        """`recorded`, read now (kept as `known`)."""
        assert self.recorded is not None
        self.known = self.recorded()
        return self.known

    def shown(self, dataset: str, principal: Principal) -> bool:
        """Whether the parts of `dataset` are read for `principal`: the store's dataset of
        that name has a label it may see (`dataset_label`; without a store, every dataset's
        are). Decided from the store's datasets alone, before any part is listed or opened:
        the parts of a dataset it may not see are, to it, not there (a damaged one too:
        docs/policy.md, "Counting ledger rows"). Rows of the datasets it may see are still
        kept by their own labels."""
        if self.dataset_label is None:
            return True
        label = self.dataset_label(dataset)
        return label is not None and can_see(principal, label)

    def parts(self, dataset: str, ledger: str) -> list[Path]:
        raise NotImplementedError  # `LedgerStore.parts` (which recovers a killed ingest's)

    def accounted(self, listed: Iterable[Path]) -> list[Path]:
        """The part files of `listed` (found in place under `root`) that the store's events
        account for, in the order listed. A part no ingest or retract event names
        (`RecordedParts.stray`, what `audit verify` reports) is not this store's data and is
        never read; a warning in the log names it, once per process (stderr: the operator's,
        who may list the folder anyway). What a read returns says nothing of it: no rows of
        the store are missing, `audit verify` names such files, and a reader must not learn
        of files in a dataset it may not see. A part `known` names is trusted; for one it
        does not, the events are read again, after the listing: a part is renamed into place
        after the commit of the event naming it, so every part of this store listed by then
        is named there. While some ingest events predate the records, every part is read
        (no part can be told from another's). Without a store (`recorded` None), every
        part."""
        paths = list(listed)
        if self.recorded is None or not paths:
            return paths
        # (each one's name under `root`, `<dataset>/<ledger>/<file>`, as the events name
        # it: 50x faster than `relative_to`, which took 2-4 ms per read of 200 parts)
        names = ["/".join(path.parts[-3:]) for path in paths]
        parts = self.known
        if parts is None:
            parts = self.recorded_now()
        elif any(parts.stray(name) for name in names):
            parts = self.recorded_now()  # (read before a part was placed, or a stray)
        kept = []
        for path, name in zip(paths, names, strict=True):
            if parts.stray(name):
                _left_out(str(path))
            else:
                kept.append(path)
        return kept

    def files(
        self, ledger: str, dataset: str | None = None, principal: Principal | None = None
    ) -> list[Path]:
        """The part files of `ledger`, of every dataset or of `dataset` alone (`accounted`);
        with `principal`, of the datasets it is `shown` alone (the others' not even
        listed)."""
        _check_name("ledger", ledger)
        if dataset is not None:
            _check_name("dataset", dataset)
        if not self.root.exists():
            return []
        listed: Iterable[Path] = self.root.glob(f"{dataset or '*'}/{ledger}/part-*.parquet")
        if principal is not None:
            listed = self._of_shown(listed, principal)
        return sorted(self.accounted(listed))

    def _of_shown(self, listed: Iterable[Path], principal: Principal) -> list[Path]:
        """The part files of `listed` (`<dataset>/<ledger>/<file>` under `root`) of the
        datasets `shown` to `principal` (each dataset decided once); without a store, all."""
        if self.dataset_label is None:
            return list(listed)
        decided: dict[str, bool] = {}
        kept = []
        for path in listed:
            dataset = path.parent.parent.name
            if dataset not in decided:  # (a folder no dataset could be named is none)
                decided[dataset] = bool(_NAME_RE.match(dataset)) and self.shown(dataset, principal)
            if decided[dataset]:
                kept.append(path)
        return kept

    def dataset_ledgers(self, dataset: str) -> list[str]:
        """The names of the ledgers of `dataset` that hold a part (`accounted`), whoever may
        see them (`visible_relation` tells which a principal sees)."""
        _check_name("dataset", dataset)
        folder = self.root / dataset
        if not folder.is_dir():
            return []
        listed = [
            part
            for sub in folder.iterdir()
            if _NAME_RE.match(sub.name)
            for part in sub.glob("part-*.parquet")
        ]
        return sorted({part.parent.name for part in self.accounted(listed)})

    def ledgers(self) -> list[LedgerInfo]:
        """Every (dataset, ledger) with its row and file counts (for admins; not filtered by
        label; the parts `accounted` for)."""
        out: dict[tuple[str, str], list[int]] = {}
        if not self.root.exists():
            return []
        for path in sorted(self.accounted(self.root.glob("*/*/part-*.parquet"))):
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
        return self.visible_ledger(con, ledger, principal, dataset).relation

    def visible_ledger(
        self,
        con: duckdb.DuckDBPyConnection | LedgerDuck,
        ledger: str,
        principal: Principal,
        dataset: str | None = None,
    ) -> VisibleLedger:
        """`visible_relation` on `con`, or on a cursor of a store's shared DuckDB (a
        `LedgerDuck`), with the markings of its rows (`VisibleLedger.markings`: from the
        labels it keeps, no row read). Only the parts of the datasets `shown` to
        `principal` are opened: a ledger whose only parts are others' is `NotFound`, as
        one that does not exist."""
        files = self.files(ledger, dataset, principal)
        if not files:
            raise _no_ledger(ledger)
        paths = [str(p) for p in files]
        identities = {p: _identity(p) for p in paths}  # (one stat each, for every cache)
        if isinstance(con, LedgerDuck):
            con = con.cursor()
        labels = _part_labels(con, paths, identities)
        visible: set[tuple[str, str, str, str]] = set()
        keep_files: set[str] = set()
        mixed_files: set[str] = set()  # holding a label the principal may not see too
        for filename, agency, country, marking, rel in labels:
            if can_see(principal, _access_label(agency, country, marking, rel)):
                visible.add((str(agency), str(country), str(marking), str(rel or "")))
                keep_files.add(str(filename))
            else:
                mixed_files.add(str(filename))
        keep = [p for p in paths if p in keep_files]
        if not keep:
            # Indistinguishable from a ledger that does not exist: the principal must not
            # learn that records it may not see are there.
            raise _no_ledger(ledger)
        schemas = {Path(p): _footer_schema(p, *identities[p]) for p in keep}
        rows = f"SELECT * FROM {parts_sql(schemas)}"
        if mixed_files.isdisjoint(keep):
            # every label of every part kept is visible (as every part an ingest writes
            # holds one label): each of their rows is, and no row needs its label tested
            # (a per-row test was most of a read's time, docs/performance.md)
            relation = parts_relation(con, schemas)
        else:
            relation = con.sql(
                f"{rows} WHERE list_contains(?, [_owner_agency, _owner_country, _marking, "
                "coalesce(_releasable_to, '')])",
                params=[[list(t) for t in sorted(visible)]],
            )
        # every label kept holds rows of a kept part (`_part_labels`), and the filter keeps
        # every row of each: its markings are those of the rows, as a scan would find them
        return VisibleLedger(relation, frozenset(label[2] for label in visible))

    def empty_relation(
        self, con: duckdb.DuckDBPyConnection, ledger: str, principal: Principal, dataset: str
    ) -> duckdb.DuckDBPyRelation | None:
        """A relation of no row, with the columns of `dataset`'s `ledger`, when that ledger
        holds a part of no row at all (a file of a header alone was loaded) and the dataset
        is `shown` to `principal`; else None. Such a part holds nothing under any label: it
        tells only that the ledger is there, which its dataset's own label (one the
        principal may see) covers. So `ledger_rows` may say the ledger holds no row it may
        see, from facts it may know, whatever else the ledger holds: its columns are those
        of the empty parts alone, and parts holding rows (hidden ones too) do not count. A
        ledger whose only parts hold rows the principal may not see, or whose rows were all
        retracted (their parts renamed out of every read), gets None, as one that does not
        exist, and so does every ledger of a dataset it may not see (no part listed)."""
        empty = [
            path
            for path in map(str, self.files(ledger, dataset, principal))
            if _holds_no_row(path, *_identity(path))
        ]
        if not empty:
            return None
        return parts_relation(con, {Path(p): _footer_schema(p, *_identity(p)) for p in empty})

    def sees_all(self, parts: Sequence[Path], principal: Principal) -> bool:
        """Whether `principal` may see every row of `parts` (their labels, from the footers
        where they tell them, as `visible_parts` reads them)."""
        if not parts:
            return True
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            labels = _part_labels(con, [str(p) for p in parts])
        finally:
            con.close()
        return all(can_see(principal, _access_label(*label)) for _, *label in labels)

    def visible_parts(self, dataset: str, ledger: str, principal: Principal) -> list[StoredPart]:
        """The parts of one dataset's ledger whose rows `principal` may all see (labels from
        the footers, as `visible_relation` reads them), each with its rows and the source
        files they came from (the file of `_source_ref`'s `<file>:<row>`; an ingest's part
        holds one file's rows). A part holding a label it may not see is left out: it is
        not the principal's to know of, nor to retract. A part whose footer names its file
        (`SOURCE_KEY`: those an ingest wrote since) is not read; the `_source_ref` column of
        the others is (an empty one of those holds no file and is left out)."""
        if not self.shown(dataset, principal):
            return []  # (none listed: their footers are not the principal's to read)
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

    def visible_counts(self, principal: Principal) -> LedgerCounts:
        """The rows `principal` may see per (dataset, ledger), in that order; a ledger of
        which it sees no row is left out. A part whose row groups each hold one dataset and
        one label (every part an ingest writes) is counted from its footer (`_footer_rows`):
        no row is read, so counting takes no longer for more rows, hidden or visible. The
        dataset and label columns of any other part are read (one query for them all).
        Only the parts of the datasets `shown` to `principal` are listed and opened. A part
        whose footer cannot be read does not stop the count: it is listed in
        `LedgerCounts.unreadable` and its ledger left out of `LedgerCounts.rows` (its
        visible rows unknown), so that one damaged file leaves the other ledgers counted.
        A ledger of which it sees no row but that holds a part of no row at all is listed in
        `LedgerCounts.empty`, by `empty_relation`'s rule (`_holds_no_row`): that it is there
        is told by its dataset's own label alone, as `ledger_rows` reads it."""
        counts: dict[tuple[str, str], int] = {}
        unreadable: dict[tuple[str, str], list[Path]] = {}
        empty: set[tuple[str, str]] = set()

        def add(dataset: Any, ledger: str, label: Sequence[Any], rows: int) -> None:
            if rows and can_see(principal, _access_label(*label)):
                key = (str(dataset), ledger)
                counts[key] = counts.get(key, 0) + rows

        unread: dict[str, str] = {}  # part -> its ledger
        paths = self.root.glob("*/*/part-*.parquet") if self.root.exists() else []
        for path in self.accounted(self._of_shown(paths, principal)):
            dataset, ledger = path.parent.parent.name, path.parent.name
            if not (_NAME_RE.match(dataset) and _NAME_RE.match(ledger)):
                continue  # (not a ledger folder: no read reaches it)
            try:
                stat = path.stat()
            except FileNotFoundError:  # (renamed by a retraction since it was listed; a
                continue  # part deleted is a recorded part missing, which a view tells)
            try:
                told = _footer_rows(str(path), stat.st_mtime_ns, stat.st_size, _COUNTED)
                # ({} here: every row group of no row, as `_holds_no_row` finds too; a part
                # whose footer does not tell of `_COUNTED` may still tell of the labels)
                if told == {} or (
                    told is None and _holds_no_row(str(path), stat.st_mtime_ns, stat.st_size)
                ):
                    empty.add((dataset, ledger))
            except StoreError:  # (`_open_part`'s: its footer cannot be read)
                unreadable.setdefault((dataset, ledger), []).append(path)
                continue
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
        return LedgerCounts(
            {key: n for key, n in sorted(counts.items()) if key not in unreadable},
            {key: tuple(sorted(paths)) for key, paths in sorted(unreadable.items())},
            tuple(sorted(empty - counts.keys() - unreadable.keys())),
        )


@lru_cache(maxsize=1024)
def _left_out(path: str) -> None:
    """Log once per process that the part at `path` is left out of the reads."""
    log.warning(
        "ledger.unrecorded_part_ignored",
        part=path,
        reason="no ingest or retract event of the store names it: not read",
    )


def _part_labels(
    con: duckdb.DuckDBPyConnection,
    paths: list[str],
    identities: Mapping[str, tuple[int, int]] | None = None,
) -> list[tuple[Any, ...]]:
    """(part, *LABEL_COLUMNS) for each label of each part of `paths` that holds rows of it:
    from its footer's statistics where they tell them (no row read: a read of a dataset
    none of whose rows is visible takes about as long as one of a dataset that does not
    exist); the rows of a part whose footer does not are read. `identities`: each part's
    (`_identity`), when the caller has them already."""
    labels: list[tuple[Any, ...]] = []
    unread: list[str] = []
    for path in paths:
        mtime_ns, size = identities[path] if identities is not None else _identity(path)
        told = _footer_labels(path, mtime_ns, size)
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


def _identity(path: str | Path) -> tuple[int, int]:
    """The modification time (ns) and size of the file at `path`: the footer caches' key
    (a file replaced under the same name is read again)."""
    stat = Path(path).stat()
    return stat.st_mtime_ns, stat.st_size


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


def _holds_no_row(path: str, mtime_ns: int, size: int) -> bool:
    """Whether the Parquet part at `path` holds no row at all (a file of a header alone
    loaded): its footer tells its labels and holds no row group of rows. Such a part is
    under no label, so it tells only that its ledger is there: `empty_relation` reads it,
    `visible_counts` lists its ledger, for a principal its dataset is `shown` to."""
    return _footer_rows(path, mtime_ns, size, LABEL_COLUMNS) == {}


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
    `_releasable_to`, all NULL: None) holds its `num_rows` of that one combination (a row
    group of no rows holds none, whatever it tells). None when a row group does not tell
    (several values in it, no statistics): its rows must be read. Cached like `_footer_schema` (a mapping the caller must not change)."""
    meta = _open_part(path).metadata
    index = {meta.schema.column(i).name: i for i in range(meta.num_columns)}
    if any(name not in index for name in columns):
        return None
    out: dict[tuple[str | None, ...], int] = {}
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        if group.num_rows == 0:
            continue  # (it holds no label: none to count, nor to see)
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


def parts_relation(
    con: duckdb.DuckDBPyConnection, schemas: Mapping[Path, pa.Schema]
) -> duckdb.DuckDBPyRelation:
    """`parts_sql`'s rows as a relation on `con`. In the usual case (one read, nothing
    cast) it is DuckDB's own Parquet read, not a query over it: a filter put on it of one
    column, whatever its form (`ledger_rows`'s text match, a regular expression and a
    function), is evaluated inside the Parquet scan, which reads a row's other columns only
    when the filter keeps it. On a query (`SELECT * FROM read_parquet(...)`), DuckDB pushes
    only plain comparisons into the scan: a serial looked up by its identifier key read
    every column of 2.5M rows (docs/performance.md)."""
    single = _single_read(schemas)
    if single is None:
        return con.sql(f"SELECT * FROM {parts_sql(schemas)}")
    files, union = single
    if union:
        return con.read_parquet(files, union_by_name=True)
    return con.read_parquet(files)


def _single_read(
    schemas: Mapping[Path, pa.Schema], text: Iterable[str] = ()
) -> tuple[list[str], bool] | None:
    """The files of `schemas` and whether they need `union_by_name`, when `parts_sql` reads
    them in one `read_parquet` with no column cast (no part holds a column of `text` or one
    whose parts disagree on its type); else None."""
    as_text = _as_text(schemas, text)
    if any(c in schema.names for schema in schemas.values() for c in as_text):
        return None
    paths = list(schemas)
    first = schemas[paths[0]]
    return [str(p) for p in paths], not all(schemas[p].equals(first) for p in paths)


def _as_text(schemas: Mapping[Path, pa.Schema], text: Iterable[str]) -> set[str]:
    """The columns `parts_sql` reads as text: those whose parts disagree on their type, and
    `text`."""
    types = column_types(schemas)
    return {c for c, kinds in types.items() if not _same_kind(kinds)} | set(text)


def parts_sql(
    schemas: Mapping[Path, pa.Schema], text: Iterable[str] = (), part_column: bool = False
) -> str:
    """A FROM item reading the parts of `schemas` (`part_schemas`) as one table, columns
    matched by name (a part lacking a column gives NULL there). A column whose parts
    disagree on its type (one dataset's `week` an integer, another's a date, or a mapping
    that changed it) is read as text in every part, as are the columns `text` names: DuckDB
    would pick one of the types and fail at the first value that is not of it, so one
    agency's part would make the rows of every other unreadable. With `part_column`,
    `_part` (PART_COLUMN) names each row's file. Parts of one schema (the same columns,
    in the same order, of the same types) are read as they are, without DuckDB's
    `union_by_name`."""
    named = f", filename = '{PART_COLUMN}'" if part_column else ""
    single = _single_read(schemas, text)
    if single is not None:  # the usual case: one read, nothing cast
        return _read_sql(*single, named)
    as_text = _as_text(schemas, text)
    # one read per set of parts that agree on those columns' types (most often: one)
    groups: dict[tuple[tuple[str, str], ...], list[Path]] = {}
    for path, schema in schemas.items():
        these = tuple(sorted((c, str(schema.field(c).type)) for c in as_text if c in schema.names))
        groups.setdefault(these, []).append(path)
    selects = []
    for these, group in groups.items():
        first = schemas[group[0]]
        union = not all(schemas[p].equals(first) for p in group)
        source = _read_sql([str(p) for p in group], union, named)
        replaced = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c, _type in these)
        selects.append(
            f"SELECT * REPLACE ({replaced}) FROM {source}" if these else f"SELECT * FROM {source}"
        )
    return "(" + " UNION ALL BY NAME ".join(selects) + ")"


def _read_sql(files: list[str], union: bool, named: str) -> str:
    """One `read_parquet` of `files`. Parts of one schema (every part of a ledger whose
    mapping never changed) are read without matching their columns by name (`union`), which
    makes DuckDB read every part's footer before the first row (50 ms for 200 parts); it
    reads the same rows."""
    listed = "[" + ", ".join(literal(f) for f in files) + "]"
    return f"read_parquet({listed}{', union_by_name = true' if union else ''}{named})"


def _no_ledger(ledger: str) -> NotFound:
    return NotFound(
        msg("No ledger named {name!r}.", name=ledger),
        hint=msg("List the ledgers with `ironriver ledgers`."),
    )


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
