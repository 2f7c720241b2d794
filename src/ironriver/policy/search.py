"""Search through a `View`: entities by the words of their names (`View.search`), by an
identifier (`View.by_identifier`), or both, as one search box (`View.find`).

`SearchMixin` holds these methods and `View` inherits them, so a search sees exactly what its
view sees: candidates come from the `statement_keys` lookup rows (a name's words, an
identifier's key), each is checked on its statement (visible, and of a property searched),
and hits are assembled as `View.entity` assembles an entity (a sensitive one needs a
reason). Names are ranked shortest first and read one name length at a time, so a search's
cost follows its hits, not the number of names sharing a prefix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Connection,
    FromClause,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    func,
    intersect,
    or_,
    select,
    union,
)

from ironriver.errors import ConfigError
from ironriver.i18n import msg
from ironriver.policy.schemata import known_schema
from ironriver.store.dialect import bytewise
from ironriver.store.ids import (
    KIND_IDENTIFIER,
    KIND_NAME,
    REPEATS_END,
    identifier_key,
    name_key,
    name_parts,
    phone_keys,
    query_words,
    reads_as_phone,
)
from ironriver.store.tables import props, statement_keys, statements

if TYPE_CHECKING:
    from followthemoney.schema import Schema
    from followthemoney.statement.entity import StatementEntity

    from ironriver.policy.markings import Principal
    from ironriver.store import Store

# above every character: `key < word + _LAST_CHAR` bounds the keys starting with `word`
# (keys compare as UTF-8 bytes: SQLite's default, the C collation on PostgreSQL)
_LAST_CHAR = "\U0010ffff"
_CHECK_BATCH = 400  # search candidates checked per query
_MAX_RANK_STEP = 64  # name lengths read at once by a search, at most
_RANKS = "ranks"  # the bound parameter of the lengths a lookup query reads
# words of a name search, at most: a name never has more, and each word is one SELECT of a
# compound query (SQLite refuses more than 500 of them)
MAX_QUERY_WORDS = 32
# ways to read a name search's words, at most (`_query_plan`): a given name records
# abbreviate reads two ways each time it is typed ("maria maria": 3 ways), and each way is
# a SELECT of the query (SQLite refuses more than 500 in one compound query, and each costs
# an index range per name length read). 32 abbreviable words of one given name read in 33.
MAX_READINGS = 64


# a name search of this many words or more, up to `PARTIAL_UP_TO_WORDS`, also finds names
# lacking one of them, after those holding all (`SearchMixin.search`); each word it may lack
# is one more search, so a long text (a paragraph pasted into the box) does not
PARTIAL_FROM_WORDS = 3
PARTIAL_UP_TO_WORDS = 6


@dataclass(frozen=True)
class SearchHit:
    entity_id: str
    schema: str
    caption: str
    matched: str
    # a name search's word the matched name lacks (a search of `PARTIAL_FROM_WORDS` words
    # or more also finds those); "" when it holds every word, and for identifier hits
    missing: str = ""


class _Found(NamedTuple):
    """A name search's candidate, assembled but not yet justified."""

    entity_id: str
    rows: Sequence[Sequence[Any]]  # its visible statements (`_ROW`)
    entity: StatementEntity
    matched: str  # the name that ranked it
    missing: str  # the query word that name lacks ("" for none)


def statement_of(lookup: FromClause) -> ColumnElement[bool]:
    """The join of a lookup row (a `statement_keys`/`statement_refs` row, or a subquery of
    their `entity_id`, `id`) to its statement, where visibility is decided (a search's
    lookups, and the view's of references)."""
    return and_(statements.c.entity_id == lookup.c.entity_id, statements.c.id == lookup.c.id)


def search_words(text: str) -> list[str]:
    """The words a name search for `text` looks for (`query_words`); more than
    `MAX_QUERY_WORDS` of them is a `ConfigError` (no name has so many)."""
    tokens = query_words(text)
    if len(tokens) > MAX_QUERY_WORDS:
        raise ConfigError(
            msg(
                "The search text has {count} words: a name search takes at most {limit}.",
                count=len(tokens),
                limit=MAX_QUERY_WORDS,
            ),
            hint=msg(
                "Search with the words of one name (given names and surnames), e.g. {example}.",
                example='"jose perez"',
            ),
        )
    _query_plan(tokens)  # (too many ways to read them: refused too)
    return tokens


