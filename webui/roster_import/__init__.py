"""Roster import pages of the dashboard."""
