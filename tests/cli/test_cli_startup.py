"""`ironriver --version`, `--help` and the help of the commands that are not capability
groups import no heavy library (docs/performance.md, "CLI start-up (H47)"), and every
command's and group's `--help` reads as it did before the imports moved (en and es).

The golden help (`help_golden.json`) was written from the code before H47 moved the imports
(commit a65dbfe); a change to a help text is made there too. To write it again from the
current code:

    PYTHONPATH=src python tests/cli/test_cli_startup.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ironriver.cli import cli

HEAVY = ["followthemoney", "sqlalchemy", "pyarrow", "duckdb", "psycopg", "alembic", "numpy"]
GOLDEN = Path(__file__).with_name("help_golden.json")
LANGS = ("en", "es")

# capability groups whose modules (and their packages' `__init__`) still load their analytics
# on import: their `--help` is not light yet (docs/performance.md says so)
STILL_HEAVY = {"demo", "ingest", "mapping", "strategy", "world"}


def command_paths(group: click.Group, path: list[str]) -> list[list[str]]:
    """`path` and every command and group under `group`, as the words that name them.
    Each command's help option is made again by the next context that asks: click keeps
    it on the command, named as the first context asking said, and a test that invoked a
    subcommand directly (`tests/ingest/test_replace.py`, `tests/world/test_world_cli.py`)
    made it `--help` alone in this process, where the top-level group says `-h, --help`."""
    ctx = click.Context(group)
    group._help_option = None
    out = [path]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None:
            command._help_option = None
        if isinstance(command, click.Group):
            out += command_paths(command, [*path, name])
        else:
            out.append([*path, name])
    return out


def help_texts() -> dict[str, str]:
    """Every command's and group's `--help`, in each language, by "LANG ironriver PATH"."""
    runner = CliRunner()
    out = {}
    for path in command_paths(cli, []):
        for lang in LANGS:
            done = runner.invoke(cli, ["--lang", lang, *path, "--help"], terminal_width=80)
            assert done.exit_code == 0, (path, done.output)
            out[" ".join([lang, "ironriver", *path])] = done.output
    return out


def test_every_help_reads_as_before() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = help_texts()
    assert sorted(now) == sorted(golden)  # no command lost or added unawares
    changed = [key for key in golden if now[key] != golden[key]]
    assert changed == [], changed[:3]


_CHECK = """
import json, sys
from ironriver.cli import main
heavy = {heavy!r}
for args in json.loads(sys.argv[1]):
    sys.argv = ["ironriver", *args]
    try:
        main()
    except SystemExit as exc:
        if exc.code:
            print(json.dumps({{"args": args, "exit": exc.code}}), file=sys.stderr)
            sys.exit(3)
    loaded = [m for m in heavy if m in sys.modules]
    if loaded:
        print(json.dumps({{"args": args, "loaded": loaded}}), file=sys.stderr)
        sys.exit(4)
"""


def _light_paths() -> list[list[str]]:
    return [p for p in command_paths(cli, []) if not (p and p[0] in STILL_HEAVY)]


@pytest.mark.parametrize("lang", LANGS)
def test_version_and_help_import_no_heavy_library(lang: str) -> None:
    """One process runs `--version`, `--help` and every light command's and group's
    `--help` (`search`, `audit`, `audit log`, `ledger`, `eval world`...) in turn, and stops
    at the first that loaded one of `HEAVY`."""
    runs = [["--version"], ["--help"]]
    runs += [["--lang", lang, *path, "--help"] for path in _light_paths()]
    assert ["--lang", lang, "search", "--help"] in runs and len(runs) > 20
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    done = subprocess.run(
        [sys.executable, "-c", _CHECK.format(heavy=HEAVY), json.dumps(runs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ironriver, version" in done.stdout and "Usage: ironriver" in done.stdout


def test_a_real_command_still_loads_what_it_needs(tmp_path: Path) -> None:
    """The other side: `ironriver init` imports the store when it runs (nothing was left
    out that a command needs at run time)."""
    code = (
        "import sys\nfrom ironriver.cli import main\n"
        f"sys.argv = ['ironriver', 'init', '--db', {str(tmp_path / 's.db')!r}, "
        f"'--principals-out', {str(tmp_path / 'p.yaml')!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('@@', 'sqlalchemy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.rstrip().endswith("@@ True")
    assert (tmp_path / "s.db").exists()


def test_ledger_limit_default_is_the_librarys() -> None:
    """`ledger --limit`'s default is said in `cli_ledger` (its help imports no policy)."""
    from ironriver.cli_ledger import LIMIT
    from ironriver.policy.ledger_rows import DEFAULT_LIMIT

    assert LIMIT == DEFAULT_LIMIT


if __name__ == "__main__":  # write the golden help from the current code
    GOLDEN.write_text(
        json.dumps(help_texts(), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
