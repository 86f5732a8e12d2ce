"""Cameras page of the dashboard."""
