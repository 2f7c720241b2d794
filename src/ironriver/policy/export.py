"""Bulk reads and exports through a `View`: every visible statement as one Arrow table
(`View.table`, `View.export_table`) or as batches of a fixed size (`View.export_batches`,
what `ironriver export --format statements|parquet` writes), and every visible entity,
streamed (`View.export`).

`ExportMixin` holds these methods and `View` inherits them, so an export holds exactly what
its view sees: the statements whose label the principal may see and that are not retracted.

Invariants:
- A bulk read or an export must say why (the view's reason): refused before anything is
  read or logged otherwise. Each is one audited event (`read-table` or `export`) whose
  detail holds its filters.
- An export of statements (`export_batches`) reads every row from one snapshot of the store
  before its event is written and any row handed over: its `rows` is exactly what the
  batches hold; a read that fails is audited as `rows: 0` with its `outcome` (its temporary
  file failing too: then a `ResourceError` naming the temporary folder, not the store).
- An export whose output fails once its event is written (a full disk, a closed pipe, an
  `-o` file not kept) gets a second `export` event (`export_failed`, called by whoever
  writes the output): same target and filters, `ends` (the first event's seq), the error's
  `outcome`, how many statements (entities) were `handed` to the output and how many left
  (`rows`, `entities`). The first event stays: the chain is append-only. An export whose
  output ended well (`export_completed`) or an `export_table` since leaves none waiting.
- An export limited to some datasets may name only those the principal may know of
  (`_export_datasets`): any other name is `NotFound`, the same whether the dataset does not
  exist or is hidden.
- An entity export counts the entities holding statements whose marking limits their
  sharing (`export_markings`): FtM entity JSON cannot carry it, the caller must say so.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import suppress
from typing import IO, TYPE_CHECKING, Any

from followthemoney.statement.entity import StatementEntity
from followthemoney.types import registry
from sqlalchemy import ColumnElement, Select, and_, select, tuple_

from ironriver.errors import AccessDenied, ConfigError, NotFound, ResourceError, os_problem
from ironriver.i18n import msg
from ironriver.model import get_model
from ironriver.policy.entity_rows import ENTITY_ROW
from ironriver.policy.markings import Marking, can_see
from ironriver.policy.schemata import known_schema
from ironriver.store.tables import props, statements

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy import Engine

    from ironriver.policy.markings import Principal
    from ironriver.store import Store


EXPORT_BATCH_ROWS = 50_000
"""Statements per batch of an export of statements (`export_batches`): ~170 bytes each
decoded, so a batch's tables stay in the tens of megabytes."""


