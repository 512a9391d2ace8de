"""desktop/settings."""
