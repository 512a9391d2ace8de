"""Tiny JSON paths for field mappings: ``contact.phones[0].value``, ``result.0.NAME``.

Dots separate keys; ``[n]`` or a bare number indexes a list. A leading ``$`` or ``$.`` is
allowed. A path that does not exist gives None, never an exception.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


class PathError(ValueError):
    """The path itself is malformed (a settings problem, reported with its key)."""


def parse(path: str) -> tuple[str | int, ...]:
    text = path.strip()
    if text.startswith("$"):
        text = text[1:].lstrip(".")
    if not text:
        return ()
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
        match = _TOKEN.match(text, pos)
        if match is None:
            raise PathError(f"cannot read {path!r} at character {pos + 1}")
        index, key = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(int(key) if key.isdigit() else key)
        pos = match.end()
    return tuple(steps)


def get(data: Any, path: str | tuple[str | int, ...]) -> Any:
    """The value at ``path`` in ``data``, or None when any step is missing."""
    steps = parse(path) if isinstance(path, str) else path
    node = data
    for step in steps:
        if isinstance(step, int) and isinstance(node, list):
            if step >= len(node):
                return None
            node = node[step]
        elif isinstance(node, dict):
            node = node.get(str(step))
        else:
            return None
        if node is None:
            return None
    return node


def text(value: Any) -> str:
    """A JSON value as the card shows it: numbers and text as they are, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(t for t in (text(v) for v in value) if t)
    if isinstance(value, dict):
        return ""
    return str(value)[:500]
