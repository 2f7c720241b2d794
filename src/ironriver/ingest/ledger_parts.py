"""The ledger parts of an ingest of a mapping: what each query appends to its ledger, and the
name of the part it writes.

A part is one Parquet file per query (`store.ledger.LedgerStore`), written under a temporary
name before the store's write lock is taken and renamed into place after the commit
(`discarded_on_error` deletes those of an ingest that fails before it). Its name is a
hash of what it is made from (`ledger_part`: the file's bytes, how the query reads them,
the mapping's ledger, the records kept), frozen across releases (`_ledger_identity`,
`_reading`): the same file again appends nothing. A ledger with a `key` appends only the
rows of keys it lacks (`_new_keys`), its stored keys read under a lock taken in one order
by every ingest (`keyed_ledgers`), with the parts of this ingest's earlier queries
(`stored_parts`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

from ironriver.errors import CommitUnknown
from ironriver.i18n import Msg, joined, msg, nt
from ironriver.ingest.prepare import Prepared, settle, veto_condition
from ironriver.ingest.report import ErrorReport
from ironriver.ingest.result import IngestResult
from ironriver.ingest.specs import DatasetMapping, LedgerSpec, SourceSpec
from ironriver.progress import Progress
from ironriver.sqltext import ident, literal
from ironriver.store.ledger import LedgerStore, PendingPart, RowsVetoed, readable_schemas


def ledger_part(
    ledgers: LedgerStore,
    prep: Prepared,
    result: IngestResult,
    progress: Progress,
    report: ErrorReport,
    skip_invalid: bool,
) -> PendingPart | None:
    """Write `prep`'s ledger rows (those it keeps: `_new_keys` for a ledger with a `key`)
    into a part under a temporary name, counting them into `result.ledger_rows`.

    With checks `prep` left to the write (`Prepared.deferred`), they are verified as the rows
    are written; when a row fails one, or when no part was written (one in place already, or
    retracted), they are run as `prepare` runs them (`settle`: the rejected records then in
    `report` and `prep`), and then, unless `skip_invalid`, nothing is written: None (the
    ingest fails with the report, as it would have before the write)."""
    part: PendingPart | None = None
    if prep.deferred:
        try:
            part = _part(ledgers, prep, result, veto=veto_condition(prep))
        except RowsVetoed:  # (the write left nothing)
            part = None
        if part is None or part.tmp is None:  # the write vouched for nothing: check now
            settle(prep, report)
            if prep.rejected:
                part = None
                if not skip_invalid:
                    return None
    if part is None:
        part = _part(ledgers, prep, result)
    return _counted(part, prep, result, progress)


def _part(
    ledgers: LedgerStore, prep: Prepared, result: IngestResult, veto: str | None = None
) -> PendingPart:
    """`ledger_part`'s write (`veto`: `veto_condition`, written beside the rows as
    `VETO_COLUMN` and checked by the write, whose part is named as without it)."""
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
    selected = (
        f"{', '.join(columns)}, {literal(prep.query.source.label + ':')} "
        "|| CAST(_row AS VARCHAR) AS _source_ref"
    )
    select_sql = f"SELECT {selected} FROM {rows}"
    # named by what it is made from (the file's bytes, how the query reads them, the
    # mapping's ledger, the records kept), not by the Parquet bytes, which change with the
    # writer's version
    assert prep.source_digest, "a ledger query's file digest is computed in prepare_query"
    parts = [
        prep.source_digest,
        _ledger_identity(prep.query.ledger),
        select_sql,
        str(prep.rejected),
    ]
    reading = _reading(prep.query.source)
    identity = "\x1f".join([*parts, reading] if reading else parts)
    # what the file is, whatever the ledger holds (a keyed ledger's select names the parts
    # its keys were checked against): a file whose part was retracted is not loaded again
    twin = "\x1f".join([prep.source_digest, parts[1], reading])
    vetoed = f"SELECT {selected}, {veto} AS {ident(VETO_COLUMN)} FROM {rows}"
    part = ledgers.prepare_query(
        prep.con,
        select_sql if veto is None else vetoed,
        name,
        prep.query.ledger.name,
        prep.mapping.label,
        identity=identity,
        twin=twin,
        source=(prep.query.source.label, prep.source_digest),
        veto=None if veto is None else VETO_COLUMN,
    )
    if key and not part.rows:  # every record is stored already: no empty part
        part.discard()
        part = PendingPart(Path(), None, 0, existed=True)
    return part


VETO_COLUMN = "_veto"
"""The column of a part's rows, not written, that flags a row a deferred check rejects
(ledger column names starting with _ are reserved)."""


def _counted(
    part: PendingPart, prep: Prepared, result: IngestResult, progress: Progress
) -> PendingPart:
    """`part`, its rows counted into `result` and said on `progress`."""
    assert prep.query.ledger is not None
    name = prep.mapping.name
    key = prep.query.ledger.key
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


def column_drift_note(
    ledgers: LedgerStore, prep: Prepared, pending: list[PendingPart]
) -> Msg | None:
    """A note when `prep`'s ledger already holds parts (committed, or written by this
    ingest's earlier queries: `pending`) whose columns differ from those its mapping writes: a renamed column in a monthly file, or two files of other layouts drafted
    into one ledger, would otherwise leave half-empty columns without a word. None when the
    ledger holds no part yet or the columns agree. (The caller asks only for a loader who
    may see the ledger's rows.)"""
    spec = prep.query.ledger
    assert spec is not None
    # (a damaged part is left out: `audit verify` reports it, this ingest may rewrite it)
    held = readable_schemas(stored_parts(ledgers, prep.mapping.name, spec.name, pending))
    if not held:
        return None
    stored = {
        name
        for schema in held.values()
        for name in schema.names
        if not name.startswith("_")  # the label and source columns every part has
    }
    writes = {c.name for c in spec.columns}
    lacking, added = sorted(stored - writes), sorted(writes - stored)
    if not lacking and not added:
        return None
    differences = []
    if lacking:
        differences.append(msg("this file's rows have no {columns}", columns=", ".join(lacking)))
    if added:
        differences.append(msg("its stored rows have no {columns}", columns=", ".join(added)))
    return msg(
        "{dataset}: ledger {ledger} already holds rows with other columns ({differences}). "
        "A renamed source column? Keep the ledger's column name and point it at the new "
        "source column (`NAME: {{column: NEW_SOURCE_COLUMN}}`); a file of another kind "
        "belongs in a ledger of its own.",
        dataset=prep.mapping.name,
        ledger=spec.name,
        differences=joined(differences),
    )


def retracted_note(prep: Prepared) -> Msg:
    """The note of a file whose ledger part was retracted (`ironriver retract --ledger`):
    the same file again adds nothing, as a retracted statement does not come back. (The
    caller asks only for a loader who may see the ledger's rows.)"""
    assert prep.query.ledger is not None
    return msg(
        "{dataset}: the rows of {file} in ledger {ledger} were retracted; the same file "
        "again adds none of them. Load the corrected file (other bytes) instead.",
        dataset=prep.mapping.name,
        file=prep.query.source.label,
        ledger=prep.query.ledger.name,
    )


def rows_alone(prep: Prepared, part: PendingPart) -> int:
    """The rows `prep`'s ledger part would append to a ledger holding none of its dataset's
    rows, for a loader who may not see them (`ledger_rows_new` is new to the loader, as
    `statements_new` is: `writes.new_to_loader`): a part's rows, whether the ledger held
    that part already or not; with a `key`, the first row of each key the file holds (the
    keys the ledger held are not appended again, and their rows are not the loader's to
    learn of)."""
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


def _new_keys(prep: Prepared, kept: str, result: IngestResult) -> str:
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


@contextmanager
def discarded_on_error(parts: list[PendingPart]) -> Iterator[None]:
    """Discard the ledger parts written meanwhile into `parts` if the block raises: before
    the commit, no part of the ingest may appear. (Not after it: the audit event names the
    parts, and `recover_parts` puts in place those whose rename did not happen. Nor after a
    commit whose outcome is unknown, `CommitUnknown`: if it happened, the next command puts
    them in place; if not, no event names them and `sweep` removes them.)"""
    try:
        yield
    except CommitUnknown:
        raise
    except BaseException:
        for part in parts:
            part.discard()
        raise


def stored_parts(
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


def keyed_ledgers(mappings: list[DatasetMapping]) -> list[tuple[str, str]]:
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
