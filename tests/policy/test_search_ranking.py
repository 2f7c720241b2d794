"""Name search, ranked by name length through `statement_keys.rank`, equals a brute-force
ranking of the principal's visible names: entities with a visible, searchable name having a
word that starts with each query word (a different word for each, a word typed twice two; a
hyphenated compound read either as its words or as its joined form, never both), shortest
such name first, then one holding the words in the query's order (a subsequence of its words,
as typed: "garcia jose" finds "José García" after "García José" of the same length), then
the entity id, `matched` that name (the least in text order among equals); then, ranked alike, those whose names hold the words only when a query word
is read through a hypocoristic (`nicknames.hypocoristics`, both ways), whole. Before all of
those, ranked alike in the same two tiers, the entities with a name holding every word
whole (a query word equal to the name's word, to an abbreviation of it or, read so, to a
hypocoristic: "mora" holds "María Mora Ruiz", not "María Morales"). Many names of
many lengths, some hidden, some retracted, some of a property that is never searched;
small candidate batches so every boundary is crossed."""

from __future__ import annotations

import random
import re
from functools import cache
from itertools import combinations, permutations, product
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import ironriver.policy.name_reads as name_reads
from ironriver.policy import AccessLabel, Marking, Principal, View, can_see
from ironriver.policy.name_match import PARTIAL_FROM_WORDS, PARTIAL_UP_TO_WORDS
from ironriver.policy.nicknames import ABBREVIATIONS, hypocoristics
from ironriver.store import DatasetInfo, Store
from ironriver.store.ids import NOT_SEARCHED, name_key, statement_id

FIRST = ["José", "Josefina", "Juan", "Ana", "María José", "Jo", "Guadalupe", "J.", "Ángel"]
FIRST += ["Ma. José", "Gpe.", "Marco"]
# hypocoristics: of José (Pepe, Pepito), Guadalupe (Lupe), María (Mari), Alberto and
# Roberto (Beto); Mari also starts María, Maribel
FIRST += ["Pepe", "Pepito", "Lupe", "Mari", "Maribel", "Beto", "Alberto", "Roberto"]
FIRST += ["Pepe José", "Roberto Beto", "Lupe Gpe.", "Ma. Mari"]
LAST = ["García", "Garza", "Gómez", "Pérez", "López de la O", "Jones", "Núñez", "G"]
LAST += ["García García", "Gómez Ma. G", "García-López", "Pérez-Gómez G", "Ma-Ría"]
# a surname that a shorter one starts, and one a given name starts ("mora", "mari", "lupe")
LAST += ["Mora", "Morales", "Mora-Lopez", "Marin", "Lupercio"]
LABELS = [
    AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US", "MX"})),
    AccessLabel("FGR", "MX", Marking.AMBER, frozenset({"MX"})),  # hidden from ATF
    AccessLabel("CBP", "US", Marking.GREEN, frozenset()),
]
VIEWER = Principal("ana", "ATF", "US")
QUERIES = ["j", "jo", "jose", "g", "ga", "garcia", "jose g", "j g", "ang", "de la", "zz", "o"]
# a different word for each word of the query: one starting another, or repeated
QUERIES += ["jo josefina", "g garcia", "g ga gar", "de la o", "j j", "jose jose jo"]
QUERIES += ["garcia garcia", "x x", "x x x", "g g", "g g g", "jose x x", "maria maria m"]
# a given name also finds its abbreviation (`ABBREVIATIONS`), as a word of its own
QUERIES += ["maria", "maria jose", "maria j", "maria m", "guadalupe g", "ma maria"]
# ... and an abbreviation its full name
QUERIES += ["gpe g", "ma gpe"]
# (read apart when no word may match both, `_apart`)
QUERIES += ["maria garcia maria", "g guadalupe maria", "maria maria jose j"]
# a compound's words or its joined form ("garcialopez"), not both
QUERIES += ["garcia garcialo", "garcialo", "garcia lopez", "perez perezgomez", "perezg g"]
QUERIES += ["garcia garcia lopez", "mar maria", "ma ria", "maria"]
# of three words or more, names lacking one word follow
QUERIES += ["jose garcia lopez", "maria g de", "j ga lo pe"]
# a given name also finds its hypocoristics whole, and a hypocoristic its names (and their
# abbreviations), after the names holding the words as typed
QUERIES += ["pepe", "jose garcia", "pepe garcia", "beto", "alberto", "beto garcia lopez"]
QUERIES += ["lupe", "guadalupe", "mari", "maria j", "roberto x"]
# (read together when a word may match both: `_apart`, `_ways`)
QUERIES += ["jose pepe", "pepe pepe", "jose jose", "j pepe", "p jose", "beto alberto b"]
QUERIES += ["maria mari", "m maria mari", "lupe g guadalupe", "jose pepe pepito", "pe jose"]
# the words in another order than a name's: those holding them in the order typed first
QUERIES += ["garcia jose", "garcia j", "g jose", "lopez garcia", "garcia maria", "perez pepe"]
QUERIES += ["garcia lopez jose", "x garcia jose", "o la de", "gomez g ma", "garcia pepe lopez"]
# a name holding every word whole first, then those holding one only as a prefix
QUERIES += ["mora", "mora jose", "maria mora", "mor", "mora lopez", "moralopez", "mora mora"]
QUERIES += ["mari marin", "lupe", "jose garcia garcia", "ma mora", "pepe mora", "gpe mora"]


