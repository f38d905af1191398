"""Alembic migrations for Plaudit's schema."""
