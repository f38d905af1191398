"""Plaudit's domain: the points ledger, recognition rules, redemptions and the services adapters call."""
