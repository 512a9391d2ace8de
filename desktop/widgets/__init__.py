"""Small widgets of the main window; each is constructible on its own."""
