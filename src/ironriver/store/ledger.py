"""Ledgers: high-volume typed records as Parquet per (dataset, ledger), read through the policy.

Layout: `root/<dataset>/<ledger>/part-<sha256>.parquet`. Each ingest appends one part file
holding the typed columns plus these hidden columns:

- `_dataset`, `_owner_agency`, `_owner_country`, `_marking`, `_releasable_to` (canonical
  text, `releasable_text`): the row's access label;
- `_source_ref`: `<file>:<row>` of the source record (NULL when the caller gave none).

Invariants:
- A part file appears atomically (written to a scratch name, then renamed; the scratch file
  of a killed ingest is removed by the next write to its folder, or renamed into place if
  the ingest had committed: `recover_parts`) and its name is a hash of its label and of
  its content, or of what an ingest made it from (`identity`), so writing the same rows
  twice is a no-op. Its ingest event records the SHA-256 of its bytes (`LEDGER_FILES_KEY`):
  `audit verify-data` holds the part to it, and an ingest of the same rows writes again a
  part in place whose bytes differ (`sound_rows`).
- Reads go through `visible_relation`, which keeps only rows whose label passes
  `ironriver.policy.markings.can_see` — the one visibility rule, applied in Python to the
  few distinct labels, never re-implemented in SQL. Files holding no visible label are not
  even opened for the rows; of a store's ledgers, the parts of a dataset whose own label
  the principal may not see are not even listed (`LedgerReads.shown`: nothing of them, not
  their damage either, reaches it). The label columns stay on the relation (a reader may see the
  marking of what it can see); `_dataset` and `_source_ref` stay too.
- Counts of visible rows (`visible_counts`) apply the same rule to the same labels, read
  from each part's footer where its row groups each hold one label: no row is read. A part
  whose footer cannot be read is listed apart, its ledger not counted (its count unknown).
- A retracted part (`prepare_retraction`) is renamed `retracted-<same digest>.parquet`, out
  of the `part-*.parquet` glob every read lists: nothing reads it, it stays for the audit
  trail, and a write of the same part again (its twin) adds nothing (`PendingPart.retracted`).
- Of a store's ledgers, every read (and a keyed ingest's stored keys, a retraction's parts)
  reads only the listed parts its ingest and retract events name (`LedgerReads.accounted`,
  by `RecordedParts.stray`, the rule `audit verify` reports by): a part file copied in by
  hand, or by a ledger folder copied after the database, is not its data.

This module writes parts (`LedgerStore.prepare_query`, `PendingPart`); `ledger_read` reads
them (footers, the visible relation: `LedgerReads`, which `LedgerStore` extends), and
`ledger_records` holds what audit events record of them (the detail keys, retraction
markers, `recover_parts`).
"""

from __future__ import annotations

import fcntl
import hashlib
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ironriver.errors import StoreError
from ironriver.i18n import msg
from ironriver.logs import get_logger
from ironriver.policy.markings import AccessLabel
from ironriver.prefetch import prefetch
from ironriver.scratch import early_writeback, owner_tag, sweep, synced
from ironriver.store.ledger_read import (
    SOURCE_KEY,
    SOURCE_SHA256_KEY,
    LedgerReads,
    _check_name,
    part_rows,
)
from ironriver.store.ledger_read import StoredPart as StoredPart  # (ingest.replace's import)
from ironriver.store.ledger_read import readable_schemas as readable_schemas  # (ingest's)
from ironriver.store.ledger_records import (
    _MARKER_SUFFIX,
    RecordedParts,
    file_sha256,
    recover_parts,
    retracted_name,
)
from ironriver.store.ledger_records import PendingRetraction as PendingRetraction

KEY_LOCK = ".ironriver-keys.lock"
"""The lock file of a keyed ledger's folder (`LedgerStore.key_lock`)."""


log = get_logger(__name__)


def _label_columns(dataset: str, label: AccessLabel) -> dict[str, str]:
    """The hidden columns every row of a part carries: its dataset and access label."""
    return {
        "_dataset": dataset,
        "_owner_agency": label.owner_agency.upper(),
        "_owner_country": label.owner_country.upper(),
        "_marking": label.marking.value,
        "_releasable_to": label.releasable_text,
    }


