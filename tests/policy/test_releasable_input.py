"""What a user writes as releasability is refused when it would silently share with nobody:
a list entry "MX, US" was one agency called "MX, US", "Mexico" an agency called "MEXICO"."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironriver.errors import ConfigError, IngestError
from ironriver.ingest import load_mapping
from ironriver.policy.markings import parse_releasable_input


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
