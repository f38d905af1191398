"""Repositories: the domain's ports implemented with SQLAlchemy; they never commit."""
