"""What an ingest of a mapping tells the reader beyond its rejected records: notes on what
it did that `ftm map` would do silently (filters that keep nothing, ids that merge entities,
names read from placeholders or only from name parts, JSON keys in another case, labels that
share with no one), and the date-format hints its error report gives.

Each note is a `Msg` (English and Spanish through `ironriver.i18n`) that `IngestResult.notes`
carries to the CLI; nothing here fails an ingest or changes what it writes. Most are computed
in `prepare.py` over the DuckDB tables of one query (`san`: the file's records, `cln`: those
its filters keep, with entity ids `e0`, `e1`...; `bad`: the rejected values); `label_notes`,
`held_elsewhere` and `referents_note` by the ingest itself (`pipeline.py`, `entities.py`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from functools import cache

import duckdb

from ironriver.i18n import Msg, msg, nmsg
from ironriver.ingest.compile import EntityCompiler
from ironriver.ingest.duckdb_reader import CaseMiss
from ironriver.ingest.report import BAD_DATES_MIN, BadDates, ErrorReport, date_format_hint
from ironriver.ingest.specs import QuerySpec, SourceSpec
from ironriver.ingest.validate import CheckSelect
from ironriver.model import get_model
from ironriver.policy import Principal
from ironriver.policy.markings import strict_country_note
from ironriver.sqltext import ident, literal
from ironriver.store import DatasetInfo, Store
from ironriver.store.ids import KIND_NAME, kind_of


def label_notes(datasets: Iterable[DatasetInfo], agencies: Collection[str] | None) -> list[Msg]:
    """Notes on labels that share with no one they seem to name (`strict_country_note`),
    given the agencies of the principals file (None: not known, no notes)."""
    if agencies is None:
        return []
    notes = (strict_country_note(info.name, info.label, agencies) for info in datasets)
    return [note for note in notes if note is not None]


def filter_notes(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    query: QuerySpec,
    scol: dict[str, str],
    where: str,
    records: int,
) -> list[Msg]:
    """Notes on a query's filters, from one scan of the whole file (`san`). A filter value
    spelled otherwise than in the file (`activo` for `ACTIVO`) is the usual cause of each,
    and `ftm map` says nothing of any:

    - the filters keep none of the file's records: an ingest of nothing looked like success;
    - a `filters_not` value no record has (`CANCELLED` where the file says `Cancelado`)
      leaves nothing out, and the reader believes those records were;
    - values of a `filters` column with several that no record has (`[ACTIVE, activo]`):
      those records are missing. (A single value that matches nothing keeps nothing, the
      first note; so does every value when that note is given.)"""
    if not records:
        return []
    source = query.source
    probes = [
        (kind, column, value)
        for kind, pairs in (("filters", source.filters), ("filters_not", source.filters_not))
        for column, values in pairs
        if kind == "filters_not" or len(values) > 1
        for value in dict.fromkeys(values)
    ]
    counts = [f"count(*) FILTER (WHERE {where})"] + [
        f"count(*) FILTER (WHERE {ident(scol[column])} = {literal(value)})"
        for _, column, value in probes
    ]
    kept, *found = con.execute(f"SELECT {', '.join(counts)} FROM san").fetchall()[0]
    notes = []
    if not kept:
        filters = "; ".join(
            f"{kind} {column} = {' | '.join(values)}"
            for kind, pairs in (("filters", source.filters), ("filters_not", source.filters_not))
            for column, values in pairs
        )
        notes.append(
            nmsg(
                "{dataset}: the filters of the query reading {file} ({filters}) kept none of its "
                "{n:,} record, so none was ingested. Filter values are compared with the file's "
                "text exactly (after trimming): check their spelling and case.",
                "{dataset}: the filters of the query reading {file} ({filters}) kept none of its "
                "{n:,} records, so none was ingested. Filter values are compared with the file's "
                "text exactly (after trimming): check their spelling and case.",
                records,
                dataset=dataset,
                file=source.label,
                filters=filters,
            )
        )
    unmatched: dict[str, list[str]] = {}  # a `filters` column: its values no record has
    left_in: dict[str, list[str]] = {}  # a `filters_not` column: its values no record has
    for (kind, column, value), n in zip(probes, found, strict=True):
        if n:
            continue
        if kind == "filters_not":
            left_in.setdefault(column, []).append(value)
        elif kept:
            unmatched.setdefault(column, []).append(value)
    for column, values in left_in.items():  # one note a column, naming all its values
        notes.append(
            nmsg(
                "{dataset}: filters_not {column} = {value} of the query reading {file} matches "
                "none of the file's records, so it left none out. Filter values are compared "
                "with the file's text exactly (after trimming): check its spelling and case.",
                "{dataset}: filters_not {column} = {value} of the query reading {file} match "
                "none of the file's records, so they left none out. Filter values are compared "
                "with the file's text exactly (after trimming): check their spelling and case.",
                len(values),
                dataset=dataset,
                column=column,
                value=" | ".join(values),
                file=source.label,
            )
        )
    for column, values in unmatched.items():
        notes.append(
            nmsg(
                "{dataset}: of the values of filters {column} of the query reading {file}, "
                "{values} matches none of the file's records. "
                "Filter values are compared with the file's text exactly (after trimming): "
                "check its spelling and case.",
                "{dataset}: of the values of filters {column} of the query reading {file}, "
                "{values} match none of the file's records. "
                "Filter values are compared with the file's text exactly (after trimming): "
                "check their spelling and case.",
                len(values),
                dataset=dataset,
                column=column,
                values=" | ".join(values),
                file=source.label,
            )
        )
    return notes


# What Mexican and US agencies' forms write in a name or alias column for "none" or "not
# known", beyond rigour's list (which has "desconocido", "unknown", "n/a", "sin datos"):
# review R22 found "SIN ALIAS", "SE IGNORA", "NO REFIERE", "NINGUNO", "N/D" stored as aliases
# that tied unrelated people together in search. FNU/LNU/NMN are US law enforcement's "first
# name unknown", "last name unknown", "no middle name". Compared trimmed and lower-cased, so
# both spellings of a word whose accent forms often drop.
PLACEHOLDER_WORDS = (
    "sin alias", "sin apodo", "sin nombre", "sin dato", "sin informacion", "sin información",
    "se ignora", "se desconoce", "desconocida", "no refiere", "no refirio", "no refirió",
    "no proporciono", "no proporcionó", "no sabe", "no se sabe", "no tiene", "ninguno",
    "ninguna", "n/d", "s/d", "nd", "fnu", "lnu", "nmn", "nmi", "refused", "no alias",
    "no name",
)  # fmt: skip


@cache
def _null_words() -> list[str]:
    """rigour's words for a missing value ("UNKNOWN", "Desconocido", "N/A", "Sin datos"...)
    and ours (`PLACEHOLDER_WORDS`), lower-cased, as `placeholder_notes` compares them."""
    from rigour._core import nullwords_list  # (rigour.text.stopwords reads the same list)

    words = [*nullwords_list(), *PLACEHOLDER_WORDS]
    return sorted({word.strip().lower() for word in words})


def placeholder_notes(
    con: duckdb.DuckDBPyConnection, comp: EntityCompiler, dataset: str
) -> list[Msg]:
    """A note when columns read as names hold words for a missing value (rigour's null words:
    "UNKNOWN", "Desconocido", "N/A"...; ours: "SIN ALIAS", "SE IGNORA", "FNU"...): an agency's form writes them where it knows no name
    or alias, and stored as names they make one searchable "person" of every such record
    (`search unknown`) and a caption. `null_values` makes them no value. One scan over the
    columns of name properties read whole (a join or a template is left out)."""
    columns = sorted(
        {
            column
            for entity in comp.query.entities
            for prop in entity.properties
            if prop.type_name == "name" and prop.join is None and prop.template is None
            for column in prop.columns
            if column in comp.scol
        }
    )
    if not columns:
        return []
    values = " UNION ALL ".join(f"SELECT {ident(comp.scol[c])} AS v FROM cln" for c in columns)
    rows = con.execute(
        f"SELECT v, count(*) AS n FROM ({values}) WHERE list_contains(?, lower(trim(v))) "
        "GROUP BY v ORDER BY n DESC, v",
        [_null_words()],
    ).fetchall()
    if not rows:
        return []
    found = [str(v) for v, _ in rows]
    return [
        nmsg(
            "{dataset}: {n:,} value of name columns ({columns}) of the query reading {file} "
            "says a name is missing ({values}) but is read as a name, which search finds and "
            "captions show. Add it to the query's null_values (null_values: {example}) to "
            "read no value.",
            "{dataset}: {n:,} values of name columns ({columns}) of the query reading {file} "
            "say a name is missing ({values}) but are read as names, which search finds and "
            "captions show. Add them to the query's null_values (null_values: {example}) to "
            "read no value.",
            sum(int(n) for _, n in rows),
            dataset=dataset,
            columns=", ".join(columns),
            file=comp.query.source.label,
            values=", ".join(f"{v} ({int(n):,})" for v, n in rows),
            example="[" + ", ".join(found) + "]",
        )
    ]


def entity_notes(
    con: duckdb.DuckDBPyConnection, comp: EntityCompiler, dataset: str
) -> tuple[list[Msg], list[int]]:
    """Notes on the ids of a query's entities in the records it keeps (`cln`), from one
    scan, made only when there is something to count; `ftm map` merges silently in both:

    - two entity mappings whose ids are computed otherwise (`EntityCompiler.id_overlaps`)
      get one id in some records (a sale's `buyer` keyed on `buyer_id` and `seller` on
      `seller_id`, both 1): there they are one entity;
    - an entity whose `id_column` ids are all numbers of at most 9 digits (row or sequence
      numbers): ids are global, so another dataset's record 1 would be the same entity.

    Returns the notes and the indexes of the entities of the second kind (the ingest looks
    their ids up among what the loader may see: `held_elsewhere`)."""
    entities = comp.query.entities
    pairs = comp.id_overlaps()
    columned = [i for i, e in enumerate(entities) if e.id_column is not None]
    if not pairs and not columned:
        return [], []
    counts = [f"count(*) FILTER (WHERE e{i} = e{j})" for i, j in pairs]
    for i in columned:
        counts += [f"count(e{i})", f"count(*) FILTER (WHERE {_numbered(f'e{i}')})"]
    row = con.execute(f"SELECT {', '.join(counts)} FROM cln").fetchall()[0]
    file = comp.query.source.label
    notes = []
    for (i, j), n in zip(pairs, row, strict=False):
        if n:
            notes.append(
                nmsg(
                    "{dataset}: entity mappings {a} and {b} of the query reading {file} compute "
                    "their ids from different keys, but in {n:,} record both got the same id, "
                    "so there they are one entity. If they are different entities, give each a "
                    "distinct key_literal, or keys that identify them.",
                    "{dataset}: entity mappings {a} and {b} of the query reading {file} compute "
                    "their ids from different keys, but in {n:,} records both got the same id, "
                    "so there they are one entity. If they are different entities, give each a "
                    "distinct key_literal, or keys that identify them.",
                    n,
                    dataset=dataset,
                    a=entities[i].name,
                    b=entities[j].name,
                    file=file,
                )
            )
    numbered = []
    for k, i in enumerate(columned):
        ids, numbers = row[len(pairs) + 2 * k : len(pairs) + 2 * k + 2]
        if ids and ids == numbers:
            numbered.append(i)
            notes.append(
                msg(
                    "{dataset}: entity mapping {entity} of the query reading {file} takes its "
                    "ids from column {column} as they are, and all are numbers of at most 9 "
                    "digits, as row or sequence numbers are. Entity ids are global across "
                    "datasets: another dataset's record with the same number would be merged "
                    "with it. Use keys: instead of id_column (hashed with the dataset's name "
                    "and key_literal), or prefix the ids.",
                    dataset=dataset,
                    entity=entities[i].name,
                    file=file,
                    column=entities[i].id_column,
                )
            )
    return notes, numbered


# FtM's parts of a person's name, in the order a name is written: `string` properties,
# which name search does not read (it reads name-typed ones: name, alias, our Individual's
# paternalSurname and maternalSurname...)
NAME_PARTS = ("firstName", "secondName", "middleName", "fatherName", "lastName", "motherName")


def name_part_notes(query: QuerySpec, dataset: str) -> list[Msg]:
    """A note for each entity mapping of `query` whose schema has a `name` but that maps
    only FtM's name parts (`NAME_PARTS`) and no name-typed property: name search cannot
    find its entities (`ftm map` is silent, as their values are fine)."""
    model = get_model()
    notes = []
    for entity in query.entities:
        schema = model.get(entity.schema)
        if schema is None or "name" not in schema.properties:
            continue
        props = {p.name: p for p in entity.properties}
        parts = [props[name] for name in NAME_PARTS if name in props]
        if not parts or any(kind_of(p.type_name, p.name) == KIND_NAME for p in props.values()):
            continue
        columns = [c for p in parts for c in p.refs]
        notes.append(
            msg(
                "{dataset}: entity mapping {entity} of the query reading {file} maps parts of "
                "a name ({parts}) but no name-typed property (name, alias...): FtM's name "
                "parts are text, which name search does not read, so these entities cannot "
                "be found by name search. Map name: {{columns: {columns}, join: ' '}}.",
                dataset=dataset,
                entity=entity.name,
                file=query.source.label,
                parts=", ".join(p.name for p in parts),
                columns=json.dumps(columns, ensure_ascii=False),
            )
        )
    return notes


def _numbered(column: str) -> str:
    """SQL: the id in `column` is a number of at most 9 digits (a row or sequence number,
    which another agency's file is as likely to hold)."""
    return f"regexp_full_match({column}, '[0-9]{{1,9}}')"


def held_elsewhere(
    store: Store,
    principal: Principal | None,
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    query: QuerySpec,
    numbered: list[int],
) -> list[Msg]:
    """For each entity of `numbered` (`entity_notes`; their ids in `cln` of `con`, the
    query's records of `dataset`): a note when some of its ids are already entities
    of another dataset that the loading principal may see, which this ingest merges them
    with (`View.held_elsewhere`: only what the principal may see, so without a principal,
    nothing).

    A principal without the `analyst` role may not read the store, so it is told only of
    its own agency's datasets, as `retract` lets it choose among its own agency's
    statements only (review R24 F6). Another agency's entities, even under a label it could
    read, are to it absent: `entity` refuses it, so a count of them would tell which of its
    ids exist. Its own agency's it loads, and may retract, so a merge with them is its to
    know (no note at all would hide the merge the note is for)."""
    if principal is None or not numbered:
        return []
    from ironriver.policy.view import View

    view = View(store, principal, audit=False, role="ingest")
    reader = principal.has_role("analyst")
    agency = principal.agency.upper()
    notes = []
    for i in numbered:
        entity = query.entities[i]
        ids = con.execute(f"SELECT DISTINCT e{i} FROM cln WHERE e{i} IS NOT NULL ORDER BY 1")
        held = view.held_elsewhere([str(r[0]) for r in ids.fetchall()], dataset)
        if not reader:
            held = {
                name: n for name, n in held.items() if store.dataset(name).agency.upper() == agency
            }
        if not held:
            continue
        fields = {
            "dataset": dataset,
            "entity": entity.name,
            "column": entity.id_column,
            "file": query.source.label,
            "held": ", ".join(f"{name}: {n:,}" for name, n in sorted(held.items())),
        }
        if reader:
            note = msg(
                "{dataset}: ids of entity mapping {entity} (column {column} of {file}) are "
                "already entities of other datasets you may see, so these records are merged "
                "with them (dataset: shared ids): {held}. Unless they are the same entities, "
                "use keys: instead of id_column, or prefix the ids.",
                **fields,
            )
        else:
            note = msg(
                "{dataset}: ids of entity mapping {entity} (column {column} of {file}) are "
                "already entities of other datasets of {agency}, so these records are merged "
                "with them (dataset: shared ids): {held}. Unless they are the same entities, "
                "use keys: instead of id_column, or prefix the ids.",
                agency=agency,
                **fields,
            )
        notes.append(note)
    return notes


def referents_note(file: str, count: int) -> Msg:
    """The note of an FtM entities file whose `count` lines list `referents` (`ingest
    --entities`): a nomenklatura or yente export names there the ids of the records its
    deduplication merged into each entity. They are not loaded (an entity is stored under
    its own id), so looking one up by such an id finds nothing; nothing else says so. An
    ironriver export writes `"referents": []`, which is no news (review R31 F9)."""
    return nmsg(
        "{file}: {n:,} entity lists referents (the ids of the records a deduplication merged "
        "into it, as nomenklatura and yente write them): they were not loaded, so looking the "
        "entity up by one of them finds nothing. The other keys such exports add (caption, "
        "first_seen, last_seen, last_change, target) are derived from the entity or are the "
        "exporter's bookkeeping: nothing of the entity is lost with them.",
        "{file}: {n:,} entities list referents (the ids of the records a deduplication merged "
        "into them, as nomenklatura and yente write them): they were not loaded, so looking "
        "an entity up by one of them finds nothing. The other keys such exports add (caption, "
        "first_seen, last_seen, last_change, target) are derived from the entity or are the "
        "exporter's bookkeeping: nothing of the entities is lost with them.",
        count,
        file=file,
    )


def case_note(dataset: str, source: SourceSpec, miss: CaseMiss) -> Msg:
    """A note on JSON Lines records whose value is under a key the mapping reads spelled in
    another case (`duckdb_reader.CaseMiss`): that value was not read, and nothing else says so."""
    return nmsg(
        "{dataset}: {n:,} record of {file} has no value under {column}, which the mapping "
        "reads, but one under {other}, the same key in another case: that value was not "
        "read (JSON keys are case-sensitive). Map {other} too, or fix the export.",
        "{dataset}: {n:,} records of {file} have no value under {column}, which the mapping "
        "reads, but one under {other}, the same key in another case: those values were not "
        "read (JSON keys are case-sensitive). Map {other} too, or fix the export.",
        miss.records,
        dataset=dataset,
        file=source.label,
        column=repr(miss.column),
        other=repr(miss.other),
    )


def suggest_date_formats(
    con: duckdb.DuckDBPyConnection, checks: list[str], report: ErrorReport, records: int
) -> None:
    """For each date check rejecting a tenth of the records or more (fewer are typos, not a
    file written in another layout), a hint when a sample of its rejected values all read
    in another layout (`report.date_format_hint`)."""
    seen = {str(h.fields.get("column")) for h in report.hints}
    for sql in checks:
        if not isinstance(sql, CheckSelect):  # the duplicate check: no format to suggest
            continue
        check = sql.check
        if not check.date_format or check.column in seen:
            continue
        where = '"column" = ? AND reason = ?'
        params = [check.column, check.reason]
        count = con.execute(f"SELECT count(*) FROM bad WHERE {where}", params).fetchall()
        if not count or int(count[0][0]) * 10 < records:
            continue
        rows = con.execute(f"SELECT value FROM bad WHERE {where} LIMIT 50", params).fetchall()
        hint = date_format_hint(check.column, check.date_format, [str(r[0]) for r in rows])
        if hint is not None:
            report.hints.append(hint)
            seen.add(check.column)


def find_bad_dates(
    con: duckdb.DuckDBPyConnection, checks: list[str], report: ErrorReport, file: str
) -> None:
    """Add to `report.bad_dates` each date column of `file` whose format rejects a large
    share of its non-empty values (`BadDates.wrong`), once per column. Before a skip
    deletes the rejected records: the share is of every value the query reads."""
    seen = {(b.file, b.column) for b in report.bad_dates}
    for sql in checks:
        if not isinstance(sql, CheckSelect):
            continue
        check = sql.check
        if not check.date_format or (file, check.column) in seen:
            continue
        where = '"column" = ? AND reason = ?'
        params = [check.column, check.reason]
        rejected = int(
            con.execute(f"SELECT count(DISTINCT _row) FROM bad WHERE {where}", params).fetchall()[
                0
            ][0]
        )
        if rejected < BAD_DATES_MIN:
            continue
        values = int(
            con.execute(
                f"SELECT count(*) FROM {ident(sql.table)} WHERE ({check.value}) IS NOT NULL"
            ).fetchall()[0][0]
        )
        found = BadDates(file, check.column, check.date_format, rejected, values)
        if found.wrong:
            report.bad_dates.append(found)
            seen.add((file, check.column))
