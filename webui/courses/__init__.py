"""Courses pages of the dashboard."""
