"""The pure word matching of a name search (`ironriver.policy.search`): which words a search
text looks for (`search_words`), whether a name holds them, a different word of the name for
each query word, as typed or through nicknames (`_has_words`, `_accepts`), and which query
words a name holds only through nicknames (`_read_as`). Nothing here reads a store: the
search's lookup query (`ironriver.policy.name_plan`) finds a superset of the names holding the
words, and these functions decide on each name's text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from ironriver.errors import ConfigError
from ironriver.i18n import msg
from ironriver.policy.name_plan import query_plan
from ironriver.policy.nicknames import abbreviation_words, nickname_words
from ironriver.store.ids import name_key, name_parts, query_words

# words of a name search, at most: a name never has more, and each word is one SELECT of a
# compound query (SQLite refuses more than 500 of them)
MAX_QUERY_WORDS = 32
_WORDS = re.compile(r"[\W_]+")  # what splits a name's part into words (as `name_parts`)


# a name search of this many words or more, up to `PARTIAL_UP_TO_WORDS`, also finds names
# lacking one of them, after those holding all (`SearchMixin.search`); each word it may lack
# is one more search, so a long text (a paragraph pasted into the box) does not
PARTIAL_FROM_WORDS = 3
PARTIAL_UP_TO_WORDS = 6

# Spanish name particles ("José de Jesús", "de la Cruz", "del Río", "de los Santos", "Ortega
# y Gasset"): words of a query that never tell a name apart on their own. A search's names
# lacking a word (`partial_passes`) need every other word but the particles, and never lack
# the only word that is not one: "de la cruz" does not find "De la Rosa" without "cruz", and
# "jose de jesus lopez" finds "JOSÉ LÓPEZ MENDOZA" without "jesus" (the "de" is free).
PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})

# The particle runs Mexican records also write joined to the word after them, as one word
# ("DELANGEL", "DELACRUZ", "DELOSSANTOS", "DELEON" for "del Ángel", "de la Cruz", "de los
# Santos", "de León"), longest first: a search reads a typed run of them and the word after
# as that word joined (`joined_readings`), and a typed word starting with one as the run and
# the rest apart (`split_readings`). "y" joins nothing ("Ortega y Gasset").
JOINED_PARTICLES = (("de", "los"), ("de", "las"), ("de", "la"), ("del",), ("de",))
# letters a typed word has after its particles, at least, to be read apart: "delrio" is "del
# río", "delia" (a given name) is no "del ia"; the rest is read apart only as the whole
# word of a record's particle run and the word after it ("delgado" would find "del Gado...",
# never "DELGADO ÁNGELES" or "Ángel del Río Gómez"), after the names holding it as typed
JOINED_REST_FROM = 3
# readings of one search text through its particles, at most (each one more search)
MAX_PARTICLE_READINGS = 6
# words of a search text read through joined particles, at most ("maria de la cruz de los
# santos" is 7)
PARTICLES_UP_TO_WORDS = 8


class ParticleReading(NamedTuple):
    """One more way to read a search's words through joined particles (`joined_readings`,
    `split_readings`): the words typed it reads otherwise (`typed`, in the order typed),
    the word they read as joined (`word`: "delangel"), the query words of that reading
    (`tokens`, sorted as `search_words`; in the order typed, `order`) and the words its
    lookup query reads (`sought`, sorted), and whether the typed word is the joined one
    (`split`: the names are then read with their particle runs joined, `_has_words`'s
    `joined`, and the lookup reads the `rest` after the particles instead of the word)."""

    typed: tuple[str, ...]
    word: str
    tokens: tuple[str, ...]
    order: tuple[str, ...]
    sought: tuple[str, ...]
    split: bool = False
    rest: str = ""


def joined_readings(order: tuple[str, ...]) -> list[ParticleReading]:
    """The readings of the words `order` (as typed, `typed_words`) with one run of particles
    (`JOINED_PARTICLES`) and the word after it joined, as records write them: "juan del
    angel" -> juan delangel; "maria de la cruz de los santos" -> maria delacruz de los
    santos, maria de la cruz delossantos. A run is the longest such particles just before a
    word that is no particle."""
    out = []
    for i, word in enumerate(order):
        if word in PARTICLES:
            continue
        for run in JOINED_PARTICLES:
            start = i - len(run)
            if start >= 0 and order[start:i] == run:
                joined = "".join((*run, word))
                then = (*order[:start], joined, *order[i + 1 :])
                words = tuple(sorted(then))
                reading = ParticleReading((*run, word), joined, words, then, words)
                out.append(reading)
                break
    return out


def split_readings(order: tuple[str, ...]) -> list[ParticleReading]:
    """The readings of the words `order` (as typed) with one word that starts with a run of
    particles (`JOINED_PARTICLES`) and has `JOINED_REST_FROM` letters or more after it read
    as that run and the rest apart, each way it may be cut ("delangel": del angel, de la
    ngel, de langel): a record's name holds it if a particle run of the name and the word
    after, joined, start with the word typed (`_has_words`'s `joined`), which each cut looks
    up by the rest as a prefix and the other words, not by its particles: "de" and "la"
    are in many Mexican names, the rest and the other words in far fewer, and the names
    found are checked on their text. A word typed n times is cut 1 to n times: "delrio
    delrio" finds "del Río del Río" (both cut) and "Delrio del Río" (one cut)."""
    out = []
    for word, typed in Counter(order).items():  # (in the order first typed)
        if word in PARTICLES:
            continue
        others = [w for w in order if w != word]
        for run in JOINED_PARTICLES:
            prefix = "".join(run)
            rest = word[len(prefix) :]
            if not word.startswith(prefix) or len(rest) < JOINED_REST_FROM:
                continue
            for cut in range(1, typed + 1):
                sought = tuple(sorted((*others, *[word] * (typed - cut), *[rest] * cut)))
                reading = ParticleReading(
                    (word,), word, tuple(sorted(order)), order, sought, True, rest
                )
                out.append(reading)
    return out


def particle_readings(order: tuple[str, ...]) -> list[ParticleReading]:
    """The readings of a search's words `order` (as typed) through joined particles, joined
    first then split (`joined_readings`, `split_readings`), at most
    `MAX_PARTICLE_READINGS`; none for a text of more than `PARTICLES_UP_TO_WORDS` words (a
    paragraph pasted into the box)."""
    if len(order) > PARTICLES_UP_TO_WORDS:
        return []
    return [*joined_readings(order), *split_readings(order)][:MAX_PARTICLE_READINGS]


def partial_passes(tokens: list[str]) -> list[tuple[tuple[str, ...], list[str]]]:
    """The passes of a search for `tokens` (sorted, `search_words`) that find the names
    lacking a word, once those holding every word are too few: each the words it may lack
    and the words it needs, in order. The words but the particles (`PARTICLES`) are the
    core; of `PARTIAL_FROM_WORDS` words or more (particles counted) up to
    `PARTIAL_UP_TO_WORDS`, a search whose core has two words or more first finds the names
    holding the core and lacking a particle (if it has any: "juan de la cruz" finds "JUAN
    CRUZ"), then, for a core of `PARTIAL_FROM_WORDS` words or more, those lacking one core
    word (a word typed twice: once), the particles free. No pass needs particles only."""
    if not PARTIAL_FROM_WORDS <= len(tokens) <= PARTIAL_UP_TO_WORDS:
        return []
    core = [t for t in tokens if t not in PARTICLES]
    particles = tuple(t for t in tokens if t in PARTICLES)
    passes: list[tuple[tuple[str, ...], list[str]]] = []
    if len(core) >= 2 and particles:
        passes.append((particles, core))
    if len(core) >= PARTIAL_FROM_WORDS:
        for i, word in enumerate(core):
            if word not in core[:i]:
                passes.append(((*particles, word), core[:i] + core[i + 1 :]))
    return passes


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
    fewer = [words for _, words in partial_passes(tokens)]
    for words in [tokens, *fewer]:
        for nicknames in (True, False):
            query_plan(words, nicknames)
    return tokens


def as_typed(text: str) -> dict[str, str]:
    """Each word a name search for `text` looks for (`query_words`) -> that word as typed
    first, accents and case kept ("Peña" -> {"pena": "Peña"}), for the words the text writes
    as one run of letters and digits (a word split in two by the search key has none)."""
    typed: dict[str, str] = {}
    for run in re.findall(r"[^\W_]+", text):
        words = query_words(run)
        if len(words) == 1:
            typed.setdefault(words[0], run)
    return typed


def _read_as(
    name: str, tokens: list[str], joined: bool = False, whole: bool = False
) -> tuple[tuple[str, str], ...]:
    """The query words `tokens` that the name `name` holds only through their nicknames
    (`_has_words`), each with the name's word it matched, in the order of the words: a
    least set of them (each left out in turn while the name still holds the words without
    it), each with the name's first word that is one of its `nickname_words` and that it does
    not match as typed (a compound's words, then its joined form; with `joined`, a particle
    run and the word after it are one compound, `_units`; with `whole`, as a search reading
    the words whole does: "mari" holds "María" only through its nickname then)."""
    read = {t for t in tokens if nickname_words(t)}
    for token in sorted(read):
        if _has_words(name, tokens, frozenset(read - {token}), joined, whole):
            read.discard(token)
    words = [
        word
        for parts in _units(name, joined)
        for word in (parts if len(parts) == 1 else [*parts, "".join(parts)])
    ]
    pairs = []
    for token in sorted(read):
        word = next(
            (
                w
                for w in words
                if w in nickname_words(token) and not _accepts(token, w, False, whole)
            ),
            "",
        )
        if word:
            pairs.append((token, word))
    return tuple(pairs)


def _accepts(token: str, word: str, nicknames: bool = False, whole: bool = False) -> bool:
    """Whether the query word `token` matches the name's word `word` as typed: it starts
    it (with `whole`, it is `word`), or `word` is its abbreviation or the full name it
    abbreviates (`abbreviation_words`); with `nicknames`, or `word` is one
    of its `nickname_words`, whole."""
    return (
        (word == token if whole else word.startswith(token))
        or word in abbreviation_words(token)
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


def _has_words(
    value: str,
    tokens: list[str],
    read: frozenset[str] = frozenset(),
    joined: bool = False,
    whole: bool = False,
) -> bool:
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
    it.

    With `joined`, a run of particles of the name and the word after it are one more such
    compound ("del Ángel": del and angel, or delangel; `_units`): what a search reading a
    typed "delangel" apart asks (`split_readings`); its lookup rows hold no such joined
    form, so that search looks up the run and the rest instead.

    With `whole`, a query word matches a word equal to it, not one it only starts
    (`_accepts`): "mora" holds "María Mora Ruiz", not "María Morales"; "perez" and
    "perezlopez" hold "Pérez-López", "perezlo" does not."""
    return _holds(value, tuple(tokens), read, joined, whole)


# names a search has read, remembered (a search reads a name twice, as typed and through
# nicknames, and names repeat: a common given name and surname): a few MB at most
_HELD_NAMES = 8192


@lru_cache(maxsize=_HELD_NAMES)
def _holds(
    value: str, tokens: tuple[str, ...], read: frozenset[str], joined: bool, whole: bool = False
) -> bool:
    """`_has_words`, remembered."""
    distinct = sorted(set(tokens))
    units = [distinct.index(t) for t in tokens]

    def accepting(word: str) -> frozenset[int]:
        return frozenset(
            i for i, token in enumerate(distinct) if _accepts(token, word, token in read, whole)
        )

    plain: _Accepted = Counter()
    # compounds read either way: (their words' accepting sets, their joined form's) -> how many
    either: Counter[tuple[frozenset[tuple[frozenset[int], int]], frozenset[int]]] = Counter()
    for parts in _units(value, joined):
        sets = [accepting(part) for part in parts]
        if len(parts) > 1 and (as_one := accepting("".join(parts))) - sets[0]:
            either[frozenset(Counter(sets).items()), as_one] += 1
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


def typed_words(text: str) -> tuple[str, ...]:
    """The words of `search_words(text)` in the order typed, not sorted: what `_in_order`
    compares a name's words with ("martinez gonzalez": martinez, then gonzalez). Cut as
    `query_words` cuts them (invisible format characters dropped, then the search key split
    at spaces and other non-letters)."""
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return tuple(word for parts in name_parts(name_key(text)) for word in parts)


def _in_order(
    value: str,
    orders: tuple[tuple[str, ...], ...],
    read: frozenset[str] = frozenset(),
    joined: bool = False,
    whole: bool = False,
) -> bool:
    """Whether the name `value` holds the query words in one of `orders` (each a sequence
    of them as typed, `typed_words`) in that order: each word matching (`_accepts`, those
    of `read` through their nicknames too) a later word of the name than the word before
    it, a compound ("gonzalez-martinez") offering its words in turn or its joined form as
    one word. "martinez gonzalez" is in order in "José Martínez González" and not in "José
    González Martínez", which holds the words too: a search ranks it after, among names of
    one length (`ironriver.policy.name_search`). Asked of names holding the words
    (`_has_words`): one word, however often typed, is in order in each of them. With
    `joined`, a particle run and the word after it are one compound (`_units`); with
    `whole`, each word matches whole (`_accepts`)."""
    return any(_follows(value, order, read, joined, whole) for order in orders)


@lru_cache(maxsize=_HELD_NAMES)
def _follows(
    value: str, order: tuple[str, ...], read: frozenset[str], joined: bool, whole: bool = False
) -> bool:
    """`_in_order` for one order, remembered. The name's compounds are read left to right,
    keeping how many of the words (a prefix of `order`) its compounds so far can hold in
    order, at most: more is never worse (what is left to match is then a shorter suffix),
    and within a compound read as its words, each word taken as soon as a part accepts it
    holds the most."""
    if len(set(order)) <= 1:  # (one word, however often typed: any name holding it)
        return True
    held = 0
    for parts in _units(value, joined):
        if held == len(order):
            break
        split = held
        for part in parts:
            if split < len(order) and _accepts(order[split], part, order[split] in read, whole):
                split += 1
        as_one = held
        joined_form = "".join(parts)
        if len(parts) > 1 and _accepts(order[held], joined_form, order[held] in read, whole):
            as_one = held + 1
        held = max(split, as_one)
    return held == len(order)


def _runs(parts: list[list[str]]) -> Iterator[tuple[int, int]]:
    """(start, end) of each particle run of a name's parts (`name_parts`) and the word after
    it, the longest of `JOINED_PARTICLES` ending just before a part of one word that is no
    particle."""
    for i, part in enumerate(parts):
        if len(part) != 1 or part[0] in PARTICLES:
            continue
        for run in JOINED_PARTICLES:
            start = i - len(run)
            if start >= 0 and all(parts[start + j] == [w] for j, w in enumerate(run)):
                yield start, i + 1
                break


def _units(value: str, joined: bool) -> list[list[str]]:
    """The parts of the name `value` (`name_parts` of its search key); with `joined`, each
    particle run and the word after it (`_runs`) as one compound ("maria del angel" ->
    [maria], [del, angel])."""
    parts = name_parts(name_key(value))
    if not joined:
        return parts
    out: list[list[str]] = []
    at = 0
    for start, end in _runs(parts):
        out += parts[at:start]
        out.append([w for part in parts[start:end] for w in part])
        at = end
    return out + parts[at:]


def particle_spelling(value: str, word: str, split: bool) -> str:
    """How the name `value` writes what a particle reading (`ParticleReading`) found in it:
    the first particle run and word after it (`split`) or the first word (else) whose
    joined form starts with `word`, as written ("DEL ÁNGEL", "Delangel"); `word` if the
    name's words and its spaces do not line up (a character its search key reads apart)."""
    chunks = value.split()
    keys = name_key(value).split(" ")
    parts = [[w for w in _WORDS.split(key) if w] for key in keys]
    if len(chunks) != len(keys) or any(not p for p in parts):
        return word
    spans = list(_runs(parts)) if split else [(i, i + 1) for i in range(len(parts))]
    for start, end in spans:
        if "".join(w for part in parts[start:end] for w in part).startswith(word):
            return " ".join(chunks[start:end])
    return word
