"""Name search reads the words of its query as an analyst means them, on a real store
ingested from a CSV: an over-long query is refused as bad input (not a database error)."""

from __future__ import annotations

import json
from pathlib import Path

from ironriver.store import Store
from search_samples import ATF_X, add_names, agency_view, ingest_names, ingest_personas, run_search


def test_an_over_long_query_is_refused_as_bad_input(tmp_path: Path) -> None:
    db = ingest_names(tmp_path, ["José Pérez López"])
    long = " ".join(f"w{i}" for i in range(600))  # 600 distinct words: SQLite's limit is 500
    code, out = run_search(db, long, "--json")
    assert code == 2, out
    error = json.loads(out[out.index("{") :])["error"]
    assert error["kind"] == "ConfigError" and error["exit_code"] == 2
    assert error["message"] == ("The search text has 600 words: a name search takes at most 32.")
    code, out = run_search(db, long, lang="es")
    assert code == 2 and "una búsqueda por nombre admite como máximo 32" in out
    # 32 words is still a search (finding nothing here), 33 are not
    code, out = run_search(db, " ".join(f"w{i}" for i in range(32)), "--json")
    assert code == 0 and json.loads(out) == []
    code, out = run_search(db, " ".join(f"w{i}" for i in range(33)), "--json")
    assert code == 2 and "has 33 words" in out
    code, out = run_search(db, "jose perez", "--json")
    assert code == 0 and [h["matched"] for h in json.loads(out)] == ["José Pérez López"]
    # identifiers only: no name words are read, so no limit on them
    code, out = run_search(db, long, "--identifier", "--json")
    assert code == 0 and json.loads(out) == []


def test_invisible_format_characters_do_not_split_query_words(tmp_path: Path) -> None:
    """Zero-width and other format characters (Unicode Cf) pasted inside a query word are
    dropped, as the ingest drops them from stored names (the CSV's "Ló\\u200bpez" is stored
    as "López")."""
    db = ingest_names(tmp_path, ["José Pérez", "Ana Ló\u200bpez"])
    for text in (
        "Jo\u200bsé Pérez",  # zero-width space
        "Pé\u00adrez",  # soft hyphen
        "\ufeffjose",  # byte-order mark
        "jo\u200c\u200dse pe\u2060rez",  # zero-width non-joiner and joiner, word joiner
    ):
        code, out = run_search(db, text, "--json")
        assert code == 0 and [h["matched"] for h in json.loads(out)] == ["José Pérez"], text
    code, out = run_search(db, "lopez", "--json")
    assert [h["matched"] for h in json.loads(out)] == ["Ana López"]
    code, out = run_search(db, "lo\u200bpez", "--json")
    assert [h["matched"] for h in json.loads(out)] == ["Ana López"]


def test_a_stored_name_holding_a_format_character_is_found_too(sqlite_store: Store) -> None:
    """A name written without an ingest's sanitizing keeps its zero-width space, which
    keys it as a word break (jo, se and the joined jose): the query without it finds it."""
    add_names(sqlite_store, ATF_X, [("p1", "Jo\u200bsé Núñez")])
    view = agency_view(sqlite_store, ATF_X)
    for text in ("jose nunez", "Jo\u200bsé", "jos"):
        assert [h.entity_id for h in view.search(text)] == ["p1"], text


def _matched(db: str, text: str) -> list[str]:
    """The names matching every word of `text` (not those lacking one: `missing`)."""
    code, out = run_search(db, text, "--json", "--limit", "50")
    assert code == 0, out
    return [h["matched"] for h in json.loads(out) if not h["missing"]]


