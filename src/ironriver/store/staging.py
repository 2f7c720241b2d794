"""Statement staging: do the heavy part of a bulk write before the store's write lock is taken.

A bulk ingest first *stages* its statements, then copies them into the store inside one
write transaction (`Writer.add_staged`):

- SQLite (a file store): each batch is encoded in Arrow (property codes, kinds, and the rows
  of the lookup tables: name words, identifier keys, entity references) and written by the
  ADBC SQLite driver, in C, into a side database file next to the store (no Python object
  per value). The write transaction then attaches that file and copies the statements with
  one `INSERT OR IGNORE ... SELECT`, and each lookup table's rows in their key order (the
  statement's label added as they are copied: `Writer._copy_staged`), which SQLite runs in
  C too. Python's
  `sqlite3` binding every value of every row was the bulk path's largest cost (~60% of an
  ingest). The side file is written while the store is unlocked, so readers and other writers
  wait only for the copy; it is deleted afterwards, whatever happens.
- PostgreSQL and in-memory SQLite: the batches are written as they come to an Arrow IPC file
  (beside the store's ledger folder), so the source file's DuckDB work and memory are done
  with before the transaction; inside it the file is replayed, memory-mapped, through
  `Writer.add_statements` (COPY on PostgreSQL).

The side file is only ever open in one SQLite library at a time: ADBC (which bundles its own
SQLite) writes and closes it before `sqlite3` attaches it, since two SQLite copies holding the
same file open in one process can lose each other's POSIX locks.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from ironriver.errors import ModelError, StoreError
from ironriver.i18n import msg
from ironriver.model import get_model
from ironriver.model.names import properties_hint, schema_hint
from ironriver.policy.markings import AccessLabel
from ironriver.prefetch import prefetch
from ironriver.scratch import owner_tag
from ironriver.store.dialect import SQLITE_FILES, STATEMENT_COLUMNS
from ironriver.store.ids import key_rows_arrow, kind_of, ref_rows_arrow, search_keys_arrow

STAGE_ALIAS = "ironriver_stage"
# columns a staged table may carry, in the store's column names; `pcode` is the index of the
# statement's (schema, property) in `StagedTable.props`
# (the per-write constants - dataset, label, source file, legal basis - are not staged)
_PER_WRITE = ("dataset_id", "label_id", "source_id", "legal_basis", "retracted")
STAGED_COLUMNS = tuple(
    "pcode" if c == "prop_id" else c for c in STATEMENT_COLUMNS if c not in _PER_WRITE
)

Batches = Callable[[], Iterable[pa.Table | pa.RecordBatch]]

# The lookup tables (tables.py) and how their rows are made from encoded statements; both
# write paths (staged and `Writer.add_statements`) go through this.
LOOKUPS: dict[str, Callable[[pa.Table], pa.Table]] = {
    "statement_keys": key_rows_arrow,
    "statement_refs": ref_rows_arrow,
}


def staged_lookup(table: str, lookup: str) -> str:
    """The side file's table holding `lookup` rows for staged table `table`."""
    return f"{table}_{lookup}"


@dataclass
class StagedTable:
    """One staged group of statements, all of one dataset, label and source file."""

    dataset: str
    label: AccessLabel
    source: str | None
    batches: Batches
    presorted: bool = True  # rows come in the store's clustered order (entity_id, id)
    unique: bool = True  # each statement comes once (else: some twice, as two lines give it)
    table: str | None = None  # the side file's table (SQLite), else None
    rows: int = 0
    added: int = 0  # of which new to the store (`Writer.add_staged`)
    props: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def prop_type(schema: str, prop: str) -> str:
    """The FtM type name of a schema's property; `ModelError` when either is unknown."""
    sch = get_model().get(schema)
    if sch is None:
        raise ModelError(
            msg("Unknown schema {schema!r}.", schema=schema),
            hint=schema_hint(schema),
        )
    prop_obj = sch.get(prop)
    if prop_obj is None:
        raise ModelError(
            msg("Schema {schema} has no property {prop!r}.", schema=schema, prop=prop),
            hint=properties_hint(prop, [schema]),
        )
    return str(prop_obj.type.name)


