"""Name search reads hypocoristics ("Pepe" for José, "Beto" for Alberto, Roberto...) as the
names they stand for, both ways, whole words only, after the names holding the words as
typed, each such hit saying so (`SearchHit.read_as`): the reading itself (`_has_words`,
`_read_as`, the query plan's groups and readings against a brute force), then on real
stores (SQLite, PostgreSQL) and through the CLI in English and Spanish."""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.policy import View
from ironriver.policy.name_match import _accepts, _has_words, _read_as
from ironriver.policy.name_plan import _apart, _readings, _Sought, _ways, exact_words, query_plan
from ironriver.policy.nicknames import hypocoristics, names_of, parse_table
from ironriver.store import Store
from ironriver.store.ids import REPEAT_MARK, lookup_words, name_key, query_words
from search_samples import ATF_X, add_facts, add_names, agency_view, cli_search, ingest_names

EVERY = frozenset({"jose", "pepe", "beto", "alberto", "roberto", "maria", "mari", "guadalupe"})
EVERY |= {"lupe", "alejandro", "ale", "pepito", "chepe", "ma", "gpe"}


def test_the_table_holds_search_keys_of_one_word() -> None:
    """Every name and form is a search key of one word (what a query word is compared to),
    of three letters or more, and no form is its own name."""
    table_ = hypocoristics()
    assert len(table_) > 100 and table_["jose"][0] == "pepe"
    for name, forms in table_.items():
        assert forms and len(set(forms)) == len(forms), name
        for word in (name, *forms):
            assert query_words(word) == [word] and len(word) >= 3, word
    assert set(names_of("beto")) >= {"alberto", "roberto", "humberto", "gilberto"}
    with pytest.raises(ValueError, match="'josé' is not one word in search key form"):
        parse_table("hypocoristics:\n  josé: [pepe]\n")
    with pytest.raises(ValueError, match="'pepe luis' is not one word"):
        parse_table("hypocoristics:\n  jose: [pepe luis]\n")
    with pytest.raises(ValueError, match="'jose' is given as a form of itself"):
        parse_table("hypocoristics:\n  jose: [pepe, jose]\n")


def test_a_name_and_its_hypocoristic_read_each_other_whole() -> None:
    read = frozenset({"jose", "pepe", "garcia"})
    # as typed, no; read through nicknames, both ways
    assert not _has_words("PEPE GARCIA", ["garcia", "jose"])
    assert _has_words("PEPE GARCIA", ["garcia", "jose"], read)
    assert _has_words("José García", ["garcia", "pepe"], read)
    # whole words only: neither form is a prefix
    assert not _has_words("Pepelu García", ["garcia", "jose"], read)
    assert not _has_words("Josefina García", ["garcia", "pepe"], read)
    # one hypocoristic, many names; none of theirs that merely shares letters
    for name in ("Alberto", "Roberto", "Humberto", "Gilberto", "Heriberto"):
        assert _has_words(name, ["beto"], frozenset({"beto"})), name
    for name in ("Albert", "Bertha", "Roberta", "Albertina"):
        assert not _has_words(name, ["beto"], frozenset({"beto"})), name
    # one step: a hypocoristic is not another form of its name ("pepe" is not "chepe")
    assert not _has_words("Chepe", ["pepe"], frozenset({"pepe"}))
    # a hypocoristic's names bring their abbreviations: "lupe" finds "Gpe."
    assert _has_words("GPE. ROSAS", ["lupe"], frozenset({"lupe"}))
    # without the word among those read so, as typed only
    assert not _has_words("PEPE GARCIA", ["garcia", "jose"], frozenset({"garcia"}))


