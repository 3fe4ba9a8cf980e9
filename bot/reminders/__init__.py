"""Reminders and online links."""
