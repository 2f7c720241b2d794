"""Spanish name particles ("de", "la", "del", "los", "las", "y") in a name search: a hit
never holds only particles of the query besides one word it lacks, and the one word a name
may lack is never spent on a particle (review R10, on the demo world: "de la cruz" listed
"De la Rosa (without cruz)"; "José de Jesús López" missed "JOSÉ LÓPEZ MENDOZA")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import ConfigError
from ironriver.ingest import ingest_mapping
from ironriver.policy import Marking, Principal, View
from ironriver.policy.name_match import search_words
from ironriver.store import DatasetInfo, Store, open_store
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


MAPPING = """\
mx_fgr_personas:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: personas.csv
      entities:
        persona:
          schema: Person
          keys: [pid]
          properties: {name: {column: nombre}}
"""


def _cli_store(tmp_path: Path, names: list[str]) -> str:
    rows = "".join(f"{i},{name}\n" for i, name in enumerate(names, 1))
    (tmp_path / "personas.csv").write_text("pid,nombre\n" + rows, encoding="utf-8")
    (tmp_path / "m.yml").write_text(MAPPING, encoding="utf-8")
    db = tmp_path / "s.db"
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    try:
        ingest_mapping(store, tmp_path / "m.yml", actor="test")
    finally:
        store.close()
    return str(db)


def _search(db: str, text: str, *more: str, lang: str = "en") -> str:
    args = ["--lang", lang, "search", text, "--db", db, "--as", "mx-fgr-analista"]
    result = CliRunner().invoke(cli, [*args, "--reason", "r", *more])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_word_lacked_is_shown_as_typed_and_quoted(tmp_path: Path) -> None:
    """ "(sin pena)" reads "without a sentence" to a Mexican prosecutor: the word lacked is
    shown as the reader typed it, accents and case kept, quoted (review R10)."""
    db = _cli_store(tmp_path, ["Juan Pérez de la Torre", "JUAN CRUZ"])
    out = _search(db, "Juan Pérez de la PEÑA", lang="es")
    assert 'Juan Pérez de la Torre (sin "PEÑA")' in out
    out = _search(db, "juan perez de la peña")
    assert 'Juan Pérez de la Torre (without "peña")' in out
    hits = json.loads(_search(db, "Juan Pérez de la Peña", "--json"))
    assert [(h["matched"], h["missing"], h["missing_typed"]) for h in hits] == [
        ("Juan Pérez de la Torre", "pena", "Peña"),
    ]
    # particles lacked, as typed
    out = _search(db, "Juan DE LA Cruz", lang="es")
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
    with store.writer() as w:
        w.ensure_dataset(FGR)
        w.add_statements(
            table(FGR.name, [(e, "Individual", "name", n) for e, n in rows]), FGR.name, FGR.label
        )
    view = View(store, Principal("fgr", "FGR", "MX"), audit=False)
    assert _hits(view, "Gpe. Hernández") == [("María Guadalupe Hernández del Río", "")]
    assert _hits(view, "GPE HERNANDEZ") == [("María Guadalupe Hernández del Río", "")]
    assert _hits(view, "Fco. de la Torre") == [("Francisco de la Torre", "")]
    assert _hits(view, "gmo. soto") == [("GUILLERMO SOTO", "")]
    # the other way, as before
    assert _hits(view, "Francisco Ruiz") == [("FCO. RUIZ", "")]
    assert _hits(view, "fco") == [("FCO. RUIZ", ""), ("Francisco de la Torre", "")]