def test_a_hypocoristic_that_starts_its_name_reads_no_differently() -> None:
    """ "ale" (Alejandro, Alejandra) and "mari" (María) start their names: typed, they find
    every Alejandro, María and Maribel as a prefix already, as typed, and a nickname route
    adds only María's abbreviation ("Ma."). The name finds the form whole, not what the form
    starts."""
    assert exact_words("ale") == () and exact_words("mari") == ("ma",)
    assert exact_words("alejandro") == ("ale", "alex", "jando")
    assert _accepts("ale", "alejandro") and _accepts("mari", "maribel")
    assert _has_words("ALE PEREZ", ["alejandro"], frozenset({"alejandro"}))
    assert not _has_words("ALEXIS PEREZ", ["alejandro"], frozenset({"alejandro"}))
    assert _has_words("MARI SOTO", ["maria"], frozenset({"maria"}))
    assert not _has_words("MARIBEL SOTO", ["maria"], frozenset({"maria"}))
    assert _read_as("Alejandro Pérez", ["ale"]) == ()


def test_read_as_names_the_fewest_words_read_through_nicknames() -> None:
    assert _read_as("PEPE GARCIA", ["garcia", "jose"]) == (("jose", "pepe"),)
    assert _read_as("José García", ["garcia", "pepe"]) == (("pepe", "jose"),)
    assert _read_as("Pepe Beto", ["jose", "roberto"]) == (("jose", "pepe"), ("roberto", "beto"))
    # "jose" typed twice: one is José as typed, the other Pepe
    assert _read_as("José Pepe", ["jose", "jose"]) == (("jose", "pepe"),)
    assert _read_as("GPE. ROSAS", ["lupe", "rosas"]) == (("lupe", "gpe"),)


def test_words_that_may_match_one_word_are_read_together_and_few_ways() -> None:
    """A word alone in its group reads one way, however often it is typed; words a name's
    word may match both, through a nickname too ("jose pepe": "jose" seeks pepe whole, and
    "pepe" seeks jose), are read together."""
    assert _apart(["garcia", "jose"]) == [["garcia"], ["jose"]]
    assert _apart(["jose", "pepe"]) == [["jose", "pepe"]]
    assert _apart(["beto", "roberto"]) == [["beto", "roberto"]]
    assert _apart(["alberto", "beto", "x"]) == [["alberto", "beto"], ["x"]]
    assert _apart(["beto", "r"]) == [["beto", "r"]]  # "r" starts roberto, which beto seeks
    assert len(_readings(["maria"] * 32)) == 1
    # jose: its range with chepe and pepito (which no other range holds), or pepe (which
    # "pepe" starts); pepe: its range, or jose
    assert _ways(["jose", "pepe"]) == {
        "jose": [_Sought("jose", ("chepe", "pepito")), _Sought(None, ("pepe",))],
        "pepe": [_Sought("pepe"), _Sought(None, ("jose",))],
    }
    assert len(_readings(["jose", "pepe"])) == 4
    # gpe lies in the range of "g" as guadalupe does: with it; lupe and lupita apart
    assert _ways(["g", "guadalupe"])["guadalupe"] == [
        _Sought("guadalupe", ("gpe",)),
        _Sought(None, ("lupe", "lupita")),
    ]
    assert sum(len(r) for r in query_plan(["beto", "garcia", "jose", "lopez", "maria"])) == 5


VOCABULARY = ["José", "Pepe", "Pepito", "Chepe", "Beto", "Alberto", "Roberto", "María", "Mari"]
VOCABULARY += ["Ma.", "Maribel", "Gpe.", "Lupe", "Guadalupe", "Ale", "Alejandro", "García"]
QUERY_WORDS = ["jose", "pepe", "pepito", "chepe", "p", "pe", "j", "beto", "alberto", "roberto"]
QUERY_WORDS += ["al", "b", "r", "maria", "mari", "ma", "m", "guadalupe", "lupe", "g", "gpe"]
QUERY_WORDS += ["ale", "alejandro", "a", "garcia"]


def _plan_holds(name: str, tokens: list[str], whole: bool = False) -> bool:
    """Whether the lookup query of `tokens` (`query_plan`; with `whole`, of the words whole)
    finds the name `name`, computed on the name's lookup keys as the SQL reads them."""
    keys = lookup_words(name_key(name))

    def count(prefix: str | None, exact: tuple[str, ...], whole: bool, needed: int) -> int:
        return sum(
            (
                prefix is not None
                and (key.rstrip(REPEAT_MARK) == prefix if whole else key.startswith(prefix))
            )
            or (key.rstrip(REPEAT_MARK) if needed > 1 else key) in exact
            for key in keys
        )

    return all(
        any(all(count(*sought, needed) >= needed for sought, needed in r) for r in readings)
        for readings in query_plan(tokens, True, whole)
    )


