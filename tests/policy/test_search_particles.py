"""Spanish name particles ("de", "la", "del", "los", "las", "y") in a name search: a hit
never holds only particles of the query besides one word it lacks, and the one word a name
may lack is never spent on a particle (review R10, on the demo world: "de la cruz" listed
"De la Rosa (without cruz)"; "José de Jesús López" missed "JOSÉ LÓPEZ MENDOZA")."""

from __future__ import annotations

import pytest

from ironriver.errors import ConfigError
from ironriver.policy import Marking, Principal, View
from ironriver.policy.name_match import search_words
from ironriver.store import DatasetInfo, Store
from samples import table

FGR = DatasetInfo("mx_fgr_x", "FGR", "MX", Marking.AMBER, frozenset({"MX"}))
NAMES = [
    ("p1", "De la Rosa"),
    ("p2", "LA VENADA DEL NORTE"),
    ("p3", "Cártel de Los Tequileros"),
    ("p4", "JOSÉ LÓPEZ MENDOZA"),
    ("p5", "Juan Cruz Pérez"),
    ("p6", "María de la Cruz"),
    ("p7", "Juan de Cruz"),
]


def _view(store: Store) -> View:
    rows = [(e, "Individual", "name", name) for e, name in NAMES]
    with store.writer() as w:
        w.ensure_dataset(FGR)
        w.add_statements(table(FGR.name, rows), FGR.name, FGR.label)
    return View(store, Principal("fgr", "FGR", "MX"), audit=False)


def _hits(view: View, text: str) -> list[tuple[str, str]]:
    return [(h.matched, h.missing) for h in view.search(text)]


def test_particles_alone_find_no_name_lacking_the_other_word(store: Store) -> None:
    view = _view(store)
    assert _hits(view, "de la cruz") == [("María de la Cruz", "")]
    assert _hits(view, "DE LA CRUZ") == [("María de la Cruz", "")]
    assert _hits(view, "de los santos") == []
    assert _hits(view, "del norte la") == [("LA VENADA DEL NORTE", "")]


def test_a_missing_particle_is_free_and_never_the_word_lacked(store: Store) -> None:
    view = _view(store)
    assert _hits(view, "José de Jesús López") == [("JOSÉ LÓPEZ MENDOZA", "jesus")]
    # names holding the words but not every particle, each saying which it lacks
    assert _hits(view, "juan de la cruz") == [("Juan de Cruz", "la"), ("Juan Cruz Pérez", "de la")]


def test_the_passes_lacking_a_word_need_a_word_that_is_no_particle() -> None:
    from ironriver.policy.name_match import partial_passes

    assert partial_passes(search_words("de la cruz")) == []
    assert partial_passes(search_words("jose de jesus lopez")) == [
        (("de",), ["jesus", "jose", "lopez"]),
        (("de", "jesus"), ["jose", "lopez"]),
        (("de", "jose"), ["jesus", "lopez"]),
        (("de", "lopez"), ["jesus", "jose"]),
    ]
    assert partial_passes(search_words("garcia garcia lopez")) == [
        (("garcia",), ["garcia", "lopez"]),
        (("lopez",), ["garcia", "garcia"]),
    ]
    with pytest.raises(ConfigError):
        search_words(" ".join(["de"] * 40))
