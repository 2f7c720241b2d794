"""The command line meets bad input — wrong paths, undecodable arguments, badly encoded
files — with a clean message and exit code, never a traceback or a half-made file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--lang", "en", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_an_output_folder_that_is_a_file_is_a_clean_error(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    for args in (
        ("world", "generate", "--scale", "0.01", "--out", str(afile)),
        ("model-dir", str(afile)),
    ):
        code, out = run(*args)
        assert code == 2, out
        assert f"Cannot use {afile}" in out and "a file stands where a folder is wanted" in out
