"""The reads a name search makes of the store (`NameReadsMixin`, which `NameSearchMixin`
inherits): the labels holding names' lookup rows, each with the least and the greatest length
of its names (`_name_labels`); a pass's candidates, one name length at a time
(`_name_candidates`, by `name_plan`'s lookup query); whether a name has a word starting with a
prefix (`_any_word`); which candidates' statements are visible and searchable (`_searchable`);
and the visible statements of the entities a search assembles (`_EntityRows`, `_entity_reads`).

Only the labels the view may see are read (`label_ids`), so what a search reads, and its time,
follows the names the view may see, never those it may not; a statement is read only under the
view's `_visible` condition. Every read is bounded: `_CHECK_BATCH` candidates checked per query,
at most `_READ_BATCH` entities read per query, at most `_MAX_RANK_STEP` name lengths per lookup
query. The queries bound only to values are built once, at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    bindparam,
    func,
    select,
)

from ironriver.policy.entity_rows import ENTITY_ROW
from ironriver.policy.name_pass import _LabelBounds, _Reading, _SearchPass
from ironriver.policy.name_plan import LABELS, RANKS, plan_rows
from ironriver.store.ids import KIND_NAME
from ironriver.store.tables import labels, statement_keys, statements

if TYPE_CHECKING:
    from followthemoney.schema import Schema

_CHECK_BATCH = 400  # search candidates checked per query
# entities a search assembles from one query, at most (`_EntityRows`): the first read takes
# those it lacks, each further read of one search twice the last, up to this
_READ_BATCH = 512
_MAX_RANK_STEP = 64  # name lengths read at once by a search, at most


def _label_bounds() -> Select[Any]:
    """The query of `SearchMixin._name_labels`, bound to the labels to read (`LABELS`):
    built once, so a search neither builds it nor computes its cache key again."""
    k = statement_keys
    mine = (k.c.kind == KIND_NAME, k.c.label_id == labels.c.id)
    return select(
        labels.c.id,
        select(func.min(k.c.rank)).where(*mine).scalar_subquery(),
        select(func.max(k.c.rank)).where(*mine).scalar_subquery(),
    ).where(labels.c.id.in_(bindparam(LABELS, expanding=True)))


_LABEL_BOUNDS = _label_bounds()
_PREFIX_LOW, _PREFIX_HIGH = "prefix_low", "prefix_high"
_LAST_CHAR = "\U0010ffff"  # (above every character, as `name_plan`'s)


def _any_word() -> Select[Any]:
    """The query of `NameSearchMixin._any_word`, bound to a prefix's range, the lengths and
    the labels to read: built once."""
    k = statement_keys
    return (
        select(k.c.key)
        .where(
            k.c.kind == KIND_NAME,
            k.c.label_id.in_(bindparam(LABELS, expanding=True)),
            k.c.rank.in_(bindparam(RANKS, expanding=True)),
            k.c.key >= bindparam(_PREFIX_LOW, type_=k.c.key.type),
            k.c.key < bindparam(_PREFIX_HIGH, type_=k.c.key.type),
        )
        .limit(1)
    )


_ANY_WORD = _any_word()


class _EntityRows:
    """The visible statements (`ENTITY_ROW` rows) of the entities a search assembles, read
    several entities per query: the one asked for and the next of those it will ask for
    (`ahead`), as many as the hits it lacks. Without a schema each of those is a hit, so
    nothing is read in vain; with one (`growing`) an entity of another schema is read and
    dropped, so each further read takes twice the last (up to `_READ_BATCH`): a search
    whose schema leaves out thousands of names takes a few dozen queries, not one each
    (review: "garcia lopez" `--schema Vehicle`, 33 s on 200,000 names)."""

    def __init__(self, read: Callable[[list[str]], Sequence[Sequence[Any]]], growing: bool):
        self._read = read
        self._growing = growing
        self._next = 1  # the least size of the next read (`growing`)
        self._rows: dict[str, list[Sequence[Any]]] = {}

    def get(self, entity_id: str, ahead: Iterable[str], lacking: int) -> list[Sequence[Any]]:
        """The rows of `entity_id`, read now with up to `lacking` (or with `growing`, the
        next size, if more) entities of `ahead` not read yet, if not read already."""
        rows = self._rows.pop(entity_id, None)
        if rows is not None:
            return rows
        size = max(lacking, self._next) if self._growing else lacking
        batch = [entity_id]
        for each in ahead:
            if len(batch) >= size:
                break
            if each not in self._rows and each not in batch:
                batch.append(each)
        read: dict[str, list[Sequence[Any]]] = {each: [] for each in batch}
        for row in self._read(batch):
            read[row[0]].append(row)
        self._rows.update(read)
        if self._growing:
            self._next = min(2 * len(batch), _READ_BATCH)
        return self._rows.pop(entity_id)


class NameReadsMixin:
    """The store reads of `NameSearchMixin`'s passes (see the module doc), which it inherits."""

    if TYPE_CHECKING:  # the view's own, which a search reads through
        label_ids: list[int]
        _not_searched: list[int]

        def _visible(self) -> ColumnElement[bool]: ...

    def _any_word(self, search: _SearchPass, prefix: str, end: str = _LAST_CHAR) -> bool:
        """Whether a name the `search` reads (of its labels and lengths, `held`) has a word
        starting with `prefix` (with `end` `_WORD_END`, the word `prefix` itself): one index
        probe per label and length, so a particle reading whose rest no name holds
        ("delangel" cut as "de la" + "ngel") costs no pass over the lengths (each would
        read its other words' ranges at every length), nor a whole pass a word no name
        holds whole (`_whole_first`)."""
        held = search.held
        if not held:
            return False
        low, high = min(b[0] for b in held.values()), max(b[1] for b in held.values())
        bound = {
            _PREFIX_LOW: prefix,
            _PREFIX_HIGH: prefix + end,
            RANKS: list(range(low, high + 1)),
            LABELS: sorted(held),
        }
        return search.conn.execute(_ANY_WORD, bound).first() is not None

    def _name_candidates(
        self, search: _SearchPass, reading: _Reading
    ) -> Iterator[list[tuple[str, str]]]:
        """(entity_id, id) of the name statements having a word starting with each of
        `tokens` (or equal to one of its `name_plan.exact_words`: its `ABBREVIATIONS`, and
        its `nickname_words` while `reading` says so, which is read before each query), a
        different word for each, one sorted list per name length, shortest first.

        Lengths are read in groups, one query each (the tokens' `statement_keys` ranges
        intersected in SQL: a word and its name share one length): one length at a time
        while they hold candidates (a common word stops early); across lengths without any
        the group doubles (a rare word takes few queries). A token that other tokens start
        with ("jose" of "jose josefina"), or that the query repeats ("garcia garcia"), needs
        as many of the name's words in its range (`name_plan._nested`): its rows are counted
        per statement. A token's exact words are read with its range (UNION ALL) when they
        lie in the same ranges of the query; else the token makes two readings of the query
        or more (`name_plan._readings`), whose rows are joined by UNION. A name with several
        rows in a range it needs once ("garcia" of "García García") comes once: its rows are
        a set. The lengths read are those between the least and the greatest of `held`
        (`_name_labels`), and a label's ranges only in a group of lengths overlapping its
        own."""
        conn, held = search.conn, search.held
        if not held:
            return
        low, high = min(b[0] for b in held.values()), max(b[1] for b in held.values())
        # the lookup query (by `reading`) and its words, for any lengths (`plan_rows`)
        queries: dict[bool, tuple[Select[Any] | CompoundSelect[Any], dict[str, Any]]] = {}
        step = 1
        while low <= high:
            ranks = list(range(low, min(low + step, high + 1)))
            if reading.nicknames not in queries:
                queries[reading.nicknames] = plan_rows(search.plan(reading.nicknames))
            query, values = queries[reading.nicknames]
            by_rank: dict[int, list[tuple[str, str]]] = {}
            # (an index range per label and length: the labels holding names of these lengths)
            label_ids = sorted(i for i, (lo, hi) in held.items() if lo <= ranks[-1] and hi >= low)
            bound = {**values, RANKS: ranks, LABELS: label_ids}
            for rank, entity_id, stmt_id in conn.execute(query, bound):
                by_rank.setdefault(int(rank), []).append((entity_id, stmt_id))
            for rank in sorted(by_rank):
                yield sorted(set(by_rank[rank]))
            low += step
            step = 1 if by_rank else min(step * 2, _MAX_RANK_STEP)

    def _name_labels(self, conn: Connection) -> _LabelBounds:
        """The labels the view may see that hold names' lookup rows, each with the least
        and the greatest length of its names: one index probe each way per label, once per
        search (its passes over the lengths share them). The lookup query reads these
        labels' ranges only, so what a search reads (and its time) follows the names the
        view may see, never those it may not."""
        return {
            int(i): (int(low), int(high))
            for i, low, high in conn.execute(_LABEL_BOUNDS, {LABELS: self.label_ids})
            if low is not None and high is not None
        }

    def _entity_reads(self, conn: Connection, wanted: Schema | None) -> _EntityRows:
        """The reads of the entities one search assembles (`_EntityRows`), by `conn`."""

        def read(ids: list[str]) -> Sequence[Sequence[Any]]:
            query = (
                select(*ENTITY_ROW)
                .where(statements.c.entity_id.in_(sorted(ids)), self._visible())
                .order_by(statements.c.entity_id, statements.c.id)
            )
            return conn.execute(query).all()

        return _EntityRows(read, growing=wanted is not None)

    def _searchable(
        self, conn: Connection, candidates: list[tuple[str, str]]
    ) -> Iterator[tuple[str, str]]:
        """(entity_id, value) of the `candidates` (sorted (entity_id, id) pairs) whose
        statement is visible and searchable, in the candidates' order (that it has the query
        words, its `statement_keys` rows said)."""
        for pairs in self._searchable_batches(conn, candidates):
            yield from pairs

    def _searchable_batches(
        self, conn: Connection, candidates: list[tuple[str, str]]
    ) -> Iterator[list[tuple[str, str]]]:
        """`_searchable`'s pairs, one list per query (of `_CHECK_BATCH` candidates)."""
        for start in range(0, len(candidates), _CHECK_BATCH):
            batch = candidates[start : start + _CHECK_BATCH]
            # by entity id, the clustered key's prefix (a row-value IN list is a full scan
            # on SQLite); the entity's other names are dropped below
            rows = conn.execute(
                select(statements.c.entity_id, statements.c.id, statements.c.value).where(
                    statements.c.entity_id.in_(sorted({e for e, _ in batch})),
                    statements.c.kind == KIND_NAME,
                    statements.c.prop_id.not_in(self._not_searched),
                    self._visible(),
                )
            ).all()
            values = {(r[0], r[1]): str(r[2]) for r in rows}
            yield [(pair[0], values[pair]) for pair in batch if pair in values]
