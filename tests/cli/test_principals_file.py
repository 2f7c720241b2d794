"""The language of the principal `--as` names, read before the policy is loaded
(`ironriver.principals_file`), is the policy's: a document `plain_langs` reads is one the
policy's `parse_principals` accepts, with the same languages; any other is left to the policy
(`cli_support.principal_langs`), which answers as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.cli import cli
from ironriver.cli_support import principal_lang, principal_lang_given, principal_langs
from ironriver.errors import ConfigError
from ironriver.policy import DEFAULT_PRINCIPALS_YAML, parse_principals
from ironriver.policy.markings import AGENCY_CHARS, PRINCIPAL_NAME_CHARS
from ironriver.principals_file import PLAIN_NAME_CHARS, plain_langs
from ironriver.settings import Settings

_ABSENT = object()  # a key left out

# each field's values: plain ones (some at the edge of plain), and others, which the policy
# accepts though they are not plain, or refuses
FIELDS: dict[str, tuple[list[Any], list[Any]]] = {
    "name": (
        ["us-a", "mx-b", "auditor", "loader", "us a", "x" * 100, "mx-fgr-analista", "Ana"],
        ["", "x" * 129, True, None, 5],
    ),
    "agency": (
        ["ATF", "fgr", "OIG", "GN", "A" * 32],
        ["US", "mx", " ATF", "Guardia Nacional", "", None, False, "A" * 65],
    ),
    "country": (["US", "MX", "us", "mx", "Us"], ["Mexico", "ZZ", " US", "DE", "", None, False]),
    "roles": (
        [_ABSENT, "analyst", " admin ", ["analyst"], ["auditor", "export"], []],
        [["analyst", "bogus"], "bogus", [1], 5],
    ),
    "lang": ([_ABSENT, None, "", "es", "en", "ES"], ["spanish", "fr", True, 1]),
    "description": ([_ABSENT, "a description"], [5]),
    "role": ([_ABSENT], ["analyst"]),  # `role:` for `roles:`, a key the policy refuses
}


@st.composite
def plain_item(draw: st.DrawFn) -> dict[str, Any]:
    """A principal's mapping, every field plain."""
    item = {key: draw(st.sampled_from(plain)) for key, (plain, _other) in FIELDS.items()}
    return {k: v for k, v in item.items() if v is not _ABSENT}


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """A principals document: plain principals, one of whose fields, half the time, is
    another value or left out (the edge where the plain reading must leave it to the policy),
    or a document of another shape."""
    if not draw(st.integers(0, 20)):
        return draw(st.sampled_from([None, [], {"principals": None}, {"principal": []}, "x"]))
    items: list[Any] = draw(st.lists(plain_item(), min_size=1, max_size=3))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(items) - 1))
        key = draw(st.sampled_from(sorted(FIELDS)))
        value = draw(st.sampled_from([*FIELDS[key][1], _ABSENT, "not a mapping"]))
        if value == "not a mapping":
            items[i] = draw(st.sampled_from(["us-a", None, ["x"]]))
        elif value is _ABSENT:
            items[i].pop(key, None)
        else:
            items[i][key] = value
    return {"principals": items}


def _policy_langs(data: Any) -> dict[str, str] | None:
    """Each principal's language as the policy reads `data`; None when it refuses it."""
    try:
        return {name: principal_lang(p) for name, p in parse_principals(data).items()}
    except ConfigError:
        return None


@settings(max_examples=400, deadline=None)
@given(documents())
def test_a_plainly_written_document_reads_as_the_policy_reads_it(data: Any) -> None:
    plain = plain_langs(data)
    if plain is not None:
        assert _policy_langs(data) == plain


def test_plain_documents_are_the_usual_ones() -> None:
    """The built-in principals, the starter file `init` writes, and a file as docs/policy.md
    shows it are plain (read without the policy); the limits stay within the policy's."""
    built_in = yaml.safe_load(DEFAULT_PRINCIPALS_YAML)
    assert plain_langs(built_in) == _policy_langs(built_in)
    assert plain_langs(built_in)["mx-fgr-analista"] == "es"  # type: ignore[index]
    usual = {
        "principals": [
            {"name": "us-analyst", "agency": "ATF", "country": "US", "roles": ["analyst"]},
            {"name": "mx-analista", "agency": "FGR", "country": "MX", "roles": "analyst"},
            {"name": "mx-en", "agency": "SEDENA", "country": "MX", "lang": "en"},
        ]
    }
    assert plain_langs(usual) == {"us-analyst": "en", "mx-analista": "es", "mx-en": "en"}
    assert PLAIN_NAME_CHARS <= PRINCIPAL_NAME_CHARS and 32 <= AGENCY_CHARS


def _given(args: list[str]) -> str | None:
    return principal_lang_given(click.Context(cli), args)


def test_a_file_not_plainly_written_is_read_by_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agency written with a space, or a country the plain reading does not know, is left
    to the policy: its answer (a language, or none for a file it refuses) as before."""
    monkeypatch.delenv("IRONRIVER_AS", raising=False)
    monkeypatch.delenv("IRONRIVER_PRINCIPALS", raising=False)
    path = tmp_path / "p.yaml"
    path.write_text(
        "principals:\n"
        "  - {name: mx-gn, agency: Guardia Nacional, country: MX}\n"
        "  - {name: de-bka, agency: BKA, country: DE, lang: es}\n",
        encoding="utf-8",
    )
    settings = Settings.from_env(principals_file=str(path))
    assert plain_langs(yaml.safe_load(path.read_text(encoding="utf-8"))) is None
    assert principal_langs(settings) == {"mx-gn": "es", "de-bka": "es"}
    assert _given(["search", "--principals", str(path), "--as", "mx-gn", "--help"]) == "es"
    path.write_text(  # refused by the policy (an unknown country): no language
        "principals:\n  - {name: mx-gn, agency: GN, country: Mexico}\n", encoding="utf-8"
    )
    assert _given(["search", "--principals", str(path), "--as", "mx-gn", "--help"]) is None
    path.write_text(  # plain, but refused (a principal declared twice): no language
        "principals:\n  - {name: a, agency: GN, country: MX}\n  - {name: a, agency: GN, "
        "country: MX}\n",
        encoding="utf-8",
    )
    assert _given(["search", "--principals", str(path), "--as", "a", "--help"]) is None
    missing = str(tmp_path / "none.yaml")
    assert _given(["search", "--principals", missing, "--as", "a", "--help"]) is None


def test_the_repositorys_principals_file_is_inits_starter() -> None:
    """`principals.yaml` at the repository's root (read by every command run there, the
    README's tour too: `init` leaves a file that exists) is the file `ironriver init` writes; it kept an older comment
    saying "agencias", which the glossary replaced by "dependencias" (docs/i18n.md)."""
    root = Path(__file__).parents[2] / "principals.yaml"
    assert root.read_text(encoding="utf-8") == DEFAULT_PRINCIPALS_YAML
