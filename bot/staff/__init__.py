"""Staff: roles, invitations, the staff list and its erasure."""
