"""desktop/recording."""
