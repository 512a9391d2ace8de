"""The words for a call's events on the player's list and timeline: the store keeps kinds
(``media_local_hold``, ``confirmed``, ``transfer``…), people read them translated."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop import i18n

# The dialog card's shipped fields (desktop/crm/config.py, label= of its defaults).
SHIPPED_CARD_LABELS = {"topic": "Topic", "notes": "Notes"}


def _tr(text: str) -> str:
    return QCoreApplication.translate("CallEvents", text)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a text for pyside6-lupdate (which looks for this name); translated when shown."""
    return text


def kind_text(kind: str) -> str:
    """A mark's kind (desktop.qa.playback.timeline.Mark.kind) in the UI's language."""
    names = {
        "ring": QT_TRANSLATE_NOOP("CallEvents", "Ringing"),
        "ringing": QT_TRANSLATE_NOOP("CallEvents", "Ringing"),
        "answer": QT_TRANSLATE_NOOP("CallEvents", "Answered"),
        "hold": QT_TRANSLATE_NOOP("CallEvents", "On hold"),
        "unhold": QT_TRANSLATE_NOOP("CallEvents", "Off hold"),
        "transfer": QT_TRANSLATE_NOOP("CallEvents", "Transfer"),
        "card": QT_TRANSLATE_NOOP("CallEvents", "Card"),
        "hangup": QT_TRANSLATE_NOOP("CallEvents", "Hung up"),
        "dtmf": QT_TRANSLATE_NOOP("CallEvents", "Key pressed"),
        "null": QT_TRANSLATE_NOOP("CallEvents", "Call created"),
        "calling": QT_TRANSLATE_NOOP("CallEvents", "Calling"),
        "incoming": QT_TRANSLATE_NOOP("CallEvents", "Incoming"),
        "early": QT_TRANSLATE_NOOP("CallEvents", "Ringing at the other end"),
        "connecting": QT_TRANSLATE_NOOP("CallEvents", "Connecting"),
        "confirmed": QT_TRANSLATE_NOOP("CallEvents", "Connected"),
        "disconnected": QT_TRANSLATE_NOOP("CallEvents", "Disconnected"),
        "media_active": QT_TRANSLATE_NOOP("CallEvents", "Sound on"),
        "media_local_hold": QT_TRANSLATE_NOOP("CallEvents", "Held by the operator"),
        "media_remote_hold": QT_TRANSLATE_NOOP("CallEvents", "Held by the caller"),
        "media_none": QT_TRANSLATE_NOOP("CallEvents", "No sound"),
        "media_error": QT_TRANSLATE_NOOP("CallEvents", "Sound error"),
        "operator_mark": QT_TRANSLATE_NOOP("CallEvents", "Operator's mark"),
        "pause": QT_TRANSLATE_NOOP("CallEvents", "Recording paused"),
        "resume": QT_TRANSLATE_NOOP("CallEvents", "Recording resumed"),
        "masked": QT_TRANSLATE_NOOP("CallEvents", "Screen hidden"),
        "paused": QT_TRANSLATE_NOOP("CallEvents", "Recording paused"),
        "silence": QT_TRANSLATE_NOOP("CallEvents", "Silence"),
        "monitor_open": QT_TRANSLATE_NOOP("CallEvents", "Supervisor monitoring"),
        "monitor_mode": QT_TRANSLATE_NOOP("CallEvents", "Monitoring mode changed"),
        "monitor_end": QT_TRANSLATE_NOOP("CallEvents", "Monitoring ended"),
        "monitor_reject": QT_TRANSLATE_NOOP("CallEvents", "Monitoring refused"),
    }
    return _tr(names[kind]) if kind in names else kind.replace("_", " ")


def reasons_text(reasons: str) -> str:
    """Why the screen was hidden or the recording paused ("manual, sensitive_field"), in words."""
    names = {
        "manual": QT_TRANSLATE_NOOP("CallEvents", "by the operator"),
        "sensitive_field": QT_TRANSLATE_NOOP("CallEvents", "card data typed"),
        "masked_title": QT_TRANSLATE_NOOP("CallEvents", "a hidden window"),
        "titles_unreadable": QT_TRANSLATE_NOOP("CallEvents", "window titles unreadable"),
    }
    parts = [r.strip() for r in reasons.split(",") if r.strip()]
    return ", ".join(_tr(names[r]) if r in names else r for r in parts)


def band_text(kind: str, reasons: str) -> str:
    """A timeline band: "Screen hidden: card data typed", "On hold"."""
    words = kind_text(kind)
    return f"{words}: {reasons_text(reasons)}" if reasons else words


def label_text(kind: str, label: str) -> str:
    """A mark's detail: who hung up, or a card field's name, in words; the rest as it is."""
    if kind in ("pause", "resume"):
        return reasons_text(label)
    if kind in ("monitor_open", "monitor_mode"):  # "sam listen": who, and how
        modes = {
            "listen": QT_TRANSLATE_NOOP("CallEvents", "listening"),
            "whisper": QT_TRANSLATE_NOOP("CallEvents", "whispering"),
            "barge": QT_TRANSLATE_NOOP("CallEvents", "barged in"),
            "follow": QT_TRANSLATE_NOOP("CallEvents", "following"),
        }
        return " ".join(_tr(modes[w]) if w in modes else w for w in label.split(" "))
    if kind == "hangup":
        ended_by = {
            "agent": QT_TRANSLATE_NOOP("CallEvents", "by the operator"),
            "remote": QT_TRANSLATE_NOOP("CallEvents", "by the caller"),
            "transfer": QT_TRANSLATE_NOOP("CallEvents", "by a transfer"),
            "system": QT_TRANSLATE_NOOP("CallEvents", "by a failure"),
        }
        return _tr(ended_by[label]) if label in ended_by else label
    if kind == "card" and ": " in label:  # "key: value": the shipped fields by their labels
        name, value = label.split(": ", 1)
        return f"{i18n.shown(SHIPPED_CARD_LABELS.get(name, name))}: {i18n.shown(value)}"
    return label


def mark_text(kind: str, label: str) -> str:
    """ "Transfer: 200 OK", "Hung up by the caller"…"""
    words, detail = kind_text(kind), label_text(kind, label)
    if not detail:
        return words
    return f"{words} {detail}" if kind == "hangup" else f"{words}: {detail}"
