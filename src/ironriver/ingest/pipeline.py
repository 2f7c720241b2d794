"""`ingest_mapping`: run a mapping file into the store — validate everything, then write once.

Order of work, so that bad input never half-writes, and one file at a time so that memory
holds one file's data, not all of them:

1. parse the mapping (`mapping.py`);
2. for each query: load its file (`source.py`), compile (`compile.py`) and validate
   (`validate.py`); then, unless a record was rejected (without `skip_invalid`), do the heavy
   part of its write before the store's write lock is taken: stage its statements
   (`Store.stage`, a side file written in C on SQLite) and write its ledger part under a
   temporary name; then free the file's data;
3. if any record was rejected and `skip_invalid` is false: write the error report, delete
   the stage and temporary parts, raise `IngestError` (store untouched);
4. inside one `store.writer()` transaction: declare the datasets, copy the staged
   statements in, append the audit event; any exception rolls the transaction back and
   deletes the stage and the temporary ledger files; after the commit the ledger files are
   renamed into place.

Re-ingesting the same file is a no-op: statement ids and ledger part names are content hashes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, fields
from functools import cache, partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.errors import IngestError
from ironriver.i18n import Msg, joined, msg, nmsg, nt, t
from ironriver.ingest.clean import Cleaner, json_kind_name
from ironriver.ingest.compile import (
    EntityCompiler,
    build_statements,
    filter_condition,
    json_value_checks,
    ledger_sql,
)
from ironriver.ingest.mapping import (
    DatasetMapping,
    LedgerSpec,
    QuerySpec,
    SourceSpec,
    load_mapping,
)
from ironriver.ingest.report import BAD_DATES_MIN, BadDates, ErrorReport, date_format_hint
from ironriver.ingest.source import (
    CaseMiss,
    connect,
    drop_source,
    file_digest,
    fits_in_memory,
    load_source,
)
from ironriver.ingest.validate import (
    CheckSelect,
    StoredKeys,
    build_bad_table,
    check_sql,
    duplicate_check_sql,
    key_conflict_sql,
    stored_keys,
)
from ironriver.logs import get_logger
from ironriver.model import get_model
from ironriver.policy import Principal, authorize_ingest
from ironriver.policy.markings import can_see, strict_country_note
from ironriver.progress import Progress, no_progress
from ironriver.scratch import HeldInterrupts
from ironriver.settings import DEFAULT_INGEST_MEMORY_MB
from ironriver.sqltext import ident, literal
from ironriver.store import DatasetInfo, Store, Writer
from ironriver.store.ids import KIND_NAME, kind_of
from ironriver.store.ledger import PARTS_KEY, LedgerStore, PendingPart
from ironriver.store.staging import StatementStage

DEFAULT_BATCH_ROWS = 500_000
log = get_logger(__name__)


@dataclass
class IngestResult:
    """What an ingest did."""

    datasets: list[str] = field(default_factory=list)
    records: int = 0
    rejected: int = 0
    # statements produced: each query's, after de-duplication within that query (one that
    # two queries give counts twice here, once in `statements_new`)
    statements: int = 0
    # of which new to the loader: not among the statements it could see (`new_to_loader`);
    # without a loader, new to the store
    statements_new: int = 0
    ledger_rows: int = 0  # ledger rows produced
    ledger_rows_new: int = 0  # of which new to the loader (`_rows_alone`), or to the store
    report_path: Path | None = None
    dry_run: bool = False  # checked only: nothing was written (the *_new counts are 0)
    # what the reader should know though nothing failed (a query whose filters kept nothing)
    notes: list[Msg] = field(default_factory=list)

    @property
    def kept(self) -> int:
        """The records ingested (or, in a dry run, that would be): all but the rejected."""
        return self.records - self.rejected


@dataclass
class _Prepared:
    """One query, validated, with its output waiting in DuckDB."""

    mapping: DatasetMapping
    query: QuerySpec
    con: duckdb.DuckDBPyConnection
    statements: bool
    ledger: bool
    records: int
    rejected: int
    source_digest: str  # SHA-256 of the source file's bytes (names its ledger part), or ""
    rejected_rows: pa.Array  # the distinct rows (`_row`) of the `rejected` records
    old_keys: StoredKeys | None  # a keyed ledger's stored parts, as its checks read them
    notes: list[Msg] = field(default_factory=list)  # see IngestResult.notes
    # the entities (indexes) whose `id_column` ids in `cln` are all short numbers
    numbered: list[int] = field(default_factory=list)


@dataclass
class _Tally:
    """An ingest's records and rejected records, each counted once however many of its
    queries read the file (two queries of one file, e.g. by different filters, read its
    records once each but the file holds them once)."""

    records: dict[tuple[str, str | int | None, int], int] = field(default_factory=dict)
    rejected: dict[tuple[str, str | int | None, int], list[pa.Array]] = field(default_factory=dict)

    def add(self, prep: _Prepared, result: IngestResult) -> None:
        """Count `prep`'s file (once) and rejected rows into `result`."""
        source = prep.query.source
        key = (str(source.path.resolve()), source.sheet, source.header_row)
        self.records[key] = max(self.records.get(key, 0), prep.records)
        self.rejected.setdefault(key, []).append(prep.rejected_rows)
        result.notes.extend(prep.notes)
        result.records = sum(self.records.values())
        result.rejected = sum(
            len(pc.unique(pa.chunked_array(rows, pa.int64()))) for rows in self.rejected.values()
        )


