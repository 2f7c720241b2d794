"""A name search's text read as a name and its aliases, the way Mexican and US records write
them: "Víctor Ruiz alias El Gordito", "Víctor Ruiz (a) El Gordito", "Víctor Ruiz a.k.a. El
Gordito", "Víctor Ruiz aka El Gordito", "Víctor Ruiz alias \"El Gordito\"", "Víctor Ruiz
'El Gordito'" (`alias_parts`). `SearchMixin.search` then looks for each part as a name of
its own (an entity's alias is one of its names), as well as for the whole text as typed
when its marker is a word a name may hold ("alias", "aka": Alias is a surname).

Conservative: a marker splits the text only between two parts that each hold a word, so
"Juan Alias" or "alias juan" is a name search like any other; a quoted part must be quoted
at both ends, at word boundaries, so the apostrophes of "O'Brien" or "D'Angelo" quote
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ironriver.store.ids import query_words

# the markers a record writes between a name and an alias: words a name may hold (the whole
# text is then searched too), and signs no name holds
_WORD_MARKER = re.compile(r"(?<!\S)(?:alias|aka)(?!\S)", re.IGNORECASE)
_SIGN_MARKER = re.compile(r"(?<!\S)(?:\(a\)|a\.k\.a\.?|a/k/a)(?!\S)", re.IGNORECASE)
# a part quoted at both ends, each at a word boundary: 'El Gordito', "El Gordito",
# “El Gordito”, ‘El Gordito’, «El Gordito»
_QUOTED = re.compile(r"""(?<!\S)(?:"([^"]+)"|'([^']+)'|“([^”]+)”|‘([^’]+)’|«([^»]+)»)(?!\S)""")


@dataclass(frozen=True)
class AliasQuery:
    """A search text read as a name and its aliases: `parts`, the name first; `whole`:
    the whole text is searched too (its marker is a word a name may hold)."""

    parts: tuple[str, ...]
    whole: bool


def alias_parts(text: str) -> AliasQuery | None:
    """`text` read as a name and its aliases (module doc), or None when it holds no alias
    marker between two parts holding words, nor a quoted part beside an unquoted one: a
    plain name search."""
    whole = False
    pieces = [text]
    for marker, is_word in ((_SIGN_MARKER, False), (_WORD_MARKER, True)):
        split: list[str] = []
        for piece in pieces:
            found = marker.split(piece)
            # (a marker at either end, or between words only on one side, splits nothing)
            if len(found) > 1 and all(query_words(f) for f in found):
                split += found
                whole = whole or is_word
            else:
                split.append(piece)
        pieces = split
    parts: list[str] = []
    for piece in pieces:
        quoted = [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(piece)]
        rest = _QUOTED.sub(" ", piece)
        if quoted and query_words(rest):  # a name, then its quoted aliases
            parts += [rest, *quoted]
        else:  # parts quoted whole (after a marker), or nothing quoted
            parts += quoted or [piece]
    parts = [" ".join(p.split()) for p in parts if query_words(p)]
    if len(parts) < 2:
        return None
    return AliasQuery(tuple(parts), whole)
