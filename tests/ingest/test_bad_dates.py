"""--skip-invalid does not load a date column read in the wrong layout: when its format
rejects a large share of its values (day and month swapped rejects every day past the
12th), the ingest is refused all the same, unless --allow-bad-dates says to go on."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.ingest.report import BAD_DATES_MIN, BAD_DATES_SHARE

# FGR's dd/mm/yyyy dates (every day of January) mapped month-first: days 13-31 (19 of 31,
# 61%) are rejected, and days 1-12 read as the 1st of months 1-12, misread
MAPPING = """mx_fgr_t:
  agency: FGR
  country: MX
  marking: AMBER
  releasable_to: [MX]
  queries:
  - csv_url: d.csv
    entities:
      e:
        schema: Event
        keys: [folio]
        properties:
          name: {column: folio}
          date: {column: fecha, format: "%m/%d/%Y"}
"""


def _write(folder: Path, dates: list[str]) -> Path:
    rows = "".join(f"F{i},{d}\n" for i, d in enumerate(dates))
    (folder / "d.csv").write_text(f"folio,fecha\n{rows}", encoding="utf-8")
    mapping = folder / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _events(db: Path) -> list[str]:
    _code, out, _ = run("audit", "log", "--db", str(db), "--as", "mx-auditor", "--json")
    return [e["action"] for e in json.loads(out) if e["action"] == "ingest"]


def test_skip_invalid_refuses_a_date_column_in_the_wrong_layout(tmp_path: Path) -> None:
    assert BAD_DATES_SHARE == 0.2 and BAD_DATES_MIN == 5  # (as docs/mapping.md says)
    mapping = _write(tmp_path, [f"{day:02d}/01/2024" for day in range(1, 32)])
    db = tmp_path / "s.db"
    ingest = ("--lang", "en", "ingest", str(mapping), "--db", str(db), "--as", "mx-fgr-analista")
    code, out, err = run(*ingest, "--skip-invalid")
    assert code == 1
    assert (
        "A date column's format rejects a large share of its values, so its layout is likely "
        "wrong (e.g. day and month swapped), and --skip-invalid would keep the dates it happens "
        "to read, misread: fecha of d.csv under %m/%d/%Y: 19 of 31 (61%). Nothing was ingested."
    ) in " ".join(err.split())
    assert "`ironriver mapping draft FILE`" in err and "--allow-bad-dates" in err
    assert "read as %d/%m/%Y (e.g. '13/01/2024'), not %m/%d/%Y" in err  # the layout it is
    assert (tmp_path / "m.yaml.errors.csv").read_text().count("\n") == 20  # header + 19
    assert not db.exists()  # nothing ingested: the new store it made is removed again
    code, out, err = run(*ingest[2:], "--skip-invalid")  # a Mexican principal: Spanish
    assert code == 1 and "fecha of d.csv" not in err
    assert "No se cargó nada" in err and "fecha de d.csv con %m/%d/%Y: 19 de 31 (61%)" in err
    code, out, err = run(*ingest, "--skip-invalid", "--dry-run")  # a check says so too
    assert code == 1 and "likely wrong" in err
    # told so, it skips them: 12 records are kept
    code, out, err = run(*ingest, "--skip-invalid", "--allow-bad-dates", "--json")
    assert code == 0, err
    [result] = json.loads(out)
    assert (result["rejected"], result["records"]) == (19, 31)
    assert _events(db) == ["ingest"]
    code, out, err = run(*ingest, "--allow-bad-dates")
    assert code == 2 and "--allow-bad-dates goes with --skip-invalid" in err


def test_skip_invalid_still_skips_a_few_bad_dates(tmp_path: Path) -> None:
    """Below the thresholds (a fifth of the values, and five values), rejected dates are
    typos: --skip-invalid skips them as before."""
    dates = [f"01/{day:02d}/2024" for day in range(1, 21)]
    typos = dates[:16] + ["13/45/2024"] * 4  # 4 of 20: a fifth, but under five values
    db = tmp_path / "s.db"
    ingest = ("--lang", "en", "ingest", "--db", str(db), "--as", "mx-fgr-analista", "--json")
    code, out, err = run(*ingest, str(_write(tmp_path, typos)), "--skip-invalid")
    assert code == 0, err
    assert json.loads(out)[0]["rejected"] == 4
    many = dates + ["13/45/2024"] * 5  # 5 of 25: a fifth, and five values
    code, out, err = run(*ingest, str(_write(tmp_path, many)), "--skip-invalid")
    assert code == 1 and "5 of 25 (20%)" in " ".join(err.split())
    fewer = dates * 2 + ["13/45/2024"] * 5  # 5 of 45: 11%
    code, out, err = run(*ingest, str(_write(tmp_path, fewer)), "--skip-invalid")
    assert code == 0, err