class LedgerStore(LedgerReads):
    """Parquet ledgers under `root` (see module doc).

    `committed` lists the details of the store's ingest events (see `recover_parts`): a
    write renames into place the parts they name in its folder before it sweeps the scratch
    files killed ingests left there, so that a part committed by a process killed before its
    rename is not removed by a process that opened the store earlier. Without it (ledgers
    with no store), scratch parts are only swept. `recorded` reads what the store's events
    recorded of its parts (`Store.recorded_parts`): an ingest trusts a part in place that
    has the rows and the bytes' hash recorded (`recorded_part`), and every read reads only
    the parts they account for (`LedgerReads.accounted`); without it (ledgers with no
    store), none is recorded and every part is read. `known`: a reading of `recorded` the caller made already (a view's),
    read again only for a part it does not name. `dataset_label`: the own label of the
    store's dataset of a name (`LedgerReads.dataset_label`): a principal's reads list only
    the parts of the datasets whose label it may see; without it, every dataset's."""

    def __init__(
        self,
        root: Path,
        committed: Callable[[], Iterable[dict[str, Any]]] = lambda: (),
        recorded: Callable[[], RecordedParts] | None = None,
        known: RecordedParts | None = None,
        dataset_label: Callable[[str], AccessLabel | None] | None = None,
    ) -> None:
        self.root = Path(root)
        self.committed = committed
        self.recorded = recorded
        self.dataset_label = dataset_label
        self._recovered: set[Path] = set()
        self.known = known  # (`recorded` read earlier, by the caller or by this object)

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
        veto: str | None = None,
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
        parts from the footers, without reading the rows. `veto`: a boolean column of
        `select_sql`, not written: at a row where it is true the write stops, leaves nothing
        and raises `RowsVetoed` (the checks an ingest left to the write:
        `ingest.prepare.veto_condition`)."""
        folder = self._dir(dataset, ledger)
        folder.mkdir(parents=True, exist_ok=True)
        self._recover(folder)  # parts a killed ingest committed
        consts = _label_columns(dataset, label)
        if identity is not None:  # known before writing: an existing part is not rewritten
            final = folder / f"part-{_part_digest(consts, identity)}.parquet"
            self._refuse_stray(final)
            # a damaged one (or of other rows, or other bytes, than recorded) is moved
            # aside, written again
            rows_recorded, sha256 = self.recorded_part(final)
            kept = sound_rows(final, rows_recorded, sha256)
            if kept is not None:
                return PendingPart(final, None, kept, True, sha256=sha256)
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
            if veto is not None:
                reader = _unflagged(reader, veto)
            # (a part named by its `identity` need not have the same bytes for the same rows)
            written = _write_parquet(
                reader, consts, tmp, twin_digest, source, combine=identity is None
            )
            # on disk, with its scratch name, before the commit that records it: after a
            # power loss a committed event never names a part the disk lacks
            synced(tmp)
            synced(folder)
            # what its ingest event records of its bytes (`audit verify-data` holds the part
            # to it), and its name when that hashes its bytes: one read back from the page
            # cache, ~10 ms for a 1M-row part
            sha256, name = _hashed(tmp, consts, identity)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        final = folder / f"part-{name}.parquet"
        n = written if rows is None else rows
        try:
            self._refuse_stray(final)
        except StoreError:
            tmp.unlink(missing_ok=True)
            raise
        # one in place must have the bytes its first record gives, or (named by its bytes)
        # those just written
        expected = self.recorded_part(final)[1] or (sha256 if identity is None else None)
        if sound_rows(final, n, expected) is not None:
            tmp.unlink()
            return PendingPart(final, None, n, existed=True, sha256=expected)
        if retracted_name(final).exists():
            tmp.unlink()
            return PendingPart(final, None, n, existed=True, retracted=True)
        return PendingPart(final, tmp, n, existed=False, sha256=sha256)

    def _refuse_stray(self, final: Path) -> None:
        """Refuse to write the part `final` when a file no event recorded is in place under
        its name (`RecordedParts.stray`: copied in by hand, or a ledger folder restored
        after the database): taken as this ingest's part, its rows, whatever they are, would
        be recorded and read as this store's data. It stays where it is, for `audit verify`
        to report; the ingest writes nothing. (A store whose older ingests predate part
        records, and ledgers with no store, cannot tell: the part is taken as before.)"""
        if self.recorded is None or not final.exists():
            return
        name = str(final.relative_to(self.root))
        known = self.known
        if known is None or not known.known(name):  # (recorded since it was read?)
            known = self.recorded_now()
        if not known.stray(name):
            return
        raise StoreError(
            msg(
                "Ledger part {part} is already in place, but no ingest of this store "
                "recorded it: it is not this store's data, and this ingest would write a "
                "part of that name. Nothing was written.",
                part=str(final),
            ),
            hint=msg(
                "Run `ironriver audit verify` (it lists such parts), move the file out of "
                "the ledger folder, then run the ingest again."
            ),
        )

    def recorded_part(self, part: Path) -> tuple[int | None, str | None]:
        """The rows and the SHA-256 of its bytes the ingest events recorded for `part`
        (`LEDGER_FILES_KEY`, the first to record it: `RecordedParts.rows`, `.sha256`); None
        for what none did (a hash: before ingests recorded it), or both None when no part of
        that name is in place (the events are not read then). The events are read once per
        `LedgerStore` (one per ingest, `recorded`): an ingest of a mapping of many ledger
        queries into a store of many ingest events read them all once per query before."""
        if not part.exists() or self.recorded is None:
            return None, None
        known = self.known if self.known is not None else self.recorded_now()
        name = str(part.relative_to(self.root))
        return known.rows(name), known.sha256.get(name)

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
        its stored keys from these), those no event of the store names left out
        (`accounted`: their keys are not this store's)."""
        folder = self._dir(dataset, ledger)
        if not folder.exists():
            return []
        self._recover(folder)
        return sorted(self.accounted(folder.glob("part-*.parquet")))

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