def test_a_search_of_three_words_also_finds_names_lacking_one(tmp_path: Path) -> None:
    """Records drop a maternal surname or a second given name; an analyst types the whole
    name. Names holding every word come first, then those lacking one, each marked with the
    word it lacks, ranked alike (shortest name first); two words never go without one."""
    names = [
        "Álvaro Reyes Mendoza",
        "Álvaro Reyes",
        "ALVARO MENDOZA",
        "Reyes Mendoza",
        "Álvaro Reyes Mendoza Pérez",
        "Luis Reyes",
    ]
    db = ingest_names(tmp_path, names)
    code, out = run_search(db, "alvaro reyes mendoza", "--json")
    assert code == 0, out
    assert [(h["matched"], h["missing"]) for h in json.loads(out)] == [
        ("Álvaro Reyes Mendoza", ""),
        ("Álvaro Reyes Mendoza Pérez", ""),
        ("Álvaro Reyes", "mendoza"),
        ("Reyes Mendoza", "alvaro"),
        ("ALVARO MENDOZA", "reyes"),
    ]
    code, out = run_search(db, "alvaro reyes mendoza", "--json", "--limit", "3")
    assert [h["matched"] for h in json.loads(out)][2] == "Álvaro Reyes"  # the limit holds
    code, out = run_search(db, "alvaro reyes")
    assert "Álvaro Reyes" in out and "Luis" not in out and "without" not in out
    code, human = run_search(db, "alvaro reyes mendoza", lang="es")
    assert 'Álvaro Reyes (sin "mendoza")' in human


def test_each_query_word_matches_a_different_word_of_the_name(tmp_path: Path) -> None:
    """A word that starts another in the query asks for a second word of the name ("jose
    josefina" is not "Josefina Ruiz"), and so does a word typed twice ("garcia garcia" is
    "García García", not "García López"): the lookup rows hold each time a name holds a
    word. A compound's joined spelling is another spelling of its words, not one more word:
    "garcia garcia" is not "García-López" (its joined form "garcialopez" starts with
    garcia, so the lookup rows' counts found it, and ranked it first)."""
    names = [
        "García",
        "García López",
        "García García",
        "Ana García Garcés",
        "Josefina Ruiz",
        "José Josefina Ruiz",
        "Josefina Josefa Ruiz",
        "María Pérez-López",
        "Juan García-López",
        "Juan García García",
    ]
    db = ingest_names(tmp_path, names)
    assert _matched(db, "jose josefina") == ["José Josefina Ruiz", "Josefina Josefa Ruiz"]
    assert _matched(db, "josefina jose") == ["José Josefina Ruiz", "Josefina Josefa Ruiz"]
    assert _matched(db, "jo josefina r") == ["José Josefina Ruiz", "Josefina Josefa Ruiz"]
    assert _matched(db, "jo jos josefina") == []  # two words start with jo, not three
    assert _matched(db, "josefina") == [
        "Josefina Ruiz",
        "José Josefina Ruiz",
        "Josefina Josefa Ruiz",
    ]
    assert _matched(db, "garcia gar") == [
        "García García",
        "Ana García Garcés",
        "Juan García García",
    ]
    every_garcia = ["García", "García López", "García García", "Ana García Garcés"]
    every_garcia += ["Juan García-López", "Juan García García"]
    assert sorted(_matched(db, "garcia")) == sorted(every_garcia)  # "García García" once
    assert _matched(db, "garcia garcia") == ["García García", "Juan García García"]
    assert _matched(db, "garcia garcia garcia") == []
    # a compound reads as its words or joined, never both
    for joined in ("perezlopez", "perezlo", "perez-lopez", "perez lopez", "maria lopez"):
        assert _matched(db, joined) == ["María Pérez-López"], joined
    assert _matched(db, "maria perezlopez") == ["María Pérez-López"]
    assert _matched(db, "perez perezlopez") == []
    assert _matched(db, "perez perez") == []
    assert _matched(db, "perezlo lopez") == []
    assert _matched(db, "juan garcialo") == ["Juan García-López"]
    assert _matched(db, "garcia garcialo") == []
    # "juan garcia garcia": García-López lacks one garcia
    code, out = run_search(db, "juan garcia garcia", "--json")
    assert code == 0, out
    assert [(h["matched"], h["missing"]) for h in json.loads(out)] == [
        ("Juan García García", ""),
        ("García García", "juan"),
        ("Juan García-López", "garcia"),
    ]


