"""The operator as an agent: the agent-state machine (ready, not ready, break, on call,
wrap-up, offline) driven by the softphone's events, and the live presence this desktop
publishes to the store for the supervisors' board, read from the call model."""