class PropCoder:
    """Encodes statement batches: (schema, prop) -> a stable small code, kind, search key."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, str], int] = {}
        self.types: list[str] = []
        self.names: list[str] = []

    def _code(self, schema: str, prop: str) -> int:
        key = (schema, prop)
        if key not in self.codes:
            self.codes[key] = len(self.types)
            self.types.append(prop_type(schema, prop))
            self.names.append(prop)
        return self.codes[key]

    @property
    def props(self) -> list[tuple[str, str]]:
        return sorted(self.codes, key=self.codes.__getitem__)

    def encode(self, batch: pa.Table) -> pa.Table:
        """Replace `schema`/`prop` by `pcode`, add `kind` and `search_key` (row order kept)."""
        pair = pc.binary_join_element_wise(
            batch.column("schema"), batch.column("prop"), "\x1f"
        ).combine_chunks()
        encoded = pair.dictionary_encode()
        local = [self._code(*str(text).split("\x1f", 1)) for text in encoded.dictionary.to_pylist()]
        codes = pc.take(pa.array(local, pa.int32()), encoded.indices)
        kinds = pc.take(
            pa.array([kind_of(self.types[c], self.names[c]) for c in local], pa.int8()),
            encoded.indices,
        )
        types = pc.take(pa.array([self.types[c] for c in local], pa.string()), encoded.indices)
        out = batch.drop_columns(["schema", "prop"])
        out = out.append_column("pcode", codes).append_column("kind", kinds)
        out = out.append_column(
            "search_key", search_keys_arrow(types, out.column("value").combine_chunks())
        )
        return out


class StatementStage:
    """Staged statements for one bulk write (see the module doc). Use as a context manager:
    the stage's files are removed on exit.

    `db_path` (a SQLite file store): one side SQLite file next to it. Otherwise (PostgreSQL,
    in-memory SQLite) each staged table is an Arrow IPC file in `arrow_dir`, replayed in
    batches inside the write transaction."""

    def __init__(self, db_path: Path | None, arrow_dir: Path | None = None) -> None:
        self.path: Path | None = None
        if db_path is not None:
            tag = f"{owner_tag()}-{uuid.uuid4().hex}"
            self.path = db_path.with_name(f".{db_path.name}.stage-{tag}.sqlite")
        self.arrow_dir = arrow_dir
        self._token = f"{owner_tag()}-{uuid.uuid4().hex}"
        self.arrow_files: list[Path] = []
        self.tables: list[StagedTable] = []

    @property
    def rows(self) -> int:
        """Statements staged so far (all of them are staged before the write)."""
        return sum(t.rows for t in self.tables)

    @property
    def file_backed(self) -> bool:
        """Whether the stage is a SQLite side file (copied by SQL), not Arrow files."""
        return self.path is not None

    def add(
        self,
        dataset: str,
        label: AccessLabel,
        source: str | None,
        batches: Batches,
        presorted: bool = True,
        unique: bool = True,
    ) -> None:
        """Stage the statements `batches()` yields (columns: id, entity_id, schema, prop,
        value, optional lang/original_value/origin/first_seen/last_seen, source_row).
        `presorted`: the rows come in (entity_id, id) order (else they are sorted in the side
        file, still before the write lock). `unique`: each statement comes once (else the
        store takes it once all the same; `Writer.new_to` counts it once)."""
        staged = StagedTable(dataset, label, source, batches, presorted, unique)
        self.tables.append(staged)  # (so that `remove` finds its files whatever happens)
        if self.path is not None:
            staged.table = f"s{len(self.tables) - 1}"
            self._write(staged)
        else:
            self._write_arrow(staged)

    def _write_arrow(self, staged: StagedTable) -> None:
        """Write the batches to an Arrow IPC file and replace `staged.batches` by a replay of
        it: the producer (a DuckDB connection holding a whole source file) is done with
        before the write transaction starts, and the rows are counted."""
        directory = self.arrow_dir if self.arrow_dir is not None else Path(tempfile.gettempdir())
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f".ironriver-stage-{self._token}-{len(self.arrow_files)}.arrow"
        self.arrow_files.append(path)
        writer: pa.ipc.RecordBatchFileWriter | None = None
        schema: pa.Schema | None = None
        try:
            for item in staged.batches():
                if not item.num_rows:
                    continue
                table = _checked(as_table(item))
                if writer is None:
                    schema = table.schema
                    writer = pa.ipc.new_file(str(path), schema)
                writer.write_table(table.cast(schema))
                staged.rows += table.num_rows
        finally:
            if writer is not None:
                writer.close()
        staged.batches = partial(_replay, path) if writer is not None else tuple

    def _write(self, staged: StagedTable) -> None:
        import adbc_driver_sqlite.dbapi as adbc

        assert self.path is not None and staged.table is not None
        coder = PropCoder()

        # a background thread pulls and encodes the next batch (DuckDB and Arrow release
        # the GIL) while ADBC writes the current one
        def with_lookups(item: pa.Table | pa.RecordBatch) -> tuple[pa.Table, ...]:
            """The statements to stage, and their lookup-table rows."""
            table = _checked(as_table(item))
            table = coder.encode(table)
            staged_table = table.select([c for c in STAGED_COLUMNS if c in table.column_names])
            return staged_table, *(make(table) for make in LOOKUPS.values())

        batches = prefetch((b for b in staged.batches() if b.num_rows), with_lookups)
        first = next(batches, None)
        if first is None:  # nothing to stage: the write step adds nothing either
            staged.table = None
            staged.batches = tuple
            return
        schema = first[0].schema
        names = (staged.table, *(staged_lookup(staged.table, name) for name in LOOKUPS))
        try:
            with adbc.connect(str(self.path), autocommit=True) as conn:
                cur = conn.cursor()
                for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-65536"):
                    cur.execute(f"PRAGMA {pragma}")
                    cur.fetchall()
                cur.execute("BEGIN")
                mode: Literal["create", "append"] = "create"
                with LookupSorter(self.path, len(LOOKUPS)) as sorter:
                    for tables in itertools.chain([first], batches):
                        staged.rows += tables[0].num_rows
                        cur.adbc_ingest(names[0], tables[0].cast(schema), mode=mode)
                        mode = "append"
                        sorter.add(tables[1:])
                    # each lookup table in its key order, so that the copy into the store
                    # appends to its B-tree instead of sorting there, inside the write lock
                    for i, name in enumerate(names[1:]):
                        cur.adbc_ingest(name, sorter.sorted(i), mode="create")
                if not staged.presorted:  # likewise the statements (sorted here, in C)
                    for sql in (
                        f"CREATE TABLE {names[0]}_sorted AS SELECT * FROM {names[0]} "
                        "ORDER BY entity_id, id",
                        f"DROP TABLE {names[0]}",
                        f"ALTER TABLE {names[0]}_sorted RENAME TO {names[0]}",
                    ):
                        cur.execute(sql)
                    staged.presorted = True
                cur.execute("COMMIT")
                cur.close()
        finally:
            batches.close()  # stops the prefetch thread if ADBC gave up early
        staged.props = coder.props
        staged.columns = list(schema.names)

    def remove(self) -> None:
        names = [f"{self.path}{s}" for s in SQLITE_FILES] if self.path else []
        for name in [*names, *map(str, self.arrow_files)]:
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass

    def __enter__(self) -> StatementStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class LookupSorter:
    """Collects lookup rows in DuckDB tables and gives them back sorted by all their columns,
    as SQLite's BINARY collation compares them (byte-wise UTF-8, which is DuckDB's default
    too), in parallel and within `SORT_MEMORY`: past it DuckDB spills to a folder beside
    `near` (removed on exit), so a huge file's lookups never need to fit in memory."""

    SORT_MEMORY = "1GB"

    def __init__(self, near: Path, tables: int) -> None:
        import duckdb

        spill = near.with_name(f".{near.name}.sort-{uuid.uuid4().hex}")
        self.con = duckdb.connect(
            config={"memory_limit": self.SORT_MEMORY, "temp_directory": str(spill)}
        )
        self.schemas: list[pa.Schema | None] = [None] * tables

    def add(self, parts: Iterable[pa.Table]) -> None:
        for i, part in enumerate(parts):
            if self.schemas[i] is not None and not part.num_rows:
                continue
            self.con.register("lookup_part", part)
            if self.schemas[i] is None:  # the first part, even empty, gives the columns
                self.schemas[i] = part.schema
                self.con.execute(f"CREATE TABLE lookup{i} AS FROM lookup_part")
            else:
                self.con.execute(f"INSERT INTO lookup{i} FROM lookup_part")
            self.con.unregister("lookup_part")

    def sorted(self, i: int) -> pa.RecordBatchReader:
        """Table `i`'s rows in key order, streamed."""
        schema = self.schemas[i]
        assert schema is not None, "add() gives every table its columns"
        order = ", ".join(f'"{c}"' for c in schema.names)
        reader = self.con.sql(f"SELECT * FROM lookup{i} ORDER BY {order}").to_arrow_reader(500_000)
        return pa.RecordBatchReader.from_batches(schema, (b.cast(schema) for b in reader))

    def __enter__(self) -> LookupSorter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()


def _checked(table: pa.Table) -> pa.Table:
    if "source_ref" in table.column_names or "legal_basis" in table.column_names:
        raise StoreError(
            msg(
                "A statement stage takes one source file (`source`) and a `source_row` "
                "column, and the dataset's legal basis."
            ),
            hint=msg("Use Writer.add_statements for per-row source refs or legal bases."),
        )
    return table


def _replay(path: Path) -> Iterator[pa.RecordBatch]:
    """The batches of a staged Arrow IPC file, memory-mapped (nothing read twice)."""
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)


def as_table(item: pa.Table | pa.RecordBatch) -> pa.Table:
    return item if isinstance(item, pa.Table) else pa.Table.from_batches([item])
