"""Screen recording for AgentDesk: capture, change detection, H.264 segments (no Qt).

``capture`` grabs the screen with mss, ``changes`` finds changed tiles and keeps the I420
picture up to date, ``encoder`` writes fragmented MP4 with libx264, ``segments`` turns that into
self-contained segments with JSON manifests, ``pipeline`` runs the loop and ``cli`` is
``agentdesk-record``. See DESIGN.md, "Recording model".
"""

import os

# numpy's OpenBLAS starts a worker thread per core that spins for a while at import (~0.07 s of
# CPU): the recorder does no linear algebra. Set before numpy is first imported; a value given
# by the user wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
