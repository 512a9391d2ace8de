"""The engine's sound: the PortAudio bridge port and its streams while something needs them,
the null device otherwise, the ring, and the recorders' silence source.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections.abc import Callable
from typing import Any

import pjsua2 as pj
from pjsua2 import _pjsua2

from sip.audio import Levels, PortAudioBridge
from sip.devices import find_device, list_devices, portaudio_problem
from sip.events import AudioDevicesChanged
from sip.ringer import Ringer

log = logging.getLogger(__name__)

LINGER_S = 1.0  # the streams close this long after the last need (a call, the levels) ended
LEVELS_LEASE_S = 1.5  # an ask for the levels keeps the streams open this long
LEVELS_RETRY_S = 5.0

_RETIRED: list[Any] = []  # bridge ports kept until the process ends (see SoundSetup.close)


def silence_source(clock_rate: int) -> Any:
    """A conference source that never sounds (pjmedia's tone generator with nothing to play).

    Each call's two recorders listen to it: pjmedia hands a port with at least one source a
    frame on every tick, silence when no source had any, so the WAVs stay continuous in time
    while nothing else reaches them (hold, mute, a media restart). Native, so a tick does not
    call into Python for it, and it has no listener while no call records.
    """
    tone = pj.ToneGenerator()
    tone.createToneGenerator(clock_rate, 1)
    return tone


def _off_conference(bridge: PortAudioBridge) -> None:
    """Take the bridge port off the conference and keep its object for good.

    pjsua2 offers no way to remove a port but its destructor, which frees the port at once
    while pjmedia removes it only on its next tick (a use-after-free). So the slot is removed
    through pjsua's C call and the object, whose memory holds the port, is retired.
    """
    bridge.thisown = False
    _RETIRED.append(bridge)
    try:
        slot = bridge.getPortId()
        status = ctypes.CDLL(_pjsua2.__file__).pjsua_conf_remove_port(ctypes.c_int(slot))
        if status != 0:
            log.warning("the sound port stays on the conference: pjsua status %s", status)
    except Exception as exc:  # an unexpected build: the port stays, the call audio is right
        log.warning("the sound port stays on the conference: %s", exc)


class SoundSetup:
    """The engine's sound: PortAudio streams and a bridge port for them on the conference
    while something needs them, the null device otherwise. Created and changed on the SIP
    thread.

    Needs are a call or a monitoring leg (:meth:`need`) and asks for the levels (the audio
    settings show them); the streams close and the port leaves the conference
    :data:`LINGER_S` after the last need ended. Open, the streams (PortAudio's callbacks and
    PulseAudio's threads) and the port's heart-beat frames cost an idle engine ~4.7 % of a
    core (bench/README.md). The ring has a stream of its own (sip.ringer).
    """

    def __init__(
        self,
        ep: Any,
        config: Any,
        call_later: Callable[[float, Callable[[], None]], Any] | None = None,
        emit: Callable[[Any], None] | None = None,
        moved: Callable[[], None] | None = None,
    ) -> None:
        self.levels = Levels()
        self.clock_rate = config.clock_rate
        self.bridge: PortAudioBridge | None = None  # on the conference while needed
        # The null device's slot (one object for both, so links compare by identity).
        self.null_device: Any = ep.audDevManager().getPlaybackDevMedia()
        self.mic: Any = self.null_device
        self.speaker: Any = self.null_device
        self.silence: Any = silence_source(config.clock_rate)
        self.closed = False
        self.mode, self.detail = "null", "audio off by configuration"
        self.mic_name = self.speaker_name = self.ring_name = ""
        self.ringer: Any = None
        self._devices: tuple[int | None, int | None] | None = None  # (mic, speaker) indexes
        self._chosen_detail = ""  # the detail while the chosen devices work
        self._needed = False  # a call or a monitoring leg exists
        self._failed = False  # the streams failed to open for this need: not again until idle
        self._close_timer: Any = None
        self._levels_retry_at = 0.0  # time.monotonic() before which a failed device waits
        self.levels_asked_at = -1e9  # time.monotonic() of the last ask for the levels (any thread)
        self.call_later = call_later  # (seconds, fn) on the SIP thread; None: streams stay open
        self.emit: Callable[[Any], None] = emit or (lambda _event: None)
        self.moved = moved or (lambda: None)  # calls follow ``mic``/``speaker`` (the engine)
        if config.audio != "null":
            self.select(config.mic_device, config.speaker_device, config.ring_device)

    def select(self, mic: str, speaker: str, ring: str = "") -> None:
        """Choose the named devices (PortAudio), else the null device. The streams open at
        once, so a device that cannot open says so now, and close a moment later unless
        something needs them. Calls use ``mic``/``speaker`` after it."""
        if self.closed:
            return
        self._devices = None
        self._stop()
        problem = portaudio_problem()
        if problem:
            self.mode, self.detail = "null", f"{problem}: calls run on the null device (no audio)"
            self.mic_name = self.speaker_name = ""
            return
        mic_idx = find_device(mic, output=False)
        spk_idx = find_device(speaker, output=True)
        self.ring_name = ring
        if mic_idx is None and spk_idx is None:
            self.mode = "null"
            self.detail = "no sound device found: calls run on the null device (no audio)"
            self.mic_name = self.speaker_name = ""
            return
        self._devices = (mic_idx, spk_idx)
        problem = self._start()
        if problem:
            self._devices = None
            self._stop()
            self.mode = "null"
            self.detail = f"sound device failed ({problem}): calls run on the null device"
            return
        devices = {d.index: d.name for d in list_devices()}
        self.mic_name = devices.get(mic_idx, "") if mic_idx is not None else ""
        self.speaker_name = devices.get(spk_idx, "") if spk_idx is not None else ""
        self.mode = "portaudio"
        self.detail = (
            f"microphone: {self.mic_name or 'none'}; speaker: {self.speaker_name or 'none'}"
        )
        self._chosen_detail = self.detail
        self._failed = False
        self._linger()

    # --- the streams and the port only while needed ---------------------------------------
    @property
    def streaming(self) -> bool:
        return self.bridge is not None and self.bridge.streaming

    def levels_wanted(self) -> bool:
        return time.monotonic() - self.levels_asked_at < LEVELS_LEASE_S

    def need(self, needed: bool) -> None:
        """A call or a monitoring leg exists (True) or none does (False); SIP thread."""
        if needed == self._needed or self.closed:
            return
        self._needed = needed
        if needed:
            if self._devices is None or self._failed:
                return
            problem = self._start()
            if problem:  # the device vanished or is busy: the call goes on, without sound
                self._failed = True
                self._stop()
                self.mode = "failed"
                self.detail = f"sound device failed ({problem}): the call goes on without sound"
                log.warning("%s", self.detail)
                self.emit(self.devices_event())
            return
        self._failed = False
        if self._devices is not None and self.mode == "failed":
            self.mode, self.detail = "portaudio", self._chosen_detail  # the next call tries again
            self.emit(self.devices_event())
        self._linger()

    def want_levels(self) -> None:
        """Someone asked for the levels: open the streams a moment (SIP thread). A device
        that failed is tried again only after LEVELS_RETRY_S (the settings ask 10 times a
        second)."""
        if self.closed or self._failed or self._devices is None:
            return
        if time.monotonic() < self._levels_retry_at:
            return
        problem = self._start()
        if problem:
            log.info("no sound levels: %s", problem)
            self._levels_retry_at = time.monotonic() + LEVELS_RETRY_S
        self._linger()

    def _start(self) -> str:
        """The bridge port on the conference (calls move to it) and its streams open; the
        problem if they did not open ('' = none)."""
        assert self._devices is not None
        if self.bridge is None:
            self.bridge = PortAudioBridge(self.clock_rate, self.levels)
            self.bridge.create()
            self.mic = self.speaker = self.bridge
            self.moved()
        if self.bridge.streaming:
            return ""
        try:
            self.bridge.open_streams(*self._devices)
        except Exception as exc:
            return str(exc) or type(exc).__name__
        return ""

    def _stop(self) -> None:
        """Streams closed, calls back on the null device, the port off the conference."""
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        bridge, self.bridge = self.bridge, None
        if bridge is None:
            return
        bridge.close_streams()
        self.mic = self.speaker = self.null_device
        self.moved()
        _off_conference(bridge)

    def _linger(self) -> None:
        """Stop LINGER_S from now, unless a need comes meanwhile."""
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self.call_later is None or self.bridge is None:
            return

        def due() -> None:
            self._close_timer = None
            if self.closed or self._needed:
                return
            if self.levels_wanted():
                self._linger()
                return
            self._stop()

        self._close_timer = self.call_later(LINGER_S, due)

    def set_ringing(self, pattern: str | None) -> None:
        """Ring ('ring'), beep for a waiting call ('waiting') or be quiet (None)."""
        if self.mode == "null" and pattern is not None:
            return
        if self.ringer is None:
            if pattern is None:
                return
            self.ringer = Ringer()
        self.ringer.set(pattern, self.ring_name)

    def devices_event(self) -> AudioDevicesChanged:
        return AudioDevicesChanged(
            mode=self.mode,
            detail=self.detail,
            mic=self.mic_name,
            speaker=self.speaker_name,
            ring=self.ring_name,
        )

    def close(self) -> None:
        """Stop the sound streams. The bridge port itself is retired, not destroyed: its
        C++ destructor frees the port at once while the conference removes it only on a
        later tick (a use-after-free seen as crashes at exit), and after libDestroy it
        asserts. The conference goes away with libDestroy; the port object is left to the OS.
        """
        if self.ringer is not None:
            self.ringer.close()
            self.ringer = None
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self.bridge is not None:
            self.bridge.close_streams()
            self.bridge.thisown = False
            _RETIRED.append(self.bridge)
        if self.silence is not None:
            self.silence.thisown = False
            _RETIRED.append(self.silence)
        self.bridge = self.mic = self.speaker = self.silence = self.null_device = None
        self.closed = True
