"""The `world` click group: generate then report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ironriver.world.cli import world


def test_generate_and_report(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "w"
    res = runner.invoke(world, ["generate", "--scale", "0.002", "--seed", "4", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "truth" / "chains.parquet").exists()
    res = runner.invoke(world, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert "traces.us_sourced_share" in res.output
    res = runner.invoke(world, ["report", str(out), "--json"])
    rows = json.loads(res.output)
    assert any(r["key"] == "mix.pistol_share" for r in rows)


def test_bad_scale_is_a_clean_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(world, ["generate", "--scale", "0", "--out", str(tmp_path / "x")])
    assert res.exit_code != 0
