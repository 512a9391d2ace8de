"""Per-call audio wiring on the conference bridge, and the call recording tap.

What the operator sends into a call (microphone, a played file or tone) is connected both to
the call and to the operator-side recorder, and the call's received audio to the speaker and
the customer-side recorder. The two recorders start on the same bridge tick, so their files
are aligned sample for sample; at the end they are merged into one stereo WAV (left operator,
right customer) stamped with the UTC time of its first sample.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pjsua2 as pj

from formats.call_audio import CallAudioNote, merge_stereo, wait_finalised, write_note
from formats.clock import utc_us
from sip import events as ev

log = logging.getLogger(__name__)


@dataclass
class Recording:
    call_id: str
    path: Path  # the final stereo WAV
    operator_path: Path
    customer_path: Path
    first_sample_utc_us: int
    sample_rate: int


class CallMedia:
    """The bridge connections of one call. Runs on the SIP thread only."""

    def __init__(
        self, call_id: str, mic: Any, speaker: Any, clock_rate: int, silence: Any = None
    ) -> None:
        self.call_id = call_id
        self._silence = silence  # keeps both recorders ticking (sip.audio.SilencePort)
        self._mic = mic  # AudioMedia the operator speaks into (bridge port or null device)
        self._speaker = speaker
        self._clock_rate = clock_rate
        self._aud: Any = None  # the call's AudioMedia while media is active
        self._player: Any = None  # ToneGenerator or AudioMediaPlayer
        self._op_rec: Any = None
        self._cu_rec: Any = None
        self.recording: Recording | None = None
        self._links: list[tuple[Any, Any]] = []  # (source, sink) pairs this call connected
        self._guest: Any = None  # a monitoring supervisor's leg mixed into this call
        self._guest_mode = ""
        self.muted = False
        self.held = False
        self.recording_paused = False  # both recorders take silence (set_recording_paused)

    # --- sources into the call ---------------------------------------------------------
    def _sources(self) -> list[Any]:
        """What the customer hears from us: nothing while muted or on hold."""
        if self.muted or self.held:
            return []
        return [src for src in (self._mic, self._player) if src is not None]

    def _targets(self) -> list[Any]:
        op_rec = None if self.recording_paused else self._op_rec
        return [t for t in (self._aud, op_rec, self._guest) if t is not None]

    def _link(self, src: Any, dst: Any) -> None:
        src.startTransmit(dst)
        self._links.append((src, dst))

    def _unlink(self, *sources: Any) -> None:
        """Undo only links this call made, so pjsua2 never logs a disconnect of nothing."""
        self._unlink_where(lambda src, dst: any(src is s for s in sources))

    def _unlink_where(self, match: Callable[[Any, Any], bool], stop: bool = True) -> None:
        keep = []
        for src, dst in self._links:
            if not match(src, dst):
                keep.append((src, dst))
            elif stop:
                with contextlib.suppress(pj.Error):
                    src.stopTransmit(dst)
        self._links = keep

    def _disconnect_sources(self) -> None:
        self._unlink(self._mic, self._player)

    def _connect_sources(self) -> None:
        for src in self._sources():
            for dst in self._targets():
                self._link(src, dst)

    def attach(self, aud: Any) -> None:
        """The call's media became active: wire it up (idempotent)."""
        self._disconnect_sources()
        if self._aud is not None:
            self._unlink(self._aud)
        self._aud = aud
        self.held = False
        self._link(aud, self._speaker)
        if self._cu_rec is not None and not self.recording_paused:
            self._link(aud, self._cu_rec)
        self._connect_sources()
        self._wire_guest()

    def set_held(self, held: bool) -> None:
        self._disconnect_sources()
        self.held = held
        self._connect_sources()
        self._wire_guest()

    def set_muted(self, muted: bool) -> None:
        self._disconnect_sources()
        self.muted = muted
        self._connect_sources()

    def use_sound(self, mic: Any, speaker: Any) -> None:
        """Move this call's sound to other conference ports (another sound device)."""
        if mic is self._mic and speaker is self._speaker:
            return
        old = self._speaker
        self._disconnect_sources()
        self._unlink_where(lambda src, dst: dst is old)  # the call and a guest into it
        self._mic, self._speaker = mic, speaker
        if self._aud is not None:
            self._link(self._aud, speaker)
        self._connect_sources()
        self._wire_guest()

    def play_tone(self, freq1: int, freq2: int = 0, volume: int = 0) -> None:
        tone = pj.ToneGenerator()
        tone.createToneGenerator(self._clock_rate, 1)
        desc = pj.ToneDesc()
        desc.freq1, desc.freq2 = freq1, freq2
        desc.on_msec, desc.off_msec = 1000, 0
        desc.volume = volume
        tones = pj.ToneDescVector()
        tones.append(desc)
        tone.play(tones, True)
        self._set_player(tone)

    def play_file(self, path: str, loop: bool = True) -> None:
        player = pj.AudioMediaPlayer()
        player.createPlayer(path, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        self._set_player(player)

    def stop_playback(self) -> None:
        self._set_player(None)

    def _set_player(self, player: Any) -> None:
        self._disconnect_sources()
        self._player = player
        self._connect_sources()

    # --- recording tap -------------------------------------------------------------------
    def start_recording(self, folder: str) -> Recording:
        if self.recording is not None:
            return self.recording
        base = Path(folder) / self.call_id
        base.parent.mkdir(parents=True, exist_ok=True)
        op_path = base.with_name(f"{self.call_id}.operator.wav")
        cu_path = base.with_name(f"{self.call_id}.customer.wav")
        op_rec, cu_rec = pj.AudioMediaRecorder(), pj.AudioMediaRecorder()
        op_rec.createRecorder(str(op_path))
        cu_rec.createRecorder(str(cu_path))
        self._disconnect_sources()
        self._op_rec, self._cu_rec = op_rec, cu_rec
        # Both recorders get their first frame on the same bridge tick from here.
        first = utc_us()
        if self._aud is not None and not self.recording_paused:
            self._link(self._aud, cu_rec)
        if self._silence is not None:  # never unlinked: the recorders go with the call
            self._link(self._silence, op_rec)
            self._link(self._silence, cu_rec)
        self._connect_sources()
        self.recording = Recording(
            call_id=self.call_id,
            path=base.with_name(f"{self.call_id}.wav"),
            operator_path=op_path,
            customer_path=cu_path,
            first_sample_utc_us=first,
            sample_rate=self._clock_rate,
        )
        self._wire_guest()
        _write_sidecar(self.recording, finished=False)
        return self.recording

    def set_recording_paused(self, paused: bool) -> None:
        """Pause (or resume) what the call recording takes, at the source: both recorders
        then get only the silence port's frames, so both channels of the WAV are silent for
        the span while the call itself goes on. Before the recording starts it is kept for it."""
        if paused == self.recording_paused:
            return
        self._disconnect_sources()
        aud, cu_rec = self._aud, self._cu_rec
        if aud is not None and cu_rec is not None:
            if paused:
                self._unlink_where(lambda src, dst: src is aud and dst is cu_rec)
            else:
                self._link(aud, cu_rec)
        self.recording_paused = paused
        self._connect_sources()
        self._wire_guest()  # a barging supervisor is not recorded meanwhile either

    # --- a monitoring supervisor (sip.monitor) ------------------------------------------
    def set_guest(self, port: Any, mode: str) -> None:
        """Mix a supervisor's monitoring leg into this call. listen: it hears the customer and
        what the operator sends the customer; whisper: the operator hears it too; barge: the
        customer and the recording's operator side as well (not while the call is held)."""
        if self._guest is not None and self._guest is not port:
            self.clear_guest()
        self._disconnect_sources()
        self._guest, self._guest_mode = port, mode
        self._connect_sources()  # what the operator sends reaches the guest like the customer
        self._wire_guest()

    def _wire_guest(self) -> None:
        """The guest's links besides the operator's sources, made again from the mode."""
        guest = self._guest
        if guest is None:
            return
        self._unlink_where(lambda src, dst: src is guest or (dst is guest and src is self._aud))
        if self._aud is not None:
            self._link(self._aud, guest)
        if self._guest_mode in ("whisper", "barge"):
            self._link(guest, self._speaker)
        if self._guest_mode == "barge" and not self.held:
            for dst in (self._aud, None if self.recording_paused else self._op_rec):
                if dst is not None:
                    self._link(guest, dst)

    def clear_guest(self, gone: bool = False) -> None:
        """Take the guest out of this call (``gone``: its port no longer exists)."""
        guest, self._guest, self._guest_mode = self._guest, None, ""
        if guest is not None:
            self._unlink_where(lambda src, dst: guest is src or guest is dst, stop=not gone)

    def close(self) -> Recording | None:
        """Forget the call's links and close the recorders (flushes their WAV headers).

        Nothing is disconnected by hand but a guest's links to ports that stay (the speaker,
        the microphone): the call's port is already gone when its media ends, and destroying
        a player or recorder removes its links with it.
        """
        guest, self._guest = self._guest, None
        if guest is not None:
            stays = (self._speaker, self._mic)
            self._unlink_where(
                lambda src, dst: (
                    (src is guest and any(dst is p for p in stays))
                    or (dst is guest and any(src is p for p in stays))
                )
            )
        self._links.clear()
        self._aud = None
        self._player = None
        self._op_rec = self._cu_rec = None
        return self.recording


def _write_sidecar(rec: Recording, *, finished: bool, frames: int = 0) -> None:
    """A JSON note beside the audio: enough to recover and align it after a crash."""
    note = CallAudioNote(
        call_id=rec.call_id,
        first_sample_utc_us=rec.first_sample_utc_us,
        sample_rate=rec.sample_rate,
        operator_wav=rec.operator_path.name,
        customer_wav=rec.customer_path.name,
        stereo_wav=rec.path.name,
        finished=finished,
        frames=frames,
    )
    write_note(note, rec.path.parent)


def merge_recording(rec: Recording) -> ev.RecordingFinished | ev.EngineError:
    """Merge a finished call's two sides into its stereo WAV (a blocking file job, run off
    the SIP thread); the outcome is returned as the event to emit, not emitted here.
    """
    # The recorders close a bridge tick after they were dropped: merging before that would
    # lose the unflushed tail (or find no header at all in a short call).
    if not wait_finalised((rec.operator_path, rec.customer_path)):
        log.warning("the recording of %s was not finalised in time", rec.call_id)
    try:
        frames = merge_stereo(rec.operator_path, rec.customer_path, rec.path)
        _write_sidecar(rec, finished=True, frames=frames)
        rec.operator_path.unlink(missing_ok=True)
        rec.customer_path.unlink(missing_ok=True)
    except Exception as exc:  # keep the mono files: nothing is lost
        log.exception("merging the recording of %s", rec.call_id)
        return ev.EngineError(where="recording", message=f"{rec.call_id}: {exc}")
    return ev.RecordingFinished(
        call_id=rec.call_id,
        path=str(rec.path),
        first_sample_utc_us=rec.first_sample_utc_us,
        sample_rate=rec.sample_rate,
        frames=frames,
    )