def _facts(seed: int) -> list[tuple[str, str, str, str, AccessLabel]]:
    rng = random.Random(seed)
    facts = []
    for _ in range(160):
        entity = f"e{rng.randrange(120):03d}"
        if entity >= "e100":  # names mentioned in an article are never searched
            schema, prop = "Article", rng.choice(["name", "namesMentioned", "namesMentioned"])
        else:
            schema = "Individual" if entity < "e070" else "Organization"
            prop = rng.choice(["name", "name", "alias"])
            if schema == "Individual" and rng.random() < 0.2:
                prop = "paternalSurname"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        # (a record writes the surnames first, sometimes: "GARCÍA LÓPEZ JOSÉ")
        value = f"{last} {first}" if rng.random() < 0.3 else f"{first} {last}"
        value += " x" * rng.randrange(3)
        facts.append((entity, schema, prop, value, rng.choice(LABELS)))
    return facts


def _sid(fact: tuple[str, str, str, str, AccessLabel]) -> str:
    entity, _schema, prop, value, label = fact
    return statement_id(f"ds_{label.owner_agency.lower()}", entity, prop, value)


def _build(store: Store, facts: list[tuple[str, str, str, str, AccessLabel]]) -> set[str]:
    """Write the facts, retract every 11th; returns the retracted statement ids."""
    with store.writer() as w:
        for label in LABELS:
            agency = label.owner_agency
            w.ensure_dataset(DatasetInfo(f"ds_{agency.lower()}", agency, label.owner_country))
        for entity, schema, prop, value, label in facts:
            t = pa.table(
                {
                    "id": [_sid((entity, schema, prop, value, label))],
                    "entity_id": [entity],
                    "schema": [schema],
                    "prop": [prop],
                    "value": [value],
                }
            )
            w.add_statements(t, f"ds_{label.owner_agency.lower()}", label)
        gone = [(f[0], _sid(f)) for f in facts[::11]]
        w.retract(gone)
    return {sid for _, sid in gone}


@cache  # (a word's, read millions of times by the brute force: 45% of its time uncached)
def _nicknames(token: str) -> frozenset[str]:
    """The words `token` matches whole through a hypocoristic: its own, and the names it is
    one of with their abbreviations."""
    names = [name for name, forms in hypocoristics().items() if token in forms]
    words = set(hypocoristics().get(token, ())) | set(names)
    return frozenset(words | {a for name in names for a in ABBREVIATIONS.get(name, ())})