# Given names that Mexican records abbreviate, by the search key of the full name: the
# abbreviations' keys (the dot is a word break: "MA. DOLORES" holds the word "ma"). A query
# word equal to the full name also matches a stored word equal to one of these, exactly (as
# a prefix, "ma" would match Manuel and Marco): "maria dolores" finds "MA. DOLORES GARCIA".
# No stored key changes, so a store needs no migration. "Mª" is "ma" already (NFKC) and
# "Jose." is "jose"; "J." is left out (José, Juan, Jesús, Jorge... alike), and so are the
# surnames' (Hdez., Glez.).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "maria": ("ma",),
    "francisco": ("fco",),
    "guadalupe": ("gpe",),
    "guillermo": ("gmo",),
}


def _name_order(name: str) -> tuple[int, str]:
    """Which of two names ranks first: the shorter, then the least in text order."""
    return len(name), name


def _accepts(token: str, word: str) -> bool:
    """Whether the query word `token` matches the name's word `word`: it starts it, or
    `word` is its abbreviation (`ABBREVIATIONS`)."""
    return word.startswith(token) or word in ABBREVIATIONS.get(token, ())


# matchings `_has_words` tries for one name, at most (a pathological name only: one with
# many different compounds each joined form of which a query word crosses into)
_MATCHINGS_PER_NAME = 256

# A name's words as a matching sees them: the set of query words (their indexes among the
# distinct ones) that each accepts, and how many words accept those; words accepted by the
# same query words are interchangeable, so a long name is a few such sets
_Accepted = Counter[frozenset[int]]


def _matches(units: list[int], words: _Accepted) -> bool:
    """Whether each of `units` (a query word each, by its index) can be given a different
    word of `words` accepting it, found by augmenting paths (a set of words is visited once
    per path: its words are alike)."""
    owner: dict[frozenset[int], list[int]] = {}  # accepting set -> the units given its words

    def place(unit: int, tried: set[frozenset[int]]) -> bool:
        for accepting, count in words.items():
            if units[unit] not in accepting or accepting in tried:
                continue
            tried.add(accepting)
            held = owner.setdefault(accepting, [])
            if len(held) < count:
                held.append(unit)
                return True
            for i, other in enumerate(held):
                if place(other, tried):
                    held[i] = unit
                    return True
        return False

    return all(place(unit, set()) for unit in range(len(units)))


def _has_words(value: str, tokens: list[str]) -> bool:
    """Whether each of `tokens` matches a different word of the name `value` (`_accepts`; a
    word the name repeats, once each time), a compound ("perez-lopez") offering either its
    words (perez, lopez) or its joined form (perezlopez) to one query, never a word and the
    joined form: "garcia garcia" is not "García-López", "perez perezlopez" not
    "Pérez-López". The lookup rows hold every word and joined form, so their counts find a
    superset of these names, which this filters.

    A compound's joined form only matters for a query word it accepts and its first word
    does not ("perezlo", or an abbreviation equal to the joined form): one starting the
    joined form and no longer than the first word starts that word too. Those compounds
    (alike ones together: how many of them are read joined) are tried both ways, depth
    first, a branch cut when the name fails even with the undecided ones offering both; a
    name needing more than `_MATCHINGS_PER_NAME` matchings is taken as the lookup rows found
    it."""
    distinct = sorted(set(tokens))
    units = [distinct.index(t) for t in tokens]

    def accepting(word: str) -> frozenset[int]:
        return frozenset(i for i, token in enumerate(distinct) if _accepts(token, word))

    plain: _Accepted = Counter()
    # compounds read either way: (their words' accepting sets, their joined form's) -> how many
    either: Counter[tuple[frozenset[tuple[frozenset[int], int]], frozenset[int]]] = Counter()
    for parts in name_parts(name_key(value)):
        sets = [accepting(part) for part in parts]
        if len(parts) > 1 and (joined := accepting("".join(parts))) - sets[0]:
            either[frozenset(Counter(sets).items()), joined] += 1
        else:
            plain.update(sets)
    if len(tokens) > sum(plain.values()) + sum(
        n * max(1, sum(c for _, c in sets)) for (sets, _), n in either.items()
    ):
        return False
    groups = list(either.items())
    budget = _MATCHINGS_PER_NAME

    def holds(chosen: _Accepted, at: int) -> bool:
        nonlocal budget
        offered = chosen.copy()
        for (sets, joined), n in groups[at:]:
            offered.update({each: c * n for each, c in sets})
            offered[joined] += n
        if not _matches(units, offered):
            return False
        budget -= 1
        if at == len(groups) or budget <= 0:
            return True
        (sets, joined), n = groups[at]
        for read_joined in range(min(n, len(units)) + 1):
            then = chosen.copy()
            then.update({each: c * (n - read_joined) for each, c in sets})
            then[joined] += read_joined
            if holds(then, at + 1):
                return True
        return False

    return holds(plain, 0)


