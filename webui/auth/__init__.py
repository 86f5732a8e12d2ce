"""Auth pages of the dashboard."""
