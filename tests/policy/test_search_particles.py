"""Spanish name particles ("de", "la", "del", "los", "las", "y") in a name search: a hit
never holds only particles of the query besides one word it lacks, and the one word a name
may lack is never spent on a particle (review R10, on the demo world: "de la cruz" listed
"De la Rosa (without cruz)"; "José de Jesús López" missed "JOSÉ LÓPEZ MENDOZA")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ironriver.errors import ConfigError
from ironriver.policy import View
from ironriver.policy.name_match import search_words
from ironriver.store import Store
from search_samples import FGR_X, add_names, agency_view, cli_search, ingest_names

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
    add_names(store, FGR_X, NAMES)
    return agency_view(store, FGR_X)


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


def test_the_word_lacked_is_shown_as_typed_and_quoted(tmp_path: Path) -> None:
    """ "(sin pena)" reads "without a sentence" to a Mexican prosecutor: the word lacked is
    shown as the reader typed it, accents and case kept, quoted (review R10)."""
    db = ingest_names(tmp_path, ["Juan Pérez de la Torre", "JUAN CRUZ"])
    out = cli_search(db, "Juan Pérez de la PEÑA", lang="es")
    assert 'Juan Pérez de la Torre (sin "PEÑA")' in out
    out = cli_search(db, "juan perez de la peña")
    assert 'Juan Pérez de la Torre (without "peña")' in out
    hits = json.loads(cli_search(db, "Juan Pérez de la Peña", "--json"))
    assert [(h["matched"], h["missing"], h["missing_typed"]) for h in hits] == [
        ("Juan Pérez de la Torre", "pena", "Peña"),
    ]
    # particles lacked, as typed
    out = cli_search(db, "Juan DE LA Cruz", lang="es")
    assert 'JUAN CRUZ (sin "DE LA")' in out


def test_an_abbreviation_typed_finds_the_full_name(store: Store) -> None:
    """Records abbreviate given names ("Ma.", "Fco.", "Gpe.", "Gmo."), and analysts type them
    so: the full name finds the abbreviation, and the abbreviation the full name (review
    R10: "Gpe. Hernández" found nothing, "Fco. de la Torre" only "de la Torre (sin fco)")."""
    rows = [
        ("a1", "María Guadalupe Hernández del Río"),
        ("a2", "Francisco de la Torre"),
        ("a3", "FCO. RUIZ"),
        ("a4", "GUILLERMO SOTO"),
    ]
    add_names(store, FGR_X, rows)
    view = agency_view(store, FGR_X)
    assert _hits(view, "Gpe. Hernández") == [("María Guadalupe Hernández del Río", "")]
    assert _hits(view, "GPE HERNANDEZ") == [("María Guadalupe Hernández del Río", "")]
    assert _hits(view, "Fco. de la Torre") == [("Francisco de la Torre", "")]
    assert _hits(view, "gmo. soto") == [("GUILLERMO SOTO", "")]
    # the other way, as before
    assert _hits(view, "Francisco Ruiz") == [("FCO. RUIZ", "")]
    assert _hits(view, "fco") == [("FCO. RUIZ", ""), ("Francisco de la Torre", "")]
