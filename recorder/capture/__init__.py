"""recorder/capture."""
