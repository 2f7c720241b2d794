"""`ironriver --help` lists the lazily imported command groups without importing them, with the
same one-line help (in English and Spanish) that the imported commands give."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ironriver import cli_lazy
from ironriver.cli import cli
from ironriver.cli_lazy import LAZY_COMMANDS, listing_stub, load_lazy, source_help
from ironriver.i18n import set_lang

# what a lazy group pulls in that the rest of the CLI does not
HEAVY = ["scipy", "pandas", "ironriver.world.generate", "ironriver.strategy.simulate"]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_listing_help_equals_the_commands_own(name: str, lang: str) -> None:
    set_lang(lang)  # type: ignore[arg-type]
    try:
        stub = listing_stub(name)
        assert stub is not None, f"{name}: its help is not plain in its source"
        command = load_lazy(name)
        for limit in (30, 45, 80):
            assert stub.get_short_help_str(limit) == command.get_short_help_str(limit)
    finally:
        set_lang(None)


def test_top_level_help_imports_no_lazy_group() -> None:
    code = (
        "import sys\n"
        "from ironriver.cli import main\n"
        "sys.argv = ['ironriver', '--help']\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        f"print('@@' + __import__('json').dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    shown, loaded = done.stdout.split("@@")
    assert json.loads(loaded) == []
    for name in LAZY_COMMANDS:  # still listed
        assert f"\n  {name} " in shown


def test_a_lazy_command_still_runs_after_the_listing() -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["--help"])
    assert listed.exit_code == 0, listed.output
    run = runner.invoke(cli, ["world", "--help"])  # the real group, not the listing's stand-in
    assert run.exit_code == 0, run.output
    assert "generate" in run.output


FAKE_DOC = '''    """Its docstring, a long first sentence that the listing cuts short. More.

    And a second paragraph.
    \\f
    Not help."""
'''


@pytest.mark.parametrize(
    ("decorators", "plain"),
    [
        ("@click.command('x')\n@click.option('--n', help='An option.')\n", True),
        ("@click.command('x', help='Given here.')\n", False),
        ("@click.group('x', hidden=True)\n", False),
        ("", False),  # not a command
    ],
)
def test_source_help_reads_only_a_plain_docstring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decorators: str, plain: bool
) -> None:
    source = f"import click\n{decorators}def x_command(n=None):\n{FAKE_DOC}"
    (tmp_path / "fake.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(cli_lazy, "_PACKAGE_DIR", tmp_path)
    monkeypatch.setitem(cli_lazy.LAZY_COMMANDS, "fake", "ironriver.fake:x_command")
    source_help.cache_clear()
    try:
        stub = listing_stub("fake")
    finally:
        source_help.cache_clear()
    if not plain:
        assert stub is None
        return
    made: dict[str, object] = {}
    exec(compile(source, "fake.py", "exec"), made)  # the command click makes of the source
    command = made["x_command"]
    assert isinstance(command, click.Command) and stub is not None
    for limit in (20, 45, 200):
        assert stub.get_short_help_str(limit) == command.get_short_help_str(limit)
    assert "Not help" not in stub.get_short_help_str(500)


def test_source_help_is_the_docstring() -> None:
    from ironriver.cli_i18n import localize_help
    from ironriver.cli_world import world

    assert isinstance(world, click.Group)
    # (a Spanish run before, in this process, leaves the group's help in Spanish until an
    # English one puts the English back)
    localize_help(world, "en")
    assert source_help("world") == world.help