def _ranked(
    facts: list[tuple[str, str, str, str, AccessLabel]],
    retracted: set[str],
    tokens: list[str],
    orders: list[list[str]],
    nicknames: bool = False,
    whole: bool = False,
) -> list[tuple[str, str, bool]]:
    """Every visible entity with a searched name matching each of `tokens` (a different word
    for each; with `nicknames`, read through hypocoristics too; with `whole`, each equal to
    the name's word, never a prefix of it), by its shortest such name, then one matching
    them in one of the `orders` (the words as typed), then the least in text order, then
    id: (entity, name, out of order)."""
    best: dict[str, tuple[int, bool, str]] = {}
    for fact in facts:
        entity, _schema, prop, value, label = fact
        if _sid(fact) in retracted or prop in NOT_SEARCHED or not can_see(VIEWER, label):
            continue
        # its space-separated parts split at non-letters, a compound read either way
        parts = [[w for w in re.split(r"[\W_]+", c) if w] for c in name_key(value).split(" ")]
        spellings = product(*[[c, ["".join(c)]] if len(c) > 1 else [c] for c in parts if c])
        spellings = [[w for c in spelling for w in c] for spelling in spellings]

        def accepts(t: str, w: str) -> bool:
            return (
                (w == t if whole else w.startswith(t))
                or w in ABBREVIATIONS.get(t, ())
                or t in ABBREVIATIONS.get(w, ())  # (an abbreviation typed: its full name)
                or (nicknames and w in _nicknames(t))
            )

        if not any(  # a different word for each query word (a repeated word, each time)
            all(accepts(t, w) for t, w in zip(tokens, chosen, strict=True))
            for words in spellings
            for chosen in permutations(words, len(tokens))
        ):
            continue
        in_order = any(  # ... taken in the order typed, each a later word of the name
            all(accepts(t, w) for t, w in zip(order, chosen, strict=True))
            for order in orders
            for words in spellings
            for chosen in combinations(words, len(order))
        )
        key = (len(value), not in_order, value)
        best[entity] = min(best.get(entity, key), key)
    ranked = sorted(best, key=lambda e: (best[e][:2], e))
    return [(e, best[e][2], best[e][1]) for e in ranked]


def _tiers(
    facts: list[tuple[str, str, str, str, AccessLabel]],
    retracted: set[str],
    tokens: list[str],
    orders: list[list[str]],
    whole_first: bool = True,
) -> list[tuple[str, str, bool, bool]]:
    """The entities matching `tokens` as typed, then those matching only through nicknames,
    each ranked by its shortest such name, then in one of the `orders` first: (entity, name,
    read through a nickname, out of order); with `whole_first`, those two tiers of the
    words matched whole before them (the names lacking a word do not split so). Kept for
    the same arguments: a query's tiers are the same at every limit."""
    key = (
        tuple(facts),
        frozenset(retracted),
        tuple(tokens),
        tuple(map(tuple, orders)),
        whole_first,
    )
    if key not in _TIERS:
        passes = (True, False) if whole_first else (False,)
        tiers: list[tuple[str, str, bool, bool]] = []
        for whole in passes:
            known = {e for e, _, _, _ in tiers}
            tiers += [
                h for h in _tiers_of(facts, retracted, tokens, orders, whole) if h[0] not in known
            ]
        _TIERS[key] = tiers
    return _TIERS[key]


_TIERS: dict[tuple[Any, ...], list[tuple[str, str, bool, bool]]] = {}


def _tiers_of(
    facts: list[tuple[str, str, str, str, AccessLabel]],
    retracted: set[str],
    tokens: list[str],
    orders: list[list[str]],
    whole: bool,
) -> list[tuple[str, str, bool, bool]]:
    """`_tiers`' two tiers of the words matched as a prefix, or with `whole`, whole."""
    typed = _ranked(facts, retracted, tokens, orders, False, whole)
    known = {e for e, _, _ in typed}
    read = [h for h in _ranked(facts, retracted, tokens, orders, True, whole) if h[0] not in known]
    return [(e, n, False, o) for e, n, o in typed] + [(e, n, True, o) for e, n, o in read]