# What one query word looks for in a reading of the query (`_readings`): the words starting
# with `word`, or (`exact`) that word alone
_Sought = tuple[str, bool]


def _sought(token: str) -> list[_Sought]:
    """What the query word `token` may match: the words it starts, or one of its
    `ABBREVIATIONS` exactly."""
    return [(token, False)] + [(a, True) for a in ABBREVIATIONS.get(token, ())]


def _overlap(one: _Sought, other: _Sought) -> bool:
    """Whether a word may be both `one` and `other` sought."""
    if one[1] and other[1]:
        return one[0] == other[0]
    if one[1] or other[1]:
        exact, prefix = (one, other) if one[1] else (other, one)
        return exact[0].startswith(prefix[0])
    return one[0].startswith(other[0]) or other[0].startswith(one[0])


def _apart(tokens: list[str]) -> list[list[str]]:
    """The `tokens` in groups no word of a name may match across (connected by what they
    seek overlapping, `_overlap`): a name has a different word for each token if and only
    if it has one for each token of every group, each group read on its own. ("maria
    francisco": two groups; "m maria": one, as "m" starts "ma" and "maria".)"""
    distinct = sorted(set(tokens))
    group = {t: i for i, t in enumerate(distinct)}
    for i, one in enumerate(distinct):
        for other in distinct[i + 1 :]:
            if group[one] != group[other] and any(
                _overlap(a, b) for a in _sought(one) for b in _sought(other)
            ):
                old, new = group[other], group[one]
                group = {t: new if g == old else g for t, g in group.items()}
    groups: dict[int, list[str]] = {}
    for token in tokens:
        groups.setdefault(group[token], []).append(token)
    return list(groups.values())


def _readings(tokens: list[str]) -> list[list[_Sought]]:
    """The ways to read the `tokens`: each as a prefix, or as one of its abbreviations,
    exactly ("maria dolores": maria... and dolores..., or ma and dolores...), each way once:
    a token typed n times reads as how many of the n times it is each of its ways ("maria
    maria": maria... twice, maria... and ma, or ma twice; n + 1 ways, not 2^n). A name has a
    different word for each token if and only if it has one for each sought word of some
    reading; within a reading, the words sought are nested or apart (a prefix range and the
    ranges and words it holds), which `_nested` counts. The number of readings is the
    product of each token's; `_apart` keeps the tokens to multiply few."""
    readings: list[list[_Sought]] = [[]]
    for token, count in sorted(Counter(tokens).items()):
        ways = list(combinations_with_replacement(_sought(token), count))
        readings = [reading + list(way) for reading in readings for way in ways]
    return [list(r) for r in sorted({tuple(sorted(r)) for r in readings})]


