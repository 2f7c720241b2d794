"""The bulk path of the entity import: a chunk of lines cleaned in DuckDB (JSON parsed there,
values sanitized and cleaned by `Cleaner`'s SQL, ids hashed there; no Python object per value).

It takes only the lines it can be sure of: plain JSON of the usual shape (an id and a schema as
strings, the id of visible characters only, properties as an object of strings or lists of
strings, no repeated keys, a key spelled with escapes being the same key; no FtM statement),
holding nothing FtM would reject or treat specially (an unknown schema or property, a reverse
property, a value its type rejects, a reference to itself or one its sanitizing changes, values
near FtM's size cap). It returns the numbers of the others, for the per-line path
(`entity_lines.entity_statements`, FtM's own cleaning with the entity as context), which
reports exactly what is wrong. For a line it takes it writes FtM's statements, as that path
would (`tests/ingest/test_ingest_entities.py` compares them).

A connection of `connect_bulk` holds the model's properties (`model_props`) and the statements
of both paths (`stmts_out`); the queries the file's reader counts with run on it too
(`NAMED_DATASETS`, `WITH_REFERENTS`, `schema_conflicts`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
from followthemoney.util import PROP_VALUE_MAX

from ironriver.ingest.clean import Cleaner
from ironriver.ingest.source import connect
from ironriver.model import get_model, mergeable
from ironriver.sqltext import literal
from ironriver.store import MAX_ID_LENGTH


def _model_table() -> pa.Table:
    """Every (schema, property) of the model, with the property's type, format, and whether
    it is a reverse (stub) property."""
    rows = [
        (schema.name, prop.name, prop.type.name, prop.format, prop.stub)
        for schema in get_model().schemata.values()
        for prop in schema.properties.values()
    ]
    names = ("schema", "prop", "type", "fmt", "stub")
    types = (pa.string(),) * 4 + (pa.bool_(),)
    return pa.table(
        {
            n: pa.array([r[i] for r in rows], t)
            for i, (n, t) in enumerate(zip(names, types, strict=True))
        }
    )


# The lines the bulk path takes: plain JSON objects of the usual shape (see the module doc).
# Anything else — including JSON that DuckDB reads more leniently than Python (a trailing
# comma) — is left to the per-line path. Two steps, because DuckDB may evaluate a filter's
# terms in any order and the JSON functions fail on invalid JSON: first the valid objects,
# then their parts. A line that repeats a top-level key goes to the per-line path (Python's
# JSON keeps the last, DuckDB's the first): `json_keys` gives the keys decoded, so a
# spelling with escapes ("\u0069d" is "id") counts as the same key; a repeated property
# name is caught later, by the cast of the properties to a map (whose keys are decoded too).
_VALID_OBJECTS = """
    CREATE OR REPLACE TEMP TABLE obj AS
    SELECT n, json_extract(line, ['$.id', '$.schema', '$.properties', '$.datasets',
                                  '$.entity_id', '$.prop', '$.referents']) AS x,
           len(json_keys(line)) = len(list_distinct(json_keys(line))) AS once
    FROM chunk
    WHERE json_valid(line) AND starts_with(ltrim(line, ' '), '{')
      AND NOT regexp_matches(line, ',\\s*[\\]}]')
"""
# An id the bulk path takes (RE2): visible characters (letters, marks, numbers, punctuation,
# symbols), spaces between them (`entity_ids.ID_REFUSED_CATEGORIES`)
_VISIBLE = r"[\p{L}\p{M}\p{N}\p{P}\p{S}]"
_ID_PATTERN = rf"{_VISIBLE}|{_VISIBLE}[\p{{L}}\p{{M}}\p{{N}}\p{{P}}\p{{S}}\p{{Zs}}]*{_VISIBLE}"
_PLAIN_OBJECTS = """
    CREATE OR REPLACE TEMP TABLE ent AS
    SELECT n, x[1]->>'$' AS entity_id, x[2]->>'$' AS schema, x[3] AS props FROM obj
    WHERE once AND json_type(x[1]) = 'VARCHAR' AND x[1]->>'$' <> ''
      AND length(x[1]->>'$') <= :max_id
      AND regexp_full_match(x[1]->>'$', ':id_pattern')
      AND json_type(x[2]) = 'VARCHAR' AND x[2]->>'$' IN (SELECT schema FROM model_props)
      AND coalesce(json_type(x[3]), 'NULL') IN ('OBJECT', 'NULL')
      AND NOT (x[3] IS NULL AND x[5] IS NOT NULL AND x[6] IS NOT NULL)
