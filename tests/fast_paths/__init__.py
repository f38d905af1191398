"""Fast paths (statements on the driver, the connection-based unit of work, engine tuning) keep results."""
