"""The ledger: accounts, balanced append-only transactions, and verification of every invariant."""
