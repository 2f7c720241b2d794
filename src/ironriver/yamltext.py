"""Reading the YAML files users write (mappings, principals): strict about repeated keys,
and saying what is wrong in the reader's language.

PyYAML keeps the last of two equal keys without a word, so a mapping that names `name:`
twice loses a column, and a principal that says `country:` twice gets the second country (and
with it what it may read). Both are almost always a copy-and-paste slip, so a repeated key
is an error here, named by line. YAML's merge key (`<<: *base`) still overrides what it
merges: that is what it is for.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from ironriver.i18n import Msg, marked, msg

MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: PyYAML's own error below says so
                break
            if repeated:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """The YAML document in `text`; `yaml.YAMLError` (see `problem`) if it is not one or
    repeats a key."""
    return yaml.load(text, Loader=_StrictLoader)


def unknown_key(keys: Iterable[Any], known: frozenset[str]) -> tuple[str, Msg] | None:
    """The first of `keys` not in `known` and what to do: the known key nearest to it (a
    typo's likely meaning: `filter` -> `filters`, `releasable-to` -> `releasable_to`), else
    the known keys; None when every key is known."""
    for key in keys:
        if str(key) not in known:
            near = difflib.get_close_matches(str(key).replace("-", "_").lower(), known, n=1)
            hint = (
                msg("Did you mean {key}?", key=near[0])
                if near
                else msg("Remove it, or use one of: {keys}.", keys=", ".join(sorted(known)))
            )
            return str(key), hint
    return None


def text_problem(key: str, value: object) -> tuple[Msg, Msg] | None:
    """(what is wrong, what to do) when YAML did not read `key`'s `value` as text (see
    `not_text`), else None."""
    what = not_text(value)
    if what is None:
        return None
    return (
        msg("{key}: YAML read the value as {what}, not as text.", key=key, what=what),
        msg("Quote it as written, e.g. {example}.", example=f"{key}: 'NO'"),
    )


def not_text(value: object) -> Msg | None:
    """What YAML made of a value that should be text (a country code, an agency, a marking),
    or None if it is text. Unquoted, `NO` (Norway) and `no`, `yes`, `on`, `off` are booleans,
    `~` and an empty value are null, `840` a number."""
    if isinstance(value, str):
        return None
    if isinstance(value, bool):
        shown = "true" if value else "false"
        return msg("the boolean {value} (YAML reads NO, no, yes, on and off so)", value=shown)
    if value is None:
        return msg("empty (YAML reads ~ and a missing value so)")
    if isinstance(value, int | float):
        return msg("the number {value}", value=value)
    return msg("{value!r}, which is no text", value=value)


_FIXED: dict[str, Msg] = {
    "mapping values are not allowed here": msg(
        "a ':' where no key may start (put a text holding ': ' in quotes, or check the indentation)"
    ),
    "could not find expected ':'": msg(
        "a ':' was expected (a key without a value, or a quote left open above)"
    ),
    "found unexpected end of stream": msg("the file ends inside a quoted text: close the quote"),
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"found duplicate key (?P<key>.+)"),
        marked("the key {key} is given twice in one place: keep one"),
    ),
    (
        re.compile(r"found character (?P<char>'.+') that cannot start any token"),
        marked(
            "the character {char} cannot start a value (indent with spaces, not tabs; put a "
            "text that starts with it in quotes)"
        ),
    ),
    (
        re.compile(r"expected <block end>, but found .*"),
        marked("the indentation does not line up with the lines above"),
    ),
    (
        re.compile(r"expected ',' or '(?P<close>[\]}])', but got .*"),
        marked("a list or mapping opened on one line is not closed with {close}"),
    ),
    (
        re.compile(r"found undefined alias '(?P<name>.+)'"),
        marked("*{name} refers to no anchor (put a text that starts with * in quotes)"),
    ),
]


def problem(exc: yaml.YAMLError) -> Msg | str:
    """What is wrong with a YAML text, in the reader's language: where (line and column,
    from 1) and what, with the offending line and a caret under the place."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return str(exc)
    mark = exc.problem_mark
    context = exc.context or ""
    if exc.context_mark is not None and ("quoted scalar" in context or "flow" in context):
        mark = exc.context_mark  # where the quote, [ or { that is never closed opens
    raw = exc.problem or ""
    text: Msg | str = f"{exc.context}: {raw}" if exc.context else raw  # (PyYAML's English)
    if raw in _FIXED:
        text = _FIXED[raw]
    else:
        for pattern, template in _PATTERNS:
            found = pattern.fullmatch(raw)
            if found:
                text = Msg(template, found.groupdict())
                break
    snippet = mark.get_snippet() if mark.buffer is not None else None
    where = msg(
        "line {line}, column {column}: {problem}",
        line=mark.line + 1,
        column=mark.column + 1,
        problem=text,
    )
    if not snippet:
        return where
    return msg("{where}\n{snippet}", where=where, snippet=snippet)
