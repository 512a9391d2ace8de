"""The operator's calls: the engine bridge (the softphone core's events as Qt signals, commands
as futures), the one call model fed by it (``model.CallBook`` of ``call.Call``, with hold time,
wrap-up and the store record worked out once), the store records and the local call history
built from the calls that end, and the event log."""
