"""The passes of a name search over the names' lookup rows (`SearchMixin.search` runs them,
`View` inherits them through it): the names holding every word, read one name length at a time,
shortest first (`NameSearchMixin._search_words`), those holding them when a surname's
particles are read joined or apart (`NameSearchMixin._particle_readings`), and those lacking
one word (`NameSearchMixin._lacking_one`); each pass returns its hits assembled (`_Found`),
not yet justified. The words of each candidate name are checked by `ironriver.policy.name_match`.

Hits holding every word whole come first (`NameSearchMixin._whole_first`: "maria mora" lists
"María Mora Ruiz" before "María Morales"), then those holding a word only as a prefix; each
part ranks by tier (as typed, through nicknames), then by the name's length, then whether the
name holds the words in the order typed (`name_match._in_order`: word order never changes
which names are found, only this tie), then entity id; only the names the view sees count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    bindparam,
    func,
    select,
)

from ironriver.errors import ConfigError
from ironriver.policy.entity_rows import ENTITY_ROW
from ironriver.policy.name_match import (
    PARTICLES,
    ParticleReading,
    _has_words,
    _in_order,
    _read_as,
    partial_passes,
    particle_readings,
    particle_spelling,
    typed_words,
)
from ironriver.policy.name_plan import (
    _WORD_END,
    LABELS,
    RANKS,
    exact_words,
    plan_rows,
    query_plan,
)
from ironriver.policy.nicknames import nickname_words
from ironriver.store.ids import KIND_NAME
from ironriver.store.tables import labels, statement_keys, statements

if TYPE_CHECKING:
    from followthemoney.schema import Schema
    from followthemoney.statement.entity import StatementEntity

    from ironriver.store import Store

_CHECK_BATCH = 400  # search candidates checked per query
# entities a search assembles from one query, at most (`_EntityRows`): the first read takes
# those it lacks, each further read of one search twice the last, up to this
_READ_BATCH = 512
_MAX_RANK_STEP = 64  # name lengths read at once by a search, at most

# label id -> the least and the greatest length of its names (`SearchMixin._name_labels`)
_LabelBounds = dict[int, tuple[int, int]]


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


@dataclass
class _Reading:
    """Whether a pass over the names (`SearchMixin._name_candidates`) reads the words'
    nicknames too; `SearchMixin._search_words` turns it off once the entities it has set
    aside through them are sure to fill the hits it lacks."""

    nicknames: bool


class _Found(NamedTuple):
    """A name search's candidate, assembled but not yet justified."""

    entity_id: str
    rows: Sequence[Sequence[Any]]  # its visible statements (`ENTITY_ROW`)
    entity: StatementEntity
    matched: str  # the name that ranked it
    missing: str  # the query word that name lacks ("" for none)
    read_as: tuple[tuple[str, str], ...] = ()  # (`SearchHit.read_as`)
    # `matched` holds the words in none of the search's orders (`name_match._in_order`)
    shuffled: bool = False
    # found by reading particles joined or apart (`name_match.ParticleReading`): the query
    # words so read, in the order typed, and the name's words they were read as, as written
    # ((("delangel",), "DEL ÁNGEL"), or (("del", "angel"), "DELANGEL")); () for none
    joined: tuple[tuple[str, ...], str] | tuple[()] = ()

    def order(self) -> tuple[int, bool, bool, str]:
        """How a hit lacking a word ranks among those lacking one: the shortest name, then
        one holding the other words as typed before one holding them through nicknames,
        then one holding them in the order typed, then the entity id
        (`NameSearchMixin._lacking_one`)."""
        return len(self.matched), bool(self.read_as), self.shuffled, self.entity_id


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


# How many of the first hits of each part of a text read as a name and its aliases are
# looked at for the entities both find (`NameSearchMixin._with_aliases`): a fixed number, so
# that which entities those are never depends on the limit, and a bounded one (each part is
# searched for at least this many hits: a search stops at its limit)
_BOTH_FROM = 100

