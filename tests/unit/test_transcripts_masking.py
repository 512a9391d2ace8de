"""Masking and talk metrics of transcripts, without a model."""

from __future__ import annotations

from store.transcripts.masking import (
    CARD_MASK,
    PAUSE_MASK,
    Segment,
    Word,
    luhn_ok,
    manifest_spans,
    mask_card_text,
    mask_segment,
    paused_spans,
)
from store.transcripts.metrics import talk_metrics


def words(*texts: str, start: int = 0, step: int = 300_000) -> list[Word]:
    return [Word(start + i * step, start + (i + 1) * step - 50_000, t) for i, t in enumerate(texts)]


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("5555555555554444")
    assert not luhn_ok("4111111111111112")


def test_written_and_spoken_card_numbers_are_masked_other_numbers_kept() -> None:
    seg = Segment("customer", 0, 9_000_000, "", words(" It's", " 4111", " 1111-1111", " 1111."))
    mask_segment(seg, [])
    assert seg.text == f"It's {CARD_MASK}"
    assert [w.masked for w in seg.words] == ["", "card", "card", "card"]
    spoken = " five five five five five five five five five five five five four four four four"
    seg = Segment("customer", 0, 9_000_000, "", words(" number", *spoken.split(), " thanks"))
    mask_segment(seg, [])
    assert seg.text == f"number {CARD_MASK} thanks"
    ru = "четыре" + " один" * 15
    seg = Segment("customer", 0, 9_000_000, "", words(*ru.split()))
    mask_segment(seg, [])
    assert seg.text == CARD_MASK
    seg = Segment("customer", 0, 9_000_000, "", words(" call", " 8", " 800", " 555", " 35", " 35"))
    mask_segment(seg, [])
    assert seg.text == "call 8 800 555 35 35"  # a phone number: 11 digits stay
    seg = Segment(
        "customer",
        0,
        9_000_000,
        "",
        words(" is", " 453", "-I", "-N", "-1488", "-0343", "-6467.", " Thanks"),
    )
    mask_segment(seg, [])  # "nine" heard as "I N": the digits around it are still one number
    assert seg.text == f"is {CARD_MASK} Thanks"
    assert mask_card_text("card 4111 1111 1111 1111 ok") == f"card {CARD_MASK} ok"
    assert mask_card_text("order 12345") == "order 12345"
    assert mask_card_text("id 4111 1111 1111 1112") == "id [number]"  # not Luhn: masked too
    seg = Segment("customer", 0, 9_000_000, "", words(" 4", *["1"] * 17, " ok"))
    mask_segment(seg, [])  # a card number heard with a digit too many: all of it goes
    assert seg.text == "[number] ok" and {w.masked for w in seg.words[:-1]} == {"digits"}


def test_paused_spans_from_events_and_manifests() -> None:
    events = [
        {"at_us": 10, "kind": "pause", "detail": "manual"},
        {"at_us": 15, "kind": "pause", "detail": "sensitive_field"},
        {"at_us": 20, "kind": "resume", "detail": "manual"},
        {"at_us": 30, "kind": "resume", "detail": "sensitive_field"},
        {"at_us": 40, "kind": "mark", "detail": "x"},
        {"at_us": 50, "kind": "pause", "detail": "manual"},
    ]
    assert paused_spans(events, 100) == [(10, 30), (50, 100)]
    manifest = {"utc_end_us": 90, "masked_periods": [{"start_us": 60, "end_us": None}]}
    assert manifest_spans([manifest], 100) == [(60, 90)]


def test_words_said_while_paused_are_masked() -> None:
    seg = Segment("customer", 0, 2_000_000, "", words(" the", " code", " is", " banana", " ok"))
    mask_segment(seg, [(600_000, 1_180_000)])
    assert seg.text == f"the code {PAUSE_MASK} ok"
    assert all(w.to_json()["text"] == "" for w in seg.words if w.masked)


def test_talk_metrics() -> None:
    s = 1_000_000
    m = talk_metrics([(0, 4 * s), (8 * s, 10 * s)], [(3 * s, 6 * s)], 0, 12 * s, 15)
    assert m["operator_talk_share"] == 0.5 and m["customer_talk_share"] == 0.25
    assert m["silence_share"] == round(4 / 12, 3) and m["longest_silence_s"] == 2.0
    assert m["overtalk_count"] == 1 and m["overtalk_s"] == 1.0
    assert m["operator_wpm"] == 150.0


def test_checks_required_within_a_window_and_forbidden() -> None:
    from store.transcripts.checks import evaluate

    op = Segment("operator", 0, 3_000_000, "Hello, Anna speaking.",
                 words(" Hello,", " Anna", " speaking."))  # fmt: skip
    cu = Segment("customer", 5_000_000, 7_000_000, "Ёлки, [paused]",
                 words(" Ёлки,", " damn", start=5_000_000))  # fmt: skip
    cu.words[1].masked = "paused"
    rules = [
        {"id": 1, "name": "greet", "kind": "required", "side": "operator",
         "phrase": "anna speaking", "within_s": 1},
        {"id": 2, "name": "greet late", "kind": "required", "side": "operator",
         "phrase": "Anna speaking", "within_s": None},
        {"id": 3, "name": "елки", "kind": "forbidden", "side": None, "phrase": "елки",
         "within_s": None},
        {"id": 4, "name": "damn", "kind": "forbidden", "side": None, "phrase": "damn",
         "within_s": None},
    ]  # fmt: skip
    results = {r["name"]: r for r in evaluate(rules, [op, cu], 0)}
    assert results["greet"]["passed"] and results["greet late"]["passed"]
    assert results["greet"]["evidence"][0]["start_us"] == 300_000
    assert not results["елки"]["passed"] and results["елки"]["evidence"][0]["side"] == "customer"
    assert results["damn"]["passed"]  # masked words never count
    late = evaluate([{**rules[0], "within_s": 1}], [op], -5_000_000)
    assert not late[0]["passed"]
