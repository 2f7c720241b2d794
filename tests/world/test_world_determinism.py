"""Same seed, same bytes; another seed, another world."""

from __future__ import annotations

from pathlib import Path

from ironriver.world import WorldConfig, generate_world


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = generate_world(WorldConfig(scale=0.002, years=1, seed=11, out=tmp_path / "a"))
    b = generate_world(WorldConfig(scale=0.002, years=1, seed=11, out=tmp_path / "b"))
    fa, fb = _files(a.root), _files(b.root)
    assert sorted(fa) == sorted(fb)
    assert len(fa) > 20
    different = [name for name in fa if fa[name] != fb[name]]
    assert different == []


def test_other_seed_other_world(tmp_path: Path) -> None:
    a = generate_world(WorldConfig(scale=0.002, years=1, seed=11, out=tmp_path / "a"))
    c = generate_world(WorldConfig(scale=0.002, years=1, seed=12, out=tmp_path / "c"))
    name = "agencies/atf/dealer_sales.csv"
    assert (a.root / name).read_bytes() != (c.root / name).read_bytes()
