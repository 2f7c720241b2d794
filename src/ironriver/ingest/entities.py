"""Ingest FtM entity JSON Lines (the output of `ftm map`, `ftm export`, other FtM tools).

Each line is one entity dict (`{"id": ..., "schema": ..., "properties": {...}}`). Every line
is validated against `ironriver.model.get_model()` — schema known, properties known and not
reverse (stub) properties, values cleaned by their type as FtM's `EntityProxy.add` cleans them
(a phone written with Mexico's old `+52 1` read too, `store.ids.clean_phone`, as a mapping's
is) — before anything is written; bad lines go to the error report with the line number and the
store stays untouched (unless `skip_invalid`). Empty values are dropped, as FtM drops them.
Statement ids are FtM's (`Statement.make_key`); everything is written in one transaction. A
file of FtM statements (JSON Lines or CSV) is refused before anything is read into the store
(`check_not_statements`), with the `ftm` command that rolls it up into entities.

The file is read once, in chunks of `CHUNK_LINES` lines whose statements go straight into
the store's stage (`Store.stage`), so memory stays flat however large the export is.

Each chunk is cleaned in bulk by DuckDB (`_bulk_statements`: JSON parsed there, values
sanitized and cleaned by `Cleaner`'s SQL, ids hashed there; no Python object per value). A
line the bulk path cannot be sure of — not plain JSON of the usual shape (an id and a schema
as strings, the id of visible characters only, properties as an object of strings or lists
of strings, no repeated keys, a key spelled with escapes being the same key; no FtM
statement), or holding anything FtM would reject or treat specially (an unknown schema or
property, a reverse property, a value its type rejects, a reference to itself or one its
sanitizing changes, values near FtM's size cap) —
goes to the per-line path (`_entity_statements`, FtM's own cleaning with the entity as
context), which reports exactly what is wrong. Both give FtM's statements for a good line
(`tests/ingest/test_ingest_entities.py` compares them).
"""

from __future__ import annotations

import csv
import json
import math
import shlex
from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha1
from itertools import islice
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry
from followthemoney.util import PROP_VALUE_MAX
from followthemoney.value import string_list

from ironriver.errors import AccessDenied, IngestError, StoreError, json_problem
from ironriver.i18n import Msg, joined, msg, nmsg, nt, t
from ironriver.ingest.attempts import ANOTHER_AGENCYS, DECLARED, RELABELLED, IngestAttempt
from ironriver.ingest.clean import (
    Cleaner,
    id_problem,
    reference_text,
    sanitize_name,
    shown_id,
)
from ironriver.ingest.encoding import check_encoding
from ironriver.ingest.notes import label_notes, referents_note
from ironriver.ingest.pipeline import new_to_loader, writing_message
from ironriver.ingest.report import ErrorReport, no_entities_note
from ironriver.ingest.result import IngestResult
from ironriver.ingest.source import (
    SPILL_PREFIX,
    check_unchanged,
    connect,
    file_digest,
    file_state,
)
from ironriver.model import get_model, mergeable, most_specific_first
from ironriver.model.labels import type_label
from ironriver.policy import Principal, authorize_ingest, can_see
from ironriver.policy.markings import releasable_text
from ironriver.progress import Progress, no_progress
from ironriver.settings import DEFAULT_INGEST_MEMORY_MB
from ironriver.sqltext import literal
from ironriver.store import MAX_ID_LENGTH, DatasetInfo, Store
from ironriver.store.data_verify import LABELS_KEY, declared_labels
from ironriver.store.ids import clean_phone

_COLUMNS = ("id", "entity_id", "schema", "prop", "value", "source_row")
_TYPES = (pa.string(),) * 5 + (pa.int64(),)
CHUNK_LINES = 100_000
BATCH_ROWS = 500_000  # statements per batch handed to the stage

Row = tuple[str, str, str, str, str, int]


def _long_id_reason() -> str:
    """The report's reason for an entity id or reference longer than a store takes, in the
    current language."""
    return t(
        "longer than {n} characters, FtM's limit for an entity id: shorten it (or hash it)",
        n=MAX_ID_LENGTH,
    )


