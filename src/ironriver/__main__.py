"""The `ironriver` command's entry point (also `python -m ironriver`).

It imports the command line itself so that Ctrl-C while the libraries load ends quietly
with the shell's code for an interrupt (130) instead of an import traceback: nothing has run
yet. Once running, `ironriver.cli.main` reports an interrupt in the reader's language.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from ironriver.cli import main as run
    except KeyboardInterrupt:
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
