"""desktop/operator."""
