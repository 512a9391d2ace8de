"""sip.sdp: our answer keeps only the codec we prefer among those offered."""

from __future__ import annotations

import pytest

from sip.sdp import prefer_codec

PREFERRED = ("G722", "PCMA", "PCMU")
LOCAL = "\r\n".join(
    [
        "v=0",
        "o=- 1 2 IN IP4 127.0.0.1",
        "s=pjmedia",
        "t=0 0",
        "m=audio 4000 RTP/AVP 96 9 8 0 101",
        "c=IN IP4 127.0.0.1",
        "a=rtpmap:96 speex/16000",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=sendrecv",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "",
    ]
)


def offer(formats: str, *extra: str) -> str:
    return "\n".join(["v=0", "s=-", "t=0 0", f"m=audio 6000 RTP/AVP {formats}", *extra, ""])


@pytest.mark.parametrize(
    ("formats", "kept"),
    [("0 8 9", "9 101"), ("0 8", "8 101"), ("0", "0 101"), ("3 0 9 101", "9 101")],
)
def test_the_answer_keeps_our_first_preference_that_was_offered(formats: str, kept: str) -> None:
    answer = prefer_codec(LOCAL, offer(formats), PREFERRED)
    lines = answer.split("\r\n")
    assert f"m=audio 4000 RTP/AVP {kept}" in lines
    kept_pts = kept.split()
    rtpmaps = [line.split(":")[1].split()[0] for line in lines if line.startswith("a=rtpmap")]
    assert rtpmaps == [pt for pt in ("9", "8", "0", "101") if pt in kept_pts]
    assert "a=sendrecv" in lines and "c=IN IP4 127.0.0.1" in lines


def test_dynamic_payload_types_are_matched_by_name() -> None:
    answer = prefer_codec(LOCAL, offer("97 0", "a=rtpmap:97 g722/8000"), PREFERRED)
    assert "m=audio 4000 RTP/AVP 9 101" in answer


def test_nothing_in_common_or_no_audio_leaves_the_answer_alone() -> None:
    assert prefer_codec(LOCAL, offer("18"), PREFERRED) == LOCAL
    assert prefer_codec(LOCAL, "v=0\ns=-\n", PREFERRED) == LOCAL
    assert prefer_codec(LOCAL, offer("0 8 9"), ()) == LOCAL


def test_the_configured_order_wins() -> None:
    assert "RTP/AVP 0 101" in prefer_codec(LOCAL, offer("9 8 0"), ("PCMU/8000", "G722"))
