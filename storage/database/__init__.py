"""Connecting and transactions: engines, the SQLite write gate, the unit of work, statements on the driver."""