""".replace(":max_id", str(MAX_ID_LENGTH)).replace(":id_pattern", _ID_PATTERN)


def bulk_statements(
    con: duckdb.DuckDBPyConnection, cleaner: Cleaner, lines: pa.Table, dataset: str
) -> list[int]:
    """Adds the statements of the chunk's lines the bulk path is sure of to the table
    `stmts_out`; returns the numbers of the other lines.

    `lines` has columns n (line number) and line (without its line break); `con` is one of
    `connect_bulk`."""
    con.register("chunk", lines)
    try:
        return _bulk_registered(con, cleaner, dataset)
    finally:
        con.unregister("chunk")


def _bulk_registered(con: duckdb.DuckDBPyConnection, cleaner: Cleaner, dataset: str) -> list[int]:
    con.execute(_VALID_OBJECTS)
    con.execute(_PLAIN_OBJECTS)
    # one row per raw value: a property's value is a string or a list of strings (nulls
    # dropped, as FtM drops them); any other JSON marks the line for the per-line path, as
    # does a repeated property name (no map)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pm AS
        SELECT n, entity_id, schema, TRY_CAST(props AS MAP(VARCHAR, JSON)) AS m
        FROM ent WHERE json_type(props) = 'OBJECT'
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE kv AS
        SELECT n, entity_id, schema, e.key AS prop, e.value AS v
        FROM (SELECT n, entity_id, schema, unnest(map_entries(m)) AS e FROM pm)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE raw AS
        SELECT n, entity_id, schema, prop, el,
               CASE WHEN json_type(el) = 'VARCHAR' THEN el->>'$' END AS raw
        FROM (SELECT n, entity_id, schema, prop,
                     unnest(CASE WHEN json_type(v) = 'ARRAY' THEN CAST(v AS JSON[])
                                 ELSE [v] END) AS el
              FROM kv WHERE v IS NOT NULL)
        WHERE el IS NOT NULL
    """)
    # (a name's text: a control character is a space there, `clean.sanitize_name`)
    name_text = cleaner.sanitize_columns(["raw"], source="raw", target="san").name_text("raw")
    types = con.execute(
        "SELECT DISTINCT m.type, m.fmt FROM san JOIN model_props m USING (schema, prop) "
        "WHERE NOT m.stub"
    ).fetchall()
    clean = (
        "CASE "
        + " ".join(
            f"WHEN m.type = {literal(t)} AND m.fmt IS NOT DISTINCT FROM "
            f"{literal(f) if f is not None else 'NULL'} "
            f"THEN {cleaner.value(name_text if t == 'name' else '_s0', t, f)}"
            for t, f in types
        )
        + " END"
        if types
        else "NULL"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE val AS
        SELECT s.n, s.entity_id, s.schema, s.prop, s.el, s.raw, s._s0, m.type, m.stub,
               {clean} AS value
        FROM san s LEFT JOIN model_props m USING (schema, prop)
    """)
    # a line is the per-line path's if it names a property its schema lacks or a reverse one
    # (even with no value), if any of its values is not a string, is rejected by its type or
    # refers to its own entity, if a reference's sanitized text is not as written (the
    # per-line path refuses one holding what no id may: `entity_lines._reference_texts`), or
    # if its values come near FtM's size cap (which depends on their order)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE doubt AS
        SELECT n FROM chunk WHERE n NOT IN (SELECT n FROM ent)
        UNION
        SELECT n FROM pm WHERE m IS NULL
        UNION
        SELECT n FROM kv LEFT JOIN model_props m USING (schema, prop)
        WHERE m.type IS NULL OR m.stub
        UNION
        SELECT n FROM val
        WHERE json_type(el) <> 'VARCHAR' OR type IS NULL OR stub
           OR (_s0 IS NOT NULL AND value IS NULL)
           OR (type = 'entity' AND (value = entity_id OR _s0 IS DISTINCT FROM raw))
        UNION
        SELECT n FROM val GROUP BY n HAVING sum(strlen(coalesce(value, ''))) >= {PROP_VALUE_MAX}
    """)
    con.execute(f"""
        INSERT INTO stmts_out
        SELECT sha1({literal(dataset + ".")} || entity_id || '.' || prop || '.' || value),
               entity_id, schema, prop, value, n
        FROM (SELECT DISTINCT n, entity_id, schema, prop, value FROM val
              WHERE value IS NOT NULL AND n NOT IN (SELECT n FROM doubt))
    """)
    return [int(r[0]) for r in con.execute("SELECT n FROM doubt ORDER BY n").fetchall()]


