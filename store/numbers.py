"""Phone number normalisation, so "+7 (912) 555-01-02", "0079125550102" and
"sip:+79125550102@pbx" are stored and searched as one key."""

from __future__ import annotations

import re

_URI = re.compile(r"^(?:sips?|tel):([^@;>]*)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s().\-/]")


def normalise(raw: str | None) -> str | None:
    """The number's search key: `+` and digits for telephone numbers, else the lowercased text.

    SIP/tel URIs keep their user part; visual separators go; a leading `00` becomes `+`.
    Russian national forms become E.164 as on the desktop's card: eleven digits starting
    with 8 or 7 (`8 912 555-01-02`, `7 912 …`) are `+7…`. Extensions and names (`1001`,
    `alice`) stay as they are (lowercased). None and empty give None.
    """
    if raw is None:
        return None
    text = raw.strip()
    match = _URI.match(text.lstrip("<"))
    if match:
        text = match.group(1)
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("00") and compact[2:].isdigit():
        compact = "+" + compact[2:]
    elif len(compact) == 11 and compact.isdigit() and compact[0] in "78":
        compact = "+7" + compact[1:]
    if (compact.startswith("+") and compact[1:].isdigit()) or compact.isdigit():
        return compact or None
    return text.lower() or None