def test_a_given_name_also_finds_its_abbreviation(tmp_path: Path) -> None:
    """Mexican records abbreviate given names (María "Ma.", Francisco "Fco.", Guadalupe
    "Gpe."): the full name in a query also matches the abbreviation, as a whole word only
    ("manuel" does not find "Ma."); the store is as ingested, nothing re-indexed."""
    db = ingest_names(
        tmp_path,
        [
            "MA. DOLORES GARCIA",
            "María Dolores García Ruiz",
            "FCO. JAVIER LOPEZ",
            "GPE. ROSAS",
            "MANUEL GARCIA",
            "MARCO DOLORES",
            "Mª de Jesús Garza",
            "Ma. Marín",
        ],
    )
    assert _matched(db, "maria dolores garcia") == [
        "MA. DOLORES GARCIA",
        "María Dolores García Ruiz",
    ]
    assert _matched(db, "francisco lopez") == ["FCO. JAVIER LOPEZ"]
    assert _matched(db, "guadalupe") == ["GPE. ROSAS"]
    assert _matched(db, "maria de jesus") == ["Mª de Jesús Garza"]
    assert _matched(db, "manuel") == ["MANUEL GARCIA"]
    # a prefix of the full name is no abbreviation's: "mar" does not find "Ma."
    assert _matched(db, "mar dolores") == ["MARCO DOLORES", "María Dolores García Ruiz"]
    # "ma" is itself a prefix, as before: Ma., Mª, Manuel, Marco, María
    assert len(_matched(db, "ma")) == 6
    # the abbreviation is one word, for one query word only
    assert _matched(db, "maria ma") == ["Ma. Marín"]
    assert _matched(db, "maria mar") == ["Ma. Marín"]
    assert _matched(db, "francisco fc") == []
    code, out = run_search(db, "maria dolores garcia")  # the table shows the record's text
    assert code == 0 and "MA. DOLORES GARCIA" in out


def test_a_name_lacking_a_word_ranks_by_its_best_name_over_every_word(tmp_path: Path) -> None:
    """An entity whose names lack different words ranks by the shortest of them: the pass
    leaving out "ana" found entity 1 by its long name first and kept it there, below "Ana
    Beatriz Q", and with --limit 1 lost it."""
    rows = f"1,Beatriz Cruz {'Z' * 20}\n1,Ana Beatriz\n2,Ana Beatriz Q\n"  # 1: two names
    db = ingest_personas(tmp_path, rows)
    code, out = run_search(db, "ana beatriz cruz", "--json")
    assert code == 0, out
    assert [(h["matched"], h["missing"]) for h in json.loads(out)] == [
        ("Ana Beatriz", "cruz"),
        ("Ana Beatriz Q", "cruz"),
    ]
    code, out = run_search(db, "ana beatriz cruz", "--json", "--limit", "1")
    assert [h["matched"] for h in json.loads(out)] == ["Ana Beatriz"]


def test_names_lacking_a_word_are_looked_for_up_to_six_words(tmp_path: Path) -> None:
    """Each word a name may lack is one more search: a text of seven words or more (a
    paragraph pasted into the box) finds names holding every word only."""
    db = ingest_names(tmp_path, ["Ana Bea Cruz Dora Eva Fe"])
    code, out = run_search(db, "ana bea cruz dora eva gil", "--json")
    assert [(h["matched"], h["missing"]) for h in json.loads(out)] == [
        ("Ana Bea Cruz Dora Eva Fe", "gil")
    ]
    code, out = run_search(db, "ana bea cruz dora eva fe gil", "--json")
    assert code == 0 and json.loads(out) == []


