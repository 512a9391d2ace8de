"""The PBX's view: Asterisk queue events (queue_log) into the store, queue reports and the
live queue state. `queue_log` parses lines and imports nothing of ours, so the feed (its own
process) and the store read the format the same way."""
