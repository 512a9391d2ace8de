"""Our codec preference in SDP answers.

pjmedia answers in the order of the caller's offer (a build-time choice of this wheel), so a
PBX that lists PCMU first would get PCMU although both sides have G.722. When we answer, the
audio line of our SDP is cut to the one codec we prefer among those offered (plus
telephone-event for DTMF); the negotiation then has nothing else to pick.
"""

from __future__ import annotations

import re

# Static RTP payload types (RFC 3551) an offer may use without an rtpmap line.
_STATIC = {"0": "PCMU", "3": "GSM", "8": "PCMA", "9": "G722", "18": "G729"}
_RTPMAP = re.compile(r"^a=(?:rtpmap|fmtp):(\d+)[ /]", re.IGNORECASE)
_ENCODING = re.compile(r"^a=rtpmap:(\d+) ([^/\s]+)", re.IGNORECASE)
_KEEP = ("telephone-event",)


def _audio_section(lines: list[str]) -> tuple[int, int]:
    """[start, end) of the first audio media section (-1, -1 if none)."""
    start = next((i for i, line in enumerate(lines) if line.startswith("m=audio ")), -1)
    if start < 0:
        return -1, -1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("m=")), len(lines))
    return start, end


def _encodings(lines: list[str], start: int, end: int) -> dict[str, str]:
    """{payload type: encoding name (upper case)} of an audio section."""
    formats = lines[start].split()[3:]
    names = {pt: _STATIC[pt] for pt in formats if pt in _STATIC}
    for line in lines[start + 1 : end]:
        m = _ENCODING.match(line)
        if m and m.group(1) in formats:
            names[m.group(1)] = m.group(2).upper()
    return {pt: names.get(pt, "") for pt in formats}


def prefer_codec(local: str, remote: str, preferred: tuple[str, ...]) -> str:
    """``local`` (our SDP answer) with its audio line cut to the first of ``preferred`` that
    both sides have; unchanged when none is common or either side has no audio."""
    newline = "\r\n" if "\r\n" in local else "\n"
    ours, theirs = local.split(newline), remote.replace("\r\n", "\n").split("\n")
    o_start, o_end = _audio_section(ours)
    t_start, t_end = _audio_section(theirs)
    if o_start < 0 or t_start < 0:
        return local
    our_codecs = _encodings(ours, o_start, o_end)
    offered = set(_encodings(theirs, t_start, t_end).values())
    chosen = ""
    for name in preferred:
        base = name.split("/", 1)[0].upper()
        if base in offered and base in our_codecs.values():
            chosen = base
            break
    if not chosen:
        return local
    keep = [pt for pt, enc in our_codecs.items() if enc == chosen or enc.lower() in _KEEP]
    head = ours[o_start].split()
    section = [" ".join([*head[:3], *keep])]
    for line in ours[o_start + 1 : o_end]:
        m = _RTPMAP.match(line)
        if m is None or m.group(1) in keep:
            section.append(line)
    return newline.join([*ours[:o_start], *section, *ours[o_end:]])