def test_a_word_typed_twice_finds_the_names_holding_it_twice(tmp_path: Path) -> None:
    """Mexican names repeat a surname ("Juan García García"): typed twice, it is looked for
    twice, so the person is not buried under every García; a longer search also lists the
    names lacking one of the repeats. A repeated abbreviation ("MA. MA.") is two words too,
    each matching "maria" as a whole word only."""
    db = ingest_names(
        tmp_path,
        [
            "Juan García García",
            "Juan García López",
            "García García",
            "Juan García",
            "María Hernández Hernández",
            "María Hernández",
            "HERNANDEZ-HERNANDEZ ROSA",
            "MA. MA. PEREZ",
            "Ma. María Ruiz",
            "Ma. Marín",
            "MANUEL MA. LUNA",
        ],
    )
    assert _matched(db, "garcia garcia") == ["García García", "Juan García García"]
    assert _matched(db, "hernandez hernandez") == [
        "HERNANDEZ-HERNANDEZ ROSA",
        "María Hernández Hernández",
    ]
    assert _matched(db, "maria maria") == ["MA. MA. PEREZ", "Ma. María Ruiz"]
    # "ma" a prefix, "maria" the abbreviation as a word of its own; the names holding both
    # whole first ("ma" is only the start of Marín and Manuel)
    assert _matched(db, "maria ma") == [
        "MA. MA. PEREZ",
        "Ma. María Ruiz",
        "Ma. Marín",
        "MANUEL MA. LUNA",
    ]
    code, out = run_search(db, "juan garcia garcia", "--json")
    assert code == 0, out
    assert [(h["matched"], h["missing"]) for h in json.loads(out)] == [
        ("Juan García García", ""),
        ("Juan García", "garcia"),
        ("García García", "juan"),
        ("Juan García López", "garcia"),
    ]
    code, out = run_search(db, "juan garcia garcia", lang="es")
    assert 'Juan García López (sin "garcia")' in out


def test_many_abbreviable_words_are_read_in_few_ways(tmp_path: Path) -> None:
    """Each given name records abbreviate or write as a nickname reads more than one way
    ("maria": maria..., or one of "Ma.", "Mari"...), and a query reads in the product of
    its words' ways: built whole, 16 such words read in 625 ways (one SELECT each, past
    SQLite's 500: a raw database error) and "maria" typed 24 times took a minute to list
    its 2^24 ways before merging them. Words no name's word can match both (maria,
    francisco) are read apart and intersected, and a word alone in its group reads one way,
    however often it is typed (its range and its whole words, counted together): 16 and 32
    such words are a quick search with the right hits; a text still reading in too many
    ways is refused as bad input."""
    four = ["MA.", "FCO.", "GPE.", "GMO.", "María", "Francisco", "Guadalupe", "Guillermo"]
    db = ingest_names(
        tmp_path,
        [
            " ".join(four * 2),  # each of the four given names 4 times, 2 of them abbreviated
            " ".join(["MA."] * 10 + ["María"] * 6),  # "maria" 16 times
            " ".join(["MA."] * 16 + ["María"] * 16),  # "maria" 32 times
            " ".join(four * 4),  # each 8 times
            "María Guadalupe Pérez",
        ],
    )
    sixteen = " ".join(["maria", "francisco", "guadalupe", "guillermo"] * 4)
    assert _matched(db, sixteen) == [" ".join(four * 2), " ".join(four * 4)]
    assert _matched(db, " ".join(["maria"] * 16)) == [
        " ".join(["MA."] * 10 + ["María"] * 6),
        " ".join(["MA."] * 16 + ["María"] * 16),
    ]
    assert _matched(db, " ".join(["maria"] * 32)) == [" ".join(["MA."] * 16 + ["María"] * 16)]
    assert _matched(db, " ".join(["maria", "francisco", "guadalupe", "guillermo"] * 8)) == [
        " ".join(four * 4)
    ]
    assert _matched(db, " ".join(["maria"] * 17 + ["francisco"])) == []
    # "g" starts guadalupe, "gpe", guillermo and "gmo": one group, where guadalupe reads
    # two ways (guadalupe... or gpe, which "g" starts as it starts guadalupe; or lupe,
    # lupita, which it does not), guillermo too (with gmo; or memo, willy): 16 x 17 ways
    many = " ".join(["g"] + ["guadalupe"] * 15 + ["guillermo"] * 16)
    code, out = run_search(db, many, "--json")
    assert code == 2, out
    error = json.loads(out[out.index("{") :])["error"]
    assert error["kind"] == "ConfigError" and error["exit_code"] == 2
    assert error["message"].startswith("The search text reads in 272 ways")
    assert "at most 64" in error["message"]
    code, out = run_search(db, many, lang="es")
    assert code == 2 and "se lee de 272 maneras" in out
    code, out = run_search(db, "maria guadalupe", "--json")
    assert code == 0 and json.loads(out)[0]["matched"] == "María Guadalupe Pérez"