def _query_plan(tokens: list[str]) -> list[list[list[tuple[_Sought, int]]]]:
    """How a name search looks for `tokens`: one list per group of tokens (`_apart`), of its
    readings (`_readings`), each with the counts `_nested` gives. More than `MAX_READINGS`
    readings in all is a `ConfigError` (each is a SELECT of the lookup query)."""
    plan = [[_nested(r) for r in _readings(group)] for group in _apart(tokens)]
    count = sum(len(readings) for readings in plan)
    if count > MAX_READINGS:
        raise ConfigError(
            msg(
                "The search text reads in {count} ways (a given name that records abbreviate,"
                " such as {examples}, reads two ways each time it is typed): a name search"
                " takes at most {limit}.",
                count=count,
                examples=", ".join(sorted(ABBREVIATIONS)),
                limit=MAX_READINGS,
            ),
            hint=msg(
                "Search with the words of one name, each given name typed once or twice,"
                " e.g. {example}.",
                example='"maria guadalupe perez"',
            ),
        )
    return plan


def _nested(reading: list[_Sought]) -> list[tuple[_Sought, int]]:
    """Each sought word of `reading`, with how many of them lie within it (itself and its
    repeats included: words starting with a prefix, or the same exact word): a name has a
    different word for each if and only if, for each, at least that many of its words lie
    within it (Hall's condition, for sets nested or apart)."""

    def within(inner: _Sought, outer: _Sought) -> bool:
        if outer[1]:
            return inner == outer
        return inner[0].startswith(outer[0])

    return [(sought, sum(within(other, sought) for other in reading)) for sought in reading]


def _reading_rows(
    reading: list[tuple[_Sought, int]], ranks: BindParameter[Any]
) -> list[Select[Any]]:
    """(rank, entity_id, id) of the names of the lengths bound to `ranks` having a different
    word for each sought word of `reading` (with the counts `_nested` gave), as SELECTs to
    intersect: one
    index range of `statement_keys` per distinct sought word (or one key, for an exact one);
    a word that others lie within, or that the query repeats, needs as many rows of its
    range per name (GROUP BY ... HAVING: a name has one row each time it holds a word, the
    k-th keyed with k - 1 `REPEAT_MARK` after it, within the word's prefix range; an exact
    word's repeats are the keys from it up to `REPEATS_END` after it)."""
    k = statement_keys
    selects = []
    for (word, exact), needed in dict.fromkeys(reading):  # (a repeated word: one range)
        within: tuple[ColumnElement[bool], ...]
        if not exact:
            within = (k.c.key >= word, k.c.key < word + _LAST_CHAR)
        elif needed > 1:
            within = (k.c.key >= word, k.c.key < word + REPEATS_END)
        else:
            within = (k.c.key == word,)
        rows = select(k.c.rank, k.c.entity_id, k.c.id).where(
            k.c.kind == KIND_NAME, k.c.rank.in_(ranks), *within
        )
        if needed > 1:
            rows = rows.group_by(k.c.rank, k.c.entity_id, k.c.id).having(func.count() >= needed)
        selects.append(rows)
    return selects


def _rows_of(query: CompoundSelect[Any]) -> Select[Any]:
    """A compound query as a SELECT of its rows (a compound query in another one is a
    subquery: SQLite takes no parentheses around one)."""
    part = query.subquery()
    return select(part.c.rank, part.c.entity_id, part.c.id)


def _plan_rows(
    plan: list[list[list[tuple[_Sought, int]]]], ranks: BindParameter[Any]
) -> Select[Any] | CompoundSelect[Any]:
    """(rank, entity_id, id) of the names of the lengths bound to `ranks` matching the query
    of `plan` (`_query_plan`): each group's rows (the UNION of its readings' rows, `_reading_rows`)
    intersected; a group read one way is its ranges, intersected with the others'."""
    selects: list[Select[Any]] = []
    for readings in plan:
        if len(readings) == 1:
            selects += _reading_rows(readings[0], ranks)
            continue
        arms = []
        for reading in readings:
            ranges = _reading_rows(reading, ranks)
            arms.append(_rows_of(intersect(*ranges)) if len(ranges) > 1 else ranges[0])
        selects.append(_rows_of(union(*arms)))
    return intersect(*selects) if len(selects) > 1 else selects[0]


