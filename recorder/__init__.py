"""Screen recording for AgentDesk: capture, change detection, H.264 segments (no Qt).

``capture`` grabs the screen with mss, ``changes`` finds changed tiles and keeps the I420
picture up to date, ``encoder`` writes fragmented MP4 with libx264, ``segments`` turns that into
self-contained segments with JSON manifests, ``pipeline`` runs the loop and ``cli`` is
``agentdesk-record``. See DESIGN.md, "Recording model".
"""
