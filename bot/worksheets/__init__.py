"""Session 2 at the tables: worksheets, contributions, the facilitators' boards and
reports, the regia's synthesis."""
