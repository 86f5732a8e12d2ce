"""Review queue pages of the dashboard."""
