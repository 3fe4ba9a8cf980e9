"""Attendance check-in at the venues, and the printable QR codes."""
