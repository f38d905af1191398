"""Read-only queries the adapters wait on: balances, boards, listings and reports."""
