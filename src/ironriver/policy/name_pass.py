"""One pass of a name search over the names' lengths, and the hit it returns (the passes are
`ironriver.policy.name_search`'s): what a pass looks for and through what (`_SearchPass`: the
words, the orders they were typed in, the schema, the limit, the entities already looked at and
the labels read), whether it still reads the words' nicknames (`_Reading`), and a candidate it
assembles (`_Found`, not yet justified).

A pass checks a name's words as `ironriver.policy.name_match` does (`_SearchPass.has`,
`_SearchPass.in_order`) and looks them up by the plan `name_plan.query_plan` makes of the same
words (`_SearchPass.plan`): the lookup reads the candidates, the check keeps those whose name
holds the words. The words a pass reads through their nicknames are those having any
(`_nicknamed`); a pass made for some of the words (`_SearchPass.needing`) looks at its own copy
of the entities already seen; a particle reading is searched only if the lookup query can take
its words, with or without nicknames (`_searched_readings`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection

from ironriver.errors import ConfigError
from ironriver.policy.name_match import (
    ParticleReading,
    _has_words,
    _in_order,
    particle_readings,
)
from ironriver.policy.name_plan import query_plan
from ironriver.policy.nicknames import nickname_words

if TYPE_CHECKING:
    from followthemoney.schema import Schema
    from followthemoney.statement.entity import StatementEntity

# label id -> the least and the greatest length of its names (`SearchMixin._name_labels`)
_LabelBounds = dict[int, tuple[int, int]]


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


def _nicknamed(words: Sequence[str]) -> frozenset[str]:
    """The words of `words` read through their nicknames too: those having any (as
    `_SearchPass.read`)."""
    return frozenset(w for w in words if nickname_words(w))


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
