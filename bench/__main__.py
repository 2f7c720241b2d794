"""`python -m bench NAME`: run `bench/NAME.py`'s `main()` (from the repository root)."""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench NAME   (runs bench/NAME.py main())", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{argv[0]}")
    module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
