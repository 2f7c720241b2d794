"""`ironriver --version`, `--help` and every command's and group's `--help`, given with
`--lang`, `--as` or `$IRONRIVER_AS`, import no heavy library (docs/performance.md, "CLI
start-up (H47)" and "H53"), and every `--help` reads as it did before the imports moved (en
and es).

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


def _check_light(runs: list[list[str]], env: dict[str, str] | None = None) -> str:
    """Run `runs` in turn in one fresh process (`env` added to an environment without
    `IRONRIVER_*`, in a folder without a principals file); fail at the first that loaded one
    of `HEAVY`; the output of all."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    done = subprocess.run(
        [sys.executable, "-c", _CHECK.format(heavy=HEAVY), json.dumps(runs)],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=Path(__file__).parent,  # (no principals.yaml here: the built-in principals)
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_version_and_help_import_no_heavy_library(lang: str) -> None:
    """One process runs `--version`, `--help` and every command's and group's `--help`
    (`search`, `audit log`, `ingest`, `strategy run`, `world generate`...) in turn, and stops
    at the first that loaded one of `HEAVY`."""
    runs = [["--version"], ["--help"]]
    runs += [["--lang", lang, *path, "--help"] for path in command_paths(cli, [])]
    assert ["--lang", lang, "strategy", "run", "--help"] in runs and len(runs) > 30
    out = _check_light(runs)
    assert "ironriver, version" in out and "Usage: ironriver" in out


def _takes_as(path: list[str]) -> bool:
    """Whether the command `path` names has the `--as` option."""
    command: click.Command = cli
    ctx = click.Context(cli)
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        assert found is not None
        command = found
    return any("--as" in param.opts for param in command.params)


PRINCIPALS = [("us-atf-analyst", "Usage: ironriver", "Uso:"), ("mx-fgr-analista", "Uso:", "Usage:")]


@pytest.mark.parametrize(("principal", "words", "other_words"), PRINCIPALS)
@pytest.mark.parametrize("given", ["--as", "IRONRIVER_AS"])
def test_help_in_a_principals_language_imports_no_heavy_library(
    principal: str, words: str, other_words: str, given: str
) -> None:
    """Every `--help`, the principal named by `--as` (on the commands that take it) or by
    `$IRONRIVER_AS` (on all), in its language, read from the built-in principals without
    loading the policy (`principals_file.plain_langs`)."""
    paths = command_paths(cli, [])
    if given == "--as":
        runs = [[*p, "--as", principal, "--help"] for p in paths if _takes_as(p)]
        assert ["search", "--as", principal, "--help"] in runs
        assert ["ingest", "--as", principal, "--help"] in runs
        out = _check_light(runs)
    else:
        out = _check_light([[*p, "--help"] for p in paths], {"IRONRIVER_AS": principal})
    assert words in out and other_words not in out


def test_help_as_a_principal_of_a_principals_file_imports_no_heavy_library(
    tmp_path: Path,
) -> None:
    """The same from a principals file (`--principals`, `$IRONRIVER_PRINCIPALS`), whose
    principal of an MX agency reads English (`lang: en`), and one of a US agency Spanish."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "principals:\n  - {name: mx-en, agency: FGR, country: MX, lang: en}\n"
        "  - {name: us-es, agency: ATF, country: US, roles: [analyst], lang: es}\n",
        encoding="utf-8",
    )
    out = _check_light([["search", "--principals", str(path), "--as", "mx-en", "--help"]])
    assert "Usage:" in out and "Uso:" not in out
    runs = [["ingest", "--help"], ["strategy", "--help"], ["audit", "log", "--help"]]
    out = _check_light(runs, {"IRONRIVER_AS": "us-es", "IRONRIVER_PRINCIPALS": str(path)})
    assert "Uso:" in out and "Usage:" not in out


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


def test_the_light_copies_in_the_help_are_the_librarys() -> None:
    """What the capability groups' help states is said in their command modules, which
    import no library at import: each is the library's value."""
    from ironriver.cli_ingest import MARKINGS, SAMPLE_ROWS
    from ironriver.cli_strategy import DEFAULT_ELASTICITY, SCENARIO_NAMES
    from ironriver.ingest.draft import SAMPLE_ROWS as LIBRARY_SAMPLE_ROWS
    from ironriver.policy import Marking
    from ironriver.strategy import SCENARIOS
    from ironriver.strategy.parameters import INTERDICTION_ELASTICITY

    assert SCENARIO_NAMES == tuple(SCENARIOS)
    assert DEFAULT_ELASTICITY == INTERDICTION_ELASTICITY.value
    assert MARKINGS == tuple(m.value for m in Marking)
    assert SAMPLE_ROWS == LIBRARY_SAMPLE_ROWS


if __name__ == "__main__":  # write the golden help from the current code
    GOLDEN.write_text(
        json.dumps(help_texts(), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