def dataset_info(mapping: DatasetMapping) -> DatasetInfo:
    return DatasetInfo(
        name=mapping.name,
        agency=mapping.agency,
        country=mapping.country,
        marking=mapping.marking,
        releasable_to=mapping.releasable_to,
        legal_basis=mapping.legal_basis,
        title=mapping.title,
    )


def new_to_loader(w: Writer, stage: StatementStage, principal: Principal | None) -> int:
    """How many of the statements an ingest staged (and `Writer.add_staged` copied) are new
    to `principal`, its loader: not among those it could see before (`Writer.new_to`). A
    statement the store holds that the loader may not see (another label's, or retracted)
    counts as new, as it would on a store holding only what the loader sees, so that the
    report never tells of it; the store keeps it as it was (an ingest neither re-marks nor
    restores a statement). Without a principal (a library ingest), new to the store."""
    if principal is None:
        return sum(staged.added for staged in stage.tables)
    return w.new_to(stage, partial(can_see, principal))


def label_notes(datasets: Iterable[DatasetInfo], agencies: Collection[str] | None) -> list[Msg]:
    """Notes on labels that share with no one they seem to name (`strict_country_note`),
    given the agencies of the principals file (None: not known, no notes)."""
    if agencies is None:
        return []
    notes = (strict_country_note(info.name, info.label, agencies) for info in datasets)
    return [note for note in notes if note is not None]


def _prepare(
    mapping: DatasetMapping,
    query: QuerySpec,
    report: ErrorReport,
    skip_invalid: bool,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    spill_root: Path | None = None,
    stored: list[Path] | None = None,
) -> _Prepared:
    """Load, compile and validate one query (see the module doc). A file too large to read
    whole within `memory_mb` is streamed into DuckDB, which then holds every later step to
    that budget, spilling to a folder in `spill_root` (default `$TMPDIR`; `ingest_mapping`
    passes a folder beside the store). `stored`: the part files its ledger already has in
    the store, for a ledger with a `key` (a dry run has no store: none)."""
    stream = not fits_in_memory(query.source.path, memory_mb)
    con = connect(memory_mb if stream else None, spill_root)
    con.execute("SET enable_progress_bar = false")
    try:
        refs = query.refs
        # a ledger part is named by its file's digest, computed beside the parse (hashlib
        # releases the GIL); statements need none (their ids are content hashes)
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(file_digest, query.source.path) if query.ledger else None
            # a view over the Arrow table the file was read into (nothing copied into
            # DuckDB), or for a large file a table DuckDB may spill
            misses: list[CaseMiss] = []
            records = load_source(
                con,
                query.source,
                refs,
                materialize=False,
                stream=stream,
                case_misses=misses,
                name_refs=query.name_refs,
            )
            source_digest = digest.result() if digest is not None else ""
        cleaner = Cleaner(con)
        sanitized = cleaner.sanitize_columns(refs)
        scol = sanitized.columns
        where = filter_condition(query, scol)
        # duplicates among the records the filters keep (they read the sanitized columns of
        # `san`); without filters, over `src`, which spares the sanitizing joins
        filtered = bool(query.source.filters or query.source.filters_not)
        checks = [
            duplicate_check_sql(refs, "san", where) if filtered else duplicate_check_sql(refs)
        ]
        notes = _filter_notes(con, mapping.name, query, scol, where, records) if filtered else []
        notes += [_case_note(mapping.name, query.source, miss) for miss in misses]
        # JSON Lines columns holding a list or an object in some record
        present = set(con.table("san").columns)
        listed = frozenset(c for c in refs if json_kind_name(c) in present)
        checks += [check_sql(c, "san") for c in json_value_checks(query, listed, where)]
        old_keys = None  # a keyed ledger's stored parts (StoredKeys)
        if query.entities:
            comp = EntityCompiler(query, mapping.name, cleaner, scol, listed, sanitized.names)
            extra = ", ".join(comp.columns)
            con.execute(f"CREATE TEMP TABLE cln AS SELECT *, {extra} FROM san WHERE {where}")
            checks += [check_sql(c, "cln") for c in comp.checks]
        if query.ledger is not None:
            sql, lchecks = ledger_sql(query.ledger, scol, where)
            # a view: the checks type the rows in one scan, the write types them again as it
            # streams them to Parquet; nothing is materialised
            con.execute(f"CREATE TEMP VIEW led AS {sql}")
            checks += [check_sql(c, "led") for c in lchecks]
            if query.ledger.key:
                types = {c.name: c.type for c in query.ledger.columns}
                old_keys = stored_keys(stored or [], query.ledger.columns, list(query.ledger.key))
                checks += key_conflict_sql(types, list(query.ledger.key), old_keys)
        rejected = build_bad_table(con, checks)
        rejected_rows = pa.array([], pa.int64())
        if rejected:
            bad = con.sql(
                'SELECT _row, "column", value, reason FROM bad ORDER BY _row, "column"'
            ).to_arrow_table()
            report.add(query.source.label, bad)
            rejected_rows = pc.unique(bad.column("_row")).cast(pa.int64())
            _suggest_date_formats(con, checks, report, records)
            _find_bad_dates(con, checks, report, query.source.label)
            if skip_invalid and query.entities:
                con.execute("DELETE FROM cln WHERE _row IN (SELECT _row FROM bad)")
                # (the ledger write leaves out the rows of `bad` itself: `led` is a view)
        numbered: list[int] = []  # entities whose id_column ids look like row numbers
        if query.entities:
            more, numbered = _entity_notes(con, comp, mapping.name)
            notes += more + _name_part_notes(query, mapping.name)
            notes += _placeholder_notes(con, comp, mapping.name)
            build_statements(con, comp, mapping.name)  # reads cln
        if query.ledger is None:  # else `led`, a view over them, is read by _write
            con.execute("DROP VIEW san")
            drop_source(con)
        return _Prepared(
            mapping,
            query,
            con,
            bool(query.entities),
            query.ledger is not None,
            records,
            rejected,
            source_digest,
            rejected_rows,
            old_keys,
            notes,
            numbered,
        )
    except BaseException:
        con.close()
        raise


