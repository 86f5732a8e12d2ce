"""Domain services. Each takes the caller's ``Session`` first and never commits."""
