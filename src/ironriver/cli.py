"""The `ironriver` command: one click group; each command opens the store, calls one library
function and renders the result (a table for people, `--json` for programs)."""

from __future__ import annotations

import sys

import click

from ironriver.errors import IronriverError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ironriver")
def cli() -> None:
    """ironriver: link, trace, target, degrade, weigh.

    Example: ironriver demo
    """


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except IronriverError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
