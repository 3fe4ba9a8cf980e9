"""Registration: the wizard, managing a registration, comuni and zones, the calendar file."""
