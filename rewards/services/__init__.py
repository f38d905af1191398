"""Use cases: each opens the unit of work it is handed, does one thing, and commits."""