def _expected(
    facts: list[tuple[str, str, str, str, AccessLabel]], retracted: set[str], query: str, limit: int
) -> list[tuple[str, str, bool]]:
    typed = [t for t in name_key(query).split(" ") if t]
    tokens = sorted(typed)
    hits = [h[:3] for h in _tiers(facts, retracted, tokens, [typed])[:limit]]
    if not PARTIAL_FROM_WORDS <= len(tokens) <= PARTIAL_UP_TO_WORDS or len(hits) >= limit:
        return hits
    # then names lacking one word: each entity by its best such name over every word its
    # name may lack (shortest, as typed before through nicknames, then in the order of the
    # words left, then least in text order), ranked by it (shortest, as typed first, in
    # order first, then id). Particles are free, and never the word that is not lacked: the
    # words but the particles (of two or more), then those less one (of three or more)
    core = [t for t in typed if t not in {"de", "del", "la", "las", "los", "y"}]
    lists = [core] if len(core) >= 2 and len(core) < len(typed) else []
    if len(core) >= PARTIAL_FROM_WORDS:
        lists += [core[:i] + core[i + 1 :] for i in range(len(core))]
    best: dict[str, tuple[int, bool, bool, str]] = {}
    for fewer in lists:
        for entity, name, read, out in _tiers(facts, retracted, sorted(fewer), [fewer], False):
            key = (len(name), read, out, name)
            best[entity] = min(best.get(entity, key), key)
    shown = {e for e, _, _ in hits}
    partial = sorted(
        ((e, name, read, out) for e, (_, read, out, name) in best.items() if e not in shown),
        key=lambda h: (len(h[1]), h[2], h[3], h[0]),
    )
    return hits + [h[:3] for h in partial[: limit - len(hits)]]


