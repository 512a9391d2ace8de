"""The TOML side of the settings: parsing with type checks, line lookup, and writing.

Messages name the file, the key and the line, e.g.
``agentdesk.toml: sip.sip_port: expected an integer, got '5060' (a string) (line 7)``.
Values of unknown keys are never echoed (a mistyped ``pasword`` must not end up in a log).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import tomllib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
_KEY_IN_MESSAGE = re.compile(r"^[^:]+: ([a-z_]+)\.([a-z_0-9]+)\b")


def parse_settings(
    text: str, file_name: str, sections: dict[str, type]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """(section name → dataclass instance, problems, notes) of a settings file's text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"{file_name}: invalid TOML: {exc}"], []
    out: dict[str, Any] = {}
    problems: list[str] = []
    notes: list[str] = []
    for name in data:
        if name not in sections:
            guess = difflib.get_close_matches(name, list(sections), n=1, cutoff=0.6)
            hint = f" — did you mean [{guess[0]}]?" if guess else ""
            notes.append(locate(f"{file_name}: [{name}]: unknown section{hint} (ignored)", text))
    for name, cls in sections.items():
        raw = data.get(name)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            problems.append(locate(f"{file_name}: {name}: must be a [{name}] table", text))
            continue
        values, errs = _section(name, raw, cls, file_name, text, notes)
        problems += errs
        if not errs:
            out[name] = cls(**values)
    return out, problems, notes


def _section(
    name: str, raw: dict[str, Any], cls: type, file_name: str, text: str, notes: list[str]
) -> tuple[dict[str, Any], list[str]]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        where = f"{name}.{key}"
        if name == "account" and key == "password":
            problems.append(
                locate(
                    f"{file_name}: account.password: passwords are not read from this file; "
                    "remove it and keep the password in the OS keyring (service 'agentdesk', "
                    "user '<user>@<domain>')",
                    text,
                )
            )
        elif key not in fields:
            notes.append(unknown_key(file_name, name, key, fields, text))
        else:
            converted, error = _convert(value, hints[key])
            if error:
                problems.append(locate(f"{file_name}: {where}: {error}", text))
            else:
                values[key] = converted
    for key, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and key not in raw:
            problems.append(locate(f"{file_name}: {name}.{key}: missing (it is required)", text))
    return values, problems


def unknown_key(file_name: str, section: str, key: str, known: Iterable[str], text: str) -> str:
    """``unknown key account.pasword — did you mean password?``, with the file and the line."""
    candidates = [*known, *(["password"] if section == "account" else [])]
    guess = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    hint = f" — did you mean {guess[0]}?" if guess else ""
    line = find_line(text, section, key)
    at = f" (line {line})" if line else ""
    return f"{file_name}: unknown key {section}.{key}{hint} (ignored){at}"


def _convert(value: Any, hint: Any) -> tuple[Any, str]:
    """(value as the field's type, '') or (None, what is wrong)."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:  # e.g. float | None
        inner = next(a for a in args if a is not type(None))
        if value is False and inner is not bool:  # bool | None: false is False
            return None, ""
        converted, error = _convert(value, inner)
        if error:
            also = "" if inner is bool else " or false"
            return None, f"expected {_TYPE_NAMES[inner]}{also}, got {_show(value)}"
        return converted, ""
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"expected a list of strings, got {_show(value)}"
        return tuple(value), ""
    ok = isinstance(value, hint) and not (hint is not bool and isinstance(value, bool))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value), ""
    if not ok:
        return None, f"expected {_TYPE_NAMES.get(hint, hint.__name__)}, got {_show(value)}"
    return value, ""


def _show(value: Any) -> str:
    kind = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    name = kind.get(type(value), "a list" if isinstance(value, list) else "a table")
    shown = repr(value) if not isinstance(value, (dict, list)) else "…"
    return f"{shown} ({name})"


def locate(message: str, text: str) -> str:
    """Append ``(line N)`` when the key the message names is found in ``text``."""
    m = _KEY_IN_MESSAGE.match(message)
    line = None
    if m:  # the key's own line, else its section's header (e.g. for a missing key)
        line = find_line(text, m.group(1), m.group(2)) or find_line(text, m.group(1), None)
    if line is None and (sect := re.match(r"^[^:]+: \[([a-z_]+)\]", message)):
        line = find_line(text, sect.group(1), None)
    return f"{message} (line {line})" if line else message


def find_line(text: str, section: str, key: str | None) -> int | None:
    """1-based line of ``key`` in ``[section]`` (or of the header when key is None)."""
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if header := re.match(r"^\[\s*([A-Za-z0-9_.-]+)\s*\]", line):
            current = header.group(1)
            if key is None and current == section:
                return number
            continue
        if key is not None and current == section and re.match(rf"^{re.escape(key)}\s*=", line):
            return number
    return None


def to_toml(sections: dict[str, Any]) -> str:
    """TOML text of settings sections (dataclass instances; None sections are skipped)."""
    out: list[str] = []
    for name, section in sections.items():
        if section is None:
            continue
        out.append(f"[{name}]")
        for key, value in dataclasses.asdict(section).items():
            if value is not None:
                out.append(f"{key} = {_toml_value(value)}")
        out.append("")
    return "\n".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
