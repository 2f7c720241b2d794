"""A view's statements as one Arrow table (`View.table`), for analytics over the graph:
entity resolution (names, dates, identifiers of people), network analysis (the entity-typed
values are the edges), tracing. Read in bulk (`ironriver.store.dialect.read_table`), decoded from the
store's integer codes with Arrow kernels: no Python object per statement, where `export`
assembles an FtM entity per entity.

Columns (`TABLE_SCHEMA`; schema, prop, prop_type, dataset and marking dictionary-coded), one
row per visible statement, in (entity_id, id) order; held in memory (~170 bytes a statement:
filter by schema or type on a large store):
entity_id, id, schema, prop, prop_type (FtM's property type: name, identifier, entity,
date...), value, dataset, marking (its TLP marking), releasable_to and owner_agency (the
rest of its access label: whom a recipient may share it with), lang, original_value, first_seen,
last_seen, origin, source_ref ("file.csv:12" or null).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_CODED = pa.dictionary(pa.int32(), pa.string())  # few distinct texts: kept as codes

TABLE_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("id", pa.string()),
        ("schema", _CODED),
        ("prop", _CODED),
        ("prop_type", _CODED),
        ("value", pa.string()),
        ("dataset", _CODED),
        ("marking", _CODED),
        ("releasable_to", _CODED),
        ("owner_agency", _CODED),
        ("lang", pa.string()),
        ("original_value", pa.string()),
        ("first_seen", pa.string()),
        ("last_seen", pa.string()),
        ("origin", pa.string()),
        ("source_ref", pa.string()),
    ]
)

# what the store holds (the SELECT of `View.table`, in this order)
RAW_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("id", pa.string()),
        ("prop_id", pa.int64()),
        ("value", pa.string()),
        ("dataset_id", pa.int64()),
        ("label_id", pa.int64()),
        ("lang", pa.string()),
        ("original_value", pa.string()),
        ("first_seen", pa.string()),
        ("last_seen", pa.string()),
        ("origin", pa.string()),
        ("source_id", pa.int64()),
        ("source_row", pa.int64()),
    ]
)


def decode(
    raw: pa.Table,
    props: dict[int, tuple[str, str, str]],
    datasets: dict[int, str],
    labels: dict[int, tuple[str, str, str]],
    sources: dict[int, str],
) -> pa.Table:
    """`raw` (`RAW_SCHEMA`) with its codes replaced by their texts (`TABLE_SCHEMA`):
    `props` id -> (schema, prop, prop_type), dataset names, `labels` id -> (marking,
    releasable_to, owner_agency), source names."""
    prop_ids = raw.column("prop_id")

    def texts(names: dict[int, str]) -> pa.Array:
        return pa.array([names.get(i) for i in range(max(names, default=0) + 1)], pa.string())

    def coded(codes: pa.ChunkedArray, names: dict[int, str]) -> pa.ChunkedArray:
        """The store's codes as a dictionary column: each distinct text once in the
        dictionary (several codes may share one: a schema of many properties, a marking of
        many labels), so that grouping by it, or pandas' categories, see one value. Only
        the texts of the codes present are in it: a dictionary of every dataset, property
        or label of the store would name what the reader may not see."""
        present = pc.unique(codes).drop_null().to_pylist()
        names = {i: names[i] for i in present if i in names}
        distinct = sorted(set(names.values()))
        index = {text: i for i, text in enumerate(distinct)}
        dictionary = pa.array(distinct, pa.string())
        remap = pa.array(
            [index.get(names[i]) if i in names else None for i in range(max(names, default=0) + 1)],
            pa.int32(),
        )
        return pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(pc.take(remap, chunk), dictionary)
                for chunk in codes.chunks
            ],
            _CODED,
        )

    def lookup(codes: pa.ChunkedArray, names: dict[int, str]) -> pa.ChunkedArray:
        return pc.take(texts(names), codes)

    part = {k: {i: p[n] for i, p in props.items()} for n, k in enumerate(("s", "p", "t"))}
    source = lookup(raw.column("source_id"), sources)
    rows = pc.cast(raw.column("source_row"), pa.string())
    columns = {
        "entity_id": raw.column("entity_id"),
        "id": raw.column("id"),
        "schema": coded(prop_ids, part["s"]),
        "prop": coded(prop_ids, part["p"]),
        "prop_type": coded(prop_ids, part["t"]),
        "value": raw.column("value"),
        "dataset": coded(raw.column("dataset_id"), datasets),
        "marking": coded(raw.column("label_id"), {i: v[0] for i, v in labels.items()}),
        "releasable_to": coded(raw.column("label_id"), {i: v[1] for i, v in labels.items()}),
        "owner_agency": coded(raw.column("label_id"), {i: v[2] for i, v in labels.items()}),
        "lang": raw.column("lang"),
        "original_value": raw.column("original_value"),
        "first_seen": raw.column("first_seen"),
        "last_seen": raw.column("last_seen"),
        "origin": raw.column("origin"),
        # "file.csv:12", the file alone without a row, null without a source
        "source_ref": pc.if_else(
            pc.is_null(rows), source, pc.binary_join_element_wise(source, rows, ":")
        ),
    }
    return pa.table([columns[f.name] for f in TABLE_SCHEMA], schema=TABLE_SCHEMA)


# FtM's statement CSV (`followthemoney.statement.serialize.CSV_COLUMNS`, read back by
# `read_csv_statements`, `ftm` and nomenklatura), then what FtM has no column for
FTM_CSV_COLUMNS = (
    "canonical_id",
    "entity_id",
    "prop",
    "prop_type",
    "schema",
    "value",
    "dataset",
    "origin",
    "lang",
    "original_value",
    "external",
    "first_seen",
    "last_seen",
    "id",
)
EXTRA_COLUMNS = ("marking", "releasable_to", "owner_agency", "source_ref")


def write_statements(batches: pa.Table | Iterable[pa.Table], sink: str | Any, fmt: str) -> int:
    """Write `batches` (tables of `TABLE_SCHEMA`: one table, or `View.export_batches`'
    batches, written as each comes, so that only one is held) to `sink` (a path or a binary
    file), and return how many statements: "statements", FtM's statement CSV (every value
    quoted, as FtM writes it; an empty field is none) with each statement's access label
    (marking, releasability, owner) and source after FtM's columns, a text a spreadsheet
    would run as a formula with a single quote before it, for Excel with `--excel`
    (`ironriver.csvcells`); "parquet", the table itself, every value as stored (a row group
    per batch). The bytes do not depend on how the rows are batched, but for Parquet's row
    groups (the table read back is the same)."""
    if isinstance(batches, pa.Table):
        batches = [batches]
    plain = (table.cast(_PLAIN_SCHEMA) for table in batches)
    if fmt == "parquet":
        return _write_parquet(plain, sink)
    return _write_csv(plain, sink)


# `TABLE_SCHEMA` with texts for codes: what a file holds
_PLAIN_SCHEMA = pa.schema(
    [pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f for f in TABLE_SCHEMA]
)


def _write_csv(batches: Iterable[pa.Table], sink: str | Any) -> int:
    from ironriver.csvcells import csv_writer, inert_table

    names = [*FTM_CSV_COLUMNS, *EXTRA_COLUMNS]
    schema = pa.schema([pa.field(c, pa.string()) for c in names])
    n = 0
    with csv_writer(sink, schema, "all_valid") as out:
        for table in batches:
            columns = {name: table.column(name) for name in table.column_names}
            columns["canonical_id"] = table.column("entity_id")
            columns["external"] = pa.repeat(pa.scalar("f", pa.string()), table.num_rows)
            out.write_table(inert_table(pa.table([columns[c] for c in names], schema=schema)))
            n += table.num_rows
    return n


def _write_parquet(batches: Iterable[pa.Table], sink: str | Any) -> int:
    import pyarrow.parquet as pq

    n = 0
    with ExitStack() as stack:
        if isinstance(sink, str):
            sink = stack.enter_context(open(sink, "wb"))
        cuttable = _Cuttable(sink)
        with pq.ParquetWriter(cuttable, _PLAIN_SCHEMA, compression="zstd") as out:
            try:
                for table in batches:
                    out.write_table(table)
                    n += table.num_rows
            except BaseException:
                # the writer's footer, written as it closes, would make the rows written so
                # far read as a whole file: it is dropped
                cuttable.cut()
                raise
    return n


class _Cuttable:
    """A binary file that passes writes on until `cut()`, and drops them from then on: what
    a writer's clean-up writes after a failure (Parquet's footer) does not reach the file."""

    def __init__(self, sink: Any) -> None:
        self._sink = sink
        self._cut = False
        self.closed = False

    def cut(self) -> None:
        self._cut = True

    def write(self, data: Any) -> int:
        if self._cut:
            return len(memoryview(data))
        return int(self._sink.write(data))

    def flush(self) -> None:
        if not self._cut:
            self._sink.flush()

    def close(self) -> None:  # (the caller closes the file it gave)
        self.closed = True
