"""Screen recording for AgentDesk, in its own process and without Qt.

``capture`` looks at the screen (mss grabs, X DAMAGE, changed tiles, window titles to mask),
``segments`` turns what changed into H.264 segments with their manifests (the recording loop,
the encoder, the spool and the recording windows), ``outbox`` journals everything bound for the
store and uploads it. ``worker`` is the process the desktop drives over a pipe
(``python -m recorder.worker``), ``cli`` is ``agentdesk-record``. Of our code it imports only
``formats`` and ``store.client``. See recorder/README.md.
"""

import os

# numpy's OpenBLAS starts a worker thread per core that spins for a while at import (~0.07 s of
# CPU): the recorder does no linear algebra. Set before numpy is first imported; a value given
# by the user wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
