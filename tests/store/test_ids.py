"""Search keys are computed twice (Arrow for bulk writes, Python for queries): they must agree,
or a stored name could never be found again."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import unicodedata
from functools import cache
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pytest
from followthemoney.statement import Statement
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ironriver.store.ids import (
    WHITESPACE,
    identifier_key,
    identifier_keys_arrow,
    name_key,
    search_key,
    search_keys_arrow,
    statement_id,
)

TYPES = ["name", "identifier", "phone", "date", "string", "entity"]
TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ019 -./?ÁéíÑñüÜ'\t\n\x1f\x85\u00a0\u2003\u3000\u200bİßΣẞıŁłÆøŒﬁ１ｆ²")
    ),
    min_size=0,
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(TYPES), TEXT), min_size=1, max_size=20))
def test_arrow_and_python_search_keys_agree(rows: list[tuple[str, str]]) -> None:
    arrow = search_keys_arrow(pa.array([t for t, _ in rows]), pa.array([v for _, v in rows]))
    assert arrow.to_pylist() == [search_key(t, v) for t, v in rows]


def test_examples() -> None:
    assert search_key("name", "  José  PÉREZ ") == "jose perez"
    assert search_key("identifier", "ab-1?2") == "AB1?2"
    assert search_key("date", "2024-01-01") is None
    # the spelled-out white space is Python's own (queries, bulk writes and templates agree)
    assert WHITESPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    # Our statement ids are FtM's own statement keys.
    assert statement_id("mx_fgr", "e1", "name", "Juan") == Statement.make_key(
        "mx_fgr", "e1", "name", "Juan", external=False
    )


@settings(max_examples=40, deadline=None)
@given(names=st.lists(TEXT.filter(lambda t: name_key(t) != ""), min_size=1, max_size=4))
@example(names=["Jo\U0001123fsé Pérez", "0\u209d x"])  # newer than Python's Unicode
def test_every_word_of_a_stored_name_finds_it(names: list[str]) -> None:
    """Round trip through a real store: a name written by the bulk (Arrow) path is found by
    searching any of its words, or a prefix of one, as the query side (Python) folds it."""
    import tempfile
    from pathlib import Path

    from ironriver.policy import Marking, Principal, View
    from ironriver.store import DatasetInfo, open_store
    from ironriver.store.ids import name_words

    info = DatasetInfo("ds_atf", "ATF", "US", Marking.AMBER, frozenset({"US"}))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 's.db'}", ledger_dir=Path(tmp) / "l")
        ids = [f"p{i}" for i in range(len(names))]
        table = pa.table(
            {
                "id": [
                    statement_id(info.name, e, "name", n) for e, n in zip(ids, names, strict=True)
                ],
                "entity_id": ids,
                "schema": ["Individual"] * len(ids),
                "prop": ["name"] * len(ids),
                "value": names,
            }
        )
        with store.writer() as w:
            w.ensure_dataset(info)
            w.add_statements(table, info.name, info.label)
        view = View(store, Principal("a", "ATF", "US"), audit=False)
        for entity, name in zip(ids, names, strict=True):
            for word in name_words(name_key(name)):
                for query in (word, word[: max(1, len(word) // 2)]):
                    found = {h.entity_id for h in view.search(query, limit=100)}
                    assert entity in found, (name, query)
        store.close()


@settings(max_examples=300, deadline=None)
@given(names=st.lists(TEXT, min_size=1, max_size=20))
def test_arrow_and_python_name_words_agree(names: list[str]) -> None:
    """The words a bulk write keys a name by (Arrow) are the ones a search splits it into
    (Python): spaces, then hyphens, apostrophes and other non-letters, each as often as the
    name holds it, a repeat marked (`lookup_words`)."""
    from ironriver.store.ids import _repeats_marked, _words_arrow, lookup_words

    keys = [name_key(n) for n in names]
    parents, words = _repeats_marked(*_words_arrow(pa.array(keys, pa.string())))
    found: list[list[str]] = [[] for _ in keys]
    for parent, word in zip(parents.to_pylist(), words.to_pylist(), strict=True):
        found[parent].append(word)
    assert [sorted(f) for f in found] == [lookup_words(k) for k in keys]


def test_compound_names_are_split_into_words() -> None:
    from ironriver.store.ids import name_words, query_words

    assert name_words(name_key("José Pérez-López")) == ["jose", "lopez", "perez", "perezlopez"]
    # letters and forms a reader types in Latin: ligatures, full width, ß, Ł, Æ, dotless ı
    for stored, typed in [
        ("Straße", "strasse"),
        ("Işık", "isik"),
        ("Œuvre ﬁnance", "oeuvre finance"),
        ("１２３ ｆｕｌｌ", "123 full"),
        ("ŁÓDŹ", "lodz"),
        ("Ærø", "aero"),
    ]:
        assert name_key(stored) == typed, stored
        assert search_keys_arrow(pa.array(["name"]), pa.array([stored])).to_pylist() == [typed]
    assert search_key("identifier", "ＡＢＣ－１２３") == "ABC123"
    assert name_words(name_key("Zoë O’Brien")) == ["brien", "o", "obrien", "zoe"]
    assert query_words("o'brien") == ["brien", "o"] and query_words("OBRIEN") == ["obrien"]


def test_a_repeated_word_is_keyed_each_time() -> None:
    """A name's lookup keys hold a word each time it comes, the k-th with k - 1 marks that
    sort before any letter (so in the word's prefix ranges); a word between breaks alone
    ("garcia.") is one word, not two; a query keeps a word typed twice."""
    from ironriver.store.ids import REPEAT_MARK, lookup_words, name_words, query_words

    assert name_words("garcia garcia lopez") == ["garcia", "garcia", "lopez"]
    assert lookup_words("garcia garcia. lopez garcia") == [
        "garcia",
        "garcia" + REPEAT_MARK,
        "garcia" + REPEAT_MARK * 2,
        "lopez",
    ]
    assert lookup_words("ana-ana") == ["ana", "ana" + REPEAT_MARK, "anaana"]
    assert "garcia" < "garcia" + REPEAT_MARK < "garciaa" < "garcib"
    assert query_words("García GARCIA juan") == ["garcia", "garcia", "juan"]


@cache
def _revision_0011() -> ModuleType:
    """Migration 0011's module, loaded from its file as Alembic loads it."""
    from ironriver.store import ids

    path = Path(ids.__file__).parent / "migrations/versions/0011_repeated_name_words.py"
    spec = importlib.util.spec_from_file_location("revision_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@settings(max_examples=2000, deadline=None)
@given(
    value=st.one_of(
        TEXT,
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
        st.sampled_from(["⑴⑴", "㈠㈠", "1⑴", "⒈⒈", "garcia garcia", "Ⅻ"]),
    )
)
def test_migration_0011_adds_the_repeats_a_write_keys(value: str) -> None:
    """Revision 0011 adds the rows a write keys for a name's repeated words (a frozen copy
    of the keys at that revision: they agree), also when NFKC breaks a one-word value into
    words ("⑴⑴" is "(1)(1)")."""
    from ironriver.store.ids import REPEAT_MARK, lookup_words

    fresh = [k for k in lookup_words(name_key(value)) if REPEAT_MARK in k]
    assert sorted(_revision_0011()._added(value)) == sorted(fresh)


# Code points Python's Unicode (14 on 3.11) leaves unassigned and Arrow's newer one knows: a
# compatibility "w" (NFKC), a capital whose lower case is "ƛ", a new Cyrillic case pair, a
# Khojki letter (a letter to RE2, a word break to Python).
NEWER = ["\u209d", "\ua7dc", "\u1c89", "\U0001123f"]
ANY_TEXT = st.text(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from([*NEWER, "é", "Ñ", "ß", "ﬁ"])),
    max_size=12,
)


def test_a_character_newer_than_python_s_unicode_is_keyed_as_python_keys_it() -> None:
    """Python's key is the reference (every query computes it): Arrow, whose Unicode maps
    U+209D to "w", must not key "0\u209d" as "0W" when a lookup of it asks for "0"."""
    values = ["0\u209d", "José \ua7dc", "\u1c89ван", "Pérez", None]
    assert identifier_keys_arrow(pa.array(values)).to_pylist() == [
        "0",
        "JOSE",
        "",
        "PEREZ",
        None,
    ]
    names = search_keys_arrow(pa.array(["name"] * len(values)), pa.array(values))
    assert names.to_pylist() == ["0\u209d", "jose \ua7dc", "\u1c89ван", "perez", None]
    assert names.to_pylist()[:-1] == [name_key(v) for v in values[:-1] if v is not None]


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(TYPES), ANY_TEXT), min_size=1, max_size=20))
@example(rows=[("identifier", "0\u209d")])
@example(rows=[("name", "a\ua7dcb"), ("identifier", "x"), ("name", "\u1c89")])
def test_arrow_and_python_keys_agree_on_any_text(rows: list[tuple[str, str]]) -> None:
    """Of any text (unassigned and newer code points too), names and identifiers alike."""
    arrow = search_keys_arrow(pa.array([t for t, _ in rows]), pa.array([v for _, v in rows]))
    assert arrow.to_pylist() == [search_key(t, v) for t, v in rows]
    values = pa.array([v for _, v in rows])
    assert identifier_keys_arrow(values).to_pylist() == [identifier_key(v) for _, v in rows]


