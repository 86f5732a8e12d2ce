"""Erasing a student, through a confirmation page that lists what goes (admins)."""
