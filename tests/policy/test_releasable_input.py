"""What a user writes as releasability is refused when it would silently share with nobody:
a list entry "MX, US" was one agency called "MX, US", "Mexico" an agency called "MEXICO"."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironriver.errors import ConfigError, IngestError
from ironriver.ingest import load_mapping
from ironriver.policy.markings import Marking, check_releasable, parse_releasable_input


@pytest.mark.parametrize(
    ("written", "tokens"),
    [
        (["mx, us"], {"MX", "US"}),
        ("MX;US|fgr", {"MX", "US", "FGR"}),
        (["ATF", "SEDENA", "GN", "user:ana"], {"ATF", "SEDENA", "GN", "user:ana"}),
        (None, set()),
    ],
)
def test_entries_are_split_and_kept(written: list[str] | str | None, tokens: set[str]) -> None:
    assert parse_releasable_input(written) == tokens


@pytest.mark.parametrize(
    ("written", "english", "hint"),
    [
        (["Mexico"], "'Mexico' is a country's name", "Use its code: MX."),
        (["Estados Unidos"], "'Estados Unidos' is a country's name", "Use its code: US."),
        (["MX US"], "'MX US' holds a space", "separated by commas"),
        (["user: "], "'user:' names no user", "user:NAME"),
    ],
)
def test_entries_sharing_with_nobody_are_refused(
    written: list[str], english: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_releasable_input(written)
    assert english in err.value.message and hint in str(err.value.hint)
    assert "Entrada de divulgación" in err.value.render("es")


def test_a_mapping_says_where(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,name\n1,Ana\n", encoding="utf-8")
    path = tmp_path / "m.yml"
    path.write_text(
        "ds:\n  agency: ATF\n  country: US\n  marking: AMBER\n  releasable_to: [Mexico]\n"
        "  queries:\n    - csv_url: a.csv\n      entities:\n        p:\n          schema: Person\n"
        "          keys: [id]\n          properties: {name: {column: name}}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as err:
        load_mapping(path)
    assert "m.yml, dataset 'ds': Releasability entry 'Mexico'" in err.value.message


@pytest.mark.parametrize(
    ("marking", "written", "ignored"),
    [
        (Marking.RED, "user:ana,MX", "MX would be ignored"),
        (Marking.AMBER, "MX,user:ana", "user:ana would be ignored"),
        (Marking.AMBER_STRICT, "FGR,user:ana", "user:ana would be ignored"),
        (Marking.CLEAR, "ATF", "ATF would be ignored"),  # (everyone's: not ATF's only)
    ],
)
def test_entries_the_marking_ignores_are_refused(
    marking: Marking, written: str, ignored: str
) -> None:
    """`can_see` reads RED's user: entries only, AMBER's countries and agencies only: an entry
    of the other kind shared with nobody without a word."""
    tokens = parse_releasable_input(written)
    with pytest.raises(ConfigError, match=ignored):
        check_releasable(marking, tokens)
    check_releasable(Marking.GREEN, tokens)  # GREEN reads every kind of entry
    check_releasable(marking, frozenset(t for t in tokens if ignored.split()[0] != t))


def test_an_ingest_of_entities_checks_it_too(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ironriver.cli import cli

    path = tmp_path / "e.jsonl"
    path.write_text('{"id": "p1", "schema": "Person", "properties": {"name": ["A"]}}\n')
    args = ["ingest", "--entities", str(path), "--dataset", "mx_x", "--agency", "FGR"]
    args += ["--country", "MX", "--marking", "RED", "--releasable-to", "US", "--dry-run"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code != 0 and "Marking RED is read only by the users named" in out.output


@pytest.mark.parametrize("entry", [False, None, 840])
def test_an_entry_yaml_did_not_read_as_text_is_refused(entry: object) -> None:
    # `[NO, US]`: Norway was the agency FALSE; `~` the agency NONE; 840 a traceback
    with pytest.raises(ConfigError, match=r"A releasability entry is .*, not text"):
        parse_releasable_input([entry, "US"])  # type: ignore[list-item]


def test_a_subdivision_code_is_a_code_not_a_name() -> None:
    assert parse_releasable_input(["GB-SCT"]) == {"GB-SCT"}
