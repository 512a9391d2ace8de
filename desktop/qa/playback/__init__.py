"""QA playback without Qt: a call's timeline, media streamed from the store with Range
requests, audio and screen decoding aligned by UTC, the playback clock, and the MP4 export.

The Qt widgets (``desktop/qa/window.py``, ``desktop/qa/player.py`` …) sit on top of it.
"""
