"""The `world` click group: generate then report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli_world import world


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
    assert any(r["figure"] == "mix.pistol_share" for r in rows)


def test_bad_scale_is_a_clean_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(world, ["generate", "--scale", "0", "--out", str(tmp_path / "x")])
    assert res.exit_code != 0


def test_generate_replaces_a_world_but_never_other_folders(tmp_path: Path) -> None:
    """`--out` pointed at a folder with its own `truth/` (not a world's) deleted it."""
    from ironriver.cli import cli

    folder = tmp_path / "mine"
    (folder / "truth").mkdir(parents=True)
    (folder / "truth" / "notes.txt").write_text("keep", encoding="utf-8")
    args = ["world", "generate", "--scale", "0.001", "--seed", "2", "--out", str(folder)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code != 0 and "no ironriver world wrote" in res.output
    assert (folder / "truth" / "notes.txt").read_text(encoding="utf-8") == "keep"
    world_dir = tmp_path / "w"
    args[-1] = str(world_dir)
    for _ in range(2):  # a world written before is replaced
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, res.output
    assert (world_dir / "truth" / "chains.parquet").exists()


def test_a_run_that_fails_half_way_leaves_the_old_world_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The world is written aside and swapped in at the end: an interrupt (here raised by
    the CBP writer, after ATF's records are written) replaces nothing and leaves no
    scratch."""
    from ironriver.world.config import WorldConfig
    from ironriver.world.generate import generate_world
    from ironriver.world.sensors import cbp

    out = tmp_path / "w"
    generate_world(WorldConfig(scale=0.001, seed=2, out=out))
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert any(p.parts[0] == "agencies" for p in before)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cbp, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generate_world(WorldConfig(scale=0.001, seed=3, out=out))
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.iterdir()] and not list(out.glob(".ironriver-stage-*"))
    monkeypatch.undo()
    generate_world(WorldConfig(scale=0.001, seed=3, out=out))  # and a whole run replaces it
    assert json.loads((out / "world.json").read_text(encoding="utf-8"))["seed"] == 3
    assert not list(out.glob(".ironriver-stage-*"))


@pytest.mark.parametrize(
    ("scale", "seed", "says"),
    [
        ("0.00001", "0", "No organisation is large enough at this scale."),
        ("0.0005", "4", "no organisation has an arms-procurement cell"),
    ],
)
def test_a_scale_too_small_is_a_usage_error(
    tmp_path: Path, scale: str, seed: str, says: str
) -> None:
    """Exit 2, as for a scale out of range: the option's value is wrong."""
    from ironriver.cli import cli

    args = ["--lang", "en", "world", "generate", "--scale", scale, "--seed", seed]
    res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "w")])
    assert res.exit_code == 2, res.output
    assert says in res.output and "What to do: Use scale >= 0.001." in res.output


def test_a_succession_without_a_decapitation_is_refused(tmp_path: Path) -> None:
    """`--succession split` alone was silently ignored (a world with no decapitation)."""
    from ironriver.cli import cli

    out = tmp_path / "x"
    args = ["world", "generate", "--scale", "0.01", "--succession", "split", "--out", str(out)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert "--succession split needs --decapitation" in res.output
    assert "--decapitation 26" in res.output and not out.exists()
