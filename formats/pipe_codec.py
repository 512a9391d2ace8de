"""The one writer and reader of the desktop↔worker pipe (messages in formats/pipe.py).

:func:`encode` writes a message as a line and :func:`decode` reads one back, checking every
field's type; a line that is not a valid message raises :class:`~formats.pipe.PipeError`
naming the message and the field at fault. Unknown fields are ignored (an older desktop reads a
newer worker's events), except in ``set_policy``, where a misspelt rule must not pass silently.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar, Union

from formats.clock import utc_us
from formats.pipe import COMMANDS, EVENTS, Command, Event, Message, PipeError


def to_json(message: Message) -> dict[str, Any]:
    """The message as the JSON object on the wire (an event without ``at_us`` gets now)."""
    if isinstance(message, Command):
        data: dict[str, Any] = {"cmd": message.NAME}
    else:
        data = {"event": message.NAME}
        data["at_us"] = utc_us() if message.at_us is None else message.at_us
    for f in fields(message):
        value = getattr(message, f.name)
        if f.name == "at_us" and isinstance(message, Event):
            continue
        if value is None and isinstance(message, Command):
            continue  # an omitted optional field: the worker's default
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def encode(message: Message) -> str:
    """One line for the pipe, newline included."""
    return json.dumps(to_json(message), separators=(",", ":")) + "\n"


M = TypeVar("M", Command, Event)


def decode(line: str | bytes, kind: type[M]) -> M:
    """The message (a :class:`Command` or an :class:`Event`, as ``kind`` says) on ``line``;
    :class:`PipeError` names what is wrong."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PipeError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PipeError(f"a message is a JSON object, not {type(data).__name__}")
    key, table = ("cmd", COMMANDS) if kind is Command else ("event", EVENTS)
    name = data.get(key)
    if not isinstance(name, str):
        raise PipeError(f"no {key!r} naming the message")
    cls = table.get(name)
    if cls is None:
        raise PipeError(f"unknown {'command' if key == 'cmd' else 'event'} {name!r}")
    return typing.cast(M, _build(cls, {k: v for k, v in data.items() if k != key}))


def _build(cls: type[Message], data: dict[str, Any]) -> Message:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    if cls.STRICT and set(data) - names:
        unknown = ", ".join(sorted(set(data) - names))
        raise PipeError(f"{cls.NAME}: unknown field(s) {unknown}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            values[f.name] = _checked(data[f.name], hints[f.name], f"{cls.NAME}: {f.name}")
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        missing = [
            f.name
            for f in fields(cls)
            if f.name not in values and f.default is MISSING and f.default_factory is MISSING
        ]
        raise PipeError(f"{cls.NAME}: missing field(s) {', '.join(missing) or exc}") from None


_SCALARS: dict[Any, Callable[[Any], bool]] = {
    type(None): lambda v: v is None,
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
}


def _checked(value: Any, hint: Any, where: str) -> Any:
    """``value`` if it is a ``hint`` (an int is a float; a list is a tuple), else PipeError."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        for option in args:
            try:
                return _checked(value, option, where)
            except PipeError:
                continue
        raise PipeError(f"{where} must be {_describe(hint)}, got {value!r}")
    if hint is Any:
        return value
    if origin in (list, tuple) and isinstance(value, list):
        checked = [_checked(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(checked) if origin is tuple else checked
    if origin is dict and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return value
    scalar = _SCALARS.get(hint)
    if scalar is not None and scalar(value):
        return float(value) if hint is float else value
    raise PipeError(f"{where} must be {_describe(hint)}, got {value!r}")


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin in (list, tuple):
        return f"a list of {_describe(args[0])}"
    if origin is dict:
        return "an object"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint is type(None):
        return "null"
    return names.get(hint, str(hint))
