"""The newer forms of a search's text, built from the names and identifiers a property's
drawn facts hold, so that they find something (and, built from hidden facts too, find what a
hidden fact would move): a name with its alias (`ironriver.policy.alias_query`: "alias",
"aka", "(a)", "a.k.a.", the alias quoted), a name whose surname's particles are written the
other way ("JUAN DELÁNGEL RAMÍREZ" for "JUAN DEL ÁNGEL RAMÍREZ", "Juan del angel" for "Juan
Delangel"), a name in another word order ("Ruiz Víctor"), and the base of an RFC (a person's
first 10 characters, a company's 9) or of a CURP (its first 10), written as typed, in lower
case or with a hyphen.

`tests/policy/test_view_properties_search_forms.py` checks these forms on a table of facts
made for them; the older view properties (`test_view_properties.py`,
`test_view_properties_reads.py`) and the CLI property (`tests/cli/test_cli_view_properties.py`)
draw them here, each example one of each form (`form_picks_st`), built from its own facts
(`query_forms`). The picks are indexes (modulo the candidates the facts hold), so that an
example is written by hand (`FIRST`: the first of each) and shrinks to the first.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable

from hypothesis import strategies as st

# how a text joins a name and its alias (`alias_query.alias_parts`): a marker, or quotes
ALIAS_FORMS = ["{} alias {}", "{} aka {}", "{} (a) {}", "{} a.k.a. {}", '{} "{}"']
NAME_PROPS = ("name", "alias")
IDENTIFIER_PROPS = ("taxNumber", "idNumber")
# the particles a surname's run is made of, and the joined spellings the facts' tables hold,
# written apart (a joined word cuts several ways, "delangel": "del angel", "de la ngel";
# the search tries each, a test writes the one a record would)
PARTICLES = frozenset({"de", "del", "la", "las", "los"})
SPLIT = {"delangel": "del angel", "delacruz": "de la cruz", "delosreyes": "de los reyes"}
# an RFC's length (a person's, a company's) or a CURP's -> the length of its base
BASE_LENGTHS = {13: 10, 12: 9, 18: 10}
# the forms of an example whose facts hold no candidate: misses
NO_NAME, NO_ALIAS, NO_BASE = "Víctor Ruiz", "El Gordito", "NUPA850312"


@dataclasses.dataclass(frozen=True)
class FormPicks:
    """Which of the names and identifiers the facts hold each form is built from (each the
    n-th, modulo, of its candidates in text order), and how it is written."""

    name: int = 0  # the name the alias form starts from
    alias: int = 0  # its alias: another name of an entity holding it (of any, if none)
    marker: int = 0  # `ALIAS_FORMS`
    particle: int = 0  # a name holding a particle run or a joined spelling (`SPLIT`)
    order: int = 0  # a name of two words or more, and
    turn: int = 0  # how many words to move from its front to its end (at least one)
    base: int = 0  # an RFC or a CURP, and
    spelling: int = 0  # how its base is typed: as held, in lower case, with a hyphen


FIRST = FormPicks()
form_picks_st = st.builds(FormPicks, *(st.integers(0, 63) for _ in range(8)))


@dataclasses.dataclass(frozen=True)
class QueryForms:
    """One of each form: `names` (a name and its alias, particles the other way, another
    word order) and `identifiers` (a base)."""

    names: tuple[str, str, str]
    identifiers: tuple[str]

    @property
    def texts(self) -> list[str]:
        return [*self.names, *self.identifiers]


def _fold(word: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c)
    )


def _nth(values: Iterable[str], n: int) -> str | None:
    ordered = sorted(set(values))
    return ordered[n % len(ordered)] if ordered else None


def particles_other_way(name: str) -> str | None:
    """`name` with its first particle run written joined to the word after it ("JUAN DEL
    ÁNGEL" -> "JUAN DELÁNGEL"), or its first joined spelling of `SPLIT` apart ("Juan
    Delangel" -> "Juan del angel"); None if it holds neither."""
    words = name.split()
    folded = [_fold(w) for w in words]
    for i, word in enumerate(folded):
        if word in SPLIT:
            return " ".join([*words[:i], SPLIT[word], *words[i + 1 :]])
        if word in PARTICLES and i > 0:
            end = i
            while end < len(words) and folded[end] in PARTICLES:
                end += 1
            if end < len(words):
                return " ".join([*words[:i], "".join(words[i : end + 1]), *words[end + 1 :]])
    return None


def rfc_base(identifier: str, spelling: int) -> str | None:
    """The base of the RFC or CURP `identifier` (`BASE_LENGTHS`), as held, in lower case or
    with a hyphen between its letters and its date (`spelling`, modulo 3); None if it is
    neither."""
    key = re.sub(r"[^0-9A-Za-z]", "", identifier).upper()
    if len(key) not in BASE_LENGTHS:
        return None
    base = key[: BASE_LENGTHS[len(key)]]
    letters = len(base) - 6
    return [base, base.lower(), f"{base[:letters]}-{base[letters:]}"][spelling % 3]


def query_forms(facts: Iterable[tuple[str, str, str]], picks: FormPicks) -> QueryForms:
    """One of each form, built from the (entity, property, value) `facts` as `picks` says;
    a form the facts hold no candidate of is a miss (`NO_NAME`, `NO_ALIAS`, `NO_BASE`)."""
    facts = list(facts)
    names = [(e, v) for e, p, v in facts if p in NAME_PROPS]
    name = _nth((v for _, v in names), picks.name) or NO_NAME
    holders = {e for e, v in names if v == name}
    alias = _nth((v for e, v in names if e in holders and v != name), picks.alias)
    alias = alias or _nth((v for _, v in names if v != name), picks.alias) or NO_ALIAS
    with_alias = ALIAS_FORMS[picks.marker % len(ALIAS_FORMS)].format(name, alias)

    joined = [other for _, v in names if (other := particles_other_way(v)) is not None]
    particles = _nth(joined, picks.particle) or particles_other_way(f"{NO_NAME} de la Cruz")
    assert particles is not None

    order = _nth((v for _, v in names if len(v.split()) > 1), picks.order) or NO_NAME
    words = order.split()
    turn = 1 + picks.turn % (len(words) - 1)
    turned = " ".join([*words[turn:], *words[:turn]])

    bases = (rfc_base(v, picks.spelling) for _, p, v in facts if p in IDENTIFIER_PROPS)
    base = _nth((b for b in bases if b is not None), picks.base) or NO_BASE
    return QueryForms((with_alias, particles, turned), (base,))