def _part_digest(consts: dict[str, str], identity: str) -> str:
    """A part's name: a hash of its label columns and its `identity` (`_hashed`: of its
    bytes, when it has none)."""
    digest = hashlib.sha256("\x1f".join(consts.values()).encode())
    digest.update(b"\x1e" + identity.encode())
    return digest.hexdigest()[:32]


def _hashed(path: Path, consts: dict[str, str], identity: str | None) -> tuple[str, str]:
    """The SHA-256 of the bytes of the part written at `path` (hex) and its name
    (`_part_digest`, or with no `identity` a hash of its label columns and its bytes), from
    one read of the file."""
    content = hashlib.sha256()
    named = hashlib.sha256("\x1f".join(consts.values()).encode())
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            content.update(chunk)
            if identity is None:
                named.update(chunk)
    name = _part_digest(consts, identity) if identity is not None else named.hexdigest()[:32]
    return content.hexdigest(), name


def _row_groups(
    batches: Iterable[pa.RecordBatch], size: int, combine: bool = True
) -> Iterator[pa.Table]:
    """`batches` regrouped into tables of exactly `size` rows (the last one may be shorter),
    each of one chunk per column with `combine` (a copy of every row: then the Parquet bytes
    do not depend on how the rows were batched, which a part named by its bytes needs), else
    of the batches' chunks as they come (the same rows, pages and statistics: 19% less CPU
    for the write of the bench's 1M-row ledger, whose DuckDB batches are ~36k rows)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        while batch.num_rows:
            take = min(size - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == size:
                yield _grouped(pending, combine)
                pending, held = [], 0
    if held:
        yield _grouped(pending, combine)


class RowsVetoed(Exception):
    """A part's write met a row its `veto` column flags (`LedgerStore.prepare_query`)."""


def _unflagged(reader: pa.RecordBatchReader, veto: str) -> pa.RecordBatchReader:
    """The batches of `reader` without their `veto` column, raising `RowsVetoed` at the
    first batch where it is true for a row (before that batch is handed on)."""
    index = reader.schema.get_field_index(veto)
    schema = reader.schema.remove(index)

    def batches() -> Iterator[pa.RecordBatch]:
        with reader:
            for batch in reader:
                if pc.any(batch.column(index)).as_py():
                    raise RowsVetoed(veto)
                yield batch.remove_column(index)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _grouped(batches: list[pa.RecordBatch], combine: bool) -> pa.Table:
    table = pa.Table.from_batches(batches)
    return table.combine_chunks() if combine else table


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
    combine: bool = True,
) -> int:
    """Write the rows of `reader` plus the constant label columns to `path` (an empty file
    with the columns when there are none), with `twin` (`TWIN_KEY`) and `source` (file,
    SHA-256: `SOURCE_KEY`, `SOURCE_SHA256_KEY`) in its footer; return
    the rows written. A background thread pulls the rows from DuckDB and assembles each row
    group; this one only encodes. `combine`: see `_row_groups` (False where the part is
    not named by its bytes)."""
    schema = reader.schema
    for name in consts:
        schema = schema.append(pa.field(name, pa.dictionary(pa.int32(), pa.string())))
    options = dict(_PARQUET_OPTIONS)
    options["write_statistics"] = [f.name for f in schema if _statistics(f.type)]
    rows = 0
    with pq.ParquetWriter(path, schema, **options) as writer, early_writeback(path) as flush:
        groups = _labelled(_row_groups(reader, ROW_GROUP_ROWS, combine), consts)
        for group in prefetch(groups):
            writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
            flush()  # (the fsync before the commit then waits for the last row group only)
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


@dataclass
class PendingPart:
    """A part file written under a temporary name, made visible by `commit()`."""

    final: Path
    tmp: Path | None
    rows: int
    existed: bool
    retracted: bool = False  # its twin was retracted: nothing is added (`retracted_name`)
    sha256: str | None = None  # of its bytes, when known (`LEDGER_FILES_KEY` records it)

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
        synced(self.final.parent)
        self.tmp = None
        return self.rows

    def discard(self) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self.tmp = None


def sound_rows(final: Path, rows: int | None = None, sha256: str | None = None) -> int | None:
    """The rows of the part in place at `final` when it can be trusted (its footer reads, and
    gives `rows` when that is known; its bytes have the SHA-256 `sha256` when that is known:
    they are read then); None when there is none. A part that cannot be trusted (truncated,
    overwritten, other rows than what the same input writes, a value edited in place) is
    moved aside to `damaged-<digest>-<UTC time>.parquet`, never deleted, so that the caller
    writes it again."""
    if not final.exists():
        return None
    found = part_rows(final)
    if (
        found is not None
        and (rows is None or found == rows)
        and (sha256 is None or file_sha256(final) == sha256)
    ):
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
