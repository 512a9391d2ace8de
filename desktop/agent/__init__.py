"""desktop/agent."""
