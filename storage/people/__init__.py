"""Employees, their personal fields encrypted per row."""
