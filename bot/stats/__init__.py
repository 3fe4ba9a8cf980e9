"""Figures and the registrations export for organisers."""
