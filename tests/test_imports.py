"""Every package imports on its own, first, in a fresh interpreter: a user's script may start
with any of them (`from ironriver.store import open_store` once failed on an import cycle
that the test suite, importing `ironriver.policy` first, never met)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PACKAGES = [
    "ironriver.store",
    "ironriver.policy",
    "ironriver.ingest",
    "ironriver.model",
    "ironriver.world",
    "ironriver.strategy",
    "ironriver.cli",
    "ironriver.demo",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_first(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {package}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
