"""desktop/supervisor."""