def _filter_notes(
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
    for (kind, column, value), n in zip(probes, found, strict=True):
        if n:
            continue
        if kind == "filters":
            if kept:
                unmatched.setdefault(column, []).append(value)
            continue
        notes.append(
            msg(
                "{dataset}: filters_not {column} = {value} of the query reading {file} matches "
                "none of the file's records, so it left none out. Filter values are compared "
                "with the file's text exactly (after trimming): check its spelling and case.",
                dataset=dataset,
                column=column,
                value=value,
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


@cache
def _null_words() -> list[str]:
    """rigour's words for a missing value ("UNKNOWN", "Desconocido", "N/A", "Sin datos"...),
    lower-cased, as `_placeholder_notes` compares them."""
    from rigour._core import nullwords_list  # (rigour.text.stopwords reads the same list)

    return sorted({word.strip().lower() for word in nullwords_list()})


def _placeholder_notes(
    con: duckdb.DuckDBPyConnection, comp: EntityCompiler, dataset: str
) -> list[Msg]:
    """A note when columns read as names hold words for a missing value (rigour's null words:
    "UNKNOWN", "Desconocido", "N/A"...): an agency's form writes them where it knows no name
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


def _entity_notes(
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
    their ids up among what the loader may see: `_held_elsewhere`)."""
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


def _name_part_notes(query: QuerySpec, dataset: str) -> list[Msg]:
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


def _held_elsewhere(store: Store, prep: _Prepared, principal: Principal | None) -> list[Msg]:
    """For each entity of `prep.numbered`: a note when some of its ids are already entities
    of another dataset that the loading principal may see, which this ingest merges them
    with (`View.held_elsewhere`: only what the principal may see, so without a principal,
    nothing)."""
    if principal is None or not prep.numbered:
        return []
    from ironriver.policy.view import View

    view = View(store, principal, audit=False, role="ingest")
    notes = []
    for i in prep.numbered:
        entity = prep.query.entities[i]
        ids = prep.con.execute(f"SELECT DISTINCT e{i} FROM cln WHERE e{i} IS NOT NULL ORDER BY 1")
        held = view.held_elsewhere([str(r[0]) for r in ids.fetchall()], prep.mapping.name)
        if not held:
            continue
        notes.append(
            msg(
                "{dataset}: ids of entity mapping {entity} (column {column} of {file}) are "
                "already entities of other datasets you may see, so these records are merged "
                "with them (dataset: shared ids): {held}. Unless they are the same entities, "
                "use keys: instead of id_column, or prefix the ids.",
                dataset=prep.mapping.name,
                entity=entity.name,
                column=entity.id_column,
                file=prep.query.source.label,
                held=", ".join(f"{name}: {n:,}" for name, n in sorted(held.items())),
            )
        )
    return notes


def _case_note(dataset: str, source: SourceSpec, miss: CaseMiss) -> Msg:
    """A note on JSON Lines records whose value is under a key the mapping reads spelled in
    another case (`source.CaseMiss`): that value was not read, and nothing else says so."""
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


def _suggest_date_formats(
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


def _find_bad_dates(
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


def _batches(con: duckdb.DuckDBPyConnection, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Statement batches in the store's clustered-key order (entity_id, id), so consecutive
    batches touch consecutive B-tree pages."""
    reader = con.sql(
        "SELECT id, entity_id, schema, prop, value, original_value, source_row FROM stmts "
        "ORDER BY entity_id, id"
    ).to_arrow_reader(batch_rows)
    for batch in reader:
        if batch.num_rows:
            yield batch


def default_report_path(mapping_path: Path) -> Path:
    return mapping_path.with_name(mapping_path.name + ".errors.csv")


def ingest_mapping(
    store: Store,
    mapping_path: Path | str,
    *,
    actor: str,
    reason: str = "",
    skip_invalid: bool = False,
    allow_bad_dates: bool = False,
    report_path: Path | str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    principal: Principal | None = None,
    progress: Progress = no_progress,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    agencies: Collection[str] | None = None,
) -> IngestResult:
    """Ingest every query of a mapping file atomically (see the module doc).

    With `principal`, each dataset must be one it may load (`authorize_ingest`: the ingest
    role and its own agency's data), checked before any file is read. `agencies`: those of
    the principals file, for the notes on labels that share with no one (`label_notes`).

    `memory_mb` is the memory one source file may take (`Settings.ingest_memory_mb`, which
    the CLI passes; `IRONRIVER_INGEST_MEMORY_MB`); a larger file is streamed into DuckDB, which
    spills to a temporary folder beside the store's ledgers (on disk, not `$TMPDIR`, which
    may be memory-backed), removed afterwards.

    Raises `IngestError` (store untouched) when the mapping or a file is wrong, or when any
    record is rejected and `skip_invalid` is false; the error names the report file. With
    `skip_invalid`, a date column whose format rejects a large share of its values
    (`report.BadDates`: likely the wrong layout, whose other dates would be stored misread)
    still raises, unless `allow_bad_dates`. Raises
    `StoreError` before any file is read when a dataset is already stored with another owner,
    marking, releasability or legal basis (`Store.ensure_dataset`: an ingest never re-marks).
    """
    mapping_path = Path(mapping_path)
    mappings, report_file = _start(mapping_path, report_path, principal)
    for mapping in mappings:  # a stored dataset keeps its owner and label: before any read
        store.check_dataset(dataset_info(mapping))
    report = ErrorReport()
    result = IngestResult(datasets=[m.name for m in mappings])
    result.notes += label_notes(map(dataset_info, mappings), agencies)
    tally = _Tally()
    files: list[str] = []
    parts: list[PendingPart] = []
    # the ledger rows new to a loader who may not see a part's label (its dataset's), by the
    # part's index in `parts`: what a ledger holding no row it may not see would take
    unseen: dict[int, int] = {}
    # (a write into a ledger folder renames the parts a killed ingest committed there into
    # place before it sweeps that folder: this store may have been opened before it died)
    ledgers = LedgerStore(store.ledger_dir, store.ingest_details)
    # a streamed file's DuckDB spills beside the store's data (the ledger folder's parent
    # exists once the store is open), not to $TMPDIR, which may live in memory
    spill_root = store.ledger_dir.resolve().parent
    started = time.perf_counter()
    # a signal during the commit waits for it (and the ledger parts): say so
    held = HeldInterrupts(lambda: progress(t("stopping once the commit is done…")))
    # on every path, the keyed ledgers' locks are released, then held signals act
    with ExitStack() as cleanup:
        cleanup.callback(held.release)  # a signal that came during the commit acts now
        # a keyed ledger's lock, from reading its stored keys until this ingest's part is in
        # place: another ingest of an overlapping export would append the same new keys
        for dataset, ledger in _keyed_ledgers(mappings):
            waiting = t(
                "{dataset}: waiting for another ingest into ledger {ledger}…",
                dataset=dataset,
                ledger=ledger,
            )
            cleanup.enter_context(ledgers.key_lock(dataset, ledger, partial(progress, waiting)))
        with _discarded_on_error(parts), store.stage() as stage:
            for mapping in mappings:
                for query in mapping.queries:
                    files.append(query.source.label)
                    stored = (
                        _stored_parts(ledgers, mapping.name, query.ledger.name, parts)
                        if query.ledger is not None and query.ledger.key
                        else []
                    )
                    prep = _prepare_logged(
                        mapping,
                        query,
                        report,
                        skip_invalid,
                        progress,
                        memory_mb,
                        spill_root,
                        stored,
                    )
                    tally.add(prep, result)
                    try:
                        if skip_invalid or not report.rows:  # else nothing will be written
                            result.notes.extend(_held_elsewhere(store, prep, principal))
                            _stage_query(prep, stage, ledgers, parts, result, batch_rows, progress)
                            if prep.ledger and not _sees(principal, prep.mapping):
                                unseen[len(parts) - 1] = _rows_alone(prep, parts[-1])
                    finally:  # staged: free this file's data before the next
                        prep.con.close()
            _check_rejections(
                report,
                report_file,
                report_path,
                result,
                skip_invalid,
                mapping_path,
                allow_bad_dates,
            )
            log.info(
                "ingest.staged",
                datasets=result.datasets,
                statements=stage.rows,
                ledger_rows=result.ledger_rows,
                file_backed=stage.file_backed,
                seconds=round(time.perf_counter() - started, 3),
            )
            started = time.perf_counter()
            with store.writer(stage=stage) as w:
                # in name order: two ingests declaring the same new datasets take their rows'
                # locks in one order (in the mapping's, PostgreSQL could deadlock them)
                for mapping in sorted(mappings, key=lambda m: m.name):
                    w.ensure_dataset(dataset_info(mapping))
                if stage.rows:  # a ledger-only mapping writes none
                    progress(writing_message(stage.rows))
                added = w.add_staged(stage)
                result.statements_new = new_to_loader(w, stage, principal)
                result.statements = stage.rows
                detail: dict[str, Any] = {
                    "mapping": str(mapping_path),
                    "files": files,
                    "records": result.records,
                    "rejected": result.rejected,
                    "statements": result.statements,
                    "statements_new": added,  # (to the store: the audit log is not a view)
                    "ledger_rows": result.ledger_rows,
                }
                pending = [p.pending_names(ledgers.root) for p in parts if p.tmp is not None]
                if pending:  # a process killed between the commit and the renames: the
                    # next one to open the store or write there renames them (`recover_parts`)
                    detail[PARTS_KEY] = pending
                progress(t("committing"))
                store.audit.append(
                    actor=actor,
                    action="ingest",
                    target=",".join(result.datasets),
                    reason=reason,
                    detail=detail,
                    agency=principal.agency if principal is not None else "",
                    conn=w.conn,
                )
                held.hold()  # signals wait from the commit until the ledger parts are in place
        for i, part in enumerate(parts):  # committed: the ingest is whole once they are in place
            appended = part.commit()
            result.ledger_rows_new += unseen.get(i, appended)
    log.info(
        "ingest.committed",
        datasets=result.datasets,
        statements=result.statements,
        statements_new=added,
        statements_new_to_loader=result.statements_new,
        ledger_rows=result.ledger_rows,
        ledger_rows_new=result.ledger_rows_new,
        seconds=round(time.perf_counter() - started, 3),
    )
    return result


@contextmanager
def _discarded_on_error(parts: list[PendingPart]) -> Iterator[None]:
    """Discard the ledger parts written meanwhile into `parts` if the block raises: before
    the commit, no part of the ingest may appear. (Not after it: the audit event names the
    parts, and `recover_parts` puts in place those whose rename did not happen.)"""
    try:
        yield
    except BaseException:
        for part in parts:
            part.discard()
        raise


def _stored_parts(
    ledgers: LedgerStore, dataset: str, ledger: str, pending: list[PendingPart]
) -> list[Path]:
    """The parts a keyed ledger holds for this ingest's next query: its committed parts,
    and those this ingest's earlier queries wrote into it, not yet committed (two queries
    into one keyed ledger must not both append a key)."""
    own = [
        p.tmp
        for p in pending
        if p.tmp is not None
        and (p.final.parent.parent.name, p.final.parent.name) == (dataset, ledger)
    ]
    return ledgers.parts(dataset, ledger) + own


def _keyed_ledgers(mappings: list[DatasetMapping]) -> list[tuple[str, str]]:
    """The (dataset, ledger) pairs of the ledgers with a `key` that `mappings` write, in
    one order for every ingest (so two ingests take their locks without deadlock)."""
    return sorted(
        {
            (m.name, q.ledger.name)
            for m in mappings
            for q in m.queries
            if q.ledger is not None and q.ledger.key
        }
    )


def _start(
    mapping_path: Path, report_path: Path | str | None, principal: Principal | None
) -> tuple[list[DatasetMapping], Path]:
    """The mapping file's datasets, each one `principal` may load (checked before any file
    is read), and where the error report goes."""
    mappings = load_mapping(mapping_path)
    if principal is not None:
        for mapping in mappings:
            authorize_ingest(principal, mapping.name, mapping.agency)
    return mappings, Path(report_path) if report_path else default_report_path(mapping_path)


def check_mapping(
    mapping_path: Path | str,
    *,
    skip_invalid: bool = False,
    allow_bad_dates: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    spill_root: Path | None = None,
    agencies: Collection[str] | None = None,
) -> IngestResult:
    """Everything `ingest_mapping` checks, without a store: the mapping, each file, every
    record; returns what an ingest would produce (`dry_run` set, the *_new counts 0).

    Rejected records go to the error report and raise `IngestError` as an ingest would
    (unless `skip_invalid`, which counts only the records an ingest would keep; a date
    column likely read in the wrong layout raises all the same, unless `allow_bad_dates`)."""
    mapping_path = Path(mapping_path)
    mappings, report_file = _start(mapping_path, report_path, principal)
    report = ErrorReport()
    result = IngestResult(datasets=[m.name for m in mappings], dry_run=True)
    result.notes += label_notes(map(dataset_info, mappings), agencies)
    tally = _Tally()
    for mapping in mappings:
        for query in mapping.queries:
            prep = _prepare_logged(
                mapping, query, report, skip_invalid, no_progress, memory_mb, spill_root
            )
            try:
                tally.add(prep, result)
                if prep.statements:
                    result.statements += int(
                        prep.con.sql("SELECT count(*) FROM stmts").fetchall()[0][0]
                    )
                if prep.ledger:
                    keep = " WHERE _row NOT IN (SELECT _row FROM bad)" if prep.rejected else ""
                    result.ledger_rows += int(
                        prep.con.sql(f"SELECT count(*) FROM led{keep}").fetchall()[0][0]
                    )
            finally:
                prep.con.close()
    _check_rejections(
        report, report_file, report_path, result, skip_invalid, mapping_path, allow_bad_dates
    )
    return result


def _prepare_logged(
    mapping: DatasetMapping,
    query: QuerySpec,
    report: ErrorReport,
    skip_invalid: bool,
    progress: Progress,
    memory_mb: int,
    spill_root: Path | None,
    stored: list[Path] | None = None,
) -> _Prepared:
    # each query reads its file whole (its own filters, columns and checks): a file that
    # several queries of the dataset read is read once per query, which the line says
    same_file = [q for q in mapping.queries if q.source.path == query.source.path]
    if len(same_file) > 1:
        progress(
            t(
                "{dataset}: reading and validating {file} (query {i} of {n} reading it)",
                dataset=mapping.name,
                file=query.source.label,
                i=next(i for i, q in enumerate(same_file, 1) if q is query),
                n=len(same_file),
            )
        )
    else:
        progress(
            t(
                "{dataset}: reading and validating {file}",
                dataset=mapping.name,
                file=query.source.label,
            )
        )
    started = time.perf_counter()
    prep = _prepare(mapping, query, report, skip_invalid, memory_mb, spill_root, stored)
    log.info(
        "ingest.prepared",
        dataset=mapping.name,
        file=query.source.label,
        records=prep.records,
        rejected=prep.rejected,
        seconds=round(time.perf_counter() - started, 3),
    )
    return prep


def _stage_query(
    prep: _Prepared,
    stage: StatementStage,
    ledgers: LedgerStore,
    parts: list[PendingPart],
    result: IngestResult,
    batch_rows: int,
    progress: Progress,
) -> None:
    """The heavy part of one file's write, before the store's write lock is taken: its
    statements into the stage, its ledger rows into a part file under a temporary name
    (renamed into place after the commit, deleted if anything fails)."""
    if prep.statements:
        progress(t("{dataset}: staging statements", dataset=prep.mapping.name))
        stage.add(
            prep.mapping.name,
            prep.mapping.label,
            prep.query.source.label,
            partial(_batches, prep.con, batch_rows),
        )
    if prep.ledger and prep.query.ledger is not None:
        parts.append(_ledger_part(ledgers, prep, result, progress))


def _check_rejections(
    report: ErrorReport,
    report_file: Path,
    report_path: Path | str | None,
    result: IngestResult,
    skip_invalid: bool,
    mapping_path: Path,
    allow_bad_dates: bool = False,
) -> None:
    """Write the error report of rejected records; raise unless `skip_invalid` (and, for a
    date column whose format rejects a large share of its values, `allow_bad_dates`)."""
    if not report.rows:
        if report_file.exists() and report_path is None:
            report_file.unlink()  # a stale report from an earlier failed run
        return
    result.report_path = report.write(report_file)
    if skip_invalid and report.bad_dates and not allow_bad_dates:
        raise _bad_dates_error(report, report_file)
    # info either way: the user is told in a sentence of their language (the error, or the
    # command's "Skipped N invalid records"), so the default level (WARNING) stays quiet
    log.info(
        "ingest.rejected_records",
        mapping=mapping_path.name,
        rejected=result.rejected,
        records=result.records,
        report=str(report_file),
        skip_invalid=skip_invalid,
    )
    if not skip_invalid:
        raise IngestError(
            nmsg(
                "{rejected} record of {records} rejected, nothing was ingested: {summary}.",
                "{rejected} of {records} records rejected, nothing was ingested: {summary}.",
                result.rejected,
                rejected=result.rejected,
                records=result.records,
                summary=report.summary(),
            ),
            hint=joined(
                [
                    *report.hints,
                    msg(
                        "See {report} ({columns}). Fix those rows or the mapping (e.g. a date "
                        "format), then ingest again; or pass --skip-invalid to ingest the "
                        "valid rows only.",
                        report=report_file,
                        columns="row, column, value, reason",
                    ),
                ],
                " ",
            ),
            report_path=str(report_file),
        )


def _bad_dates_error(report: ErrorReport, report_file: Path) -> IngestError:
    """The refusal of a --skip-invalid ingest whose date columns are likely read in the
    wrong layout: skipping their rejected records would keep the others, misread."""
    columns = [
        msg(
            "{column} of {file} under {format}: {rejected:,} of {values:,} ({share:.0%})",
            column=b.column,
            file=b.file,
            format=b.format,
            rejected=b.rejected,
            values=b.values,
            share=b.rejected / b.values,
        )
        for b in report.bad_dates
    ]
    bad = {b.column for b in report.bad_dates}
    hints = [h for h in report.hints if h.fields.get("column") in bad]
    return IngestError(
        nmsg(
            "A date column's format rejects a large share of its values, so its layout is "
            "likely wrong (e.g. day and month swapped), and --skip-invalid would keep the "
            "dates it happens to read, misread: {columns}. Nothing was ingested.",
            "Date columns' formats reject a large share of their values, so their layouts "
            "are likely wrong (e.g. day and month swapped), and --skip-invalid would keep "
            "the dates they happen to read, misread: {columns}. Nothing was ingested.",
            len(columns),
            columns=joined(columns, "; "),
        ),
        hint=joined(
            [
                *hints,
                msg(
                    "Check the format against the file ({command} suggests one) and see "
                    "{report}. If those dates are wrong in the file itself, pass {option} "
                    "with --skip-invalid to ingest the other records.",
                    command="`ironriver mapping draft FILE`",
                    report=report_file,
                    option="--allow-bad-dates",
                ),
            ],
            " ",
        ),
        report_path=str(report_file),
    )


def _ledger_part(
    ledgers: LedgerStore, prep: _Prepared, result: IngestResult, progress: Progress
) -> PendingPart:
    assert prep.query.ledger is not None
    name = prep.mapping.name
    columns = [f'"{c.name}"' for c in prep.query.ledger.columns]  # validated names
    # `led` scans in record order; rejected rows (skip_invalid) are left out, and then
    # sorted again as the anti-join need not keep the order
    keep = " WHERE _row NOT IN (SELECT _row FROM bad) ORDER BY _row" if prep.rejected else ""
    rows = f"led{keep}"
    key = prep.query.ledger.key
    if key:
        kept = "_row NOT IN (SELECT _row FROM bad)" if prep.rejected else "TRUE"
        rows = _new_keys(prep, kept, result)
    select_sql = (
        f"SELECT {', '.join(columns)}, {literal(prep.query.source.label + ':')} "
        f"|| CAST(_row AS VARCHAR) AS _source_ref FROM {rows}"
    )
    # named by what it is made from (the file's bytes, how the query reads them, the
    # mapping's ledger, the records kept), not by the Parquet bytes, which change with the
    # writer's version
    assert prep.source_digest, "a ledger query's file digest is computed in _prepare"
    parts = [
        prep.source_digest,
        _ledger_identity(prep.query.ledger),
        select_sql,
        str(prep.rejected),
    ]
    reading = _reading(prep.query.source)
    identity = "\x1f".join([*parts, reading] if reading else parts)
    part = ledgers.prepare_query(
        prep.con, select_sql, name, prep.query.ledger.name, prep.mapping.label, identity=identity
    )
    if key and not part.rows:  # every record is stored already: no empty part
        part.discard()
        part = PendingPart(Path(), None, 0, existed=True)
    n_rows = part.rows
    if not key:  # (with a key, the file's rows were counted by _new_keys)
        result.ledger_rows += n_rows
    progress(
        nt(
            "{dataset}: {count:,} row for ledger {ledger}",
            "{dataset}: {count:,} rows for ledger {ledger}",
            n_rows,
            dataset=name,
            count=n_rows,
            ledger=prep.query.ledger.name,
        )
    )
    return part


def _sees(principal: Principal | None, mapping: DatasetMapping) -> bool:
    """Whether the loader (None: none, a library ingest) may see what `mapping` writes."""
    return principal is None or can_see(principal, mapping.label)


def _rows_alone(prep: _Prepared, part: PendingPart) -> int:
    """The rows `prep`'s ledger part would append to a ledger holding none of its dataset's
    rows, for a loader who may not see them (`ledger_rows_new` is new to the loader, as
    `statements_new` is: `new_to_loader`): a part's rows, whether the ledger held that part
    already or not; with a `key`, the first row of each key the file holds (the keys the
    ledger held are not appended again, and their rows are not the loader's to learn of)."""
    assert prep.query.ledger is not None
    if not prep.query.ledger.key:
        return part.rows
    kept = "_row NOT IN (SELECT _row FROM bad)" if prep.rejected else "TRUE"
    first = _first_of_keys(prep.query.ledger.key, kept)
    return int(prep.con.sql(f"SELECT count(*) FROM {first}").fetchall()[0][0])


def _first_of_keys(key: tuple[str, ...] | list[str], kept: str) -> str:
    """A FROM item of the rows of `led` that `kept` keeps, the first of each `key` in the
    file (rows with an empty key column have no key and are all kept)."""
    columns = [ident(k) for k in key]
    unnamed = " OR ".join(f"{k} IS NULL" for k in columns)
    return (
        f"(SELECT * FROM led WHERE {kept} QUALIFY {unnamed} OR "
        f"row_number() OVER (PARTITION BY {', '.join(columns)} ORDER BY _row) = 1)"
    )


def _ledger_identity(spec: LedgerSpec) -> str:
    """How a ledger's mapping enters the name of the parts it writes: frozen, as a part's
    name must not change with ironriver's version (the same file again adds nothing, also
    after an upgrade). It is the text `repr(spec)` gave before `key` was added, and with a
    key the text it gives since; a field added later must be written here only when it is
    not its default, so that parts written before keep their names."""
    columns = ", ".join(
        f"LedgerColumn(name={c.name!r}, column={c.column!r}, type={c.type!r}, "
        f"format={c.format!r}, required={c.required!r}"
        + (
            f", two_digit_years_from={c.two_digit_years_from!r})"
            if c.two_digit_years_from is not None
            else ")"
        )
        for c in spec.columns
    )
    if len(spec.columns) == 1:
        columns += ","  # (a tuple of one)
    key = f", key={spec.key!r}" if spec.key else ""
    return f"LedgerSpec(name={spec.name!r}, columns=({columns}){key})"


def _new_keys(prep: _Prepared, kept: str, result: IngestResult) -> str:
    """A FROM clause (in record order) of the rows of `led` that `kept` (a condition) keeps
    and that a ledger with a `key` lacks: the first of each key in the file, and only if the
    ledger holds no row of that key (its rows of those keys are the same ones:
    `validate.key_conflict_sql` rejected the others). Rows with an empty key column have no
    key and are all kept. Counts the file's rows into `result.ledger_rows` (those appended
    are its `ledger_rows_new`)."""
    assert prep.query.ledger is not None
    first = _first_of_keys(prep.query.ledger.key, kept)
    count = f"SELECT count(*) FROM led WHERE {kept}"
    result.ledger_rows += int(prep.con.sql(count).fetchall()[0][0])
    old = prep.old_keys
    if old is None:  # no part holds a key yet
        return f"{first} ORDER BY _row"
    return (
        f"{first} n WHERE NOT EXISTS (SELECT 1 FROM {old.source} o "
        f"WHERE {old.same(list(prep.query.ledger.key))}) ORDER BY _row"
    )


def _reading(source: SourceSpec) -> str:
    """How a query reads its file, where it differs from the defaults (its filters, sheet,
    header row, encoding...): two queries of one file into one ledger, e.g. by different
    filters or from two sheets, make different parts. "" for a plain read, whose parts keep
    the names they had before this was part of them."""
    default = SourceSpec(source.path)
    changed = {
        f.name: getattr(source, f.name)
        for f in fields(SourceSpec)
        # (date_formats come from the ledger's columns, already in the name)
        if f.name not in ("path", "date_formats")
        and getattr(source, f.name) != getattr(default, f.name)
    }
    return repr(sorted(changed.items())) if changed else ""


def writing_message(statements: int) -> str:
    """The progress line of the copy into the store, in the current language."""
    return nt(
        "writing {count:,} statement", "writing {count:,} statements", statements, count=statements
    )