# The datasets each line of the bulk path names (an export's `"datasets": [...]`, or one
# name as a string): dataset -> how many lines name it. The per-line path's lines are
# counted apart (`entity_lines.line_extras`).
NAMED_DATASETS = """
    SELECT ds, count(DISTINCT n) FROM (
        SELECT n, unnest(CASE WHEN json_type(x[4]) = 'ARRAY' THEN CAST(x[4] AS JSON[])
                              ELSE [x[4]] END)->>'$' AS ds
        FROM obj WHERE x[4] IS NOT NULL AND n NOT IN (SELECT n FROM doubt))
    WHERE ds IS NOT NULL GROUP BY ds
"""


# How many lines of the bulk path list referents (a nomenklatura or yente export's ids of
# the records merged into the entity; an ironriver export writes `[]`), counted for a note
# (`referents_note`); the per-line path's lines are counted apart
# (`entity_lines.line_extras`).
WITH_REFERENTS = """
    SELECT count(*) FROM obj
    WHERE n NOT IN (SELECT n FROM doubt)
      AND (json_type(x[7]) = 'ARRAY' AND json_array_length(x[7]) > 0
           OR json_type(x[7]) = 'VARCHAR' AND x[7]->>'$' <> '')
"""


def connect_bulk(memory_mb: int | None, spill_root: Path | None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding the model's properties and an empty `stmts_out`."""
    con = connect(memory_mb, spill_root)
    try:
        con.register("model_props", _model_table())
        con.execute(
            "CREATE TEMP TABLE stmts_out (id VARCHAR, entity_id VARCHAR, schema VARCHAR, "
            "prop VARCHAR, value VARCHAR, source_row BIGINT)"
        )
    except BaseException:
        con.close()
        raise
    return con


# The sets of schemata the file gives one id (those of more than one), each with how many
# ids it is given to and the first of them: the sets are few however many ids there are.
_SCHEMA_SETS = """
    SELECT schemata, count(*), min(entity_id) FROM (
        SELECT entity_id, list(DISTINCT schema ORDER BY schema) AS schemata
        FROM stmts_out GROUP BY entity_id HAVING count(DISTINCT schema) > 1)
    GROUP BY schemata
"""


def schema_conflicts(
    con: duckdb.DuckDBPyConnection,
) -> tuple[int, tuple[str, tuple[str, ...]] | None]:
    """How many ids `stmts_out` gives schemata that cannot be one entity (review R29b F3),
    and the first (its id and schemata). Whether schemata merge is asked once per set of
    schemata (`_SCHEMA_SETS`), not per id: 200,000 ids given a Person and a LegalEntity each
    cost 1.6 s and 100 MB when each id was fetched and checked; 0.1 s and none now (review
    R30 F13)."""
    count, first = 0, None
    for schemata, n, entity_id in con.execute(_SCHEMA_SETS).fetchall():
        if all(mergeable(a, b) for a in schemata for b in schemata):
            continue
        count += int(n)
        if first is None or entity_id < first[0]:
            first = (str(entity_id), tuple(schemata))
    return count, first