def _entity_statements(
    line: str, number: int, dataset: str
) -> tuple[list[Row], list[tuple[str, str, str]]]:
    """(statement rows, problems as (column, value, reason)) for one line; the reasons are
    in the current language (also in the stage's prefetch thread, which runs in the
    caller's context).

    Each value is cleaned once, as `EntityProxy.add` cleans it (sanitised, then the type's
    `clean_text` with the property's format and the entity as context), and the statement
    ids are FtM's `Statement.make_key`, computed without building FtM objects per value."""
    model = get_model()
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        reason = t("not valid JSON: {error}", error=json_problem(exc))
        return [], [(t("(line)"), line[:80], reason)]
    if not isinstance(data, dict):
        return [], [(t("(line)"), line[:80], t("not a JSON object"))]
    if _is_statement(data):  # (its "id" and "schema" would make an entity of nothing)
        reason = t(
            "an FtM statement (entity_id, prop, value), not an entity: roll statements up "
            "into entities with ftm aggregate-statements"
        )
        return [], [(t("(line)"), line[:80], reason)]
    schema = model.get(str(data.get("schema")))
    if schema is None:
        return [], [("schema", str(data.get("schema")), t("unknown schema"))]
    raw_id = data.get("id")
    if raw_id is None or raw_id == "":  # (0 is an id: review R30 F10)
        return [], [("id", "", t("entity has no id"))]
    if (refused := id_problem(raw_id)) is not None:
        # (the id as JSON writes it, not a list's Python text)
        text = (
            shown_id(raw_id) if isinstance(raw_id, str) else json.dumps(raw_id, ensure_ascii=False)
        )
        return [], [("id", text[:80], refused)]
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        return [], [("properties", str(props)[:80], t("properties must be an object"))]
    if len(str(data["id"])) > MAX_ID_LENGTH:
        return [], [("id", str(data["id"])[:80], _long_id_reason())]
    proxy = model.make_entity(schema)
    proxy.id = entity_id = str(data["id"])
    problems = []
    for name, values in props.items():
        prop = schema.get(name)
        if prop is None:
            reason = t("{schema} has no property {name!r}", schema=schema.name, name=name)
            problems.append((name, json.dumps(values, ensure_ascii=False)[:80], reason))
            continue
        if prop.stub:
            reason = t("{name} is a reverse property", name=name)
            problems.append((name, json.dumps(values, ensure_ascii=False)[:80], reason))
            continue
        if _holds_object(values):  # (not text: `string_list` would drop it, review R29b F1)
            reason = t("a JSON object or nested list is not a value of {name}", name=name)
            problems.append((name, json.dumps(values, ensure_ascii=False)[:80], reason))
            continue
        if prop.type.name == "entity":  # (as written: `_reference_texts`)
            for value in _reference_texts(values):
                if (problem := id_problem(value)) is not None:
                    problems.append((name, shown_id(value)[:80], problem))
            if problems:
                continue
        texts = _reference_texts(values) if prop.type.name == "entity" else None
        for value in texts if texts is not None else _texts(values, prop.type.name):
            try:
                if prop.type.name == "phone":  # (Mexico's old prefixes read, as in bulk)
                    clean = clean_phone(value, prop.format)
                elif prop.type.name == "entity":  # (any id the store takes: `_reference`)
                    clean = _reference(value, entity_id, proxy)
                else:
                    clean = prop.type.clean_text(value, format=prop.format, proxy=proxy)
            except InvalidData as exc:  # e.g. an entity referring to itself
                reason = (  # (FtM's own words name a Python object: review R29b F7)
                    t(
                        "a reference to the entity itself ({schema} {id})",
                        schema=schema.name,
                        id=entity_id,
                    )
                    if prop.type.name == "entity" and value == entity_id
                    else str(exc)
                )
                problems.append((name, value[:80], reason))
                continue
            if clean is not None and prop.type.name == "entity" and len(clean) > MAX_ID_LENGTH:
                problems.append((name, value[:80], _long_id_reason()))
            elif clean is None:
                reason = t("not a valid {type}", type=type_label(prop.type.name))
                problems.append((name, value[:80], reason))
            elif proxy.unsafe_add(prop, clean, cleaned=True) is None:
                reason = t("over FtM's size limit for {name}", name=name)
                problems.append((name, value[:80], reason))
    if problems:
        return [], problems
    prefix = f"{dataset}.{entity_id}."
    rows: list[Row] = [
        (
            sha1(f"{prefix}{prop.name}.{value}".encode()).hexdigest(),
            entity_id,
            schema.name,
            prop.name,
            value,
            number,
        )
        for prop, value in proxy.itervalues()
    ]
    return rows, []


def _reference(value: str, entity_id: str, proxy: EntityProxy) -> str | None:
    """`value` as a reference to an entity (`clean.reference_text`), or None; a reference to
    the entity itself is refused as FtM refuses it (`InvalidData`)."""
    if value == entity_id:
        registry.entity.clean_text(value, proxy=proxy)  # (raises FtM's InvalidData)
    return reference_text(value)  # (one longer than an id may be: said so by the caller)


