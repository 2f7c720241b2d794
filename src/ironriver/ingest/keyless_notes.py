"""Notes on the records of a query that make no entity of a mapping although they hold values
for it, its key columns (or `id_column`) being empty (`keyless_notes`): FtM makes no entity
without an id, so those values are not stored, silently under `ftm map`. Read from `cln`, after
the checks, in one scan.
"""

from __future__ import annotations

import duckdb

from ironriver.i18n import Msg, nmsg
from ironriver.ingest.compile import EntityCompiler
from ironriver.sqltext import ident

KEYLESS_ROWS_SHOWN = 5  # the record numbers a keyless note names


def keyless_notes(con: duckdb.DuckDBPyConnection, comp: EntityCompiler, dataset: str) -> list[Msg]:
    """Notes on the records (of `cln`: kept by the filters, not rejected) that make no entity
    of a mapping because its key columns (or `id_column`) are all empty although its other
    columns hold values: FtM makes no entity without an id, so those values are not stored,
    silently under `ftm map`. A record with no value in any of the entity's columns lost
    nothing (an optional second person, say) and is not counted. One scan; per entity, the
    count and the first record numbers (`row` as the error report numbers records)."""
    probes: list[tuple[int, list[str]]] = []
    for i, entity in enumerate(comp.query.entities):
        keys = [entity.id_column] if entity.id_column is not None else list(entity.keys)
        held = sorted({r for p in entity.properties for r in p.refs} - set(keys))
        if keys and held:
            probes.append((i, held))
    if not probes:
        return []
    items = []
    for i, held in probes:
        values = " OR ".join(f"{ident(comp.scol[c])} IS NOT NULL" for c in held)
        lost = f"e{i} IS NULL AND ({values})"
        items += [
            f"count(*) FILTER (WHERE {lost})",
            f"list(_row ORDER BY _row) FILTER (WHERE {lost})[1:{KEYLESS_ROWS_SHOWN}]",
        ]
    row = con.execute(f"SELECT {', '.join(items)} FROM cln").fetchone()
    assert row is not None  # an aggregate's one row
    notes: list[Msg] = []
    for k, (i, held) in enumerate(probes):
        count, rows = row[2 * k], row[2 * k + 1] or []
        if not count:
            continue
        entity = comp.query.entities[i]
        keys = [entity.id_column] if entity.id_column is not None else list(entity.keys)
        shown = ", ".join(str(r) for r in rows) + (", ..." if count > len(rows) else "")
        notes.append(
            nmsg(
                "{dataset}: {n:,} record of {file} makes no {entity} ({schema}): its key "
                "columns ({keys}) are empty, so its values of {columns} are not stored (record "
                "{rows}, header not counted). Fill in the key in the file, or key the entity "
                "on columns every record has.",
                "{dataset}: {n:,} records of {file} make no {entity} ({schema}): their key "
                "columns ({keys}) are empty, so their values of {columns} are not stored "
                "(records {rows}, header not counted). Fill in the key in the file, or key the "
                "entity on columns every record has.",
                count,
                dataset=dataset,
                file=comp.query.source.label,
                entity=entity.name,
                schema=entity.schema,
                keys=", ".join(keys),
                columns=", ".join(held),
                rows=shown,
            )
        )
    return notes
