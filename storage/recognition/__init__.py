"""Recognitions and the reaction kudos log."""
