"""Polls at the zone tables: ballots, staff panels, results, charts, exports."""
