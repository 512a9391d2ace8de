"""AgentDesk's desktop app: the only Qt code, on top of the sip, recorder and store cores."""