def _reference_texts(values: object) -> list[str]:
    """A property's references as written (an entity given whole: its `id`), not sanitized:
    an id is read as written (`id_problem`), so a reference must be too, or the two do not
    meet ("x\u200dy", whose joiner the sanitizing removes, referred to "xy"), and one holding
    what no id may hold would become a reference to another entity ("s\ud800", "v\x001": "s",
    "v1"). Such a reference is refused with the id's reason, naming the character (review
    R31 F8). The bulk path leaves a line to this path when a reference's sanitized text is
    not as written (`_bulk_registered`'s doubt)."""
    listed = values if isinstance(values, list) else [values]
    out: list[str] = []
    for value in listed:
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str):
            if value:  # (an empty one is no value, as FtM reads it)
                out.append(value)
        elif value is not None:  # (a number: its text, as FtM writes it)
            out.extend(_texts([value], "entity"))
    return out


def _holds_object(values: object) -> bool:
    """Whether a property's JSON value is, or lists, an object or a list that is no value (a
    value is text, a number or a boolean, or an entity given whole, an object with an `id`,
    which FtM reads as that id; a list of those is several values)."""

    def odd(value: object) -> bool:
        return isinstance(value, list) or (isinstance(value, dict) and "id" not in value)

    if isinstance(values, list):
        return any(odd(v) for v in values)
    return odd(values)


def _float_text(value: float) -> str:
    """FtM's text of `value` where it reads back as `value`, else JSON's (`_texts`). NaN,
    which equals nothing, is FtM's "nan" too (as "inf" is), not JSON's "NaN": the statement
    and its id are FtM's (review R30 F11)."""
    text = string_list(value)[0]  # ("72.50"; "nan" and "inf" as such)
    return text if float(text) == value or math.isnan(value) else json.dumps(value)


def _texts(values: object, type_name: str) -> list[str]:
    """A property's values sanitized as `EntityProxy.add` does (`string_list`), but a name's
    with a control character as a space (`clean.sanitize_name`), as the bulk path reads it.
    A JSON number with a fraction is FtM's text of it (two decimals: 72.5 is "72.50") where
    that is the number, else as the file writes it (FtM stored 1e-07 as "0.00" and 0.125 as
    "0.12": review R29b F7)."""
    if isinstance(values, float) or (
        isinstance(values, list) and any(isinstance(v, float) for v in values)
    ):
        listed = values if isinstance(values, list) else [values]
        values = [_float_text(v) if isinstance(v, float) else v for v in listed]
    if type_name != "name":
        return string_list(values, sanitize=True)
    return [text for v in string_list(values) if (text := sanitize_name(v))]


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
# symbols), spaces between them (`clean.ID_REFUSED_CATEGORIES`)
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


def _bulk_statements(
    con: duckdb.DuckDBPyConnection, cleaner: Cleaner, lines: pa.Table, dataset: str
) -> list[int]:
    """Adds the statements of the chunk's lines the bulk path is sure of to the table
    `stmts_out`; returns the numbers of the other lines.

    `lines` has columns n (line number) and line (without its line break); `con` is one of
    `_connect`."""
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
    # per-line path refuses one holding what no id may: `_reference_texts`), or if
    # its values come near FtM's size cap (which depends on their order)
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
# counted apart (`_line_extras`).
_NAMED_DATASETS = """
    SELECT ds, count(DISTINCT n) FROM (
        SELECT n, unnest(CASE WHEN json_type(x[4]) = 'ARRAY' THEN CAST(x[4] AS JSON[])
                              ELSE [x[4]] END)->>'$' AS ds
        FROM obj WHERE x[4] IS NOT NULL AND n NOT IN (SELECT n FROM doubt))
    WHERE ds IS NOT NULL GROUP BY ds
"""


# How many lines of the bulk path list referents (a nomenklatura or yente export's ids of
# the records merged into the entity; an ironriver export writes `[]`), counted for a note
# (`referents_note`); the per-line path's lines are counted apart (`_line_extras`).
_WITH_REFERENTS = """
    SELECT count(*) FROM obj
    WHERE n NOT IN (SELECT n FROM doubt)
      AND (json_type(x[7]) = 'ARRAY' AND json_array_length(x[7]) > 0
           OR json_type(x[7]) = 'VARCHAR' AND x[7]->>'$' <> '')
"""


