"""Double-entry rules: a transaction's postings are integers that sum to zero."""

from __future__ import annotations

from collections.abc import Sequence

from rewards.model import Posting


class UnbalancedTransaction(ValueError):
    """A programming error: postings that do not sum to zero must never be written."""


def check_balanced(postings: Sequence[Posting]) -> None:
    for posting in postings:
        if isinstance(posting.amount, bool) or not isinstance(posting.amount, int):
            raise UnbalancedTransaction(f"posting amount {posting.amount!r} is not an integer")
        if posting.amount == 0:
            raise UnbalancedTransaction("a posting of zero points is meaningless")
    total = sum(p.amount for p in postings)
    if total != 0:
        raise UnbalancedTransaction(f"postings sum to {total}, not zero")
