"""The X client libraries mss loads, found with one ``ldconfig -p`` instead of eight.

mss (10.x) looks each one up with ``ctypes.util.find_library``, which on Linux runs
``ldconfig -p`` in a child process every time: eight forks of the recorder (by then ~100 MB
with numpy and PyAV loaded) at every start, ~12 ms of CPU (bench/README.md, issue 23). Inside
:func:`one_lookup` the answers come from a single run's listing; a name it does not list
falls back to ctypes' own search, so nothing is found that ctypes would not find.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import logging
import os
import re
import subprocess
from collections.abc import Iterator

log = logging.getLogger(__name__)

# The ABI tag ldconfig prints for this process's libraries (what ctypes.util matches too).
_ABI = {"x86_64": "libc6,x86-64", "aarch64": "libc6,AArch64"}.get(os.uname().machine, "libc6")


def _listing() -> str:
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            done = subprocess.run(
                [ldconfig, "-p"],
                capture_output=True,
                text=True,
                env={"LC_ALL": "C", "LANG": "C"},
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        return done.stdout
    return ""


@contextlib.contextmanager
def one_lookup() -> Iterator[None]:
    """Within this block ``ctypes.util.find_library`` reads one ``ldconfig -p`` listing."""
    original = ctypes.util.find_library
    listing: str | None = None

    def find_library(name: str) -> str | None:
        nonlocal listing
        if listing is None:
            listing = _listing()
        found = re.search(rf"\s(lib{re.escape(name)}\.\S+)\s+\({re.escape(_ABI)}[,)]", listing)
        return found.group(1) if found else original(name)

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = original