# one way a part's search finds a name (`_part_ways`): the words the name must hold
# (`_has_words`), those of them read through their nicknames too, and whether the name's
# particle runs are read joined
_Way = tuple[list[str], frozenset[str], bool]


def _nicknamed(words: Sequence[str]) -> frozenset[str]:
    """The words of `words` read through their nicknames too: those having any (as
    `_SearchPass.read`)."""
    return frozenset(w for w in words if nickname_words(w))


def _whole_plannable(tokens: list[str]) -> bool:
    """Whether the lookup query can take `tokens` read whole (`query_plan`), with or
    without nicknames."""
    try:
        for nicknames in (True, False):
            query_plan(tokens, nicknames, whole=True)
    except ConfigError:
        return False
    return True


def _searched_readings(typed: tuple[str, ...]) -> Iterator[ParticleReading]:
    """The particle readings of the words typed `typed` (`particle_readings`) that a name
    search passes over: not one whose words the lookup query cannot take (`query_plan`'s
    `ConfigError`, with or without nicknames)."""
    for reading in particle_readings(typed):
        try:
            for nicknames in (True, False):
                query_plan(list(reading.sought), nicknames)
        except ConfigError:
            continue
        yield reading


def _part_ways(tokens: list[str], typed: tuple[str, ...]) -> list[_Way]:
    """The ways a name search for `tokens` (typed `typed`) finds a name, with no limit
    (`_found`'s passes): every word, as typed or through nicknames; a particle reading's
    words (`_searched_readings`, as `_particle_readings`); and for a search of
    `PARTIAL_FROM_WORDS` words or more, the words a pass lacking one needs
    (`partial_passes`)."""
    ways: list[_Way] = [(tokens, _nicknamed(tokens), False)]
    for reading in _searched_readings(typed):
        ways.append((list(reading.tokens), _nicknamed(reading.tokens), reading.split))
    ways += [(needed, _nicknamed(needed), False) for _, needed in partial_passes(tokens)]
    return ways


def _ranked_with_aliases(
    whole: list[_Found], both: list[_Found], each: list[list[_Found]], limit: int
) -> list[_Found]:
    """The hits of a text read as a name and its aliases (`NameSearchMixin._with_aliases`),
    each entity once (by its first hit below), at most `limit`: the hits of the whole text
    (`whole`) holding every word, then `both`, then the name's hits and each alias's (`each`,
    the name's first), then the whole text's lacking a word."""
    ranked = [f for f in whole if not f.missing] + both
    ranked += [f for hits in each for f in hits]
    ranked += [f for f in whole if f.missing]
    shown: dict[str, _Found] = {}
    for found in ranked:
        shown.setdefault(found.entity_id, found)
    return list(shown.values())[:limit]


def _missing(found: _Found, lacking: tuple[str, ...], needed: list[str]) -> str:
    """The words of `lacking` (those a pass of `_lacking_one` may lack) that the name
    `found` by it lacks, space-separated: its one word that is no particle if it has one
    (its particles are free, `name_match.PARTICLES`), else the particles the name does not
    hold beside the words `needed`."""
    core = [w for w in lacking if w not in PARTICLES]
    if core:
        return core[0]
    read = frozenset(w for w, _ in found.read_as)
    held: list[str] = list(needed)
    missing = []
    for word in lacking:
        if _has_words(found.matched, [*held, word], read):
            held.append(word)
        else:
            missing.append(word)
    return " ".join(missing)


def _as_read(found: _Found) -> tuple[bool, int, bool, str, str]:
    """How a hit of a particle reading ranks among those of every reading: as each
    reading's own pass ranks its hits (`_search_words`: a name holding the words as typed
    before one holding them through nicknames, then the shortest, then one holding them in
    the order typed, then the entity id), so that the first hits of all readings together
    are among the first of each, whatever the limit (ranked by length first, "pepe
    delangel" showed a name holding it through a nickname first at a limit of 2 and a
    longer one holding it as typed at a limit of 1: each reading had kept its own first)."""
    return bool(found.read_as), len(found.matched), found.shuffled, found.entity_id, found.matched


