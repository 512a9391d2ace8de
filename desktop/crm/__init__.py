"""CRM adapters for the screen-pop card: number normalisation, lookups, post-back. No Qt here."""
