"""Refuses to start on a Python runtime the softphone cannot live on.

Imports nothing but the standard library, so it can run before PySide6 or pjsua2 is loaded.
- pjsua2-python ships CPython wheels for 3.8–3.12 only (none for 3.13); AgentDesk itself
  needs 3.11 or later, so CPython 3.11 and 3.12 are supported.
- PySide6 6.12 on CPython 3.11 drops a reference to ``None`` on every void-returning Qt call
  and, after a few thousand calls, aborts with "Fatal Python error: none_dealloc". CPython 3.12
  is immune (``None`` is immortal there) and PySide6 6.11 does not have the bug, so on 3.11
  pyproject.toml keeps PySide6 below 6.12 and this guard refuses 6.12 or later.
"""

from __future__ import annotations

import sys
from importlib import metadata

SUPPORTED = ((3, 11), (3, 12))
# The first PySide6 release that aborts on CPython 3.11 (none_dealloc).
FIRST_PYSIDE_UNSAFE_ON_311 = (6, 12)
_PYSIDE_DISTRIBUTIONS = ("PySide6-Essentials", "PySide6")


class UnsupportedRuntime(RuntimeError):
    """The interpreter or its Qt binding cannot run AgentDesk safely."""


def runtime_problem(
    version: tuple[int, ...], implementation: str, pyside_version: str | None
) -> str | None:
    """Why this runtime cannot run AgentDesk, or None when it can.

    ``version`` is ``sys.version_info``-like, ``implementation`` is
    ``sys.implementation.name`` and ``pyside_version`` the installed PySide6 version, if any.
    """
    running = ".".join(str(part) for part in version[:3])
    if implementation != "cpython":
        return (
            f"AgentDesk needs CPython 3.11 or 3.12; this is {implementation} {running}. "
            "pjsua2-python (the SIP stack) ships wheels for CPython only."
        )
    if tuple(version[:2]) not in SUPPORTED:
        return (
            f"AgentDesk needs CPython 3.11 or 3.12; this is CPython {running}. pjsua2-python "
            "(the SIP stack) ships wheels only up to 3.12."
        )
    if tuple(version[:2]) == (3, 11) and _pyside_unsafe_on_311(pyside_version):
        return (
            f"AgentDesk refuses CPython {running} with PySide6 {pyside_version}: this pair "
            "aborts the process after a few thousand Qt calls (Fatal Python error: "
            "none_dealloc). Install PySide6-Essentials below 6.12, as pyproject.toml asks on "
            "3.11 (rerun scripts/setup), or use CPython 3.12."
        )
    return None


def check_runtime() -> None:
    """Raise UnsupportedRuntime when the running interpreter cannot run AgentDesk."""
    problem = runtime_problem(
        tuple(sys.version_info[:3]), sys.implementation.name, installed_pyside_version()
    )
    if problem is not None:
        raise UnsupportedRuntime(f"{problem} (interpreter: {sys.executable})")


def installed_pyside_version() -> str | None:
    """The installed PySide6 version, read from package metadata without importing Qt."""
    for name in _PYSIDE_DISTRIBUTIONS:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _pyside_unsafe_on_311(pyside_version: str | None) -> bool:
    """PySide6 6.12 or later; an unreadable version counts as unsafe."""
    if pyside_version is None:
        return False
    parts = pyside_version.split(".")[:2]
    try:
        release = tuple(int(part) for part in parts)
    except ValueError:
        return True
    return release >= FIRST_PYSIDE_UNSAFE_ON_311
