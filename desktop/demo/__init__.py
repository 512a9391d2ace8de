"""desktop/demo."""