class ExportMixin:
    """The bulk reads and exports of `View`, which inherits them (see the module doc)."""

    if TYPE_CHECKING:  # the view's own, which an export reads through
        store: Store
        principal: Principal
        _props: dict[int, tuple[str, str]]
        _prop_types: dict[int, str]
        _dataset_names: dict[int, str]
        _labels: dict[int, tuple[str, str, str]]
        _sources: dict[int, str]
        _limited: dict[int, tuple[str, tuple[str, ...]]]
        _export_marked: Counter[tuple[str, tuple[str, ...]]]
        export_marked_entities: int

        @property
        def _unjustified(self) -> bool: ...
        def _visible(self) -> ColumnElement[bool]: ...
        def _load_catalog(self) -> None: ...
        def _statements_by_dataset(self) -> dict[str, int]: ...
        def ledger_counts(self) -> dict[tuple[str, str], int]: ...
        def _groups(
            self, rows: Iterable[Sequence[Any]], named: bool = True
        ) -> Iterator[tuple[list[Sequence[Any]], StatementEntity]]: ...
        def _log(
            self, action: str, target: str, detail: dict[str, Any] | None = None
        ) -> int | None: ...

    # the target and detail of the `export` event last written, what it counts ("rows",
    # "entities") and its seq (None: not audited), until `export_failed` records how it
    # ended or `export_completed` says it needs not (None: no event is waiting)
    _export_event: tuple[str, dict[str, Any], str, int | None] | None = None

    # -- bulk read -----------------------------------------------------------------------
    def table(
        self, schemata: Iterable[str] | None = None, types: Iterable[str] | None = None
    ) -> pa.Table:
        """Every visible statement as one Arrow table (`ironriver.policy.table`), for
        analytics: optionally only statements whose schema is one of `schemata` or a
        descendant, and/or whose property has one of the FtM `types` ("name", "entity",
        "identifier", "date"...). A bulk read of what the principal may see, so, like an
        export, it must say why (audited as one `read-table` event)."""
        return self._table(schemata, types, "read-table")

    def export_table(self, schema: str | None = None, datasets: Iterable[str] = ()) -> pa.Table:
        """`table` for an export of statements (of `schema` and its descendants; of the
        `datasets` named only, if any: see `export`): the same rows, audited as an `export`
        (who may export is `policy.authorize_export`). Held in memory whole: a file is
        written from `export_batches`, which holds one batch at a time."""
        self._export_event = None  # (no output of this one fails: its table is returned)
        return self._table([schema] if schema else None, None, "export", datasets)

    def export_batches(
        self,
        schema: str | None = None,
        datasets: Iterable[str] = (),
        batch_rows: int | None = None,
    ) -> SpooledBatches:
        """The rows of `export_table`, in the same order, as tables of `batch_rows` rows
        each but the last (`EXPORT_BATCH_ROWS` by default; `TABLE_SCHEMA`, each batch's
        dictionaries holding its own texts): an export's memory is one batch's, whatever
        the store's size.

        Every row is read here, before this returns, from one snapshot of the store (one
        read transaction: an ingest or retraction committed meanwhile is in none of the
        batches), a batch at a time into an unnamed temporary file (`_spool`, Arrow IPC in
        the system's temporary folder, `TMPDIR`: about the raw rows' size, removed as the
        batches are done); the batches are decoded from it as they are asked for. Then the
        export is audited (one `export` event, as `export_table`'s, whose `rows` is the
        number of statements the batches hold), before any is handed over. A refusal raises
        here, before anything is read or logged; a store error while reading is audited as
        an `export` of `rows: 0` with its `outcome` (the error's kind), then raised. Should
        the output fail later, its writer says so with `export_failed`, and closes the
        batches (`SpooledBatches.close`: the temporary file goes, however many were asked
        for)."""
        batch_rows = EXPORT_BATCH_ROWS if batch_rows is None else batch_rows
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be positive, not {batch_rows}")
        self._export_event = None
        query, detail, target = self._table_query(
            [schema] if schema else None, None, "export", datasets
        )
        try:
            spool = tempfile.TemporaryFile(prefix="ironriver-export-")
        except OSError as exc:  # (nothing read or logged yet)
            raise _spool_failure(exc) from exc
        writing = _SpoolWriter(spool)
        try:
            detail["rows"] = _spool(self.store.engine, query, batch_rows, writing)
            writing.flush()  # (a full disk fails here, not when the batches are read back)
        except Exception as exc:
            with suppress(Exception):  # (the store may be what failed: its error is raised)
                self._log("export", target, {**detail, "rows": 0, "outcome": _kind(exc)})
            _discard(spool)
            if writing.error is not None:  # the temporary file's disk, not the store's
                raise _spool_failure(writing.error) from exc
            raise
        except BaseException:  # (an interrupt: nothing was handed over)
            _discard(spool)
            raise
        try:
            self._load_catalog()  # (read after the snapshot: it holds every code read)
            seq = self._log("export", target, detail)
        except BaseException:
            _discard(spool)
            raise
        first = {k: v for k, v in detail.items() if k != "rows"}
        self._export_event = (target, first, "rows", seq)
        return SpooledBatches(self._spooled(spool, batch_rows), spool)

    def export_failed(self, exc: BaseException, handed: int, kept: bool) -> None:
        """Audit that the output of the export last begun (`export_batches`, `export`)
        failed at `exc` once its `export` event was written: a second `export` event, with
        the same target and filters, `ends` (the first event's seq, pairing the two when one
        principal exports one target twice at once), `outcome` (the error's kind), `handed`
        (the statements, or entities, handed to the output before it failed) and how many
        left the store: `rows` (statements) or `entities`, `handed` when what was written
        stays (standard output: at most that many reached it; an `-o` file put in place),
        0 when it was not `kept` (an `-o` file removed). The first event stays (the chain is
        append-only); this one says how the export ended. Nothing is written when no
        export's event is waiting (the export was refused, its read failure is audited
        already, it was completed, or an `export_table` came since), nor twice for one
        export.

        Best effort: when the store itself is what failed, the event may not be written, and
        nothing is raised here, so the caller raises `exc`."""
        if self._export_event is None:
            return
        target, detail, counted, first = self._export_event
        self._export_event = None
        ended = {counted: handed if kept else 0, "handed": handed, "outcome": _kind(exc)}
        if first is not None:
            ended["ends"] = first
        with suppress(Exception):  # (the store may be what failed: `exc` is raised)
            self._log("export", target, {**detail, **ended})

    def export_completed(self) -> None:
        """Say that the output of the export last begun is whole and in place: a later
        `export_failed` records nothing for it (it would tell of an export that ended well)."""
        self._export_event = None

    def _spooled(self, spool: IO[bytes], batch_rows: int) -> Generator[pa.Table, None, None]:
        """The batches `_spool` wrote to `spool`, decoded one at a time; `spool` is closed
        (and so removed) once they are done or the caller stops."""
        import pyarrow as pa

        from ironriver.policy.table import decode

        props_ = {i: (*sp, self._prop_types[i]) for i, sp in self._props.items()}
        with spool:
            spool.seek(0)
            held: list[pa.RecordBatch] = []
            for part in pa.ipc.open_stream(spool):
                held.append(part)
                if sum(b.num_rows for b in held) >= batch_rows:  # (a batch may come in parts)
                    raw = pa.Table.from_batches(held)
                    held = []
                    yield decode(raw, props_, self._dataset_names, self._labels, self._sources)
            if held:
                raw = pa.Table.from_batches(held)
                yield decode(raw, props_, self._dataset_names, self._labels, self._sources)

    def _table(
        self,
        schemata: Iterable[str] | None,
        types: Iterable[str] | None,
        action: str,
        datasets: Iterable[str] = (),
    ) -> pa.Table:
        from ironriver.policy.table import RAW_SCHEMA, decode
        from ironriver.store.dialect import read_table

        query, detail, target = self._table_query(schemata, types, action, datasets)
        raw = read_table(self.store.engine, query.order_by(*ENTITY_ROW[:2]), RAW_SCHEMA)
        props_ = {i: (*sp, self._prop_types[i]) for i, sp in self._props.items()}
        result = decode(raw, props_, self._dataset_names, self._labels, self._sources)
        detail["rows"] = result.num_rows
        self._log(action, target, detail)
        return result

    def _table_query(
        self,
        schemata: Iterable[str] | None,
        types: Iterable[str] | None,
        action: str,
        datasets: Iterable[str] = (),
    ) -> tuple[Select[Any], dict[str, Any], str]:
        """The checked query of a bulk read (`RAW_SCHEMA`'s columns, unordered), its audit
        event's detail (without `rows`) and target: refused, before anything is read or
        logged, when unjustified or naming an unknown schema, type or dataset."""
        model = get_model()
        wanted = sorted(set(schemata or ()))
        for name in wanted:
            known_schema(name)
        kinds = sorted(set(types or ()))
        unknown = [k for k in kinds if k not in {t.name for t in registry.types}]
        if unknown:
            raise ConfigError(
                msg("Unknown property types {types}.", types=", ".join(unknown)),
                hint=msg(
                    "Use FtM's type names: {names}.",
                    names=", ".join(sorted(t.name for t in registry.types)),
                ),
            )
        if self._unjustified:
            raise AccessDenied(
                msg("A bulk read of what you may see must say why (the reason is audited)."),
                # an export of statements is the command line's (`export --format
                # statements`); a table is read by library callers only
                hint=msg('Pass --reason "why and for whom".')
                if action == "export"
                else msg('Give the View a reason: View(store, principal, reason="why").'),
            )
        self._load_catalog()  # what ingests added since the view was made
        chosen_datasets = sorted(set(datasets))
        dataset_ids = self._export_datasets(chosen_datasets) if chosen_datasets else []
        query = select(
            *ENTITY_ROW[:2],
            statements.c.prop_id,
            statements.c.value,
            statements.c.dataset_id,
            statements.c.label_id,
            statements.c.lang,
            statements.c.original_value,
            statements.c.first_seen,
            statements.c.last_seen,
            statements.c.origin,
            statements.c.source_id,
            statements.c.source_row,
        ).where(self._visible())
        if chosen_datasets:
            query = query.where(statements.c.dataset_id.in_(dataset_ids))
        if wanted or kinds:
            chosen = [
                i
                for i, (schema, _p) in self._props.items()
                if (not wanted or any(model[schema].is_a(w) for w in wanted))
                and (not kinds or self._prop_types[i] in kinds)
            ]
            query = query.where(statements.c.prop_id.in_(chosen))
        detail: dict[str, Any] = {"schemata": wanted, "types": kinds}
        if chosen_datasets:
            detail["datasets"] = chosen_datasets
        return query, detail, ",".join(wanted + kinds) or "*"

    # -- export --------------------------------------------------------------------------
    def export(
        self, schema: str | None = None, datasets: Iterable[str] = ()
    ) -> Generator[StatementEntity, None, None]:
        """Every visible entity (optionally of one schema and its descendants), streamed.

        With `datasets`, each entity is assembled from the visible statements of those
        datasets only (an agency exporting its own collections); a name the principal may
        not know of is `NotFound` (`_export_datasets`). The filter is in the audit event's
        detail. As entities are yielded, `export_markings` counts those holding statements
        whose marking limits their sharing: FtM entity JSON cannot carry it. Should the
        output fail (or the store, mid-way), the caller says so with `export_failed`."""
        self._export_event = None
        target = known_schema(schema or None)
        if self._unjustified:
            raise AccessDenied(
                msg("An export must say why (the reason is audited)."),
                hint=msg('Pass --reason "why and for whom".'),
            )
        chosen = sorted(set(datasets))
        visible = self._visible()
        if chosen:
            visible = and_(visible, statements.c.dataset_id.in_(self._export_datasets(chosen)))
        detail: dict[str, Any] = {"datasets": chosen} if chosen else {}
        seq = self._log("export", schema or "*", detail or None)
        self._export_event = (schema or "*", detail, "entities", seq)
        self._export_marked = Counter()
        self.export_marked_entities = 0
        query = select(*ENTITY_ROW).where(visible)
        if target is not None:
            # An entity's schema is one of its statements' schemata (the most specific), so
            # only entities with a visible statement of the schema or a descendant can be
            # one: those are selected in SQL, the rest is never assembled.
            names = [s.name for s in get_model().schemata.values() if s.is_a(target)]
            of_schema = (
                select(statements.c.entity_id)
                .join(props, props.c.id == statements.c.prop_id)
                .where(props.c.schema.in_(names), visible)
            )
            query = query.where(statements.c.entity_id.in_(of_schema))
        limited = self._limited
        with self.store.engine.connect() as conn:
            rows = conn.execution_options(yield_per=5000).execute(
                query.order_by(statements.c.entity_id)
            )
            try:
                for group, ent in self._groups(rows):
                    if target is None or ent.schema.is_a(target):
                        if limited:
                            held = {limited[r[10]] for r in group if r[10] in limited}
                            if held:
                                self._export_marked.update(held)
                                self.export_marked_entities += 1
                        yield ent
            finally:  # also when the caller stops early: PostgreSQL holds a server cursor
                rows.close()

    @property
    def export_markings(self) -> list[tuple[str, tuple[str, ...], int]]:
        """Of the entities the last `export` yielded, how many hold statements under each
        marking and releasability that limits their sharing (`limits_handling`: AMBER and
        stricter, or released to named countries or agencies only), as (marking,
        releasable_to, entities), strictest first. An entity holding several counts under
        each; `export_marked_entities` counts it once."""
        order = {m.value: i for i, m in enumerate(Marking)}
        return sorted(
            ((m, rel, n) for (m, rel), n in self._export_marked.items()),
            key=lambda x: (-order.get(x[0], len(order)), x[1]),
        )

    def _export_datasets(self, names: Sequence[str]) -> list[int]:
        """The ids of the datasets `names` (distinct) that an export may be limited to:
        those `datasets` lists for the principal (whose own label it may see, or of which
        it sees a statement or a ledger row). Any other name is `NotFound`, with the same
        message whether the dataset does not exist or is hidden from the principal: the
        error must not tell that a hidden dataset exists."""
        by_name = {info.name: (i, info) for i, info in self.store.datasets()}
        known = {n for n in names if n in by_name and can_see(self.principal, by_name[n][1].label)}
        rest = [n for n in names if n not in known]
        if rest:  # (cheap first: the tally, then the ledgers)
            counted = self._statements_by_dataset()
            known |= {n for n in rest if counted.get(n)}
            rest = [n for n in rest if n not in known]
        if rest:
            known |= {dataset for dataset, _ledger in self.ledger_counts()} & set(rest)
            rest = [n for n in rest if n not in known]
        if rest:
            raise NotFound(
                msg("You can see no dataset named {name!r}.", name=rest[0]),
                hint=msg("List the datasets you may see: ironriver datasets"),
            )
        return sorted(by_name[n][0] for n in names)


