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

What a pass looks for and the hit it returns are `name_pass`'s (`_SearchPass`, `_Found`); the
reads of the store the passes make, `name_reads`'s (`NameReadsMixin`); a text read as a name
and its aliases, `alias_search`'s (`AliasSearchMixin`): `NameSearchMixin` inherits both mixins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ironriver.errors import ConfigError
from ironriver.policy.alias_search import AliasSearchMixin
from ironriver.policy.name_match import (
    PARTICLES,
    _has_words,
    _read_as,
    partial_passes,
    particle_spelling,
)
from ironriver.policy.name_pass import _Found as _Found
from ironriver.policy.name_pass import _LabelBounds, _Reading, _searched_readings, _SearchPass
from ironriver.policy.name_plan import _WORD_END, exact_words, query_plan
from ironriver.policy.name_reads import NameReadsMixin, _EntityRows

if TYPE_CHECKING:
    from followthemoney.schema import Schema
    from followthemoney.statement.entity import StatementEntity

    from ironriver.store import Store


def _whole_plannable(tokens: list[str]) -> bool:
    """Whether the lookup query can take `tokens` read whole (`query_plan`), with or
    without nicknames."""
    try:
        for nicknames in (True, False):
            query_plan(tokens, nicknames, whole=True)
    except ConfigError:
        return False
    return True


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


class NameSearchMixin(AliasSearchMixin, NameReadsMixin):
    """The name search passes of `View` (see the module doc), which `SearchMixin` inherits;
    their reads of the store are `NameReadsMixin`'s, a search of a name and its aliases
    `AliasSearchMixin`'s."""

    if TYPE_CHECKING:  # the view's own, which a search reads through
        store: Store
        _searched_names: frozenset[int]

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