def _datasets(
    facts: list[tuple[str, str, str, str, AccessLabel]], retracted: set[str], entity: str
) -> tuple[str, ...]:
    """The datasets of the visible, standing statements of `entity`, of any property, in
    name order."""
    return tuple(
        sorted(
            {
                f"ds_{fact[4].owner_agency.lower()}"
                for fact in facts
                if fact[0] == entity and _sid(fact) not in retracted and can_see(VIEWER, fact[4])
            }
        )
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_ranked_search_equals_brute_force(
    store: Store, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(name_reads, "_CHECK_BATCH", 3)
    facts = _facts(seed)
    retracted = _build(store, facts)
    view = View(store, VIEWER, audit=False)
    for query in QUERIES:
        for limit in (1, 4, 25, 500):
            hits = view.search(query, limit=limit)
            got = [(h.entity_id, h.matched, bool(h.read_as)) for h in hits]
            assert got == _expected(facts, retracted, query, limit), (query, limit)
            for hit in hits:  # the datasets of every statement of it the viewer sees
                assert hit.datasets == _datasets(facts, retracted, hit.entity_id), query


@pytest.mark.parametrize("seed", [1, 2])
def test_ranked_search_of_a_schema_equals_brute_force(
    store: Store, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a schema, the hits are those of the brute force over that schema's entities
    only (e000-e069 are persons, e070-e099 organizations, e100- articles): the entities of another schema
    a search reads (several per query, `_EntityRows`) are dropped without changing which
    come, or in what order, at any limit; tiny batches so every boundary is crossed."""
    monkeypatch.setattr(name_reads, "_CHECK_BATCH", 3)
    monkeypatch.setattr(name_reads, "_READ_BATCH", 2)
    facts = _facts(seed)
    retracted = _build(store, facts)
    view = View(store, VIEWER, audit=False)
    for schema, first, last in (("Person", "e000", "e069"), ("Organization", "e070", "e099")):
        of_schema = [f for f in facts if first <= f[0] <= last]
        for query in QUERIES:
            for limit in (1, 4, 25, 500):
                hits = view.search(query, schema=schema, limit=limit)
                got = [(h.entity_id, h.matched, bool(h.read_as)) for h in hits]
                assert got == _expected(of_schema, retracted, query, limit), (schema, query, limit)


def test_schema_filter_skips_without_losing_order(sqlite_store: Store) -> None:
    facts = _facts(3)
    retracted = _build(sqlite_store, facts)
    view = View(sqlite_store, VIEWER, audit=False)
    everyone = _expected(facts, retracted, "j", 500)
    people = [e for e, _, _ in everyone if e < "e070"]
    assert people and len(people) < len(everyone)
    got = [h.entity_id for h in view.search("j", schema="Person", limit=500)]
    assert got == people
    assert [h.entity_id for h in view.search("j", schema="Person", limit=3)] == people[:3]


def test_a_schema_search_reads_the_entities_it_drops_a_batch_at_a_time(
    sqlite_store: Store,
) -> None:
    """Review: "garcia lopez" --schema Vehicle took 33 s on 200,000 names: each Person it
    dropped was read by a query of its own. 600 persons named "Garcia Lopez ..." and one
    vehicle: the search reads them in a few queries (the first as many as the hits it lacks,
    each next twice the last), not 600; without a schema, the hits it shows in one."""
    from sqlalchemy import event

    label = LABELS[0]
    facts = [(f"p{i:03d}", "Person", "name", f"Garcia Lopez {i:03d}", label) for i in range(600)]
    facts.append(("v1", "Vehicle", "name", "Garcia Lopez Nissan", label))
    with sqlite_store.writer() as w:
        w.ensure_dataset(DatasetInfo("ds_atf", "ATF", "US"))
        rows = pa.table(
            {
                "id": [_sid(f) for f in facts],
                "entity_id": [f[0] for f in facts],
                "schema": [f[1] for f in facts],
                "prop": [f[2] for f in facts],
                "value": [f[3] for f in facts],
            }
        )
        w.add_statements(rows, "ds_atf", label)
    view = View(sqlite_store, VIEWER, audit=False)
    executed: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        executed.append(statement)

    event.listen(sqlite_store.engine, "before_cursor_execute", count)
    try:
        assert [h.entity_id for h in view.search("garcia lopez", schema="Vehicle")] == ["v1"]
        reads = [q for q in executed if "original_value" in q]  # (an entity's `ENTITY_ROW`)
        assert len(reads) <= 8, len(reads)  # 20, 40, 80 ... 512: 7 for 601 entities
        executed.clear()
        hits = view.search("garcia lopez", limit=20)
        assert [h.entity_id for h in hits] == [f"p{i:03d}" for i in range(20)]
        assert len([q for q in executed if "original_value" in q]) == 1
    finally:
        event.remove(sqlite_store.engine, "before_cursor_execute", count)


def test_lookup_rows_carry_the_name_length(sqlite_store: Store, tmp_path: Path) -> None:
    from sqlalchemy import text

    facts = [
        ("p0", "Individual", "name", "Ana Ruiz", LABELS[0]),  # (retracted: its rows go)
        ("p1", "Individual", "name", "José  García", LABELS[0]),
    ]
    _build(sqlite_store, facts)
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, rank, key FROM statement_keys ORDER BY key")).all()
    assert [tuple(r) for r in rows] == [(2, 12, "garcia"), (2, 12, "jose")]


def test_lookup_rows_hold_each_time_a_name_holds_a_word(sqlite_store: Store) -> None:
    """A name's repeated word has a row for each time (the k-th keyed with k - 1 marks),
    and a name written twice in one batch is keyed as once."""
    from sqlalchemy import text

    name = "García Ana-García GARCIA."
    fact = ("p1", "Individual", "name", name, LABELS[0])
    twice = pa.table(
        {
            "id": [_sid(fact)] * 2,
            "entity_id": ["p1"] * 2,
            "schema": ["Individual"] * 2,
            "prop": ["name"] * 2,
            "value": [name] * 2,
        }
    )
    with sqlite_store.writer() as w:
        w.ensure_dataset(DatasetInfo("ds_atf", "ATF", "US"))
        w.add_statements(twice, "ds_atf", LABELS[0])
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, rank, key FROM statement_keys ORDER BY key")).all()
    keys = ["ana", "anagarcia", "garcia", "garcia\x01", "garcia\x01\x01"]
    assert [tuple(r) for r in rows] == [(2, len(name), k) for k in keys]


def test_a_name_of_many_compounds_is_matched_exactly_and_quickly() -> None:
    """Each compound of a name is read as its words or joined (`_has_words`): alike
    compounds are counted, not tried one by one (2^40 ways here), and the answer is exact."""
    from time import perf_counter

    from ironriver.policy.name_match import _has_words

    started = perf_counter()
    name = "a-b " * 40
    assert _has_words(name, ["ab"] * 32 + ["a"] * 8 + ["b"] * 8)  # 32 joined, 8 split
    assert not _has_words(name, ["ab"] * 32 + ["a"] * 8 + ["b"] * 9)
    assert not _has_words(name, ["ab"] * 31 + ["a"] * 10)
    many = " ".join(f"a-b{i} c{i}" for i in range(200))
    assert _has_words(many, ["ab19"] * 11 + ["a"] * 20 + ["c1"])  # b19 and b190 to b199
    assert not _has_words(many, ["ab19"] * 12 + ["a"] * 20)
    assert not _has_words(many, ["ab19"] * 11 + ["a"] * 20 + ["b19"])
    assert perf_counter() - started < 2
