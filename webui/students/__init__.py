"""Students pages of the dashboard."""