def test_a_name_holding_a_newer_letter_is_split_into_words_as_python_splits_it() -> None:
    """RE2 reads U+1123F (Khojki, Unicode 15) as a letter, Python's `\\W` as a break: the
    lookup rows of "a\\U0001123fb" are a, b and ab, the words a search looks for."""
    from ironriver.store.ids import _repeats_marked, _words_arrow, lookup_words

    keys = ["x y", "a\U0001123fb c-d", "a\U0001123fb a\U0001123fb", "z"]
    parents, words = _repeats_marked(*_words_arrow(pa.array(keys)))
    found: list[list[str]] = [[] for _ in keys]
    for parent, word in zip(parents.to_pylist(), words.to_pylist(), strict=True):
        found[parent].append(word)
    assert [sorted(f) for f in found] == [lookup_words(k) for k in keys]
    assert sorted(found[1]) == ["a", "ab", "b", "c", "cd", "d"]


@settings(max_examples=300, deadline=None)
@given(names=st.lists(ANY_TEXT, min_size=1, max_size=20))
@example(names=["a\U0001123fb", "x"])
def test_arrow_and_python_name_words_agree_on_any_text(names: list[str]) -> None:
    """The words a bulk write keys a name by are a search's, of any text."""
    from ironriver.store.ids import _repeats_marked, _words_arrow, lookup_words

    keys = search_keys_arrow(pa.array(["name"] * len(names)), pa.array(names))
    assert keys.to_pylist() == [name_key(n) for n in names]
    parents, words = _repeats_marked(*_words_arrow(keys))
    found: list[list[str]] = [[] for _ in names]
    for parent, word in zip(parents.to_pylist(), words.to_pylist(), strict=True):
        found[parent].append(word)
    assert [sorted(f) for f in found] == [lookup_words(k) for k in keys.to_pylist()]


