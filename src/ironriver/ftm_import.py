"""FollowTheMoney's first import, with libyaml's parser.

`import followthemoney` builds FtM's default model (`followthemoney/__init__.py`:
`model = Model.instance()`), reading its ~70 schema files with `yaml.safe_load`, PyYAML's
pure-Python parser: ~0.3 s of every command that opens a store (about a quarter of a
search's CPU), before ironriver builds its own merged model (`model.merged`, which reads
the same files with libyaml). Whichever module imports FtM first, `install` makes that
import parse them with libyaml's `CSafeLoader` (same safe constructors, same result: a test
compares the two models), and puts `yaml.safe_load` back as soon as the import ends.

The hook is an import finder (Python's own mechanism for this) that removes itself at FtM's
first import; it changes nothing when PyYAML lacks libyaml or FtM was already imported.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec

PACKAGE = "followthemoney"
parsed_with_libyaml = False  # whether FtM's first import here did (for tests)


class _FasterYaml:
    """FtM's own loader, run while `yaml.safe_load` parses with libyaml (a loader is any
    object with these two methods: `importlib.abc`, which costs ~30 ms to import, is not
    needed)."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        import yaml

        faster = getattr(yaml, "CSafeLoader", None)  # (PyYAML built with libyaml: its wheels)
        if faster is None:
            self.loader.exec_module(module)
            return
        plain = yaml.safe_load

        def safe_load(stream: Any) -> Any:
            return yaml.load(stream, Loader=faster)  # (a safe loader: its constructors)

        global parsed_with_libyaml
        yaml.safe_load = safe_load
        try:
            self.loader.exec_module(module)
            parsed_with_libyaml = True
        finally:
            yaml.safe_load = plain


class _FirstImport:
    """A finder on `sys.meta_path` (any object with `find_spec`) that answers for FtM once."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        sys.meta_path.remove(self)  # once: the real finders answer from here on
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _FasterYaml(spec.loader)  # type: ignore[assignment]
        return spec


def install() -> None:
    """Make FtM's first import in this process parse its model with libyaml (see module)."""
    if PACKAGE in sys.modules or any(isinstance(f, _FirstImport) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _FirstImport())
