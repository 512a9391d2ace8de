"""Strings as they come out of pjsua2, made safe for events.

SWIG decodes pjsua2's C++ strings as UTF-8 with ``surrogateescape``: a byte a caller sent that
is not UTF-8 (in a Call-ID, a P-Asserted-Identity …) becomes a lone surrogate, which cannot be
encoded, written as JSON by strict encoders or shown. Every string is passed through
:func:`pj_text` where it enters our code; such bytes are kept, visibly, as ``\\xNN``.
"""

from __future__ import annotations


def pj_text(value: object) -> str:
    """``value`` as a string that is valid UTF-8; undecodable bytes as ``\\xNN`` escapes."""
    text = str(value)
    if text.isascii():
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte: keep its code units
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")
