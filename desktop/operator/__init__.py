"""The operator's main window around the call model (call list, controls, banner, agent
state, recording indicator and its controls, status lines, dial pad) and the tray icon; the
composition root (desktop/app/) docks the other panels in it."""
