"""`python -m bench world` prints a ratio against a named peer (README "Benchmarks")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_world_measures_a_named_peer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench import world  # type: ignore[import-not-found]

    monkeypatch.setattr(world, "WORK", tmp_path)
    monkeypatch.setenv("BENCH_WORLD_SCALE", "0.002")
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "src"))
    world.main()
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("peer pandas.DataFrame.to_csv of the same") for line in lines)
    assert re.fullmatch(
        r"world: scale=0\.002 seconds=[\d.]+ peak_mb=\d+ writing_s=[\d.]+ "
        r"speedup_vs_pandas_to_csv=[\d.]+",
        lines[-1],
    )
    assert not any(p.name.startswith("peer_") for p in tmp_path.iterdir())
