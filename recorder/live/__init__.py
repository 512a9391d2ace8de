"""The operator's screen, live: what the worker sends the store while a supervisor watches."""
