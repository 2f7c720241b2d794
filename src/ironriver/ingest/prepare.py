"""One query of a mapping, prepared for its write: its file loaded into DuckDB, compiled and
validated, its notes made (`notes.py`), nothing written to the store.

`prepare_query` leaves on the query's own DuckDB connection (`Prepared.con`, which the
caller closes) the tables the write reads: `stmts`, the entity statements (when the query
maps entities), `led`, a view of the ledger rows (when it has a ledger; it reads the
file's table `src` through `san`, which are then kept), and `bad`, the rejected values
(`validate.build_bad_table`). Their rejected records are in the `ErrorReport` passed in;
with `skip_invalid` they are left out of `stmts` here, and of the ledger part by the write
(`ledger_parts.ledger_part`).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.errors import IngestError
from ironriver.i18n import Msg, t
from ironriver.ingest.clean import Cleaner, json_kind_name
from ironriver.ingest.compile import EntityCompiler, filter_condition
from ironriver.ingest.duckdb_reader import CaseMiss
from ironriver.ingest.keyless_notes import keyless_notes
from ironriver.ingest.ledger_compile import ledger_sql
from ironriver.ingest.notes import (
    case_note,
    entity_notes,
    filter_notes,
    find_bad_dates,
    name_part_notes,
    placeholder_notes,
    suggest_date_formats,
)
from ironriver.ingest.record_checks import Check, json_value_checks
from ironriver.ingest.report import ErrorReport, empty_file_note
from ironriver.ingest.source import (
    check_unchanged,
    connect,
    drop_source,
    file_digest,
    file_state,
    fits_in_memory,
    load_source,
)
from ironriver.ingest.specs import DatasetMapping, QuerySpec
from ironriver.ingest.statement_view import build_statements
from ironriver.ingest.validate import (
    StoredKeys,
    any_rejects,
    build_bad_table,
    check_sql,
    duplicate_check_sql,
    hashes_repeat,
    key_conflict_sql,
    number_layout_error,
    separating_columns,
    stored_keys,
)
from ironriver.logs import get_logger
from ironriver.progress import Progress
from ironriver.settings import DEFAULT_INGEST_MEMORY_MB

# the ingest's logger (`pipeline`'s): its three phases (`ingest.prepared`, `.staged`,
# `.committed`) come from one logger, as before this module was split from it
log = get_logger("ironriver.ingest.pipeline")


@dataclass
class Prepared:
    """One query, validated, with its output waiting in DuckDB."""

    mapping: DatasetMapping
    query: QuerySpec
    con: duckdb.DuckDBPyConnection
    statements: bool
    ledger: bool
    records: int
    rejected: int
    source_digest: str  # SHA-256 of the source file's bytes (audited; names its ledger part)
    rejected_rows: pa.Array  # the distinct rows (`_row`) of the `rejected` records
    old_keys: StoredKeys | None  # a keyed ledger's stored parts, as its checks read them
    notes: list[Msg] = field(default_factory=list)  # see IngestResult.notes
    # the entities (indexes) whose `id_column` ids in `cln` are all short numbers
    numbered: list[int] = field(default_factory=list)
    # the checks run (`build_bad_table`), and the ledger's checks left to the part's write
    # (`deferred`: see `_prepare`), which `settle` runs when the write cannot vouch for them
    checks: list[str] = field(default_factory=list)
    deferred: list[Check] = field(default_factory=list)


def prepare_query(
    mapping: DatasetMapping,
    query: QuerySpec,
    report: ErrorReport,
    skip_invalid: bool,
    progress: Progress,
    memory_mb: int,
    spill_root: Path | None,
    stored: list[Path] | None = None,
    defer: bool = False,
) -> Prepared:
    """`_prepare`, said on `progress` and logged (`ingest.prepared`)."""
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
    prep = _prepare(mapping, query, report, skip_invalid, memory_mb, spill_root, stored, defer)
    log.info(
        "ingest.prepared",
        dataset=mapping.name,
        file=query.source.label,
        records=prep.records,
        rejected=prep.rejected,
        seconds=round(time.perf_counter() - started, 3),
    )
    return prep


def _prepare(
    mapping: DatasetMapping,
    query: QuerySpec,
    report: ErrorReport,
    skip_invalid: bool,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    spill_root: Path | None = None,
    stored: list[Path] | None = None,
    defer: bool = False,
) -> Prepared:
    """Load, compile and validate one query (see `pipeline`'s module doc). A file too large to read
    whole within `memory_mb` is streamed into DuckDB, which then holds every later step to
    that budget, spilling to a folder in `spill_root` (default `$TMPDIR`; `ingest_mapping`
    passes a folder beside the store). `stored`: the part files its ledger already has in
    the store, for a ledger with a `key` (a dry run has no store: none).

    With `defer` (a caller that writes the ledger part next: `ledger_parts.ledger_part`), a
    query that only fills a ledger without a key leaves its ledger's checks (dates, numbers,
    required values: each types every row) to the write, which types the rows anyway: the
    part is written with a flag of those checks beside its rows, and the write stops at the
    first flagged row (`store.ledger.RowsVetoed`); then, or when nothing was written,
    `settle` runs them as here. A file with no bad value is thus typed once, not twice. The
    other checks (duplicates, JSON values) run here first; when they reject a record, the
    ledger's checks run here too, so that the report holds every reason, as without
    `defer`."""
    before = file_state(query.source.path)  # (the file must not change while read)
    stream = not fits_in_memory(query.source.path, memory_mb)
    con = connect(memory_mb if stream else None, spill_root)
    con.execute("SET enable_progress_bar = false")
    try:
        refs = query.refs
        # the file's digest, computed beside the parse (hashlib releases the GIL): the
        # ingest's audit event records which bytes were loaded, and names a ledger part by it
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(file_digest, query.source.path)
            # a view over the Arrow table the file was read into (nothing copied into
            # DuckDB), or for a large file a table DuckDB may spill
            misses: list[CaseMiss] = []
            try:
                records = load_source(
                    con,
                    query.source,
                    refs,
                    materialize=False,
                    stream=stream,
                    case_misses=misses,
                    name_refs=query.name_refs,
                )
            except IngestError:  # (a file cut short meanwhile: that is what to say)
                check_unchanged(query.source.path, before)
                raise
            source_digest = digest.result()
        check_unchanged(query.source.path, before)  # (every read of the file is done)
        cleaner = Cleaner(con)
        sanitized = cleaner.sanitize_columns(refs)
        scol = sanitized.columns
        where = filter_condition(query, scol)
        # duplicates among the records the filters keep (they read the sanitized columns of
        # `san`); without filters, over `src`, which spares the sanitizing joins
        filtered = bool(query.source.filters or query.source.filters_not)
        dup_table, dup_where = ("san", where) if filtered else ("src", "TRUE")
        narrow = separating_columns(con, refs, dup_table, dup_where)
        # the exact check only where some records share the hash of the columns it compares
        # first (a file read whole: its hashes, 8 bytes a record, fit beside it; a streamed
        # one leaves it to DuckDB, which keeps to the memory budget)
        repeats = stream or hashes_repeat(con, narrow or refs, dup_table, dup_where)
        checks = [duplicate_check_sql(refs, dup_table, dup_where, narrow)] if repeats else []
        notes = filter_notes(con, mapping.name, query, scol, where, records) if filtered else []
        notes += [case_note(mapping.name, query.source, miss) for miss in misses]
        notes += [] if records else [empty_file_note(mapping.name, query.source.label)]
        # JSON Lines columns holding a list or an object in some record
        present = set(con.table("san").columns)
        listed = frozenset(c for c in refs if json_kind_name(c) in present)
        checks += [check_sql(c, "san") for c in json_value_checks(query, listed, where)]
        old_keys = None  # a keyed ledger's stored parts (StoredKeys)
        deferred: list[Check] = []  # the ledger's checks left to the part's write
        if query.entities:
            comp = EntityCompiler(query, mapping.name, cleaner, scol, listed, sanitized.names)
            con.execute(f"CREATE TEMP TABLE cln AS {comp.cln_sql(where)}")
            checks += [check_sql(c, "cln") for c in comp.checks]
        if query.ledger is not None:
            sql, lchecks = ledger_sql(query.ledger, scol, where)
            if layout := number_layout_error(con, query.ledger, scol, where, query.source.label):
                raise layout
            # a view: the checks type the rows in one scan, the write types them again as it
            # streams them to Parquet; nothing is materialised
            con.execute(f"CREATE TEMP VIEW led AS {sql}")
            if defer and not query.entities and not query.ledger.key:
                deferred = lchecks
            else:
                checks += [check_sql(c, "led") for c in lchecks]
            if query.ledger.key:
                types = {c.name: c.type for c in query.ledger.columns}
                old_keys = stored_keys(stored or [], query.ledger.columns, list(query.ledger.key))
                checks += key_conflict_sql(types, list(query.ledger.key), old_keys)
        rejected = build_bad_table(con, checks)
        if rejected and deferred:  # the report holds every reason: the ledger's checks too
            checks, rejected = _undeferred(con, checks, deferred)
            deferred = []
        rejected_rows = pa.array([], pa.int64())
        if rejected:
            rejected_rows = _reported(con, checks, report, query.source.label, records)
            if skip_invalid and query.entities:
                con.execute("DELETE FROM cln WHERE _row IN (SELECT _row FROM bad)")
                # (the ledger write leaves out the rows of `bad` itself: `led` is a view)
        numbered: list[int] = []  # entities whose id_column ids look like row numbers
        if query.entities:
            more, numbered = entity_notes(con, comp, mapping.name)
            notes += more + name_part_notes(query, mapping.name)
            notes += placeholder_notes(con, comp, mapping.name)
            notes += keyless_notes(con, comp, mapping.name)
            build_statements(con, comp, mapping.name)  # reads cln
        if query.ledger is None:  # else `led`, a view over them, is read by _write
            con.execute("DROP VIEW san")
            drop_source(con)
        return Prepared(
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
            checks,
            deferred,
        )
    except BaseException:
        con.close()
        raise


def _reported(
    con: duckdb.DuckDBPyConnection, checks: list[str], report: ErrorReport, file: str, records: int
) -> pa.Array:
    """Add the rejected values of table `bad` (`build_bad_table` of `checks`) to `report`
    with its hints on date formats; return the distinct rows they are in."""
    bad = con.sql(
        'SELECT _row, "column", value, reason FROM bad ORDER BY _row, "column"'
    ).to_arrow_table()
    report.add(file, bad)
    suggest_date_formats(con, checks, report, records)
    find_bad_dates(con, checks, report, file)
    return pc.unique(bad.column("_row")).cast(pa.int64())


def veto_condition(prep: Prepared) -> str:
    """SQL over `led`, true for a row that a check `prep` deferred rejects (a check whose
    condition is NULL rejects nothing, as in `build_bad_table`)."""
    return f"coalesce({any_rejects(prep.deferred)}, FALSE)"


def _undeferred(
    con: duckdb.DuckDBPyConnection, checks: list[str], deferred: list[Check]
) -> tuple[list[str], int]:
    """`checks` with the `deferred` ledger checks (over `led`) added, and the number of
    records they reject together (table `bad`: `build_bad_table`)."""
    checks = checks + [check_sql(c, "led") for c in deferred]
    return checks, build_bad_table(con, checks)


def settle(prep: Prepared, report: ErrorReport) -> None:
    """Run the checks `prep` deferred (`_prepare`), as `_prepare` runs them without `defer`:
    its rejected records and their reasons then in `report`, and in `prep.rejected` and
    `prep.rejected_rows`. Nothing to do when none is deferred."""
    if not prep.deferred:
        return
    prep.checks, prep.rejected = _undeferred(prep.con, prep.checks, prep.deferred)
    prep.deferred = []
    if prep.rejected:
        file = prep.query.source.label
        prep.rejected_rows = _reported(prep.con, prep.checks, report, file, prep.records)
