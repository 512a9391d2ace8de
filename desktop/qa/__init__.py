"""desktop/qa."""
