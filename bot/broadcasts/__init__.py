"""Broadcasts from organisers."""
