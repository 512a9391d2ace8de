"""Formats that two parts of AgentDesk share, each defined once with one reader and one writer:
the clock (``clock``), a call's audio WAV and the note beside it (``call_audio``: the softphone
writes, the outbox reads), a screen segment's manifest (``manifest``: the recorder writes, the
outbox and QA playback read) and the desktop↔recorder-worker pipe messages (``pipe``, written
and read by ``pipe_codec``). A leaf: it imports nothing of ours outside this package."""
