"""recorder/outbox."""