def _brute(name: str, tokens: list[str], whole: bool = False) -> bool:
    """A different word of `name` for each token, each matching it through a nickname or
    not (with `whole`, equal to it, its abbreviation or its nickname: never a longer word it
    starts; the name's words only: no compound here)."""
    words = query_words(name)
    return any(
        all(_accepts(t, w, True, whole) for t, w in zip(tokens, chosen, strict=True))
        for chosen in permutations(words, len(tokens))
    )


@settings(max_examples=400, deadline=None)
@given(
    name=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=5).map(" ".join),
    tokens=st.lists(st.sampled_from(QUERY_WORDS), min_size=1, max_size=4).map(sorted),
    whole=st.booleans(),
)
def test_the_query_plan_finds_exactly_the_names_holding_the_words(
    name: str, tokens: list[str], whole: bool
) -> None:
    """The groups (`_apart`), the ways of each token (`_ways`: its prefix with the whole
    words lying in the same ranges, or a class of its other whole words), the readings and their counts (`_nested`) find a name if and only if it
    has a different word for each query word, read through nicknames too: a plan that
    misses one loses a hit, one that finds more only costs (`_has_words` then checks).
    So for the plan of the words whole (`whole`: each word's own range, `name_plan._WORD_END`,
    its abbreviations and nicknames then all exact words, `_whole_first`'s pass)."""
    assert (
        _plan_holds(name, tokens, whole)
        == _brute(name, tokens, whole)
        == _has_words(name, tokens, frozenset(tokens), whole=whole)
    )


NAMES = [
    ("p1", "José García"),
    ("p2", "PEPE GARCIA"),
    ("p3", "José García López"),
    ("p4", "PEPE GARCIA LOPEZ"),
    ("p5", "Josefina García"),
    ("p6", "Pepito García"),
    ("p7", "Beto Ruiz"),
    ("p8", "Roberto Ruiz"),
    ("p9", "Alberto Ruiz"),
    ("p10", "Bertha Ruiz"),
    ("p11", "Humberto Ruiz"),
    # a short name read through a nickname, a long one as typed: the entity is found as typed
    ("p12", "Pepe Gómez"),
    ("p12", "José Gómez Hernández Ruiz"),
    ("p13", "Pepe Gómez Hernández"),
]


def _view(store: Store) -> View:
    add_names(store, ATF_X, NAMES)
    return agency_view(store, ATF_X)


def _hits(view: View, text: str, limit: int = 20) -> list[tuple[str, str, object]]:
    return [(h.matched, h.missing, h.read_as) for h in view.search(text, limit=limit)]


def test_a_search_finds_names_through_nicknames_after_those_as_typed(store: Store) -> None:
    view = _view(store)
    jose = (("jose", "pepe"),)
    # (those holding every word whole first: "Josefina" holds "jose" only as a prefix)
    assert _hits(view, "jose garcia") == [
        ("José García", "", ()),
        ("José García López", "", ()),
        ("PEPE GARCIA", "", jose),
        ("Pepito García", "", (("jose", "pepito"),)),
        ("PEPE GARCIA LOPEZ", "", jose),
        ("Josefina García", "", ()),
    ]
    # a shorter name read through a nickname does not outrank one as typed
    assert _hits(view, "jose garcia", limit=1) == [("José García", "", ())]
    assert _hits(view, "jose garcia", limit=3)[2] == ("PEPE GARCIA", "", jose)
    pepe = (("pepe", "jose"),)
    assert _hits(view, "pepe garcia") == [
        ("PEPE GARCIA", "", ()),
        ("PEPE GARCIA LOPEZ", "", ()),
        ("José García", "", pepe),
        ("José García López", "", pepe),
    ]
    # "beto" is each of its names, whole: not Bertha
    assert [h[0] for h in _hits(view, "ruiz beto")] == [
        "Beto Ruiz",
        "Roberto Ruiz",  # (p8: of one length, by entity id)
        "Alberto Ruiz",
        "Humberto Ruiz",
    ]
    assert _hits(view, "alberto")[1] == ("Beto Ruiz", "", (("alberto", "beto"),))
    # an entity holding the words as typed in any name is found as typed, by that name
    assert _hits(view, "jose gomez") == [
        ("José Gómez Hernández Ruiz", "", ()),
        ("Pepe Gómez Hernández", "", jose),
    ]


