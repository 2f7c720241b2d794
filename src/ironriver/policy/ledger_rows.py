"""Rows of one dataset's ledger through a `View` (`View.ledger_rows`): filtered by column
values, the columns chosen, at most a given number, audited. Also a whole ledger as a DuckDB
relation (`View.ledger`), and what the listings (`ironriver datasets`, `ironriver ledgers`)
show: the visible rows per ledger and the ledgers whose count is unknown, their parts
missing or unreadable (`View.ledger_listing`, `View.ledger_counts`, `View.ledger_damage`).

`LedgerRowsMixin` holds these methods and `View` inherits them, so a read sees exactly the
rows its view sees: `LedgerStore.visible_relation` keeps the rows whose label the principal
may see, reading only the dataset's own parts. A dataset of which no ledger row is visible
is `NotFound` with the same message as one that does not exist, with one exception decided
from what the principal may know alone: a ledger holding a part of no row at all (a file of
a header alone loaded), of a dataset whose own label the principal may see, is read as a
filter that matches nothing is (no row; `LedgerStore.empty_relation`). A ledger whose rows
are all hidden from it, or all retracted, stays `NotFound`: that it is there is known only
from rows the principal may not see.

Invariants:
- A filter's value is read as its column's type: a whole number, a decimal number, a yes/no
  word, a date (`YYYY-MM-DD`, or with the year last as people type it: `30/11/2024`,
  `11/30/2024`; one that reads as two days is refused with both: `ironriver.year_last`), a
  timestamp: the span the value names, in UTC or at its offset (a date: that whole day; a
  date and time given to the hour, the minute or the second: that hour, minute or second;
  with a fraction of a second: that instant); a date or timestamp column also takes a month
  (`2024-11`, year last `11/2024`) or a year (`2024`): all of it. Text
  (every `string` column: serials, plates, names, licence numbers) matches as the
  identifier search does: equal `identifier_key`s, so case, accents, spaces and punctuation
  do not count ("562-13682" finds "56213682"). A value that is not of its column's type is
  a `ConfigError` before anything is read.
- A number, date or timestamp column also takes a range, `LOW..HIGH` (both ends included),
  `LOW..` or `..HIGH`: from the start of the span LOW names to the end of the span HIGH
  names, each end read as a single value is (`2024-03-01..2024-03-31` on a timestamp column
  runs to the end of the 31st). A range that holds nothing (LOW after HIGH), with no end or
  two `..`, or on a yes/no column is a `ConfigError`; in a text column `..` is punctuation,
  as ever. Values and ranges are plain comparisons with constants of the column's type,
  which DuckDB pushes into its Parquet scan (row groups are skipped by their statistics).
- Reading rows marked AMBER+STRICT or RED (among those the filter matches) needs a reason,
  as every ledger read does (`View.ledger`); refused before anything is read or logged.
- Each read is one `ledger` event whose target is the dataset and whose detail holds the
  ledger, the filter as given, the columns, the limit, and the rows matched and returned;
  a read of a dataset with no visible ledger is logged too (nothing matched).
- `View.ledger_stream` hands the same rows over as Arrow batches of at most `BATCH_ROWS`,
  read as they are taken; everything above (checks, reason, event) is done before its first
  batch. `View.ledger_rows` is built on it and holds every row.

The columns chosen and the filter's conditions are built in `ledger_filter.py`; the shapes
a listing returns (`LedgerListing`, `LedgerDamage`) and its notes in `ledger_listing.py`.
This module reads: the checks, the reason, the event and the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any

from ironriver.errors import ConfigError, NotFound, StoreError
from ironriver.i18n import joined, msg, nmsg
from ironriver.policy.ledger_filter import chosen_columns, condition
from ironriver.policy.ledger_listing import LedgerDamage

# (exported from here as before the listing's shapes and notes had their own module)
from ironriver.policy.ledger_listing import LedgerListing as LedgerListing
from ironriver.policy.ledger_listing import damage_notes as damage_notes

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from ironriver.policy.markings import AccessLabel, Principal
    from ironriver.store import Store
    from ironriver.store.ledger import LedgerStore
    from ironriver.store.ledger_records import RecordedParts

DEFAULT_LIMIT = 50
"""Rows a read returns unless told otherwise (`ironriver ledger --limit`)."""
BATCH_ROWS = 65_536
"""Rows of a `View.ledger_stream` batch at most: what a streamed read holds at once."""

_LABEL = ("_marking", "_releasable_to", "_owner_agency", "_owner_country", "_source_ref")


@dataclass(frozen=True)
class LedgerRow:
    """One visible ledger row: its values by column, and its access label and source."""

    values: dict[str, Any]
    marking: str
    releasable_to: str  # canonical text (`releasable_text`)
    owner_agency: str
    owner_country: str
    source_ref: str | None


def row_fields(columns: Sequence[str], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row of a `LedgerStream` batch (the `columns`, then `_marking`, `_releasable_to`,
    `_owner_agency`, `_owner_country`, `_source_ref`) as `LedgerRow`'s fields, in order."""
    n = len(columns)
    return (
        dict(zip(columns, row[:n], strict=True)),
        str(row[n]),
        str(row[n + 1] or ""),
        str(row[n + 2]),
        str(row[n + 3]),
        None if row[n + 4] is None else str(row[n + 4]),
    )


