"""recorder/segments."""
