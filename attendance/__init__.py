"""Classroom attendance: configuration, database, face matching, services and the worker."""
