"""Given names as records write them other than whole, as a name search reads them
(`ironriver.policy.search`, `ironriver.policy.name_plan`): abbreviated ("Ma." for María,
`ABBREVIATIONS`) and as hypocoristics ("Pepe" for José, "Chuy" for Jesús, "Lupe" for
Guadalupe, "Bill" for William: `nickname_words`).

The hypocoristics are data, `data/hypocoristics.yaml` (its header says what it holds and where
such lists come from): a given name's search key -> its hypocoristics' keys. The table is
ironriver's own, independent of the synthetic world's (`ironriver.world`), whose noise the
search evaluation draws: reading that one would score the search on its own answer key.

The table is read both ways: a given name stands for its hypocoristics, and a hypocoristic
for the given names it may be ("beto": Alberto, Roberto, Humberto...). One step only: "pepe"
stands for "jose", not for "chepe" (a sibling form), so an ambiguous form does not spread to
every name of its names.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

import yaml

from ironriver.store.ids import query_words

TABLE = "data/hypocoristics.yaml"
"""The table, in the package `ironriver.policy`."""


@cache
def hypocoristics() -> dict[str, tuple[str, ...]]:
    """The table (`TABLE`): each given name's search key -> its hypocoristics' keys, as
    written (`parse_table`)."""
    return parse_table(resources.files("ironriver.policy").joinpath(TABLE).read_text("utf-8"))


def parse_table(text: str) -> dict[str, tuple[str, ...]]:
    """The table written as YAML `text` (a mapping `hypocoristics:` of given names to lists
    of forms). A name or form that is not one word in search key form (`query_words`: "toño"
    is "tono"), or a form of its own name, is a `ValueError` naming it: a search compares
    keys, so such an entry would never match (the table is package data, checked by its
    tests, not input)."""
    table: dict[str, tuple[str, ...]] = {}
    for name, forms in yaml.safe_load(text)["hypocoristics"].items():
        for word in (name, *forms):
            if query_words(str(word)) != [word]:
                raise ValueError(f"{TABLE}: {word!r} is not one word in search key form")
        if name in forms:
            raise ValueError(f"{TABLE}: {name!r} is given as a form of itself")
        table[name] = tuple(forms)
    return table


@cache
def _names_of() -> dict[str, tuple[str, ...]]:
    """Each hypocoristic -> the given names it may be, in the table's order."""
    names: dict[str, list[str]] = {}
    for name, forms in hypocoristics().items():
        for form in forms:
            names.setdefault(form, []).append(name)
    return {form: tuple(each) for form, each in names.items()}


def names_of(word: str) -> tuple[str, ...]:
    """The given names the hypocoristic `word` (a search key) may be: () if it is none."""
    return _names_of().get(word, ())


def forms_of(word: str) -> tuple[str, ...]:
    """The hypocoristics of the given name `word` (a search key): () if it has none."""
    return hypocoristics().get(word, ())


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

# ... and the other way: a query word equal to an abbreviation also matches, whole, a stored
# word equal to its full name ("gpe hernandez" finds "María Guadalupe Hernández", "fco de la
# torre" "Francisco de la Torre"), besides the words it starts as typed (the stored "GPE.").
EXPANSIONS: dict[str, tuple[str, ...]] = {}
for _name, _abbreviations in ABBREVIATIONS.items():
    for _abbreviation in _abbreviations:
        EXPANSIONS[_abbreviation] = (*EXPANSIONS.get(_abbreviation, ()), _name)


def abbreviation_words(token: str) -> tuple[str, ...]:
    """The stored words the query word `token` matches whole as an abbreviation: its
    abbreviations if it is a full name ("francisco": fco), its full names if it is an
    abbreviation ("fco": francisco)."""
    return ABBREVIATIONS.get(token, ()) + EXPANSIONS.get(token, ())


@lru_cache(maxsize=4096)  # (keyed by words users type: bounded)
def nickname_words(token: str) -> frozenset[str]:
    """The stored words the query word `token` also matches whole through a hypocoristic: a
    given name's forms ("jose": pepe, chepe...), and a form's given names with their
    abbreviations ("pepe": jose; "lupe": guadalupe, gpe; "beto": alberto, roberto...); never
    `token` itself, nor its own abbreviations."""
    names = names_of(token)
    words = {*forms_of(token), *names, *(a for n in names for a in ABBREVIATIONS.get(n, ()))}
    return frozenset(words - {token, *ABBREVIATIONS.get(token, ())})
