"""The merged FtM + ironriver model's class: FtM's `Model` read from several schema folders.

Kept apart from `ironriver.model` so that importing the package (for `model.names` and
`model.labels`, which the command line's help and messages use) does not load
FollowTheMoney; `ironriver.model.get_model` imports this module when it first builds the model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from followthemoney.exc import InvalidModel
from followthemoney.model import Model
from followthemoney.schema import Schema
from followthemoney.util import const

# libyaml's parser when PyYAML was built with it (its wheels are): loading FtM's ~80 schema
# files with the pure-Python parser takes ~0.6 s, with libyaml ~0.1 s.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MergedModel(Model):
    """An FtM `Model` read from FtM's folder and ours (later folders add schemata)."""

    def __init__(self, paths: list[Path]) -> None:
        self.path = str(paths[0])
        self.schemata = {}
        self.properties = set()
        self.qnames = {}
        for path in paths:
            for dirpath, _, filenames in sorted(os.walk(path)):
                for filename in sorted(filenames):
                    if filename.endswith((".yaml", ".yml")):
                        self._load(os.path.join(dirpath, filename))
        self.generate()

    def _load(self, filepath: str) -> None:
        # FtM's own `_load`, with the faster YAML parser (same result).
        with open(filepath, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_YAML_LOADER)
        if not isinstance(data, dict):
            raise InvalidModel(f"Model file is not a mapping: {filepath}")
        for name, config in data.items():
            name = const(name)
            self.schemata[name] = Schema(self, name, config)
