"""Users page of the dashboard: accounts, roles, password resets (admins)."""
