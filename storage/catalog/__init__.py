"""The rewards catalog and redemptions."""
