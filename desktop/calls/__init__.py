"""desktop/calls."""
