"""The desktop's side of the recorder worker: the link that runs and supervises the worker
process and opens and closes each call's recording window as the call model says (from ring
or dial to the end of the wrap-up), the worker's options from the settings, and the upload
queue that hands calls, audio, changes and agent states to the outbox."""
