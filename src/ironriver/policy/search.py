"""Search through a `View`: entities by the words of their names (`View.search`), by an
identifier (`View.by_identifier`), or both, as one search box (`View.find`).

`SearchMixin` holds these methods and `View` inherits them, so a search sees exactly what its
view sees: candidates come from the `statement_keys` lookup rows (a name's words, an
identifier's key), each is checked on its statement (visible, and of a property searched),
and hits are assembled as `View.entity` assembles an entity (a sensitive one needs a
reason). Names are ranked shortest first and read one name length at a time, so a search's
cost follows its hits, not the number of names sharing a prefix.

A query word also matches, whole, the abbreviations of a given name ("maria": "Ma.") and,
after the names holding every word as typed, its hypocoristics or the given names a
hypocoristic stands for ("jose": "Pepe"; "pepe": "José"; `ironriver.policy.nicknames`),
each such hit saying so (`SearchHit.read_as`). Both are read in the query, not keyed: the
stored keys are as they were, so no store is migrated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
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
    or_,
    select,
)

from ironriver.errors import ConfigError
from ironriver.i18n import msg
from ironriver.policy.alias_query import alias_parts
from ironriver.policy.entity_rows import ENTITY_ROW
from ironriver.policy.name_plan import LABELS, RANKS, plan_rows, query_plan
from ironriver.policy.nicknames import ABBREVIATIONS, nickname_words
from ironriver.policy.schemata import known_schema
from ironriver.store.dialect import bytewise
from ironriver.store.ids import (
    KIND_IDENTIFIER,
    KIND_NAME,
    identifier_key,
    name_key,
    name_parts,
    phone_keys,
    query_words,
    reads_as_phone,
)
from ironriver.store.tables import labels, props, statement_keys, statements

if TYPE_CHECKING:
    from followthemoney.schema import Schema
    from followthemoney.statement.entity import StatementEntity

    from ironriver.policy.markings import Principal
    from ironriver.store import Store

_CHECK_BATCH = 400  # search candidates checked per query
# entities a search assembles from one query, at most (`_EntityRows`): the first read takes
# those it lacks, each further read of one search twice the last, up to this
_READ_BATCH = 512
_MAX_RANK_STEP = 64  # name lengths read at once by a search, at most
# words of a name search, at most: a name never has more, and each word is one SELECT of a
# compound query (SQLite refuses more than 500 of them)
MAX_QUERY_WORDS = 32


# a name search of this many words or more, up to `PARTIAL_UP_TO_WORDS`, also finds names
# lacking one of them, after those holding all (`SearchMixin.search`); each word it may lack
# is one more search, so a long text (a paragraph pasted into the box) does not
PARTIAL_FROM_WORDS = 3
PARTIAL_UP_TO_WORDS = 6


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


@dataclass(frozen=True)
class SearchHit:
    entity_id: str
    schema: str
    caption: str
    matched: str
    # a name search's word the matched name lacks (a search of `PARTIAL_FROM_WORDS` words
    # or more also finds those); "" when it holds every word, and for identifier hits
    missing: str = ""
    # the query words the matched name holds only as a nickname's reading (a given name for
    # its hypocoristic, or a hypocoristic for its given name: `ironriver.policy.nicknames`),
    # each with the name's word it matched: (("jose", "pepe"),) for "jose garcia" finding
    # "PEPE GARCIA"; () for a name holding every word as typed, and for identifier hits
    read_as: tuple[tuple[str, str], ...] = ()
    # the datasets of the entity's statements the view sees, in name order (two hits that
    # look alike, one record from two agencies, are told apart by them): of all of them,
    # those an entity of conflicting schemata leaves out of its FtM entity too
    # (`View.schema_conflicts`); taken from the statements the search assembled the hit
    # from, so showing them reads nothing more
    datasets: tuple[str, ...] = ()


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

    def order(self) -> tuple[int, bool, str]:
        """How a hit lacking a word ranks among those lacking one: the shortest name, then
        one holding the other words as typed before one holding them through nicknames,
        then the entity id (`SearchMixin._lacking_one`)."""
        return len(self.matched), bool(self.read_as), self.entity_id


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
    # too many ways to read them is refused too, here, before anything is read: so are the
    # words less one that a search finding too few names lacking none reads (`_lacking_one`),
    # which may read in more ways than all of them (a group split in two adds its ways)
    partial = PARTIAL_FROM_WORDS <= len(tokens) <= PARTIAL_UP_TO_WORDS
    fewer = [tokens[:i] + tokens[i + 1 :] for i in range(len(tokens))] if partial else []
    for words in [tokens, *fewer]:
        for nicknames in (True, False):
            query_plan(words, nicknames)
    return tokens


def _with_aliases(each: list[list[_Found]], whole: bool, limit: int) -> list[_Found]:
    """The hits of a text read as a name and its aliases (`alias_parts`), from the hits of
    each search made for it (`each`: the whole text's first if `whole`, then the name's,
    then each alias's), each entity once, at most `limit`: those of the whole text holding
    every word (a name holding "alias" is still found first), then the entities the name
    and an alias both find (in the name's order), the name's, the aliases' (one alias after
    another), and last those of the whole text lacking a word."""
    whole_hits, (name, *aliases) = (each[0], each[1:]) if whole else ([], each)
    by_alias = {f.entity_id for hits in aliases for f in hits}
    ranked = [f for f in whole_hits if not f.missing]
    ranked += [f for f in name if f.entity_id in by_alias] + name
    ranked += [f for hits in aliases for f in hits]
    ranked += [f for f in whole_hits if f.missing]
    shown: dict[str, _Found] = {}
    for found in ranked:
        shown.setdefault(found.entity_id, found)
    return list(shown.values())[:limit]


def _name_order(name: str) -> tuple[int, str]:
    """Which of two names ranks first: the shorter, then the least in text order."""
    return len(name), name


def _best_first(found: _Found) -> tuple[int, bool, str]:
    """Which of two names of an entity lacking a word ranks it: the shorter, then one
    holding the other words as typed, then the least in text order."""
    return len(found.matched), bool(found.read_as), found.matched


def _read_as(name: str, tokens: list[str]) -> tuple[tuple[str, str], ...]:
    """The query words `tokens` that the name `name` holds only through their nicknames
    (`_has_words`), each with the name's word it matched, in the order of the words: a
    least set of them (each left out in turn while the name still holds the words without
    it), each with the name's first word that is one of its `nickname_words` and that it does
    not match as typed (a compound's words, then its joined form)."""
    read = {t for t in tokens if nickname_words(t)}
    for token in sorted(read):
        if _has_words(name, tokens, frozenset(read - {token})):
            read.discard(token)
    words = [
        word
        for parts in name_parts(name_key(name))
        for word in (parts if len(parts) == 1 else [*parts, "".join(parts)])
    ]
    pairs = []
    for token in sorted(read):
        word = next((w for w in words if w in nickname_words(token) and not _accepts(token, w)), "")
        if word:
            pairs.append((token, word))
    return tuple(pairs)


def _accepts(token: str, word: str, nicknames: bool = False) -> bool:
    """Whether the query word `token` matches the name's word `word` as typed: it starts
    it, or `word` is its abbreviation (`ABBREVIATIONS`); with `nicknames`, or `word` is one
    of its `nickname_words`, whole."""
    return (
        word.startswith(token)
        or word in ABBREVIATIONS.get(token, ())
        or (nicknames and word in nickname_words(token))
    )


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


def _has_words(value: str, tokens: list[str], read: frozenset[str] = frozenset()) -> bool:
    """Whether each of `tokens` matches a different word of the name `value` (`_accepts`,
    those of `read` through their nicknames too; a word the name repeats, once each time),
    a compound ("perez-lopez") offering either its
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
    return _holds(value, tuple(tokens), read)


# names a search has read, remembered (a search reads a name twice, as typed and through
# nicknames, and names repeat: a common given name and surname): a few MB at most
_HELD_NAMES = 8192


@lru_cache(maxsize=_HELD_NAMES)
def _holds(value: str, tokens: tuple[str, ...], read: frozenset[str]) -> bool:
    """`_has_words`, remembered."""
    distinct = sorted(set(tokens))
    units = [distinct.index(t) for t in tokens]

    def accepting(word: str) -> frozenset[int]:
        return frozenset(
            i for i, token in enumerate(distinct) if _accepts(token, word, token in read)
        )

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


class SearchMixin:
    """The searches of `View`, which inherits them (see the module doc)."""

    if TYPE_CHECKING:  # the view's own, which a search reads through
        store: Store
        principal: Principal
        label_ids: list[int]
        _searched_names: frozenset[int]
        _not_searched: list[int]

        def _owner_countries(self) -> frozenset[str]: ...
        def _current_props(self, conn: Connection) -> None: ...
        def _dataset_name(self, dataset_id: int) -> str: ...
        def _visible(self) -> ColumnElement[bool]: ...
        def _entity_rows(self, entity_id: str) -> Select[Any]: ...
        def _assemble(
            self,
            rows: Iterable[Sequence[Any]],
            named: bool = True,
            wanted: Schema | None = None,
            justify: bool = True,
        ) -> StatementEntity | None: ...
        def _justify(
            self,
            label_ids: Iterable[int],
            entity_id: str | None,
            attempt: dict[str, Any] | None = None,
        ) -> None: ...
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
        (`ConfigError`) unless `identifiers_only`. Audited as one `search` event (its detail:
        the hits shown and how many of them an identifier found), or with
        `identifiers_only` as `by_identifier` is (`search-identifier`)."""
        if identifiers_only:
            return self.by_identifier(text, limit, schema)
        search_words(text)  # (refused before anything is read or logged)
        wanted = known_schema(schema)
        hits = self._identifier_hits(text, limit, wanted)
        seen = {h.entity_id for h in hits}
        names = [h for h in self._name_hits(text, wanted, limit) if h.entity_id not in seen]
        found = (hits + names)[:limit]
        detail = {"schema": schema, "hits": len(found), "identifier_hits": len(hits)}
        self._log("search", text, detail)
        return found

    def search(self, text: str, schema: str | None = None, limit: int = 20) -> list[SearchHit]:
        """Entities with a visible name having a word that starts with each word of `text`
        (accents and case ignored: "jose per" finds "José Pérez López"), a different word
        for each word ("jose josefina" finds "José Josefina Ruiz", not "Josefina Ruiz";
        "garcia garcia" finds "Juan García García", not "Juan García López": the lookup rows
        hold each time a name holds a word; a compound, "García-López", offers its words or
        its joined form, not both: `_has_words`), best (shortest) names first, ties by
        entity id; `matched` is the entity's name that ranked it (its shortest such name,
        the least in text order among equals).

        Then, up to `limit`, the names holding the words only when a given name is read as
        its hypocoristic or a hypocoristic as its given names, whole ("jose garcia" finds
        "PEPE GARCIA", "pepe garcia" finds "José García": `ironriver.policy.nicknames`),
        ranked the same way after those, each with the words so read (`read_as`).

        A search of `PARTIAL_FROM_WORDS` words or more that finds fewer than `limit` such
        entities then also finds names lacking one of its words, as typed or through
        nicknames, ranked after them by length (`_lacking_one`: as typed first at one
        length), each with the word it lacks (`missing`):
        records drop a maternal surname or a second given name ("Álvaro Reyes" for "Álvaro
        Reyes Mendoza"), and an analyst types the whole name. (Two words lacking one would
        be one word: too broad.)

        A text written as a name and its aliases ("victor ruiz alias el gordito", "(a)",
        "a.k.a.", "aka", the alias quoted: `alias_parts`) searches the name and each alias,
        an entity found by either a hit, those found by both first (`_with_aliases`; with a
        marker a name may hold, "alias", the whole text's hits holding every word before).

        The words of names are keyed by the length of their name (`statement_keys.rank`), so
        candidates are read one name length at a time, shortest first
        (`_name_candidates`), and the search stops as soon as it has `limit` hits: its cost
        follows the hits, not the number of names sharing a prefix. Each candidate is then
        checked on its statement (visible and searchable). More than `MAX_QUERY_WORDS`
        words is a `ConfigError`. Audited (a `search` event)."""
        wanted = known_schema(schema)
        hits = self._name_hits(text, wanted, limit)
        self._log("search", text, {"schema": schema, "hits": len(hits)})
        return hits

    def _name_hits(self, text: str, wanted: Schema | None, limit: int) -> list[SearchHit]:
        """`search`, unaudited (`find` logs its own event)."""
        parsed = alias_parts(text)
        texts = [text] if parsed is None or parsed.whole else []
        texts += parsed.parts if parsed is not None else []
        searched = [search_words(each) for each in texts]  # (refused before anything is read)
        if not any(searched):
            return []
        with self.store.engine.connect() as conn:
            self._current_props(conn)
            held = self._name_labels(conn)  # (once: each pass over the lengths reads them)
            each = [self._found(conn, tokens, wanted, limit, held) for tokens in searched]
        found = each[0] if parsed is None else _with_aliases(each, parsed.whole, limit)
        hits = []
        for entity_id, rows, entity, matched, missing, read_as in found:
            # only the hits shown must say why (an AMBER+STRICT name a pass looked at and
            # the limit then left out does not refuse the search)
            self._justify((r[10] for r in rows), None, {"attempt": "search", "text": text})
            hits.append(
                SearchHit(
                    entity_id,
                    entity.schema.name,
                    entity.caption,
                    matched,
                    missing,
                    read_as,
                    self._datasets_of(rows),
                )
            )
        return hits

    def _found(
        self,
        conn: Connection,
        tokens: list[str],
        wanted: Schema | None,
        limit: int,
        held: _LabelBounds,
    ) -> list[_Found]:
        """The hits of a name search for `tokens` (`search`), assembled, not justified."""
        if not tokens:
            return []
        seen: set[str] = set()
        found = self._search_words(conn, tokens, wanted, limit, seen, held)
        if PARTIAL_FROM_WORDS <= len(tokens) <= PARTIAL_UP_TO_WORDS and len(found) < limit:
            found += self._lacking_one(conn, tokens, wanted, limit - len(found), seen, held)
        return found

    def _datasets_of(self, rows: Iterable[Sequence[Any]]) -> tuple[str, ...]:
        """The names of the datasets of an entity's visible statements (its `ENTITY_ROW` rows), in
        name order (`SearchHit.datasets`): every statement's, so those an entity of
        conflicting schemata leaves out of its FtM entity count too."""
        return tuple(sorted({self._dataset_name(r[4]) for r in rows}))

    def _lacking_one(
        self,
        conn: Connection,
        tokens: list[str],
        wanted: Schema | None,
        limit: int,
        seen: set[str],
        held: _LabelBounds,
    ) -> list[_Found]:
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
        for i, lacking in enumerate(tokens):
            if lacking in tokens[:i]:  # (a repeated word: lacking one of it is one pass)
                continue
            fewer = tokens[:i] + tokens[i + 1 :]
            for found in self._by_length(conn, fewer, wanted, limit, set(seen), held):
                known = best.get(found.entity_id)
                if known is None or _best_first(found) < _best_first(known):
                    best[found.entity_id] = found._replace(missing=lacking)
        return sorted(best.values(), key=_Found.order)[:limit]

    def _by_length(
        self,
        conn: Connection,
        tokens: list[str],
        wanted: Schema | None,
        limit: int,
        seen: set[str],
        held: _LabelBounds,
    ) -> list[_Found]:
        """At most `limit` visible entities (of `wanted`, not of `seen`, which it adds to)
        with a name matching each of `tokens` as typed or through nicknames, ranked as
        `_Found.order` ranks: by name length, those of one length holding the words as typed
        first, then by entity id; each by its shortest name holding them as typed, or if it
        has none, through nicknames (`_read_as`), as `search` ranks an entity (a longer name
        of it holding them as typed ranks it). A pass of `_lacking_one`: unlike
        `_search_words`, it reads the nicknames at every length, and assembles an entity
        found through them as it comes."""
        found: list[_Found] = []
        read = frozenset(t for t in tokens if nickname_words(t))
        reading = _Reading(bool(read))
        reads = self._entity_reads(conn, wanted)
        for candidates in self._name_candidates(conn, tokens, reading, held):  # (a length each)
            through: dict[str, bool] = {}  # entity -> holds the words only through nicknames
            for entity_id, value in self._searchable(conn, candidates):
                if entity_id in seen or through.get(entity_id) is False:
                    continue
                if _has_words(value, tokens):
                    through[entity_id] = False
                elif read and _has_words(value, tokens, read):
                    through.setdefault(entity_id, True)
            order = sorted(through.items(), key=lambda e: (e[1], e[0]))
            ids = [entity_id for entity_id, _ in order]
            for i, (entity_id, nicknamed) in enumerate(order):
                rows = reads.get(entity_id, ids[i + 1 :], limit - len(found))
                entity = self._assemble(rows, named=False, wanted=wanted, justify=False)
                if nicknamed and entity is not None and self._least_match(rows, tokens):
                    continue  # (a longer name holds them as typed: it ranks by that one)
                seen.add(entity_id)  # (one not shown, of another schema, never is)
                if entity is None:
                    continue
                if nicknamed:
                    matched = self._least_match(rows, tokens, read) or ""
                    found.append(
                        _Found(entity_id, rows, entity, matched, "", _read_as(matched, tokens))
                    )
                else:
                    matched = self._least_match(rows, tokens) or ""
                    found.append(_Found(entity_id, rows, entity, matched, ""))
                if len(found) >= limit:
                    return found
        return found

    def _search_words(
        self,
        conn: Connection,
        tokens: list[str],
        wanted: Schema | None,
        limit: int,
        seen: set[str],
        held: _LabelBounds,
    ) -> list[_Found]:
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
        one fewer too)."""
        found: list[_Found] = []
        read = frozenset(t for t in tokens if nickname_words(t))
        reading = _Reading(bool(read))
        # entity -> its first name holding the words through nicknames, in the order found
        later: dict[str, str] = {}
        ready: dict[str, _Found] = {}  # ... looked at (assembled), in the order found
        reads = self._entity_reads(conn, wanted)

        def sure() -> int:
            """How many entities set aside are sure to be hits."""
            return len(ready) + (len(later) if wanted is None else 0)

        for candidates in self._name_candidates(conn, tokens, reading, held):
            for pairs in self._searchable_batches(conn, candidates):
                for i, (entity_id, value) in enumerate(pairs):
                    # (the lookup rows' counts take a compound's joined form for one more word:
                    # a superset, `_has_words`; a name it leaves out leaves its entity unseen,
                    # and another name of it may bring it)
                    if entity_id in seen:
                        continue
                    if not _has_words(value, tokens):
                        if (
                            reading.nicknames
                            and entity_id not in later
                            and entity_id not in ready
                            and _has_words(value, tokens, read)
                        ):
                            later[entity_id] = value
                            lacking = limit - len(found)
                            if wanted is not None and len(later) + len(ready) >= lacking:
                                self._look_at(
                                    conn, tokens, read, wanted, lacking, later, ready, seen, reads
                                )
                            # (those found through nicknames from here on rank after these)
                            reading.nicknames = sure() < lacking
                        continue
                    seen.add(entity_id)  # (one not shown, of another schema, never is)
                    later.pop(entity_id, None)
                    known = ready.pop(entity_id, None)
                    if known is not None:
                        rows, entity = known.rows, known.entity
                    else:
                        # (with those after it that will be assembled too: as typed, unseen)
                        ahead = (
                            e
                            for e, v in pairs[i + 1 :]
                            if e not in seen and e not in ready and _has_words(v, tokens)
                        )
                        rows = reads.get(entity_id, ahead, limit - len(found))
                        assembled = self._assemble(rows, named=False, wanted=wanted, justify=False)
                        if assembled is None:
                            continue
                        entity = assembled
                    matched = self._least_match(rows, tokens) or value
                    found.append(_Found(entity_id, rows, entity, matched, ""))
                    if len(found) >= limit:
                        return found
                    # (fewer hits lacking: those set aside may fill them now)
                    reading.nicknames = reading.nicknames and sure() < limit - len(found)
        self._look_at(conn, tokens, read, wanted, limit - len(found), later, ready, seen, reads)
        seen.update(ready)
        return found + list(ready.values())[: limit - len(found)]

    def _look_at(
        self,
        conn: Connection,
        tokens: list[str],
        read: frozenset[str],
        wanted: Schema | None,
        lacking: int,
        later: dict[str, str],
        ready: dict[str, _Found],
        seen: set[str],
        reads: _EntityRows,
    ) -> None:
        """Look at the first entities of `later` (set aside by `_search_words`, each by a
        name holding `tokens`, those of `read` through their nicknames) until `ready` holds
        `lacking` of them, assembled (of `wanted`), each with its best such name
        (`_read_as`); one of another schema goes to `seen`."""
        while later and len(ready) < lacking:
            entity_id = next(iter(later))
            value = later.pop(entity_id)
            rows = reads.get(entity_id, iter(later), lacking - len(ready))
            entity = self._assemble(rows, named=False, wanted=wanted, justify=False)
            if entity is None:
                seen.add(entity_id)
                continue
            matched = self._least_match(rows, tokens, read) or value
            ready[entity_id] = _Found(
                entity_id, rows, entity, matched, "", _read_as(matched, tokens)
            )

    def _name_candidates(
        self, conn: Connection, tokens: list[str], reading: _Reading, held: _LabelBounds
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
        if not held:
            return
        low, high = min(b[0] for b in held.values()), max(b[1] for b in held.values())
        # the lookup query (by `reading`) and its words, for any lengths (`plan_rows`)
        queries: dict[bool, tuple[Select[Any] | CompoundSelect[Any], dict[str, Any]]] = {}
        step = 1
        while low <= high:
            ranks = list(range(low, min(low + step, high + 1)))
            if reading.nicknames not in queries:
                queries[reading.nicknames] = plan_rows(query_plan(tokens, reading.nicknames))
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
        self, rows: Sequence[Sequence[Any]], tokens: list[str], read: frozenset[str] = frozenset()
    ) -> str | None:
        """The shortest (then least in text order) of an entity's visible, searchable names
        (its `ENTITY_ROW` rows) matching `tokens` (`_has_words`, those of `read` through their
        nicknames too): the one its rank came from."""
        names = [
            str(r[3])
            for r in rows
            if r[2] in self._searched_names and _has_words(str(r[3]), tokens, read)
        ]
        return min(names, key=_name_order) if names else None

    def by_identifier(
        self, value: str, limit: int = 20, schema: str | None = None
    ) -> list[SearchHit]:
        """Entities (optionally of `schema`) with a visible identifier (serial, plate,
        phone…) equal to `value`, ignoring case, spaces and punctuation; and, when `value`
        reads as a phone number without its international prefix, with a phone it is in one
        of the view's countries (`_phone_countries`): "667 157 3741" finds +526671573741.
        Hits equal to `value` as typed come first, then those of each country in turn.
        Audited (a `search-identifier` event)."""
        wanted = known_schema(schema)  # (an unknown schema is an error even with no key)
        hits = self._identifier_hits(value, limit, wanted)
        self._log("search-identifier", value, {"schema": schema, "hits": len(hits)})
        return hits

    def _identifier_hits(self, value: str, limit: int, wanted: Schema | None) -> list[SearchHit]:
        """`by_identifier`, unaudited (`find` logs its own event)."""
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
            .where(
                # one index probe per key and label the view may see (an identifier's rank
                # is 0): rows under other labels are never read
                k.c.kind == KIND_IDENTIFIER,
                k.c.label_id.in_(self.label_ids),
                k.c.rank == 0,
                k.c.key.in_(keys),
            )
            .subquery()
        )
        return self._hits(wanted, limit, matched)

    def _phone_countries(self) -> list[str]:
        """The countries a phone number typed without its prefix is read in: the reader's,
        then those of the owners of the statements the view sees (a binational store's MX
        and US; `View._owner_countries`), in order of their codes. Owners of no statement
        the view shows (facts it may not see, retracted ones) are not asked: which numbers a
        search finds says nothing about them."""
        own = self.principal.country.upper()
        return [own, *sorted(self._owner_countries() - {own})]

    def _hits(self, wanted: Schema | None, limit: int, matched: Subquery) -> list[SearchHit]:
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
                    SearchHit(
                        row.entity_id,
                        entity.schema.name,
                        entity.caption,
                        row.matched,
                        datasets=self._datasets_of(rows),
                    )
                )
                if len(hits) >= limit:
                    break
        return hits