class SpooledBatches(Iterator["pa.Table"]):
    """The batches of an export of statements (`View.export_batches`), decoded from its
    temporary file as they are asked for; `close()` removes the file, also when none was
    asked for (a generator not started cannot clean up: its file would stay open until
    garbage-collected)."""

    def __init__(self, batches: Generator[pa.Table, None, None], spool: IO[bytes]) -> None:
        self._batches = batches
        self._spool = spool

    def __next__(self) -> pa.Table:
        return next(self._batches)

    def close(self) -> None:
        self._batches.close()
        self._spool.close()


def _spool(engine: Engine, query: Select[Any], batch_rows: int, sink: _SpoolWriter) -> int:
    """Write `query`'s rows (`RAW_SCHEMA`), undecoded, to `sink` as an Arrow IPC stream, in
    batches of `batch_rows` (each the next rows after the last one read in keyset order on
    the store's primary key), every batch from one snapshot (`dialect.read_snapshot`); the
    number of rows written."""
    import pyarrow as pa

    from ironriver.policy.table import RAW_SCHEMA
    from ironriver.store.dialect import read_snapshot

    key = ENTITY_ROW[:2]
    after: tuple[str, str] | None = None
    n = 0
    with read_snapshot(engine) as read, pa.ipc.new_stream(sink, RAW_SCHEMA) as out:
        while True:
            page = query if after is None else query.where(tuple_(*key) > tuple_(*after))
            raw = read(page.order_by(*key).limit(batch_rows), RAW_SCHEMA)
            out.write_table(raw)
            n += raw.num_rows
            if raw.num_rows < batch_rows:
                return int(n)
            after = (raw.column("entity_id")[-1].as_py(), raw.column("id")[-1].as_py())


