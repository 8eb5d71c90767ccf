"""Helpers importable by tests and by the trial worker processes."""
