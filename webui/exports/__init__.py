"""Exports pages of the dashboard."""