class _SpoolWriter:
    """The export's temporary file as `_spool` writes it, keeping the OSError that writing
    or flushing it raised (`error`): the temporary folder's failure, told apart from the
    store's."""

    def __init__(self, spool: IO[bytes]) -> None:
        self._spool = spool
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return self._spool.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        try:
            self._spool.flush()
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name: str) -> Any:  # (`closed`, `tell`...: the file's)
        return getattr(self._spool, name)


def _discard(spool: IO[bytes]) -> None:
    """Close (and so remove) the temporary file of an export that failed: closing flushes
    what it buffers, which fails again on a full disk, and must not hide the first error."""
    with suppress(OSError):
        spool.close()


def _spool_failure(exc: OSError) -> ResourceError:
    """The error of an export whose temporary file (in the system's temporary folder,
    `TMPDIR`) could not be made or written: it names that folder, not the store's."""
    folder = tempfile.gettempdir()
    return ResourceError(
        msg(
            "Could not write the export's temporary file in {folder} (the temporary folder, "
            "TMPDIR): {problem}. Nothing was exported, and nothing was changed in the store.",
            folder=folder,
            problem=os_problem(exc),
        ),
        hint=msg(
            "Free space in {folder} (the export needs about the size of the statements it "
            "holds there), or set TMPDIR to a folder with room; then export again.",
            folder=folder,
        ),
    )


def _kind(exc: BaseException) -> str:
    """An error's kind, as an audit event's `outcome` names it (its class's name)."""
    return type(exc).__name__
