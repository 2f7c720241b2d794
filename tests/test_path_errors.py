"""An OSError about one of ironriver's own scratch files names the folder the user can act on,
not the scratch file (an ingest into a store on a read-only mount said "Cannot use
/mnt/.s.db.stage-host.123-....sqlite: Read-only file system")."""

from __future__ import annotations

import errno

from ironriver.errors import from_path_error


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