@pytest.mark.slow
def test_arrow_keys_every_assigned_code_point_as_python_does() -> None:
    """Arrow's case mapping, marks and normal forms agree with Python's on every code point
    Python assigns (utf8proc upper-cases some letters otherwise, "ƛ" to U+A7DC: only ASCII is
    upper-cased in a key); the unassigned ones are keyed in Python. Fails when a new pyarrow
    or Python changes what either knows."""
    texts = [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) != "Cn"
    ]
    for kind, key in (("name", name_key), ("identifier", identifier_key)):
        arrow = search_keys_arrow(pa.array([kind] * len(texts)), pa.array(texts)).to_pylist()
        wrong = [t for t, k in zip(texts, arrow, strict=True) if k != key(t)]
        assert wrong == [], (kind, wrong[:10])


def test_the_unassigned_code_points_are_not_read_at_import() -> None:
    """Building the class of unassigned code points scans all of Unicode: an import (the
    CLI's start-up) does not pay it, only a key of text outside ASCII does."""
    code = (
        "import ironriver.cli, ironriver.store.ids as ids, pyarrow as pa;"
        "assert ids._unassigned_pattern.cache_info().currsize == 0;"
        "ids.identifier_keys_arrow(pa.array(['abc']));"
        "assert ids._unassigned_pattern.cache_info().currsize == 0;"
        "ids.identifier_keys_arrow(pa.array(['ábc']));"
        "assert ids._unassigned_pattern.cache_info().currsize == 1"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_unassigned_class_holds_every_code_point_python_leaves_unassigned() -> None:
    """`_unassigned_pattern` takes planes 4-13 whole and scans the rest: it must still hold
    exactly the code points Python's `unicodedata` has unassigned (for this Python; a later
    one assigning code points there would show here)."""
    import re
    import sys
    import unicodedata

    from ironriver.store import ids

    pattern = ids._unassigned_pattern()
    ranges = [
        (int(a, 16), int(b, 16))
        for a, b in re.findall(r"\\x\{([0-9a-f]+)\}-\\x\{([0-9a-f]+)\}", pattern)
    ]
    held = set()
    for a, b in ranges:
        held.update(range(a, b + 1))
    unassigned = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cn"}
    assert held == unassigned
