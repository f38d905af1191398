"""Storage: SQLAlchemy tables, the unit of work, repositories, field encryption and migrations."""
