"""Sessions pages of the dashboard."""
