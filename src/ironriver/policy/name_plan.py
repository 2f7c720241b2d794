"""The lookup query of a name search (`SearchMixin._name_candidates`): what each query word
seeks in `statement_keys` (the words it starts, a range of keys; its abbreviations and
nicknames, whole: `exact_words`), how words that may match one word of a name are read
together (`_apart`, `_ways`, `_readings`, counted as Hall's condition asks: `_nested`), and
the SQL of such a plan (`plan_rows`), built once per shape and bound to its words and to the
name lengths read.

A plan finds a superset of the names holding the words (a compound's joined form counts as
one more word in the rows), which the search then checks on each name (`name_match._has_words`);
it never misses one (tests/policy/test_search_nicknames.py compares it to a brute force).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from itertools import combinations_with_replacement
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    func,
    intersect,
    select,
    union,
    union_all,
)

from ironriver.errors import ConfigError
from ironriver.i18n import msg
from ironriver.policy.nicknames import abbreviation_words, nickname_words
from ironriver.store.ids import KIND_NAME, REPEAT_MARK
from ironriver.store.tables import statement_keys

# above every character: `key < word + _LAST_CHAR` bounds the keys starting with `word`
# (keys compare as UTF-8 bytes: SQLite's default, the C collation on PostgreSQL)
_LAST_CHAR = "\U0010ffff"
# above a word's repeats and below every letter: `word <= key < word + _WORD_END` bounds the
# keys of the word `word` itself, each time a name holds it (`REPEAT_MARK`), and no other
_WORD_END = chr(ord(REPEAT_MARK) + 1)
RANKS = "ranks"  # the bound parameter of the lengths a lookup query reads
LABELS = "labels"  # ... and of the access labels it reads (those its view may see)
# ways to read a name search's words, at most (`query_plan`): words that may match one
# word of a name are read together, each as a prefix or as one class of the words it
# matches whole (abbreviations, nicknames: "maria m": maria... or ma, mari...; "maria maria
# m": 3 ways), and each way is a SELECT of the query (SQLite refuses more than 500 in one
# compound query, and each costs an index range per name length read). A word alone in
# its group reads one way however often it is typed ("maria" 32 times: its range and its
# whole words, counted together).
MAX_READINGS = 64


@lru_cache(maxsize=4096)  # (keyed by words users type: bounded)
def exact_words(token: str, nicknames: bool = True, whole: bool = False) -> tuple[str, ...]:
    """The words other than those it starts that `token` matches whole, sorted: its
    abbreviations and (with `nicknames`) its `nickname_words` ("fer" starts "fernando", so
    "fernando" is no exact word of "fer", which reads no differently for it; "fernando" has
    the exact word "fer"). With `whole` (a pass reading the words whole, whose range of
    `token` holds it alone), every such word but `token` itself ("fer": fernando too)."""
    words = {*abbreviation_words(token), *(nickname_words(token) if nicknames else ())}
    if whole:
        return tuple(sorted(words - {token}))
    return tuple(sorted(w for w in words if not w.startswith(token)))


def _covers(token: str, word: str, whole: bool) -> bool:
    """Whether the range of the query word `token` holds the word `word`: the words it
    starts, or with `whole` the word itself only."""
    return word == token if whole else word.startswith(token)


class _Sought(NamedTuple):
    """What a query word looks for in a reading of the query (`_readings`): the words
    starting with `prefix` (None: no such range; with `whole`, the word `prefix` itself
    only), and the words of `exact`, whole."""

    prefix: str | None
    exact: tuple[str, ...] = ()
    whole: bool = False

    def holds(self, word: str) -> bool:
        """Whether the word `word` is sought."""
        return (
            self.prefix is not None and _covers(self.prefix, word, self.whole)
        ) or word in self.exact

    def within(self, outer: _Sought) -> bool:
        """Whether every word sought is sought by `outer` too."""
        if self.prefix is not None:
            if self.whole:
                if not outer.holds(self.prefix):
                    return False
            elif outer.prefix is None or outer.whole or not self.prefix.startswith(outer.prefix):
                return False
        return all(outer.holds(word) for word in self.exact)

    def order(self) -> tuple[bool, str, tuple[str, ...]]:
        """A key that sorts sought words (None is no text to compare)."""
        return self.prefix is None, self.prefix or "", self.exact


def _sought(token: str, nicknames: bool = True, whole: bool = False) -> _Sought:
    """Everything the query word `token` may match: the words it starts (with `whole`, the
    word itself), and its `exact_words` words (abbreviations, nicknames) whole."""
    return _Sought(token, exact_words(token, nicknames, whole), whole)


def _overlap(one: _Sought, other: _Sought) -> bool:
    """Whether a word may be both `one` and `other` sought: their ranges overlap (one
    prefix starts the other; a whole word lies in the other's range), or an exact word of
    one is sought by the other."""
    if one.prefix is not None and other.prefix is not None:
        if one.whole or other.whole:
            if other.holds(one.prefix) if one.whole else one.holds(other.prefix):
                return True
        elif one.prefix.startswith(other.prefix) or other.prefix.startswith(one.prefix):
            return True
    return any(map(other.holds, one.exact)) or any(map(one.holds, other.exact))


def _apart(tokens: list[str], nicknames: bool = True, whole: bool = False) -> list[list[str]]:
    """The `tokens` in groups no word of a name may match across (connected by what they
    seek overlapping, `_overlap`): a name has a different word for each token if and only
    if it has one for each token of every group, each group read on its own. ("maria
    francisco": two groups; "m maria": one, as "m" starts "ma" and "maria"; "jose pepe":
    one, as "jose" seeks "pepe" whole and "pepe" seeks "jose".)"""
    distinct = sorted(set(tokens))
    group = {t: i for i, t in enumerate(distinct)}
    for i, one in enumerate(distinct):
        for other in distinct[i + 1 :]:
            if group[one] != group[other] and _overlap(
                _sought(one, nicknames, whole), _sought(other, nicknames, whole)
            ):
                old, new = group[other], group[one]
                group = {t: new if g == old else g for t, g in group.items()}
    groups: dict[int, list[str]] = {}
    for token in tokens:
        groups.setdefault(group[token], []).append(token)
    return list(groups.values())


def _ways(
    group: list[str], nicknames: bool = True, whole: bool = False
) -> dict[str, list[_Sought]]:
    """The ways each token of a group of tokens (`_apart`) may be read, so that the words
    sought by a reading are nested or apart (`_nested`): the words it starts with some of
    its exact words (`exact_words`) whole, or one class of its other exact words.

    A class is the exact words that the same tokens of the group start and the same tokens
    have as exact words ("g guadalupe": gpe, which "g" starts, is one; lupe and lupita,
    which it does not, another): it lies within each range of the group or apart from it,
    and is another class or apart from it. A class lying in the same ranges as the token's
    own range (those of the tokens starting it) joins that range, for the first token it is
    an exact word of: a word any range holding one holds, the other too, and the union
    then lies within each range or unit of the group, holds it, or is apart from it (and
    the class alone, a narrower way, is left out for that token). So "guadalupe" alone
    reads one way (its range, gpe, lupe and lupita), and "g guadalupe" two (its range with
    gpe, which "g" starts as it starts guadalupe; or lupe, lupita). With `whole`, a token's
    range is the word itself (`_covers`)."""
    distinct = sorted(set(group))
    classes: dict[tuple[frozenset[str], frozenset[str]], list[str]] = {}
    for word in sorted({w for t in distinct for w in exact_words(t, nicknames, whole)}):
        starts = frozenset(t for t in distinct if _covers(t, word, whole))
        owners = frozenset(t for t in distinct if word in exact_words(t, nicknames, whole))
        classes.setdefault((starts, owners), []).append(word)
    joined: dict[str, list[str]] = {t: [] for t in distinct}
    apart: dict[str, list[_Sought]] = {t: [] for t in distinct}
    for (starts, owners), words in sorted(classes.items(), key=lambda c: c[1]):
        holder = next(
            (
                t
                for t in sorted(owners)
                if starts == {u for u in distinct if _covers(u, t, whole)} - {t}
            ),
            None,
        )
        if holder is not None:
            joined[holder] += words
        for t in sorted(owners - {holder}):
            apart[t].append(_Sought(None, tuple(words)))
    return {t: [_Sought(t, tuple(sorted(joined[t])), whole), *apart[t]] for t in distinct}


def _readings(
    tokens: list[str], nicknames: bool = True, whole: bool = False
) -> list[list[_Sought]]:
    """The ways to read a group of `tokens` (`_apart`): each token in one of its ways
    (`_ways`), each way once: a token typed n times reads as how many of the n times it is
    each of its ways ("maria maria mari": maria... with ma twice; once and mary, maruca...
    once; or the latter twice; n + 1 ways for two, not 2^n). A token alone in its group
    reads one way however often it is typed (its range and all its exact words: "maria" 32
    times is one range and the words ma, mari, mary, maruca). A name has a different word
    for each token if and only if it has one for each sought word of some reading; within a
    reading, the words sought are nested or apart (a prefix range and the ranges and
    classes it holds), which `_nested` counts. The number of readings of a group is the
    product of its tokens'; `_apart` keeps the groups small."""
    ways = _ways(tokens, nicknames, whole)
    readings: list[list[_Sought]] = [[]]
    for token, count in sorted(Counter(tokens).items()):
        chosen = list(combinations_with_replacement(ways[token], count))
        readings = [reading + list(way) for reading in readings for way in chosen]
    distinct = {tuple(sorted(r, key=_Sought.order)) for r in readings}
    return [list(r) for r in sorted(distinct, key=lambda r: [s.order() for s in r])]


def query_plan(
    tokens: list[str], nicknames: bool = True, whole: bool = False
) -> list[list[list[tuple[_Sought, int]]]]:
    """How a name search looks for `tokens` (with `nicknames`, through their nicknames too;
    with `whole`, each as a whole word, not as the words it starts): one list per group of
    tokens (`_apart`), of its readings (`_readings`), each with the counts `_nested` gives.
    More than `MAX_READINGS` readings in all is a `ConfigError` (each is a SELECT of the
    lookup query)."""
    groups = _apart(tokens, nicknames, whole)
    plan = [[_nested(r) for r in _readings(group, nicknames, whole)] for group in groups]
    count = sum(len(readings) for readings in plan)
    if count > MAX_READINGS:
        raise ConfigError(
            msg(
                "The search text reads in {count} ways (words that may match one word of a"
                " name are read together, and a given name that records abbreviate or write"
                " as a nickname, such as {examples}, reads in more ways each time it is"
                " typed among them): a name search takes at most {limit}.",
                count=count,
                examples='maria ("Ma.", "Mari"), guadalupe ("Gpe.", "Lupe")',
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
    repeats included: words starting with a prefix, or the same exact words): a name has
    a different word for each if and only if, for each, at least that many of its words
    lie within it (Hall's condition, for sets nested or apart)."""
    return [(sought, sum(other.within(sought) for other in reading)) for sought in reading]


# What a sought word of a reading looks like to the lookup query, its words aside: whether
# it has a prefix range, whether it has exact words, and how many of its words a name needs
_Unit = tuple[bool, bool, int]
# ... and a whole plan (`query_plan`): groups of readings of such units
_Shape = tuple[tuple[tuple[_Unit, ...], ...], ...]
# lookup queries kept built, by shape (few: a shape is the number of words, how they group,
# which have exact words; the words themselves are bound values)
_PLAN_SHAPES = 256


def _reading_rows(
    reading: tuple[_Unit, ...],
    ranks: BindParameter[Any],
    labels: BindParameter[Any],
    names: Iterator[str],
) -> list[Select[Any]]:
    """(rank, entity_id, id) of the names of the lengths bound to `ranks` and the access
    labels bound to `labels` (an index range per label and length: rows of other labels
    are never read) having a different
    word for each sought word of `reading` (with the counts `_nested` gave), as SELECTs to
    intersect: one per distinct sought word, reading an index range of `statement_keys` for
    a prefix (two bound values, named by `names` in turn) and the keys of its exact words
    (a bound list), the two joined by UNION ALL (they are apart; one SELECT OR-ing them is
    read by SQLite as a scan of every name of those lengths, once its statistics know the
    table is large). A word that others lie within, or that the query repeats, needs as many
    rows per name (GROUP BY ... HAVING: a name has one row each time it holds a word, the
    k-th keyed with k - 1 `REPEAT_MARK` after it, within the word's prefix range; of an
    exact word, the keys with fewer marks than that count are enough to reach it)."""
    k = statement_keys
    text = k.c.key.type
    selects = []
    for has_prefix, has_exact, needed in reading:
        parts: list[tuple[ColumnElement[bool], ...]] = []
        if has_prefix:
            low, high = bindparam(next(names), type_=text), bindparam(next(names), type_=text)
            parts.append((k.c.key >= low, k.c.key < high))
        if has_exact:
            parts.append((k.c.key.in_(bindparam(next(names), type_=text, expanding=True)),))
        arms = [
            select(k.c.rank, k.c.entity_id, k.c.id).where(
                k.c.kind == KIND_NAME, k.c.label_id.in_(labels), k.c.rank.in_(ranks), *within
            )
            for within in parts
        ]
        rows = arms[0] if len(arms) == 1 else _rows_of(union_all(*arms))
        if needed > 1:
            rows = rows.group_by(*rows.selected_columns).having(func.count() >= needed)
        selects.append(rows)
    return selects


def _rows_of(query: CompoundSelect[Any]) -> Select[Any]:
    """A compound query as a SELECT of its rows (a compound query in another one is a
    subquery: SQLite takes no parentheses around one)."""
    part = query.subquery()
    return select(part.c.rank, part.c.entity_id, part.c.id)


def plan_rows(
    plan: list[list[list[tuple[_Sought, int]]]],
) -> tuple[Select[Any] | CompoundSelect[Any], dict[str, Any]]:
    """The lookup query of `plan` (`query_plan`: `_plan_query` of its shape) and the values
    to bind to it, but for the name lengths (`RANKS`): each sought word's prefix range and
    its exact words' keys (with their repeats' when a name needs several of its words)."""
    values: list[Any] = []
    shape = []
    for readings in plan:
        group = []
        for reading in readings:
            units = []
            for sought, needed in dict.fromkeys(reading):  # (a repeated word: one range)
                if sought.prefix is not None:
                    end = _WORD_END if sought.whole else _LAST_CHAR
                    values += [sought.prefix, sought.prefix + end]
                if sought.exact:
                    values.append(
                        [w + REPEAT_MARK * i for w in sought.exact for i in range(needed)]
                    )
                units.append((sought.prefix is not None, bool(sought.exact), needed))
            group.append(tuple(units))
        shape.append(tuple(group))
    return _plan_query(tuple(shape)), {f"w{i}": value for i, value in enumerate(values)}


@lru_cache(maxsize=_PLAN_SHAPES)
def _plan_query(shape: _Shape) -> Select[Any] | CompoundSelect[Any]:
    """(rank, entity_id, id) of the names of the lengths bound to `RANKS`, under the labels
    bound to `LABELS`, matching a plan of `shape` (`plan_rows` binds its words, "w0",
    "w1"... in order): each group's rows (the
    UNION of its readings' rows, `_reading_rows`) intersected; a group read one way is its
    ranges, intersected with the others'. Built once per shape, a query is one statement for
    SQLAlchemy to compile and cache, whatever the words and lengths it reads."""
    ranks: BindParameter[Any] = bindparam(RANKS, expanding=True)
    labels: BindParameter[Any] = bindparam(LABELS, expanding=True)
    names = (f"w{i}" for i in itertools.count())
    selects: list[Select[Any]] = []
    for readings in shape:
        if len(readings) == 1:
            selects += _reading_rows(readings[0], ranks, labels, names)
            continue
        arms = []
        for reading in readings:
            ranges = _reading_rows(reading, ranks, labels, names)
            arms.append(_rows_of(intersect(*ranges)) if len(ranges) > 1 else ranges[0])
        selects.append(_rows_of(union(*arms)))
    return intersect(*selects) if len(selects) > 1 else selects[0]
