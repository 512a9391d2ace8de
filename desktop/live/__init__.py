"""The desktop's live connection to the store (:mod:`desktop.live.channel`) and what comes
over it for the softphone: monitoring sessions (:mod:`desktop.live.monitoring`)."""