class SearchMixin:
    """The searches of `View`, which inherits them (see the module doc)."""

    if TYPE_CHECKING:  # the view's own, which a search reads through
        store: Store
        principal: Principal
        _searched_names: frozenset[int]
        _not_searched: list[int]

        def _owner_countries(self) -> frozenset[str]: ...
        def _current_props(self, conn: Connection) -> None: ...
        def _visible(self) -> ColumnElement[bool]: ...
        def _entity_rows(self, entity_id: str) -> Select[Any]: ...
        def _assemble(
            self,
            rows: Iterable[Sequence[Any]],
            named: bool = True,
            wanted: Schema | None = None,
            justify: bool = True,
        ) -> StatementEntity | None: ...
        def _justify(self, label_ids: Iterable[int], entity_id: str | None) -> None: ...
        def _log(self, action: str, target: str, detail: dict[str, Any] | None = None) -> None: ...

    def find(
        self,
        text: str,
        schema: str | None = None,
        limit: int = 20,
        identifiers_only: bool = False,
    ) -> list[SearchHit]:
        """One search box, as an analyst types into it: entities with an identifier equal to
        `text` first (`by_identifier`), then those whose names match it (`search`), each
        entity once, at most `limit`. A text of more than `MAX_QUERY_WORDS` words is refused
        (`ConfigError`) unless `identifiers_only`."""
        if not identifiers_only:
            search_words(text)  # (refused before anything is read or logged)
        hits = self.by_identifier(text, limit, schema)
        if identifiers_only:
            return hits
        seen = {h.entity_id for h in hits}
        names = [h for h in self.search(text, schema, limit) if h.entity_id not in seen]
        return (hits + names)[:limit]

    def search(self, text: str, schema: str | None = None, limit: int = 20) -> list[SearchHit]:
        """Entities with a visible name having a word that starts with each word of `text`
        (accents and case ignored: "jose per" finds "José Pérez López"), a different word
        for each word ("jose josefina" finds "José Josefina Ruiz", not "Josefina Ruiz";
        "garcia garcia" finds "Juan García García", not "Juan García López": the lookup rows
        hold each time a name holds a word; a compound, "García-López", offers its words or
        its joined form, not both: `_has_words`), best (shortest) names first, ties by
        entity id; `matched` is the entity's name that ranked it (its shortest such name,
        the least in text order among equals).

        A search of `PARTIAL_FROM_WORDS` words or more that finds fewer than `limit` such
        entities then also finds names lacking one of its words, ranked after them the same
        way, each with the word it lacks (`missing`): records drop a maternal surname or a
        second given name ("Álvaro Reyes" for "Álvaro Reyes Mendoza"), and an analyst types
        the whole name. (Two words lacking one would be one word: too broad.)

        The words of names are keyed by the length of their name (`statement_keys.rank`), so
        candidates are read one name length at a time, shortest first
        (`_name_candidates`), and the search stops as soon as it has `limit` hits: its cost
        follows the hits, not the number of names sharing a prefix. Each candidate is then
        checked on its statement (visible and searchable). More than `MAX_QUERY_WORDS`
        words is a `ConfigError`."""
        wanted = known_schema(schema)
        tokens = search_words(text)
        if not tokens:
            return []
        seen: set[str] = set()
        with self.store.engine.connect() as conn:
            self._current_props(conn)
            found = self._search_words(conn, tokens, wanted, limit, seen)
            if PARTIAL_FROM_WORDS <= len(tokens) <= PARTIAL_UP_TO_WORDS and len(found) < limit:
                found += self._lacking_one(conn, tokens, wanted, limit - len(found), seen)
        hits = []
        for entity_id, rows, entity, matched, missing in found:
            # only the hits shown must say why (an AMBER+STRICT name a pass looked at and
            # the limit then left out does not refuse the search)
            self._justify((r[10] for r in rows), None)
            hits.append(SearchHit(entity_id, entity.schema.name, entity.caption, matched, missing))
        self._log("search", text, {"schema": schema, "hits": len(hits)})
        return hits

    def _lacking_one(
        self,
        conn: Connection,
        tokens: list[str],
        wanted: Schema | None,
        limit: int,
        seen: set[str],
    ) -> list[_Found]:
        """At most `limit` entities not of `seen` with a name matching all of `tokens` but
        one, each by its best such name over every word it may lack (shortest, then least
        in text order), ranked as `search` ranks (shortest name, then entity id). Each pass
        (one word left out) keeps its own best `limit`: an entity among the best `limit`
        overall is among the best `limit` of the pass its best name comes from."""
        best: dict[str, _Found] = {}
        for i, lacking in enumerate(tokens):
            if lacking in tokens[:i]:  # (a repeated word: lacking one of it is one pass)
                continue
            fewer = tokens[:i] + tokens[i + 1 :]
            for found in self._search_words(conn, fewer, wanted, limit, set(seen)):
                known = best.get(found.entity_id)
                if known is None or _name_order(found.matched) < _name_order(known.matched):
                    best[found.entity_id] = found._replace(missing=lacking)
        ranked = sorted(best.values(), key=lambda f: (len(f.matched), f.entity_id))
        return ranked[:limit]

    def _search_words(
        self,
        conn: Connection,
        tokens: list[str],
        wanted: Schema | None,
        limit: int,
        seen: set[str],
    ) -> list[_Found]:
        """At most `limit` visible entities (of `wanted`) with a name matching each of
        `tokens` (`search`), best first, but for those of `seen`, which it adds to: an
        entity looked at is not looked at again. Assembled but not justified (`search`
        justifies the hits it shows)."""
        found: list[_Found] = []
        for candidates in self._name_candidates(conn, tokens):
            for entity_id, value in self._searchable(conn, candidates):
                # (the lookup rows' counts take a compound's joined form for one more word:
                # a superset, `_has_words`; a name it leaves out leaves its entity unseen)
                if entity_id in seen or not _has_words(value, tokens):
                    continue
                seen.add(entity_id)  # (one not shown, of another schema, never is)
                rows = conn.execute(self._entity_rows(entity_id)).all()
                entity = self._assemble(rows, named=False, wanted=wanted, justify=False)
                if entity is None:
                    continue
                matched = self._least_match(rows, tokens) or value
                found.append(_Found(entity_id, rows, entity, matched, ""))
                if len(found) >= limit:
                    return found
        return found

    def _name_candidates(
        self, conn: Connection, tokens: list[str]
    ) -> Iterator[list[tuple[str, str]]]:
        """(entity_id, id) of the name statements having a word starting with each of
        `tokens` (or equal to one of its `ABBREVIATIONS`), a different word for each, one
        sorted list per name length, shortest first.

        Lengths are read in groups, one query each (the tokens' `statement_keys` ranges
        intersected in SQL: a word and its name share one length): one length at a time
        while they hold candidates (a common word stops early); across lengths without any
        the group doubles (a rare word takes few queries). A token that other tokens start
        with ("jose" of "jose josefina"), or that the query repeats ("garcia garcia"), needs
        as many of the name's words in its range (`_nested`): its rows are counted per
        statement. A token with abbreviations makes two readings of the query or more
        (`_readings`), whose rows are joined by UNION. A name with several rows in a range
        it needs once ("garcia" of "García García") comes once: its rows are a set."""
        k = statement_keys
        bounds = conn.execute(
            select(
                select(func.min(k.c.rank)).where(k.c.kind == KIND_NAME).scalar_subquery(),
                select(func.max(k.c.rank)).where(k.c.kind == KIND_NAME).scalar_subquery(),
            )
        ).one()
        if bounds[0] is None:
            return
        low, high = int(bounds[0]), int(bounds[1])
        # built once, for any lengths (a bound list): one statement per search, and one
        # compiled form in SQLAlchemy's cache for every search of the same shape
        query = _plan_rows(_query_plan(tokens), bindparam(_RANKS, expanding=True))
        step = 1
        while low <= high:
            ranks = list(range(low, min(low + step, high + 1)))
            by_rank: dict[int, list[tuple[str, str]]] = {}
            for rank, entity_id, stmt_id in conn.execute(query, {_RANKS: ranks}):
                by_rank.setdefault(int(rank), []).append((entity_id, stmt_id))
            for rank in sorted(by_rank):
                yield sorted(set(by_rank[rank]))
            low += step
            step = 1 if by_rank else min(step * 2, _MAX_RANK_STEP)

    def _searchable(
        self, conn: Connection, candidates: list[tuple[str, str]]
    ) -> Iterator[tuple[str, str]]:
        """(entity_id, value) of the `candidates` (sorted (entity_id, id) pairs) whose
        statement is visible and searchable, in the candidates' order (that it has the query
        words, its `statement_keys` rows said)."""
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
            for pair in batch:
                value = values.get(pair)
                if value is not None:
                    yield pair[0], value

    def _least_match(self, rows: Sequence[Sequence[Any]], tokens: list[str]) -> str | None:
        """The shortest (then least in text order) of an entity's visible, searchable names
        (its `_ROW` rows) matching `tokens` (`_has_words`): the one its rank came from."""
        names = [
            str(r[3])
            for r in rows
            if r[2] in self._searched_names and _has_words(str(r[3]), tokens)
        ]
        return min(names, key=_name_order) if names else None

    def by_identifier(
        self, value: str, limit: int = 20, schema: str | None = None
    ) -> list[SearchHit]:
        """Entities (optionally of `schema`) with a visible identifier (serial, plate,
        phone…) equal to `value`, ignoring case, spaces and punctuation; and, when `value`
        reads as a phone number without its international prefix, with a phone it is in one
        of the view's countries (`_phone_countries`): "667 157 3741" finds +526671573741.
        Hits equal to `value` as typed come first, then those of each country in turn."""
        wanted = known_schema(schema)  # (an unknown schema is an error even with no key)
        key = identifier_key(value)
        if not key:
            return []
        keys = [key]
        if reads_as_phone(value):  # (else no need to read the countries)
            keys += [p for p in phone_keys(value, self._phone_countries()) if p != key]
        k = statement_keys
        order = case({each: i for i, each in enumerate(keys)}, value=k.c.key, else_=len(keys))
        matched = (
            select(k.c.entity_id, k.c.id, order.label("preference"))
            .where(k.c.kind == KIND_IDENTIFIER, k.c.key.in_(keys))
            .subquery()
        )
        hits = self._hits(wanted, limit, matched)
        self._log("search-identifier", value, {"schema": schema, "hits": len(hits)})
        return hits

    def _phone_countries(self) -> list[str]:
        """The countries a phone number typed without its prefix is read in: the reader's,
        then those of the owners of the statements the view sees (a binational store's MX
        and US; `View._owner_countries`), in order of their codes. Owners of no statement
        the view shows (facts it may not see, retracted ones) are not asked: which numbers a
        search finds says nothing about them."""
        own = self.principal.country.upper()
        return [own, *sorted(self._owner_countries() - {own})]

    def _hits(self, wanted: Any, limit: int, matched: Subquery) -> list[SearchHit]:
        """Visible entities (of the schema `wanted`, if not None) of the `matched`
        (entity_id, id, preference) statements visible to the view: by preference (the
        least of an entity's), then shortest matched value, then entity id; `matched` is
        the least of its values of that preference."""
        engine = self.store.engine
        value = bytewise(statements.c.value, engine)
        query = (
            select(
                statements.c.entity_id,
                matched.c.preference,
                func.min(value).label("matched"),
            )
            .select_from(matched.join(statements, statement_of(matched)))
            .where(
                self._visible(),
                # a key read as a phone (preference > 0) finds phones only: a serial or an
                # account number written with the same digits is no phone
                or_(
                    matched.c.preference == 0,
                    statements.c.prop_id.in_(
                        select(props.c.id).where(props.c.prop_type == "phone").scalar_subquery()
                    ),
                ),
            )
            .group_by(statements.c.entity_id, matched.c.preference)
            .order_by(
                matched.c.preference,
                func.min(func.length(statements.c.value)),
                bytewise(statements.c.entity_id, engine),
            )
        )
        hits: list[SearchHit] = []
        seen: set[str] = set()
        with self.store.engine.connect() as conn:
            for row in conn.execute(query):
                if row.entity_id in seen:  # also found by a preferred key
                    continue
                seen.add(row.entity_id)
                rows = conn.execute(self._entity_rows(row.entity_id)).all()
                entity = self._assemble(rows, named=False, wanted=wanted)
                if entity is None:
                    continue
                hits.append(
                    SearchHit(row.entity_id, entity.schema.name, entity.caption, row.matched)
                )
                if len(hits) >= limit:
                    break
        return hits
