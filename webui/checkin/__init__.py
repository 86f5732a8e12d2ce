"""Check-in codes: the public page students use, and the teacher's open/close buttons."""
