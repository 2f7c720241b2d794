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


def write_statements(table: pa.Table, sink: str | Any, fmt: str) -> None:
    """Write `table` (`TABLE_SCHEMA`) to `sink` (a path or a binary file): "statements",
    FtM's statement CSV (every value quoted, as FtM writes it; an empty field is none) with
    each statement's access label (marking, releasability, owner) and source after FtM's
    columns, a text a spreadsheet would run as a formula with a single quote before it, for
    Excel with `--excel` (`ironriver.csvcells`); "parquet", the table itself, every value as stored."""
    import pyarrow.parquet as pq

    from ironriver.csvcells import write_csv

    plain = pa.table(
        [
            col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col
            for col in table.columns
        ],
        names=table.column_names,
    )
    if fmt == "parquet":
        pq.write_table(plain, sink, compression="zstd")
        return
    n = plain.num_rows
    columns = {name: plain.column(name) for name in plain.column_names}
    columns["canonical_id"] = plain.column("entity_id")
    columns["external"] = pa.repeat(pa.scalar("f", pa.string()), n)
    names = [*FTM_CSV_COLUMNS, *EXTRA_COLUMNS]
    write_csv(pa.table([columns[c] for c in names], names=names), sink, "all_valid")
