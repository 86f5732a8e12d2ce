"""Privacy pages of the dashboard: the retention schedule, and giving or withdrawing consent."""
