"""Everything bound for the store, journalled before anything else happens: the SQLite journal
and its items (``journal``: adding; ``database``: transactions, claims and leases; ``schema``:
tables, priorities, status), the spool's files and its reserve for a full disk (``files``),
crash recovery at start (``recovery``), Opus packing of call audio (``audio_pack``) and the
uploader thread that drains it all to the store through ``store.client`` (``uploader``)."""
