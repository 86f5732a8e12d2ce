"""A teacher's home page: today's sessions of their courses, live while they run."""