def _tier_rank(found: _Found) -> tuple[bool, int, bool, str]:
    """How a pass over the lengths (`NameSearchMixin._search_words`) ranks its hits: as
    typed before through nicknames, then the shortest name, then one holding the words in
    the order typed, then the entity id."""
    return bool(found.read_as), len(found.matched), found.shuffled, found.entity_id


def _best_first(found: _Found) -> tuple[int, bool, bool, str]:
    """Which of two names of an entity lacking a word ranks it: the shorter, then one
    holding the other words as typed, then one holding them in the order typed, then the
    least in text order."""
    return len(found.matched), bool(found.read_as), found.shuffled, found.matched


@dataclass(frozen=True)
class _SearchPass:
    """What a pass over the names' lengths looks for, and through what: the words `tokens`
    (sorted, `search_words`), in one of `orders` first (the words as typed, `typed_words`;
    a pass lacking a word typed twice has two), entities of the schema `wanted` (None: any),
    at most `limit` of them, none of `seen` (which the pass adds the entities it looks at
    to), under the labels `held` (`_name_labels`), read by `conn`. `_found` makes one per
    search text; `_lacking_one` one per word left out, each with a copy of `seen`."""

    conn: Connection
    tokens: list[str]
    orders: tuple[tuple[str, ...], ...]
    wanted: Schema | None
    limit: int
    seen: set[str]
    held: _LabelBounds
    # a pass of a particle reading (`_particle_readings`): the reading; its `sought` words
    # are those the lookup query reads, and with its `split`
    # a name's particle runs are read joined too (`_has_words`'s `joined`)
    particles: ParticleReading | None = None
    # the pass of the names holding every word whole (`_whole_first`): a word matches a
    # name's word equal to it (or its abbreviation, or a nickname), not one it only starts
    whole: bool = False

    def fields(self) -> tuple[Connection, Schema | None, int, set[str]]:
        """`conn, wanted, limit, seen`: what each pass over the lengths reads (the words
        through `has` and `in_order`)."""
        return self.conn, self.wanted, self.limit, self.seen

    @property
    def read(self) -> frozenset[str]:
        """The words read through their nicknames too (`nickname_words`): those having any."""
        return _nicknamed(self.tokens)

    @property
    def joined(self) -> bool:
        """Whether a name's particle runs are read joined too (`_has_words`'s `joined`)."""
        return self.particles is not None and self.particles.split

    def has(self, name: str, read: frozenset[str] = frozenset()) -> bool:
        """Whether the name `name` holds the words (`_has_words`, those of `read` through
        their nicknames too)."""
        return _has_words(name, self.tokens, read, self.joined, self.whole)

    def in_order(self, name: str, read: frozenset[str] = frozenset()) -> bool:
        """Whether the name `name` holds the words in one of `orders` (`_in_order`)."""
        return _in_order(name, self.orders, read, self.joined, self.whole)

    def plan(self, nicknames: bool) -> list[list[list[tuple[Any, int]]]]:
        """The lookup query's plan (`query_plan`) of the words this pass looks up: a
        particle reading's `sought`, else the `tokens`."""
        words = self.tokens if self.particles is None else list(self.particles.sought)
        return query_plan(words, nicknames, self.whole)

    def needing(self, words: list[str]) -> _SearchPass:
        """The pass for the names holding `words` (some of `tokens`, the others left out
        once each), as typed or through nicknames: its orders are this one's without one of
        each word left out, each way."""
        left = list(self.tokens)
        for word in words:
            left.remove(word)
        orders = set(self.orders)
        for word in left:
            orders = {o[:j] + o[j + 1 :] for o in orders for j, w in enumerate(o) if w == word}
        return replace(self, tokens=list(words), orders=tuple(sorted(orders)), seen=set(self.seen))


