"""Caller numbers in the one form CRMs are asked with: E.164 (``+79125550102``).

Russian habits are understood: ``8 912 555-01-02`` (trunk prefix 8), ``7912…`` without the
plus, and a bare ten-digit ``912…``; ``00`` is the international prefix. Short numbers
(extensions, service codes) and names are not phone numbers and give None.
"""

from __future__ import annotations

import re

_URI = re.compile(r"^<?(?:sips?|tel):([^@;>]*)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s().\-/]")
MIN_DIGITS = 7  # shorter: an extension or a service code, not worth a CRM lookup
MAX_DIGITS = 15  # E.164's limit


def to_e164(raw: str | None, country_code: str = "7") -> str | None:
    """``raw`` as E.164, or None when it is not a telephone number.

    ``country_code`` is the caller's assumed country for national forms (``8…``, ten digits).
    """
    if not raw:
        return None
    text = raw.strip()
    match = _URI.match(text)
    if match:
        text = match.group(1)
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif not compact.isdigit():
        return None
    elif country_code == "7" and len(compact) == 11 and compact[0] in "78":
        digits = "7" + compact[1:]
    elif country_code == "7" and len(compact) == 10 and compact[0] in "3489":
        digits = "7" + compact
    else:
        # a long bare number is taken as international without its plus in the home country
        digits = compact if len(compact) > 10 and compact.startswith(country_code) else ""
    if not digits.isdigit() or not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    return "+" + digits


def display(number: str) -> str:
    """A Russian E.164 number grouped for reading (``+7 912 555-01-02``); others unchanged."""
    if re.fullmatch(r"\+7\d{10}", number):
        d = number[2:]
        return f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}"
    return number
