"""Attendance history pages of the dashboard."""
