"""Crash recovery at start: nothing recorded and not yet confirmed by the store is forgotten.

- WAV files whose header sizes were never written (the process died while recording) get
  their RIFF and data sizes repaired in place, cut to the last whole frame.
- A call whose two sides were never merged is merged now, then journalled.
- Screen segments kept beside the recorder but not journalled (a crash between the release
  and the outbox) are added; cut segments were already finished by ``segments.recover``
  (kept to their last complete fragment, or dropped with a log line).
- Calls journalled as in progress (the desktop died during them) are sent as ended at their
  last known time, by the system, "desktop restarted"; dialog cards never finished (in the
  call or its wrap-up) go as they were, as a change of their call (:func:`close_open_calls`,
  run by the desktop at its start, never by the worker: a worker restarted under a running
  desktop must not end its calls).
- Files in the outbox's spool without a row are added again; rows whose files are gone are
  reported and dropped (there is nothing left to send); leases of a dead uploader end.
"""

from __future__ import annotations

import logging
import os
import struct
import wave
from collections.abc import Collection
from pathlib import Path
from typing import Any

from formats.call_audio import NoteError, merge_stereo, read_note, wav_finalised
from formats.manifest import RECORDING, ManifestError, read_manifest
from recorder.outbox.journal import Outbox, OutboxError

log = logging.getLogger(__name__)


def repair_wav(path: Path) -> bool:
    """Write the true sizes into a WAV header a crash left unfinished; True if it changed."""
    if wav_finalised(path):
        return False
    with open(path, "r+b") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path.name}: not a WAV file")
        size = fh.seek(0, 2)
        pos, block = 12, 4
        while pos + 8 <= size:
            fh.seek(pos)
            cid, length = struct.unpack("<4sI", fh.read(8))
            if cid == b"fmt ":
                fh.seek(pos + 8)
                channels, _rate, _rate_b, align = struct.unpack("<xxHIIH", fh.read(14))
                block = align or 2 * max(1, channels)
            elif cid == b"data":
                data = size - (pos + 8)
                data -= data % block
                fh.truncate(pos + 8 + data)
                fh.seek(pos + 4)
                fh.write(struct.pack("<I", data))
                fh.seek(4)
                fh.write(struct.pack("<I", pos + data))
                fh.flush()
                os.fsync(fh.fileno())
                log.warning("repaired the header of %s (%d bytes of audio)", path.name, data)
                return True
            pos += 8 + length + (length & 1)
    raise ValueError(f"{path.name}: no data chunk")


def _frames(wav: Path) -> tuple[int, int]:
    """(frames, sample rate) from a finalised PCM16 WAV's header."""
    with wave.open(str(wav), "rb") as reader:
        return reader.getnframes(), reader.getframerate()


def recover_call_audio(folder: Path, outbox: Outbox, live: Collection[str] = ()) -> list[str]:
    """Journal the calls recorded in ``folder`` (the softphone's recording folder) that the
    outbox does not have, but the ``live`` ones (still recording); returns their call ids."""
    added = []
    for path in sorted(folder.glob("*.json")):
        try:
            note = read_note(path)
        except (OSError, NoteError):
            continue  # not a recording's note
        call_id, stereo = note.call_id, folder / note.stereo_wav
        if call_id in live or outbox.has(f"audio:{call_id}"):
            continue
        try:
            if not stereo.exists():
                sides = [folder / note.operator_wav, folder / note.customer_wav]
                if not all(p.exists() for p in sides):
                    log.warning("the recording of %s has no audio files left", call_id)
                    continue
                for side in sides:
                    repair_wav(side)
                merge_stereo(sides[0], sides[1], stereo)
                for side in sides:
                    side.unlink()
            else:
                repair_wav(stereo)
            frames, rate = _frames(stereo)
            outbox.add_audio(call_id, stereo, note.first_sample_utc_us, rate, frames)
        except (OSError, ValueError, EOFError, OutboxError) as exc:
            log.error("cannot recover the recording of %s: %s", call_id, exc)
            continue
        log.warning("recovered the recording of call %s (%d frames)", call_id, frames)
        added.append(call_id)
    return added


def recover_segments(folder: Path, outbox: Outbox) -> int:
    """Journal finished screen segments left in the recorder's output ``folder``."""
    added = 0
    for path in sorted(folder.glob("screen-*.json")):
        try:
            manifest = read_manifest(path)
        except (OSError, ManifestError) as exc:
            log.warning("unreadable manifest %s: %s", path.name, exc)
            continue
        if manifest.status == RECORDING or not manifest.sha256:
            continue
        if not (folder / manifest.file).exists():
            continue
        try:
            if outbox.add_segment(path, manifest, in_place=folder != outbox.spool):
                added += 1
                log.warning("journalled segment %s left by an earlier run", manifest.file)
        except OutboxError as exc:
            log.error("cannot journal segment %s: %s", path.name, exc)
    return added


def recover_outbox(outbox: Outbox) -> dict[str, int]:
    """Make the journal and the spool agree after a crash (see the module docstring)."""
    spool = outbox.spool
    for tmp in spool.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    freed = outbox.unlease_all()
    known = {name for item in outbox.pending() for name in item.files}
    readded = recover_segments(spool, outbox) + len(recover_call_audio(spool, outbox))
    dropped = 0
    for item in outbox.pending():
        if item.kind == "media" and not (spool / item.files[0]).exists():
            log.error("outbox item %s lost its file %s; dropping it", item.key, item.files[0])
            outbox.drop(item)
            dropped += 1
    for entry in spool.glob("*.opus.ogg"):
        if entry.name not in known:
            entry.unlink(missing_ok=True)  # a packing the crash interrupted; done again
    return {"unleased": freed, "readded": readded, "dropped": dropped}


RESTART_CAUSE = "desktop restarted"


def close_open_calls(outbox: Outbox) -> dict[str, dict[str, Any]]:
    """End the calls the outbox has as in progress (see the module docstring); their records
    as sent, by call id."""
    closed: dict[str, dict[str, Any]] = {}
    for item in outbox.open_calls():
        call_id = str(item.call_id)
        record: dict[str, Any] = dict(item.body.get("record") or {})
        seen = int(item.body.get("seen_us") or record.get("started_us") or item.created_us)
        started = int(record.get("started_us") or seen)
        record.setdefault("started_us", started)
        if not record.get("ended_us"):  # else it had ended and waited for its audio
            record["ended_us"] = max(seen, started, int(record.get("answered_us") or 0))
            record["ended_by"] = "system"
            record["cause"] = RESTART_CAUSE
        for hold in record.get("holds") or []:
            if hold.get("end_us") is None:
                hold["end_us"] = record["ended_us"]
        try:
            outbox.add_call(call_id, record)
        except OutboxError as exc:
            log.error("cannot end the open call %s: %s", call_id, exc)
            continue
        log.warning("call %s was in progress when the desktop stopped; sent as ended", call_id)
        closed[call_id] = record
    for draft in outbox.drafts():  # cards never finished: sent as they were
        try:
            outbox.add_patch(str(draft.call_id), draft.body)
            outbox.drop(draft)  # (a card change removed it already)
        except OutboxError as exc:
            log.error("cannot send the card draft of %s: %s", draft.call_id, exc)
            continue
        log.warning("the unfinished card of call %s is sent as it was", draft.call_id)
    return closed
