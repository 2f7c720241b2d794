"""An OSError about one of ironriver's own scratch files names the folder the user can act on,
not the scratch file (an ingest into a store on a read-only mount said "Cannot use
/mnt/.s.db.stage-host.123-....sqlite: Read-only file system")."""

from __future__ import annotations

import errno
import os

import pytest

from ironriver.errors import from_path_error, os_problem
from ironriver.i18n import Msg


def test_a_scratch_file_error_names_its_folder() -> None:
    exc = OSError(
        errno.EROFS, "Read-only file system", "/mnt/ro/.s.db.stage-host_1.4242-abc123.sqlite"
    )
    error = from_path_error(exc)
    assert error is not None and error.exit_code == 2
    text = error.render("en")
    assert text.startswith("Cannot write in /mnt/ro, where the command keeps its scratch files")
    assert ".stage-" not in text and "Read-only file system" in text
    assert "Sistema de archivos de solo lectura" in error.render("es")


def test_a_users_own_file_is_named_as_given() -> None:
    exc = OSError(errno.EACCES, "Permission denied", "/data/out/export.jsonl")
    error = from_path_error(exc)
    assert error is not None
    assert error.render("en").startswith("Cannot use /data/out/export.jsonl: Permission denied.")


@pytest.mark.parametrize(
    ("code", "en", "es"),
    [
        (errno.ENOSPC, "No space left on device", "No queda espacio en el dispositivo"),
        (errno.EDQUOT, "Disk quota exceeded", "Se excedió la cuota de disco"),
        (errno.EFBIG, "File too large", "Archivo demasiado grande"),
        (errno.EIO, "Input/output error", "Error de entrada/salida"),
    ],
)
def test_the_machines_failures_are_not_the_paths(code: int, en: str, es: str) -> None:
    """A full disk, a quota, a file too large or a failing device is said in the reader's
    language (one table, `os_problem`, for every command), and is not taken for a wrong path
    ("Check the path: ...")."""
    exc = OSError(code, os.strerror(code), "/data/out/export.jsonl")
    assert from_path_error(exc) is None
    problem = os_problem(exc)
    assert isinstance(problem, Msg)
    assert problem.render("en") == en and problem.render("es") == es
