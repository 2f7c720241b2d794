"""A text read as a name and its aliases, searched (`AliasSearchMixin._with_aliases`, which
`NameSearchMixin` inherits; `alias_query.alias_parts` cuts the text: "juan garcia alias pepe"):
the name and each alias are name searches of their own (`NameSearchMixin._found`), and their
hits are ranked whole text first, then the entities found by the name and by an alias, then
each part's, then the whole text's lacking a word (`_ranked_with_aliases`).

Which entities both find is read from their names (`_holds_part`, in each way a part's search
finds a name, `_part_ways`), among a fixed number of each part's first hits (`_BOTH_FROM`),
never from whether the other part's search reached them within its limit: so the first hits
never change with the limit. Each entity is listed once, by its first hit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from ironriver.policy.name_match import _has_words, partial_passes, typed_words
from ironriver.policy.name_pass import _Found, _LabelBounds, _nicknamed, _searched_readings

if TYPE_CHECKING:
    from followthemoney.schema import Schema

# How many of the first hits of each part of a text read as a name and its aliases are
# looked at for the entities both find (`NameSearchMixin._with_aliases`): a fixed number, so
# that which entities those are never depends on the limit, and a bounded one (each part is
# searched for at least this many hits: a search stops at its limit)
_BOTH_FROM = 100

# one way a part's search finds a name (`_part_ways`): the words the name must hold
# (`_has_words`), those of them read through their nicknames too, and whether the name's
# particle runs are read joined
_Way = tuple[list[str], frozenset[str], bool]


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


class AliasSearchMixin:
    """The search of a name and its aliases of `NameSearchMixin` (see the module doc), which
    it inherits."""

    if TYPE_CHECKING:  # the view's own, and `NameSearchMixin`'s, which it reads through
        _searched_names: frozenset[int]
        # (conn, tokens, typed, wanted, limit, held) -> the hits of one part
        _found: Callable[
            [Connection, list[str], tuple[str, ...], Schema | None, int, _LabelBounds], list[_Found]
        ]

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