def test_typed_hits_that_fill_the_limit_leave_nickname_hits_unassembled(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review R4 F1: "jose garcia" with a limit of 3 had its hits as typed (José García,
    Josefina García, José García López); PEPE GARCIA and Pepito García, shorter than the
    latter two, were set aside and assembled (one query each) before those filled the
    limit. They are assembled only when the typed hits leave them room; with a schema to
    keep to, as soon as they could fill it (whether they are of it is known then). (The
    names holding the words whole come first since H85: at a limit of 2, José García and
    José García López; the usual pass assembled Josefina García before, but no nickname.)"""
    view = _view(store)
    assembled: list[str] = []
    assemble = View._assemble

    def counting(self: View, rows: Any, *args: Any, **kwargs: Any) -> Any:
        rows = list(rows)
        assembled.append(str(rows[0][0]))
        return assemble(self, rows, *args, **kwargs)

    monkeypatch.setattr(View, "_assemble", counting)
    typed = [("José García", "", ()), ("José García López", "", ())]
    assert _hits(view, "jose garcia", limit=2) == typed
    assert set(assembled) == {"p1", "p3", "p5"}  # (no PEPE, no Pepito)
    assembled.clear()
    assert _hits(view, "jose garcia", limit=3)[2] == ("PEPE GARCIA", "", (("jose", "pepe"),))
    assert set(assembled) == {"p1", "p2", "p3", "p5"}
    # (with a schema, the same hits)
    hits = view.search("jose garcia", "Person", limit=2)
    assert [(h.matched, h.missing, h.read_as) for h in hits] == typed


def test_an_entity_set_aside_by_a_name_that_fails_is_found_by_another(store: Store) -> None:
    """The lookup rows take a compound's joined form for one more word: "PEPE GARCÍA-LÓPEZ"
    comes for "jose garcia garcialo" and does not hold its words (garcia and garcialo would
    both be the compound). The entity's longer name "Pepe Ruiz García García-López" does,
    through "pepe": it is found so, not as a name lacking "jose" (it was, when the first
    name set the entity aside and a later one was not looked at)."""
    rows = [
        ("x1", "Individual", "name", "PEPE GARCÍA-LÓPEZ"),
        ("x1", "Individual", "alias", "Pepe Ruiz García García-López"),
    ]
    add_facts(store, ATF_X, rows)
    view = agency_view(store, ATF_X)
    assert _hits(view, "jose garcia garcialo") == [
        ("Pepe Ruiz García García-López", "", (("jose", "pepe"),))
    ]
    hits = view.search("jose garcia garcialo", "Person")
    assert [(h.matched, h.missing, h.read_as) for h in hits] == [
        ("Pepe Ruiz García García-López", "", (("jose", "pepe"),))
    ]


def test_names_lacking_a_word_follow_shortest_first_as_typed_first_at_one_length(
    store: Store,
) -> None:
    """Names lacking a word come after those holding every word (as typed, then through
    nicknames), the shortest first, one holding the other words as typed before one holding
    them through a nickname at one length: Pepito García before Josefina García."""
    view = _view(store)
    jose = (("jose", "pepe"),)
    assert _hits(view, "jose garcia lopez") == [
        ("José García López", "", ()),
        ("PEPE GARCIA LOPEZ", "", jose),
        ("José García", "lopez", ()),
        ("PEPE GARCIA", "lopez", jose),
        ("Pepito García", "lopez", (("jose", "pepito"),)),
        ("Josefina García", "lopez", ()),
    ]
    assert _hits(view, "jose garcia lopez", limit=3) == [
        ("José García López", "", ()),
        ("PEPE GARCIA LOPEZ", "", jose),
        ("José García", "lopez", ()),
    ]
    assert _hits(view, "jose garcia lopez", limit=4)[3] == ("PEPE GARCIA", "lopez", jose)
    assert _hits(view, "jose gomez hernandez") == [
        ("José Gómez Hernández Ruiz", "", ()),
        ("Pepe Gómez Hernández", "", jose),
    ]


def test_a_name_lacking_a_word_and_read_through_a_nickname_is_not_put_last(
    store: Store,
) -> None:
    """The seed-7 world's miss (`ironriver eval search`): "María Guadalupe Soto" is recorded
    as "Mari Soto Hernández" (maria read as mari, without guadalupe). It ranked after every
    name lacking a word as typed, however long ("María Guadalupe" and a surname, without
    soto: eight of them came first); it now ranks among them by its length."""
    rows = [
        ("s1", "Individual", "name", "María Guadalupe Pérez González"),
        ("s2", "Individual", "name", "Mari Soto Hernández"),
        ("s3", "Individual", "name", "MARÍA VEGA SOTO"),
        ("s4", "Individual", "name", "María Guadalupe Soto Delgado"),
    ]
    add_facts(store, ATF_X, rows)
    view = agency_view(store, ATF_X)
    assert _hits(view, "maria guadalupe soto") == [
        ("María Guadalupe Soto Delgado", "", ()),
        ("MARÍA VEGA SOTO", "guadalupe", ()),
        ("Mari Soto Hernández", "guadalupe", (("maria", "mari"),)),
        ("María Guadalupe Pérez González", "soto", ()),
    ]
    assert _hits(view, "maria guadalupe soto", limit=3)[2][0] == "Mari Soto Hernández"


def test_the_cli_shows_the_words_read_through_nicknames(tmp_path: Path) -> None:
    names = ["José García López", "PEPE GARCIA LOPEZ", "PEPE GARCIA", "José García"]
    db = ingest_names(tmp_path, names)
    hits = json.loads(cli_search(db, "jose garcia lopez", "--json"))
    assert [(h["matched"], h["missing"], h["read_as"]) for h in hits] == [
        ("José García López", "", []),
        ("PEPE GARCIA LOPEZ", "", [["jose", "pepe"]]),
        ("José García", "lopez", []),
        ("PEPE GARCIA", "lopez", [["jose", "pepe"]]),
    ]
    out = cli_search(db, "jose garcia lopez")
    assert "PEPE GARCIA LOPEZ (jose read as pepe)" in out
    assert 'PEPE GARCIA (jose read as pepe; without "lopez")' in out
    assert 'José García (without "lopez")' in out
    out = cli_search(db, "jose garcia lopez", lang="es")
    assert "PEPE GARCIA LOPEZ (jose leído como pepe)" in out
    assert 'PEPE GARCIA (jose leído como pepe; sin "lopez")' in out
    assert 'José García (sin "lopez")' in out
    out = cli_search(db, "pepe garcia", lang="es")
    assert "José García (pepe leído como jose)" in out


def test_a_text_is_refused_before_the_search_when_its_words_less_one_read_too_many_ways(
    store: Store,
) -> None:
    """A search of three to six words that finds too few names holding all of them reads
    each list of its words less one, which may read in more ways than the whole (a group
    split in two adds its ways): the refusal comes from the words alone, before any read,
    never from what the store holds (review R4: "Beto Ruiz" stored, this text was accepted
    and then refused halfway through the search)."""
    from ironriver.errors import ConfigError
    from ironriver.policy.name_match import search_words

    text = "beto beto alberto roberto roberto al"
    with pytest.raises(ConfigError, match="reads in 72 ways"):
        search_words(text)
    view = _view(store)
    with pytest.raises(ConfigError, match="reads in 72 ways"):
        view.find(text)


def test_the_caches_of_typed_words_are_bounded() -> None:
    """Caches keyed by the words users type hold a bounded number of them (review R4: 200,000
    searches of random words kept ~100 MB)."""
    from ironriver.policy.nicknames import nickname_words

    for cached in (nickname_words, exact_words):
        assert cached.cache_info().maxsize is not None  # type: ignore[attr-defined]