class NameSearchMixin:
    """The name search passes of `View` (see the module doc), which `SearchMixin` inherits."""

    if TYPE_CHECKING:  # the view's own, which a search reads through
        store: Store
        label_ids: list[int]
        _searched_names: frozenset[int]
        _not_searched: list[int]

        def _visible(self) -> ColumnElement[bool]: ...
        def _assemble(
            self,
            rows: Iterable[Sequence[Any]],
            named: bool = True,
            wanted: Schema | None = None,
            justify: bool = True,
        ) -> StatementEntity | None: ...

    def _found(
        self,
        conn: Connection,
        tokens: list[str],
        typed: tuple[str, ...],
        wanted: Schema | None,
        limit: int,
        held: _LabelBounds,
    ) -> list[_Found]:
        """The hits of a name search for `tokens` (`search`; typed in the order `typed`),
        assembled, not justified."""
        if not tokens:
            return []
        search = _SearchPass(conn, tokens, (typed,), wanted, limit, set(), held)
        found = self._whole_first(search)
        if len(found) < limit:
            found += self._particle_readings(replace(search, limit=limit - len(found)), typed)
        if partial_passes(tokens) and len(found) < limit:
            found += self._lacking_one(replace(search, limit=limit - len(found)))
        return found

    def _whole_first(self, search: _SearchPass) -> list[_Found]:
        """The hits of `search` holding the words as typed or through nicknames
        (`_search_words`), those holding every word whole first (`_SearchPass.whole`: a
        query word equal to the name's word, its abbreviation or, read so, its nickname),
        in the same two tiers and ranked alike among themselves: "maria mora" lists "María
        Mora Ruiz" before the shorter "María Morales", and "mor" (no name holds it whole)
        lists what it did.

        The usual pass runs first, and each of its hits is read whole too (`_whole_hit`,
        from the statements it was assembled from). If the pass leaves room under the limit
        it found every entity holding the words: those holding them whole are ranked first,
        and no more is read. If it fills the limit with hits each ranking whole as it ranked
        (same tier, length and order: as "jose" or "garcia" mostly do), no other entity can
        rank before them (its whole name is no shorter than the name it ranked by), and
        none is read either. Else a second pass reads the words whole (each word's key and
        its repeats', `name_plan._WORD_END`: an index probe per label and length, not the
        range of the words it starts), and the first pass's other hits follow its hits (the
        first of those lacking a whole name are among the first pass's). A text whose whole
        words read in too many ways (`query_plan`'s `ConfigError`, which its words as
        prefixes did not raise: `search_words` checked them) is ranked the usual way."""
        unseen = set(search.seen)
        found = self._search_words(search)
        if not _whole_plannable(search.tokens):
            return found
        whole = replace(search, whole=True, seen=unseen)
        read = [self._whole_hit(whole, each) for each in found]
        if len(found) < search.limit:
            ranked = sorted((hit for hit in read if hit is not None), key=_tier_rank)
            return ranked + [each for each, hit in zip(found, read, strict=True) if hit is None]
        if all(
            hit is not None and _tier_rank(hit) == _tier_rank(each)
            for each, hit in zip(found, read, strict=True)
        ):
            return [hit for hit in read if hit is not None]
        if any(
            not exact_words(t, True, True) and not self._any_word(search, t, _WORD_END)
            for t in set(search.tokens)
        ):
            return found  # (a word typed no name the view sees holds whole: "mor")
        first = self._search_words(whole)
        search.seen.update(whole.seen)
        taken = {f.entity_id for f in first}
        return (first + [f for f in found if f.entity_id not in taken])[: search.limit]

    def _whole_hit(self, whole: _SearchPass, found: _Found) -> _Found | None:
        """The hit `found` as the pass `whole` (reading the words whole) finds it, by its
        best name holding them whole as typed, else through nicknames; None if it has no
        such name (of its statements the view sees)."""
        read: frozenset[str] = frozenset()
        if self._least_match(found.rows, whole) is None:
            read = whole.read
            if not read or self._least_match(found.rows, whole, read) is None:
                return None
        return self._found_by(whole, found.entity_id, found.rows, found.entity, read)

    def _with_aliases(
        self,
        conn: Connection,
        whole: tuple[list[str], str] | None,
        parts: list[tuple[list[str], str]],
        wanted: Schema | None,
        limit: int,
        held: _LabelBounds,
    ) -> list[_Found]:
        """The hits of a text read as a name and its aliases (`alias_parts`), at most
        `limit`, each entity once: (1) those of the whole text holding every word, if it is
        searched (`whole`: its marker is a word a name may hold, and "Pedro Alias Ruiz" is
        still found first); (2) the entities found by the name and by an alias, in the
        name's order, then in each alias's; (3) the name's other hits; (4) each alias's, one
        alias after another; (5) the whole text's hits lacking a word. `whole` and each of
        `parts` (the name's first): the words searched (`search_words`) and the text.

        An entity is found by both when it is among the first `_BOTH_FROM` hits of the name
        (or of an alias) and one of its names the view sees holds an alias's words (or the
        name's) as that part's search reads them (`_part_ways`): this is read from its names,
        not from whether the other part's search reached it within its limit, so the first
        hits never change with the limit (they did: "juan garcia alias pepe" showed "JUAN
        GARCÍA" first at a limit of 1, and "JUAN GARCÍA REYES", alias "PEPE", at 2). Each
        part is searched for at least `_BOTH_FROM` hits; an entity both find only past them
        ranks where a part finds it."""
        first = (
            []
            if whole is None
            else self._found(conn, whole[0], typed_words(whole[1]), wanted, limit, held)
        )
        at_least = max(limit, _BOTH_FROM)
        each = [
            self._found(conn, tokens, typed_words(text), wanted, at_least, held)
            for tokens, text in parts
        ]
        ways = [_part_ways(tokens, typed_words(text)) for tokens, text in parts]
        (name, *aliases), (by_name, *by_aliases) = each, ways
        both = [f for f in name[:_BOTH_FROM] if any(self._holds_part(f, w) for w in by_aliases)]
        both += [f for hits in aliases for f in hits[:_BOTH_FROM] if self._holds_part(f, by_name)]
        return _ranked_with_aliases(first, both, each, limit)

    def _holds_part(self, found: _Found, ways: list[_Way]) -> bool:
        """Whether a name of the hit `found` that the view sees and searches (of its rows:
        its visible statements) holds a part's words in one of its `ways` (`_part_ways`)."""
        names = [str(r[3]) for r in found.rows if r[2] in self._searched_names]
        return any(
            _has_words(name, words, read, joined) for name in names for words, read, joined in ways
        )

    def _particle_readings(self, search: _SearchPass, typed: tuple[str, ...]) -> list[_Found]:
        """At most `limit` entities not of `seen` (which it adds them to) with a name holding
        the words typed `typed` when particles are read joined or apart
        (`particle_readings`: "juan delangel" finds "JUAN DEL ÁNGEL RAMÍREZ", "juan del
        angel" finds "JUAN DELANGEL RAMÍREZ"), each by its best such name, ranked as each
        reading ranks its own (`_as_read`: as typed before through nicknames, then by
        length): after the names holding the words as typed or through nicknames, before
        those lacking a word. Each reading is one more pass
        over the lengths (`_search_words`, with its own copy of `seen`); a reading whose
        words the lookup query cannot take is skipped (`_searched_readings`)."""
        best: dict[str, _Found] = {}
        for reading in _searched_readings(typed):
            if reading.split and not self._any_word(search, reading.rest):
                continue  # ("de la" + "ngel": no name has such a word, so no pass)
            each = replace(
                search,
                tokens=list(reading.tokens),
                orders=(reading.order,),
                seen=set(search.seen),
                particles=reading,
            )
            for found in self._search_words(each):
                known = best.get(found.entity_id)
                if known is None or _as_read(found) < _as_read(known):
                    best[found.entity_id] = found
        ranked = sorted(best.values(), key=_as_read)[: search.limit]
        search.seen.update(f.entity_id for f in ranked)
        return ranked

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

    def _lacking_one(self, search: _SearchPass) -> list[_Found]:
        """At most `limit` entities not of `seen` with a name matching all of `tokens` but
        one, as typed or through nicknames, each by its best such name over every word it
        may lack (`_best_first`: the shortest, then as typed before through nicknames,
        then the least in text order), ranked by it (`_Found.order`): a name lacking a word
        and read through a nickname ("Mari Soto Hernández" for "maria guadalupe soto") is
        not put after every longer one lacking a word as typed ("María Guadalupe Pérez
        González"). Each pass (one word left out) keeps its own best `limit`, ranked alike
        (`_by_length`): an entity among the best `limit` overall is among the best `limit`
        of the pass its best name comes from."""
        best: dict[str, _Found] = {}
        for lacking, needed in partial_passes(search.tokens):
            for found in self._by_length(search.needing(needed)):
                known = best.get(found.entity_id)
                if known is None or _best_first(found) < _best_first(known):
                    missing = _missing(found, lacking, needed)
                    best[found.entity_id] = found._replace(missing=missing)
        return sorted(best.values(), key=_Found.order)[: search.limit]

    def _by_length(self, search: _SearchPass) -> list[_Found]:
        """At most `limit` visible entities (of `wanted`, not of `seen`, which it adds to)
        with a name matching each of `tokens` as typed or through nicknames, ranked as
        `_Found.order` ranks: by name length, those of one length holding the words as typed
        first, then those holding them in one of its orders, then by entity id; each by its
        shortest name holding them as typed, or if it has none, through nicknames
        (`_read_as`), as `search` ranks an entity (a longer name of it holding them as typed
        ranks it). A pass of `_lacking_one`: unlike
        `_search_words`, it reads the nicknames at every length, and assembles an entity
        found through them as it comes."""
        conn, wanted, limit, seen = search.fields()
        found: list[_Found] = []
        read = search.read
        reading = _Reading(bool(read))
        reads = self._entity_reads(conn, wanted)
        for candidates in self._name_candidates(search, reading):  # (a length each)
            # entity -> (holds the words only through nicknames, in none of the orders), its
            # best name's at this length
            through: dict[str, tuple[bool, bool]] = {}
            for entity_id, value in self._searchable(conn, candidates):
                if entity_id in seen or through.get(entity_id) == (False, False):
                    continue
                if search.has(value):
                    rank = (False, not search.in_order(value))
                elif read and search.has(value, read):
                    rank = (True, not search.in_order(value, read))
                else:
                    continue
                through[entity_id] = min(through.get(entity_id, rank), rank)
            order = sorted(through.items(), key=lambda e: (e[1], e[0]))
            ids = [entity_id for entity_id, _ in order]
            for i, (entity_id, (nicknamed, _)) in enumerate(order):
                rows = reads.get(entity_id, ids[i + 1 :], limit - len(found))
                entity = self._assemble(rows, named=False, wanted=wanted, justify=False)
                if nicknamed and entity is not None and self._least_match(rows, search):
                    continue  # (a longer name holds them as typed: it ranks by that one)
                seen.add(entity_id)  # (one not shown, of another schema, never is)
                if entity is None:
                    continue
                found.append(
                    self._found_by(
                        search, entity_id, rows, entity, read if nicknamed else frozenset()
                    )
                )
                if len(found) >= limit:
                    return found
        return found

    def _search_words(self, search: _SearchPass) -> list[_Found]:
        """At most `limit` visible entities (of `wanted`) with a name matching each of
        `tokens` (`search`), best first, but for those of `seen`, which it adds to: an
        entity looked at is not looked at again. Assembled but not justified (`search`
        justifies the hits it shows).

        Those with a name holding the words as typed come first, then those holding them
        only through nicknames (`nickname_words`). One pass over the name lengths finds both
        (the lookup rows of a word's nicknames are read with its range, `query_plan`):
        an entity whose name holds the words only through nicknames is set aside, and once
        those set aside are sure to fill the hits the search lacks, the pass reads the words
        as typed only from the next length on, and sets no more aside (any found later would
        rank after them), so its cost follows its hits. Without `wanted`, each entity set
        aside is sure (its name is visible and holds the words): it is assembled only at
        the end, and only if the names holding the words as typed leave it room (`_look_at`),
        so a search whose typed hits fill the limit assembles none. With `wanted`, whether it
        is of that schema is known once it is assembled: those set aside are looked at as
        soon as they could fill the hits lacking. An entity set aside is still found as
        typed if a longer name of it holds the words as typed (the hits it lacks are then
        one fewer too).

        Within one length, names holding the words in none of the search's orders (the
        order typed, `_in_order`) rank after those holding them in it: they are held back
        (as typed: `behind`; through nicknames: `aside`) until the length's candidates are
        all read, then taken (set aside) in entity order, so the pass stops mid-length only
        once the names in order fill its hits."""
        conn, wanted, limit, seen = search.fields()
        found: list[_Found] = []
        read = search.read
        reading = _Reading(bool(read))
        # entity -> its first name holding the words through nicknames, in the order found
        later: dict[str, str] = {}
        ready: dict[str, _Found] = {}  # ... looked at (assembled), in the order found
        reads = self._entity_reads(conn, wanted)

        def sure() -> int:
            """How many entities set aside are sure to be hits."""
            return len(ready) + (len(later) if wanted is None else 0)

        def take(entity_id: str, ahead: Iterator[str]) -> None:
            """Add `entity_id` to the hits (and to `seen`) if it is of `wanted`, reading its
            rows with those of `ahead` (the next to take: as typed, unseen)."""
            seen.add(entity_id)  # (one not shown, of another schema, never is)
            later.pop(entity_id, None)
            known = ready.pop(entity_id, None)
            if known is not None:
                found.append(self._found_by(search, entity_id, known.rows, known.entity))
                return
            rows = reads.get(entity_id, ahead, limit - len(found))
            entity = self._assemble(rows, named=False, wanted=wanted, justify=False)
            if entity is not None:
                found.append(self._found_by(search, entity_id, rows, entity))

        for candidates in self._name_candidates(search, reading):  # (a length each)
            # entity -> its first name of this length holding the words as typed / through
            # nicknames, in none of the orders: each ranks after those holding them in one
            behind: dict[str, str] = {}
            aside: dict[str, str] = {}
            for pairs in self._searchable_batches(conn, candidates):
                for i, (entity_id, value) in enumerate(pairs):
                    # (the lookup rows' counts take a compound's joined form for one more word:
                    # a superset, `_has_words`; a name it leaves out leaves its entity unseen,
                    # and another name of it may bring it)
                    if entity_id in seen:
                        continue
                    if not search.has(value):
                        if (
                            reading.nicknames
                            and entity_id not in later
                            and entity_id not in ready
                            and entity_id not in behind
                            and search.has(value, read)
                        ):
                            if not search.in_order(value, read):
                                aside.setdefault(entity_id, value)
                                continue
                            aside.pop(entity_id, None)
                            later[entity_id] = value
                            lacking = limit - len(found)
                            if wanted is not None and len(later) + len(ready) >= lacking:
                                self._look_at(search, lacking, later, ready, reads)
                            # (those found through nicknames from here on rank after these)
                            reading.nicknames = sure() < lacking
                        continue
                    aside.pop(entity_id, None)
                    if not search.in_order(value):
                        behind.setdefault(entity_id, value)
                        continue
                    behind.pop(entity_id, None)
                    # (with those after it that will be taken too: as typed and in order, unseen)
                    take(
                        entity_id,
                        (
                            e
                            for e, v in pairs[i + 1 :]
                            if e not in seen
                            and e not in ready
                            and search.has(v)
                            and search.in_order(v)
                        ),
                    )
                    if len(found) >= limit:
                        return found
                    # (fewer hits lacking: those set aside may fill them now)
                    reading.nicknames = reading.nicknames and sure() < limit - len(found)
            # this length's names holding the words out of order, after those in order
            waiting = list(behind)
            for i, entity_id in enumerate(waiting):
                take(entity_id, iter(waiting[i + 1 :]))
                if len(found) >= limit:
                    return found
            for entity_id, value in aside.items():
                if entity_id not in seen and entity_id not in later and entity_id not in ready:
                    later[entity_id] = value
            lacking = limit - len(found)
            if wanted is not None and len(later) + len(ready) >= lacking:
                self._look_at(search, lacking, later, ready, reads)
            reading.nicknames = reading.nicknames and sure() < lacking
        self._look_at(search, limit - len(found), later, ready, reads)
        seen.update(ready)
        return found + list(ready.values())[: limit - len(found)]

    def _look_at(
        self,
        search: _SearchPass,
        lacking: int,
        later: dict[str, str],
        ready: dict[str, _Found],
        reads: _EntityRows,
    ) -> None:
        """Look at the first entities of `later` (set aside by `_search_words`, each by a
        name holding the `search`'s tokens, those of its `read` through their nicknames)
        until `ready` holds `lacking` of them, assembled (of its `wanted`), each with its
        best such name (`_read_as`); one of another schema goes to its `seen`."""
        while later and len(ready) < lacking:
            entity_id = next(iter(later))
            value = later.pop(entity_id)
            rows = reads.get(entity_id, iter(later), lacking - len(ready))
            entity = self._assemble(rows, named=False, wanted=search.wanted, justify=False)
            if entity is None:
                search.seen.add(entity_id)
                continue
            ready[entity_id] = self._found_by(search, entity_id, rows, entity, search.read, value)

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

    def _least_match(
        self, rows: Sequence[Sequence[Any]], search: _SearchPass, read: frozenset[str] = frozenset()
    ) -> str | None:
        """The shortest (then holding them in one of its orders, then least in text order) of
        an entity's visible, searchable names (its `ENTITY_ROW` rows) matching the `search`'s
        tokens (`_has_words`, those of `read` through their nicknames too): the one its rank
        came from."""
        names = [
            str(r[3]) for r in rows if r[2] in self._searched_names and search.has(str(r[3]), read)
        ]
        if not names:
            return None
        return min(names, key=lambda name: (len(name), not search.in_order(name, read), name))

    def _found_by(
        self,
        search: _SearchPass,
        entity_id: str,
        rows: Sequence[Sequence[Any]],
        entity: StatementEntity,
        read: frozenset[str] = frozenset(),
        value: str = "",
    ) -> _Found:
        """The hit of `entity_id` (its `rows`, assembled as `entity`) by its best name holding
        the `search`'s words (`_least_match`, those of `read` through their nicknames too;
        `value` if it has none), saying which words that name holds through nicknames
        (`_read_as`) and whether it holds them out of the order typed."""
        matched = self._least_match(rows, search, read) or value
        read_as = _read_as(matched, search.tokens, search.joined, search.whole) if read else ()
        shuffled = not search.in_order(matched, read)
        joined: tuple[tuple[str, ...], str] | tuple[()] = ()
        if search.particles is not None:
            reading = search.particles
            joined = (reading.typed, particle_spelling(matched, reading.word, reading.split))
        return _Found(entity_id, rows, entity, matched, "", read_as, shuffled, joined)