@dataclass
class LedgerStream:
    """What `View.ledger_stream` reads: the first `rows` (`limit` at most) of the `matched`
    visible rows that pass the filter, as Arrow record batches (`batches`: the `columns`
    asked for, then `_marking`, `_releasable_to`, `_owner_agency`, `_owner_country`,
    `_source_ref`), read from the ledger's parts as they are taken. The read is audited
    already; `close` (or leaving a `with`) frees what the rows not taken would need."""

    dataset: str
    ledger: str
    columns: list[str]
    matched: int
    rows: int
    batches: Iterator[pa.RecordBatch]
    _close: Callable[[], None]

    def close(self) -> None:
        self._close()

    def __enter__(self) -> LedgerStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class LedgerRows:
    """What `View.ledger_rows` read: the first `limit` of the `matched` visible rows that
    pass the filter, with the `columns` asked for (all the ledger's, in its order, by
    default)."""

    dataset: str
    ledger: str
    columns: list[str]
    rows: list[LedgerRow]
    matched: int


class LedgerRowsMixin:
    """`View.ledger_rows`, `View.ledger`, `View.ledger_listing` and its parts
    (`ledger_counts`, `ledger_damage`), which `View` inherits (see the module doc)."""

    if TYPE_CHECKING:  # the view's own, which a read goes through
        store: Store
        principal: Principal
        # (`_recorded_parts`: the writes chain's newest event when read, and what was read)
        _recorded: tuple[tuple[int, str] | None, RecordedParts] | None
        # the datasets' own labels, by name, as the view last read them (`_dataset_label`)
        _dataset_labels: dict[str, AccessLabel]

        @property
        def _unjustified(self) -> bool: ...
        def _justify_ledger(
            self, markings: Sequence[str], name: str, attempt: dict[str, Any] | None = None
        ) -> None: ...
        def _log(
            self, action: str, target: str, detail: dict[str, Any] | None = None
        ) -> int | None: ...

    def ledger_rows(
        self,
        dataset: str,
        where: Sequence[tuple[str, str]] = (),
        columns: Sequence[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        ledger: str | None = None,
    ) -> LedgerRows:
        """The visible rows of `dataset`'s ledger (`ledger`: which one, needed only when
        the principal sees several of the dataset's) whose columns equal the values of
        `where` (column, value as typed: every pair must hold), at most `limit`, with the
        `columns` asked for (default: all). See the module doc for how values compare.
        All in memory: `ledger_stream` reads (and audits) them the same way, in batches."""
        with self.ledger_stream(dataset, where, columns, limit, ledger) as read:
            rows = [
                LedgerRow(*row_fields(read.columns, r))
                for batch in read.batches
                for r in zip(*(c.to_pylist() for c in batch.columns), strict=True)
            ]
        return LedgerRows(read.dataset, read.ledger, read.columns, rows, read.matched)

    def ledger_stream(
        self,
        dataset: str,
        where: Sequence[tuple[str, str]] = (),
        columns: Sequence[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        ledger: str | None = None,
        batch_rows: int | None = None,
    ) -> LedgerStream:
        """`ledger_rows`'s rows as Arrow record batches of at most `batch_rows` rows, read
        from the ledger's parts as they are taken (`LedgerStream.batches`; `BATCH_ROWS` by default): memory holds a
        batch, not `limit` rows. Checked, justified and audited as `ledger_rows` is, all
        before the first batch is read: the rows matched are counted first (in the same scan
        as the rows when `limit` fits a batch). Close it (`with`) when done."""
        import duckdb

        if limit < 1:
            raise ConfigError(
                msg("The limit must be 1 or more, not {limit}.", limit=limit),
                hint=msg("Pass --limit 1 or more."),
            )
        batch_rows = BATCH_ROWS if batch_rows is None else batch_rows
        detail: dict[str, Any] = {
            "ledger": ledger,
            "where": [f"{column}={value}" for column, value in where],
            "columns": list(columns) if columns is not None else None,
            "limit": limit,
        }
        damaged = {
            lg: n
            for (ds, lg), n in self._missing_parts().items()
            if ds == dataset and (ledger is None or lg == ledger)
        }
        if damaged:  # not "no rows": rows the ingests wrote are gone
            raise _missing_parts(dataset, damaged)
        ledgers = self._ledgers()
        # a cursor of the store's shared DuckDB (`Store.ledger_duck`: no database opened
        # per read, part footers cached), which holds `KEY_FUNCTION` for `text_equals`
        # (`ledger_filter`); kept open while the batches are read, when they are not all
        # read at once
        con = self.store.ledger_duck.cursor()
        try:
            visible: dict[str, duckdb.DuckDBPyRelation] = {}
            names = ledgers.dataset_ledgers(dataset)
            asked = names if ledger is None else [n for n in names if n == ledger]
            for name in asked:
                try:
                    visible[name] = ledgers.visible_relation(con, name, self.principal, dataset)
                except NotFound:  # nothing of it is visible
                    continue
            if not visible:  # a ledger that holds no row at all, of a dataset it may see:
                # read as a filter matching nothing is (see the module doc)
                for name in asked:
                    empty = ledgers.empty_relation(con, name, self.principal, dataset)
                    if empty is not None:
                        visible[name] = empty
            if not visible:
                self._log("ledger", dataset, {**detail, "matched": 0, "rows": 0})
                counts = self._ledgers().visible_counts(self.principal)
                # (a ledger holding no row, which `ledgers` lists with 0 rows, is one to name)
                raise _no_dataset_ledger(dataset, ledger, {*counts.rows, *counts.empty})
            if len(visible) > 1:
                raise ConfigError(
                    msg(
                        "Dataset {dataset!r} has several ledgers: {ledgers}.",
                        dataset=dataset,
                        ledgers=", ".join(visible),
                    ),
                    hint=msg("Choose one with --ledger NAME."),
                )
            [(name, relation)] = visible.items()
            shown = f"{dataset}/{name}"
            types = {c: str(t) for c, t in zip(relation.columns, relation.types, strict=True)}
            own = [c for c in relation.columns if not c.startswith("_")]
            chosen = chosen_columns(columns, own, shown)
            conditions = [condition(c, types, own, v, shown) for c, v in where]
            if conditions:
                relation = relation.filter(reduce(lambda a, b: a & b, conditions))
            projected = relation.project(*(duckdb.ColumnExpression(c) for c in (*chosen, *_LABEL)))
            # one scan when the filter matches at most `limit` rows, and at most a batch (a
            # serial's sales): they are all read, their markings and count known; else a
            # second one counts them, and a --limit over a batch is streamed by a third
            first = min(limit, batch_rows)
            head: pa.Table = projected.limit(first + 1).to_arrow_table()
            fetched: pa.Table | None = head  # (None: streamed from the relation)
            if head.num_rows <= first:
                matched = head.num_rows
                markings = [str(m) for m in head.column("_marking").unique().to_pylist()]
            else:
                [(count, found)] = relation.aggregate(
                    "count(*), list(DISTINCT _marking)"
                ).fetchall()
                matched, markings = int(count), [str(m) for m in found]
                if limit > batch_rows:
                    fetched = None
            if self._unjustified:  # sensitive rows need a reason (before any is returned)
                attempt = {"attempt": "ledger", "where": [f"{c}={v}" for c, v in where]}
                self._justify_ledger(markings, shown, attempt)
            returned = min(matched, limit)
            self._log(
                "ledger", dataset, {**detail, "ledger": name, "matched": matched, "rows": returned}
            )
            if fetched is not None:
                con.close()
                return LedgerStream(
                    dataset,
                    name,
                    chosen,
                    matched,
                    returned,
                    iter(fetched.slice(0, limit).to_batches(batch_rows)),
                    _nothing,
                )
            reader = projected.limit(limit).to_arrow_reader(batch_rows)
        except BaseException:
            con.close()
            raise
        return LedgerStream(dataset, name, chosen, matched, returned, iter(reader), con.close)

    # -- whole ledgers, counted ----------------------------------------------------------
    def ledger(self, name: str, con: duckdb.DuckDBPyConnection | None = None) -> Any:
        """The rows of ledger `name` this principal may see, as a DuckDB relation: on `con`,
        or on a cursor of the store's shared DuckDB (`Store.ledger_duck`). A ledger of which
        nothing is visible raises `NotFound`, exactly like one that does not exist."""

        damaged = {ds: n for (ds, lg), n in self._missing_parts().items() if lg == name}
        if damaged:  # not "no rows": rows the ingests wrote are gone
            [(dataset, n), *_] = sorted(damaged.items())
            raise _missing_parts(dataset, {name: n})
        try:
            read = self._ledgers().visible_ledger(
                self.store.ledger_duck if con is None else con, name, self.principal
            )
        except NotFound:
            self._log("ledger", name)  # the attempt is audited, as a read of a missing entity
            raise
        if self._unjustified:  # sensitive rows need a reason (their markings: the labels')
            self._justify_ledger(sorted(read.markings), name, {"attempt": "ledger"})
        self._log("ledger", name)
        return read.relation

    def ledger_listing(self) -> LedgerListing:
        """What `ironriver ledgers` and `ironriver datasets` show, in one pass: the visible
        rows per (dataset, ledger), and the ledgers whose count is unknown with what is
        wrong with their parts (`LedgerDamage`): recorded parts missing from disk, parts
        whose footer cannot be read. Counted from the parts' footers, no row read
        (`LedgerStore.visible_counts`); a damaged part stops nothing, its ledger is left out
        of the counts and named in the damage. Only the ledgers of the datasets whose own
        label this principal may see are counted or named (`LedgerReads.shown`: of
        another's, it is not told even that parts were there); of those, a ledger of no
        visible row is listed (`LedgerListing.empty`, with 0 rows) only when it holds a part
        of no row at all, the rule by which `ledger_rows` reads it. Not audited."""
        counted = self._ledgers().visible_counts(self.principal)
        missing = self._missing_parts()
        damage = {
            key: LedgerDamage(
                missing.get(key, 0), tuple(str(p) for p in counted.unreadable.get(key, ()))
            )
            for key in sorted(missing.keys() | counted.unreadable.keys())
        }
        counts = {key: n for key, n in counted.rows.items() if key not in damage}
        empty = tuple(key for key in counted.empty if key not in damage)
        return LedgerListing(counts, damage, empty)

    def ledger_counts(self) -> dict[tuple[str, str], int]:
        """Visible rows per (dataset, ledger) (`ledger_listing`'s counts); ledgers with no
        visible row are left out, and so are those whose count is unknown, their parts
        missing or unreadable (`ledger_damage` names them). Not audited: `ironriver
        datasets` and `ironriver ledgers` show these counts."""
        return self.ledger_listing().counts

    def ledger_damage(self) -> dict[tuple[str, str], LedgerDamage]:
        """Per (dataset, ledger) whose count is unknown, what is wrong with its parts
        (`ledger_listing`'s damage): how many parts the store's ingest events recorded are
        missing from disk (neither in place nor retracted; the check of `audit verify`,
        `RecordedParts.missing_per_ledger`) and which parts in place cannot be read, of the
        datasets whose own label this principal may see (of another's, it is not told even
        that parts were there). Empty when every ledger it may see was counted whole."""
        return self.ledger_listing().damage

    def _missing_parts(self) -> dict[tuple[str, str], int]:
        """Per (dataset, ledger): how many ledger parts the store's ingest events recorded
        are missing from disk (`RecordedParts.missing_per_ledger`), of the datasets whose
        own label this principal may see. The events are read once per view while no event
        is added (`_recorded_parts`); the disk is looked at on each call (a stat or two per
        recorded part, no part read): a part removed meanwhile is missing at the next read.
        The same datasets as every ledger read reads the parts of (`LedgerReads.shown`)."""
        missing = self._recorded_parts().missing_per_ledger(self.store.ledger_dir)
        if not missing:
            return {}
        ledgers = self._ledgers()
        return {
            key: n for key, n in sorted(missing.items()) if ledgers.shown(key[0], self.principal)
        }

    def _ledgers(self) -> LedgerStore:
        """The store's ledgers as this view reads them: only the parts the store's events
        name (`LedgerReads.accounted`), by what the view read of the events last (no query
        while every part listed is named there), read again (`_recorded_parts`) for a part
        it does not name; and only those of the datasets whose own label the principal may
        see (`LedgerReads.shown`, by `_dataset_label`), decided before any part is opened."""
        from ironriver.store.ledger import LedgerStore

        known = None if self._recorded is None else self._recorded[1]
        return LedgerStore(
            self.store.ledger_dir,
            recorded=self._recorded_parts,
            known=known,
            dataset_label=self._dataset_label,
        )

    def _dataset_label(self, name: str) -> AccessLabel | None:
        """The own label of the store's dataset `name` (its `datasets` row), None when the
        store has none of that name: from what the view read of the datasets, read again
        for a name it lacks (one declared since). A dataset's label never changes
        (docs/policy.md, "Audit"), so what was read stays true."""
        label = self._dataset_labels.get(name)
        if label is None:
            self._dataset_labels = {info.name: info.label for _id, info in self.store.datasets()}
            label = self._dataset_labels.get(name)
        return label

    def _recorded_parts(self) -> RecordedParts:
        """What the store's ingest and retract events recorded of its ledger parts, read
        once per view and again only when the writes chain's newest event changed (every
        ingest and retraction adds one; a read adds none there): a ledger read or listing
        re-read and re-parsed every ingest event at each call before."""
        from ironriver.store.ledger_records import recorded_head, recorded_parts

        with self.store.engine.connect() as conn:
            head = recorded_head(conn)  # (first: an event committed after it changes it)
            if self._recorded is None or self._recorded[0] != head:
                self._recorded = (head, recorded_parts(conn))
        return self._recorded[1]


def _nothing() -> None:
    """What closing a stream read at once does (its cursor is closed already)."""


def _missing_parts(dataset: str, damaged: dict[str, int]) -> StoreError:
    """The error of a read of a ledger of `dataset` of which recorded parts are missing
    (ledger -> how many): its rows cannot be read whole, and "no rows" would be wrong."""
    [(ledger, n), *_] = sorted(damaged.items())
    return StoreError(
        nmsg(
            "Ledger {dataset}/{ledger} cannot be read whole: {n} part file that an ingest "
            "wrote is missing from disk, so its rows would be left out.",
            "Ledger {dataset}/{ledger} cannot be read whole: {n} part files that ingests "
            "wrote are missing from disk, so their rows would be left out.",
            n,
            dataset=dataset,
            ledger=ledger,
        ),
        hint=msg(
            "Run `ironriver audit verify` to list them; restore the files from a backup or "
            "re-ingest their source files."
        ),
    )


def _no_dataset_ledger(
    dataset: str, ledger: str | None, seen: Collection[tuple[str, str]]
) -> NotFound:
    """The one answer for a dataset that does not exist, has no ledger, or has none whose
    rows the principal may see (but an empty ledger of a dataset it may see: the module
    doc): which of these it is must not show. `seen` (the (dataset,
    ledger) pairs whose rows the principal may see, and its empty ledgers that `ledgers`
    lists) names the dataset of a ledger whose
    name was given as its dataset's (`dealer_sales`, the ledger of `us_atf_dealer_sales`);
    it depends on nothing else, so that a hidden dataset is answered as a missing one."""
    hint = msg("List the ledgers you may see, with their datasets, with `ironriver ledgers`.")
    as_ledger = sorted(ds for ds, lg in seen if lg == dataset and ledger is None)
    if as_ledger:
        datasets = ", ".join(f"`{name}`" for name in as_ledger)
        hint = joined([msg("Did you mean {datasets}?", datasets=datasets), hint], " ")
    if ledger is None:
        return NotFound(
            msg("No ledger of a dataset {dataset!r} is visible to you.", dataset=dataset), hint
        )
    return NotFound(
        msg(
            "No ledger {ledger!r} of a dataset {dataset!r} is visible to you.",
            ledger=ledger,
            dataset=dataset,
        ),
        hint,
    )