def _line_extras(line: str) -> tuple[set[str], bool]:
    """The datasets one line names (`"datasets"`: a list of names or one name), and whether
    it lists referents (`_WITH_REFERENTS`), if it is a JSON object."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return set(), False
    if not isinstance(data, dict):
        return set(), False
    named, referents = data.get("datasets"), data.get("referents")
    has_referents = isinstance(referents, (list, str)) and len(referents) > 0
    if isinstance(named, str):
        return {named}, has_referents
    names = {v for v in named if isinstance(v, str)} if isinstance(named, list) else set()
    return names, has_referents


def _is_statement(data: Mapping[str, object]) -> bool:
    """Whether a line's JSON object is an FtM statement (`Statement.to_dict`: an
    `entity_id`, a `prop`, a `value`; also an `id` and a `schema`), not an entity."""
    return "entity_id" in data and "prop" in data and "properties" not in data


def _first_of_each_id(table: pa.Table, before: str | None) -> tuple[pa.Table, str | None]:
    """`table`'s rows, sorted by id, but the first of each id (`before`: the last id of the
    batch before), and its last id. Lines stating one value under two schemata that merge
    (a LegalEntity and a Person) give one statement id (it hashes no schema): the one kept is
    the most specific schema's, sorted first, not whichever the store's insert meets first,
    which left the entity a LegalEntity by line order and backend (review R30 F3)."""
    ids = table.column("id").combine_chunks()
    previous = pa.concat_arrays([pa.array([before], pa.string()), ids.slice(0, len(ids) - 1)])
    keep = pc.fill_null(pc.not_equal(ids.cast(pa.string()), previous), True)
    return table.filter(keep), ids[-1].as_py()


def _connect(memory_mb: int | None, spill_root: Path | None) -> duckdb.DuckDBPyConnection:
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


def _conflicts(
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


class _EntityFile:
    """One pass over the file: statement batches out, problems and counts kept."""

    def __init__(
        self,
        path: Path,
        dataset: str,
        memory_mb: int | None = None,
        spill_root: Path | None = None,
        progress: Progress = no_progress,
    ) -> None:
        self.path = path
        self.dataset = dataset
        self.memory_mb = memory_mb
        self.spill_root = spill_root
        self.progress = progress
        self.records = 0
        self.produced = 0
        self.empty = 0  # entities with no property (stored as nothing: see `_check`)
        # ids given schemata that cannot be one entity, and the first (id, its schemata)
        self.conflicts = 0
        self.first_conflict: tuple[str, tuple[str, ...]] | None = None
        self.bad: list[tuple[int, str, str, str]] = []
        # dataset -> how many lines name it in their "datasets" (an export's lines do)
        self.named: dict[str, int] = {}
        self.referents = 0  # lines listing referents (`_WITH_REFERENTS`)
        self.before: tuple[int, ...] | None = None  # the file's `file_state` before any read

    def _chunks(self) -> Iterator[tuple[list[int], list[str]]]:
        """(line numbers, lines) of up to `CHUNK_LINES` non-blank lines at a time. A line
        ends at "\n" alone (a CRLF line's "\r" is dropped with it): a lone "\r" is JSON
        whitespace, inside a line, and Python's universal newlines split a valid line there
        and miscounted the lines after it (review R31 F3)."""
        # utf-8-sig: a byte-order mark (as some Windows tools write) is no JSON
        with self.path.open(encoding="utf-8-sig", newline="\n") as fh:
            numbered = (
                (n, line.removesuffix("\n").removesuffix("\r"))
                for n, line in enumerate(fh, start=1)
                if line.strip()
            )
            while chunk := list(islice(numbered, CHUNK_LINES)):
                yield [n for n, _ in chunk], [line for _, line in chunk]

    def batches(self) -> Iterator[pa.Table]:
        """The file's statements in the store's order (entity_id, id): all lines are read
        and cleaned into DuckDB (which spills beyond `memory_mb`), then streamed sorted."""
        con = _connect(self.memory_mb, self.spill_root)
        try:
            self._read(con)
            self.progress(
                nt(
                    "{file}: staging {count:,} statement",
                    "{file}: staging {count:,} statements",
                    self.produced,
                    file=self.path.name,
                    count=self.produced,
                )
            )
            schemata = most_specific_first(
                str(r[0]) for r in con.execute("SELECT DISTINCT schema FROM stmts_out").fetchall()
            )
            rank = " ".join(f"WHEN {literal(s)} THEN {n}" for n, s in enumerate(schemata))
            reader = con.sql(
                "FROM stmts_out ORDER BY entity_id, id, "
                + (f"CASE schema {rank} END, " if rank else "")
                + "source_row"
            ).to_arrow_reader(BATCH_ROWS)
            last: str | None = None  # (the id that ended the batch before)
            for batch in reader:
                if batch.num_rows:
                    table, last = _first_of_each_id(pa.Table.from_batches([batch]), last)
                    yield table
        finally:
            con.close()

    def check(self) -> None:
        """Read and check every line, counting statements and problems (nothing sorted or
        kept: what a dry run needs)."""
        con = _connect(self.memory_mb, self.spill_root)
        try:
            self._read(con)
        finally:
            con.close()

    def _read(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every line's statements into `stmts_out` of `con` (a `_connect` connection); the
        counts and problems into this object."""
        self.records, self.produced, self.bad, self.named, self.referents = 0, 0, [], {}, 0
        cleaner = Cleaner(con)
        for numbers, lines in self._chunks():
            self.records += len(lines)
            table = pa.table({"n": pa.array(numbers, pa.int64()), "line": lines})
            rows: list[Row] = []
            doubtful = _bulk_statements(con, cleaner, table, self.dataset)
            for name, count in con.execute(_NAMED_DATASETS).fetchall():
                self.named[name] = self.named.get(name, 0) + int(count)
            self.referents += int(con.execute(_WITH_REFERENTS).fetchall()[0][0])
            for number in doubtful:
                line = lines[bisect_left(numbers, number)]
                names, referents = _line_extras(line)
                self.referents += referents
                for name in names:
                    self.named[name] = self.named.get(name, 0) + 1
                got, problems = _entity_statements(line, number, self.dataset)
                self.bad.extend((number, c, v, r) for c, v, r in problems)
                rows.extend(got)
            if rows:
                con.register("line_rows", self._table(rows))
                con.execute("INSERT INTO stmts_out FROM line_rows")
                con.unregister("line_rows")
            self.progress(
                nt(
                    "{file}: {count:,} entity read and checked",
                    "{file}: {count:,} entities read and checked",
                    self.records,
                    file=self.path.name,
                    count=self.records,
                )
            )
        produced, lines = con.execute(
            "SELECT count(*), count(DISTINCT source_row) FROM stmts_out"
        ).fetchall()[0]
        self.produced = int(produced)
        # lines neither rejected nor giving a statement: entities with no property
        self.empty = self.records - len({b[0] for b in self.bad}) - int(lines)
        self.conflicts, self.first_conflict = _conflicts(con)

    @staticmethod
    def _table(rows: list[Row]) -> pa.Table:
        return pa.table(
            {
                c: pa.array([r[i] for r in rows], t)
                for i, (c, t) in enumerate(zip(_COLUMNS, _TYPES, strict=True))
            }
        )


def ingest_entities(
    store: Store,
    path: Path | str,
    dataset: DatasetInfo,
    *,
    actor: str,
    reason: str = "",
    skip_invalid: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    progress: Progress = no_progress,
    agencies: Collection[str] | None = None,
    homes: Mapping[str, Collection[str]] | None = None,
    relabel: bool = False,
) -> IngestResult:
    """Ingest an FtM entity JSON Lines file into `dataset` atomically (with `principal`,
    only if it may load that dataset: `authorize_ingest`). Its statements carry the
    dataset's label: owner, marking and releasability (a label of its own could name
    another owner, who always sees its own facts, review R7).

    Entities whose lines name (`"datasets"`, as an export's do) stored datasets of another
    agency are refused, and those of the owner's other datasets labelled otherwise unless
    `relabel` (`_check_origins`, review R11 F1). `homes`: where an admin may place an
    agency's dataset (`authorize_ingest`).

    `memory_mb` bounds the memory of the file's statements while they are cleaned and
    sorted (`Settings.ingest_memory_mb`, which the CLI passes); beyond it DuckDB spills to a
    temporary folder beside the store's data, removed afterwards."""
    # (the ledger folder's parent exists once the store is open; not $TMPDIR, which may
    # live in memory)
    spill_root = store.ledger_dir.resolve().parent
    path, report_file, result, source = _open(
        path, dataset, report_path, principal, memory_mb, spill_root, progress, homes
    )
    result.notes += label_notes([dataset], agencies)
    attempt = IngestAttempt(
        store, actor, reason, principal, [dataset.name], {"entities_file": path.name}
    )
    try:  # a stored dataset keeps its owner and label: before the read
        store.check_dataset(dataset)
    except StoreError as exc:  # the refusal tells what the store holds: audited
        attempt.refused(DECLARED, exc)
        raise
    with store.stage() as stage, ThreadPoolExecutor(max_workers=1) as pool:
        # the bytes loaded, for the audit event: hashed beside the staging (no GIL held)
        digest = pool.submit(file_digest, path)
        # statements of valid lines only (a rejected line yields none), sorted
        # (a statement two lines of one entity give is staged twice)
        stage.add(dataset.name, dataset.label, path.name, source.batches, unique=False)
        sha256 = digest.result()
        check_unchanged(path, source.before)  # (the digest is of the lines staged)
        _check(source, result, report_file, skip_invalid)  # before the store is touched
        notes, relabelled = _check_origins(store, dataset, source, attempt, relabel, result)
        result.notes += notes
        declaring = False  # while the write checks the declaration again
        try:
            with store.writer(stage=stage) as w:
                declaring = True  # (declared since `check_dataset`, by another ingest)
                w.ensure_dataset(dataset)
                declaring = False
                progress(writing_message(stage.rows))
                added = w.add_staged(stage)
                result.statements_new = new_to_loader(w, stage, principal)
                progress(t("committing"))
                store.audit.append(
                    actor=actor,
                    action="ingest",
                    target=dataset.name,
                    reason=reason,
                    detail={
                        "entities_file": path.name,
                        "file_sha256": {path.name: sha256},
                        "records": result.records,
                        "rejected": result.rejected,
                        "statements_new": added,  # (to the store: the audit log is not a view)
                        # who may see the dataset, for `audit verify-data` to hold it to
                        LABELS_KEY: declared_labels([dataset]),
                        # (entities of the owner's other datasets given this label, by dataset)
                        **({"relabelled": relabelled} if relabelled else {}),
                    },
                    agency=principal.agency if principal is not None else "",
                    conn=w.conn,
                )
        except StoreError as exc:  # rolled back: a refusal of the declaration is audited
            if declaring:
                attempt.refused(DECLARED, exc, result)
            raise
    return result


def _check_origins(
    store: Store,
    dataset: DatasetInfo,
    source: _EntityFile,
    attempt: IngestAttempt,
    relabel: bool,
    result: IngestResult,
) -> tuple[list[Msg], dict[str, int]]:
    """Originator control over re-released entities (review R11 F1): raise `AccessDenied`
    (recording a `refused` event) when the file's lines name, in their `"datasets"` (as
    an export's do), stored datasets another agency than `dataset`'s owns: a receiver may
    not re-release them under a label of its own. Lines naming the owner's own other stored
    datasets, labelled otherwise than `dataset` (another marking or releasability, stricter
    or not: an export re-loaded as CLEAR would release what AMBER held back), raise
    `AccessDenied` too unless `relabel` (the agency's choice; that refusal is recorded as
    a `refused` event too): then it returns notes saying so and the count of such entities
    by dataset (for the ingest's audit event). A name the store does not hold is not
    checked (no owner is known). The refusal names the owner of a dataset only to a loader
    that may see it (`_knows_owner`); the `refused` event records every owner (the audit
    log is not a view)."""
    stored = {info.name: info for _id, info in store.datasets()}
    owner = dataset.agency.upper()
    named = {name: n for name, n in source.named.items() if name in stored}
    foreign = {name: n for name, n in named.items() if stored[name].agency.upper() != owner}
    if foreign:
        error = _another_agencys(source.path.name, owner, foreign, stored, attempt.principal)
        attempt.refused(
            ANOTHER_AGENCYS,
            error,
            result,
            datasets={
                name: {"agency": stored[name].agency.upper(), "entities": n}
                for name, n in sorted(foreign.items())
            },
        )
        raise error
    # the owner's other stored datasets the file's entities come from, labelled otherwise
    relabelled = {
        name: n
        for name, n in named.items()
        if name != dataset.name
        and (stored[name].marking, stored[name].releasable_to)
        != (dataset.marking, dataset.releasable_to)
    }
    notes = [
        nmsg(
            "{count:,} entity comes from {source}, marked {marking} there (releasable to "
            "{releasable}); in {dataset} it is marked {new_marking} (releasable to "
            "{new_releasable}).",
            "{count:,} entities come from {source}, marked {marking} there (releasable to "
            "{releasable}); in {dataset} they are marked {new_marking} (releasable to "
            "{new_releasable}).",
            n,
            count=n,
            source=name,
            marking=stored[name].marking.value,
            releasable=releasable_text(stored[name].releasable_to) or "-",
            dataset=dataset.name,
            new_marking=dataset.marking.value,
            new_releasable=releasable_text(dataset.releasable_to) or "-",
        )
        for name, n in sorted(relabelled.items())
    ]
    if notes and not relabel:
        error = AccessDenied(
            msg(
                "{file} holds entities of {owner}'s other datasets, labelled otherwise there: "
                "{relabelled} Nothing was ingested.",
                file=source.path.name,
                owner=owner,
                relabelled=joined(notes, " "),
            ),
            hint=msg(
                "If they may be shared under {dataset}'s label, pass --relabel; else load "
                "them with their datasets' label, or remove them from the file.",
                dataset=dataset.name,
            ),
        )
        attempt.refused(RELABELLED, error, result, datasets=dict(sorted(relabelled.items())))
        raise error
    return notes, relabelled


def _knows_owner(principal: Principal | None, info: DatasetInfo) -> bool:
    """Whether an originator-control refusal may name the owner of stored dataset `info` to
    `principal` (None: a library ingest, which sees all): one that reads the store (the
    `analyst` role) and may see the dataset's label. To any other the refusal says only that
    the name is another agency's, as the refusal of a dataset name does
    (`Store.check_dataset`): who owns a dataset it may not see is not its to learn (review
    R24 F7)."""
    if principal is None:
        return True
    return principal.has_role("analyst") and can_see(principal, info.label)


def _another_agencys(
    file: str,
    owner: str,
    foreign: Mapping[str, int],
    stored: Mapping[str, DatasetInfo],
    principal: Principal | None,
) -> AccessDenied:
    """The refusal of an `--entities` file whose lines name `foreign` (dataset -> entities),
    stored datasets another agency than `owner` owns: each named with its owner where the
    loader may know it (`_knows_owner`), else with its count alone."""
    known = {name for name in foreign if _knows_owner(principal, stored[name])}
    datasets = joined(
        (
            nmsg(
                "{dataset} of {agency}: {count:,} entity",
                "{dataset} of {agency}: {count:,} entities",
                n,
                dataset=name,
                agency=stored[name].agency.upper(),
                count=n,
            )
            if name in known
            else nmsg(
                "{dataset}: {count:,} entity",
                "{dataset}: {count:,} entities",
                n,
                dataset=name,
                count=n,
            )
            for name, n in sorted(foreign.items())
        ),
        "; ",
    )
    if len(known) == len(foreign):
        hint = msg(
            'Remove those entities from the file (each line\'s "datasets" says where it '
            "came from), or ask {owners} to share that data with whom it should reach.",
            owners=", ".join(sorted({stored[name].agency.upper() for name in foreign})),
        )
    else:
        hint = msg(
            'Remove those entities from the file (each line\'s "datasets" says where it '
            "came from), or ask the agency that owns that data to share it with whom it "
            "should reach."
        )
    return AccessDenied(
        msg(
            "Entities of {file} come from datasets another agency owns ({datasets}): "
            "{owner} may not re-release them under a label of its own; nothing was "
            "ingested.",
            file=file,
            datasets=datasets,
            owner=owner,
        ),
        hint=hint,
    )


def check_entities(
    path: Path | str,
    dataset: DatasetInfo,
    *,
    skip_invalid: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    spill_root: Path | None = None,
    agencies: Collection[str] | None = None,
    homes: Mapping[str, Collection[str]] | None = None,
) -> IngestResult:
    """Everything `ingest_entities` checks, without a store: returns what it would produce
    (`dry_run` set); rejected lines are reported and raise as they would there."""
    path, report_file, result, source = _open(
        path, dataset, report_path, principal, memory_mb, spill_root, no_progress, homes
    )
    result.dry_run = True
    result.notes += label_notes([dataset], agencies)
    source.check()
    check_unchanged(path, source.before)
    _check(source, result, report_file, skip_invalid)
    return result


def _open(
    path: Path | str,
    dataset: DatasetInfo,
    report_path: Path | str | None,
    principal: Principal | None,
    memory_mb: int,
    spill_root: Path | None,
    progress: Progress,
    homes: Mapping[str, Collection[str]] | None,
) -> tuple[Path, Path, IngestResult, _EntityFile]:
    """Authorise, check the file is there and UTF-8; its report file, result and reader."""
    if principal is not None:
        authorize_ingest(principal, dataset.name, dataset.agency, dataset.country, homes)
    path = Path(path)
    if not path.is_file():
        raise IngestError(
            msg("Input file {path} does not exist.", path=path), hint=msg("Check the path.")
        )
    before = file_state(path)  # (the file must not change while read: `check_unchanged`)
    check_encoding(path, "utf-8", settable=False)
    check_not_statements(path)
    report_file = Path(report_path) if report_path else path.with_name(path.name + ".errors.csv")
    source = _EntityFile(path, dataset.name, memory_mb, spill_root, progress)
    source.before = before
    return path, report_file, IngestResult(datasets=[dataset.name]), source


# A statements CSV header names these columns (`Statement.to_dict`'s keys: `ftm statements
# -f csv`, `ironriver export --format statements`; `-f pack` writes the first three only)
_STATEMENT_COLUMNS = frozenset({"entity_id", "prop", "value"})
_FIRST_LINE_MAX = 1 << 20  # (a longer first line is no statement and no header)


def _statements_format(path: Path) -> str | None:
    """The `ftm aggregate-statements` format (json, csv or pack) of the FtM statements file
    at `path`, judged by its first non-blank line: a statement's JSON object (`_is_statement`)
    or a statements CSV header; None for anything else (an entities file)."""
    with path.open(encoding="utf-8-sig", newline="\n") as fh:
        line = ""
        while not line.strip() and (line := fh.readline(_FIRST_LINE_MAX)):
            pass
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        columns = {c.strip() for c in next(csv.reader([line.rstrip("\r\n")]), [])}
        if _STATEMENT_COLUMNS <= columns:
            return "csv" if "schema" in columns else "pack"
        return None
    return "json" if isinstance(data, dict) and _is_statement(data) else None


def check_not_statements(path: Path) -> None:
    """Raise `IngestError` when the file at `path` holds FtM statements, not entities: each
    line of `ftm statements -f json` has an `id` and a `schema` and read as an entity of no
    property, so the file loaded as nothing, declaring the dataset under the label given
    (review R31 F2); a statements CSV failed every line as JSON. Refused before the store is
    touched, with the `ftm` command that rolls statements up into entities."""
    found = _statements_format(path)
    if found is None:
        return
    converter = f"ftm aggregate-statements -f {found}"
    note = msg(
        "it joins the statements of an entity that are next to each other, as those commands "
        "write them"
    )
    if path.name == "stdin" and path.parent.name.startswith(SPILL_PREFIX):  # (a pipe's copy)
        hint = msg(
            "Roll them up into entities in the pipe, e.g. {command} ({note}).",
            command=f"`... | {converter} | ironriver ingest --entities - ...`",
            note=note,
        )
    else:
        target = path.with_name(f"{path.stem}.ftm.jsonl")
        hint = msg(
            "Roll them up into entities with {command} ({note}), then load that file with "
            "--entities.",
            command=f"`{converter} -i {shlex.quote(str(path))} -o {shlex.quote(str(target))}`",
            note=note,
        )
    raise IngestError(
        msg(
            "{file} holds FtM statements ({format}: one value of one property per line, as "
            "ftm statements and ironriver export --format statements write them), not FtM "
            "entity JSON Lines (one entity per line): nothing was ingested.",
            file=path.name,
            format={"json": "JSON Lines", "csv": "CSV", "pack": "pack CSV"}[found],
        ),
        hint=hint,
    )


def _check(
    source: _EntityFile, result: IngestResult, report_file: Path, skip_invalid: bool
) -> None:
    """Once the file is read: counts into `result`; rejected lines into the report, and
    an `IngestError` unless `skip_invalid`."""
    result.records = source.records
    result.statements = source.produced
    if not source.records:
        result.notes.append(no_entities_note(source.dataset, source.path.name))
    if source.first_conflict is not None:
        entity_id, schemata = source.first_conflict
        result.notes.append(
            nmsg(
                "{file}: {n:,} id is given schemata that cannot be one entity (first: {id}, "
                "{schemata}): a view shows it as one of them and leaves the others' "
                "properties out, listing them (an export's schema_conflicts). If they are "
                "different entities, give them different ids.",
                "{file}: {n:,} ids are given schemata that cannot be one entity (first: {id}, "
                "{schemata}): a view shows each as one of them and leaves the others' "
                "properties out, listing them (an export's schema_conflicts). If they are "
                "different entities, give them different ids.",
                source.conflicts,
                file=source.path.name,
                id=entity_id,
                schemata=", ".join(schemata),
            )
        )
    if source.empty:
        result.notes.append(
            nmsg(
                "{file}: {n:,} entity has no properties, so it was not stored (an entity is "
                "kept as its statements; FtM writes such an id-only entity for a mapping's "
                "keys-only entity).",
                "{file}: {n:,} entities have no properties, so they were not stored (an "
                "entity is kept as its statements; FtM writes such an id-only entity for a "
                "mapping's keys-only entity).",
                source.empty,
                file=source.path.name,
            )
        )
    if source.referents:
        result.notes.append(referents_note(source.path.name, source.referents))
    if not source.bad:
        return
    bad = source.bad
    report = ErrorReport()
    report.add(
        source.path.name,
        pa.table(
            {
                "_row": [b[0] for b in bad],
                "column": [b[1] for b in bad],
                "value": [b[2] for b in bad],
                "reason": [b[3] for b in bad],
            }
        ),
        rows="line",  # (`_chunks` numbers the file's lines, blank ones included)
    )
    result.rejected = len({b[0] for b in bad})
    result.report_path = report.write(report_file)
    if not skip_invalid:
        raise IngestError(
            nmsg(
                "{rejected} entity of {records} rejected, nothing was ingested: {summary}.",
                "{rejected} of {records} entities rejected, nothing was ingested: {summary}.",
                result.rejected,
                rejected=result.rejected,
                records=result.records,
                summary=report.summary(),
            ),
            hint=msg("See {report}. Fix those lines, or pass --skip-invalid.", report=report_file),
            report_path=str(report_file),
        )
