"""The redemption state machine: which transitions are legal."""

from __future__ import annotations

from rewards import errors
from rewards.model import Redemption, RedemptionState

S = RedemptionState

TRANSITIONS: dict[str, tuple[frozenset[RedemptionState], RedemptionState]] = {
    "approve": (frozenset({S.REQUESTED}), S.APPROVED),
    "reject": (frozenset({S.REQUESTED}), S.REJECTED),
    "expire": (frozenset({S.REQUESTED}), S.EXPIRED),
    "cancel": (frozenset({S.REQUESTED, S.APPROVED}), S.CANCELLED),
    "fulfill": (frozenset({S.APPROVED}), S.FULFILLED),
}


def transition(redemption: Redemption, action: str) -> RedemptionState:
    """Return the state `action` leads to, or raise IllegalTransition naming the current state."""
    allowed_from, target = TRANSITIONS[action]
    if redemption.state not in allowed_from:
        raise errors.IllegalTransition(
            f"This redemption is {redemption.state.value}; it cannot be {_past(action)}.",
            state=redemption.state.value,
            redemption_id=redemption.id,
        )
    return target


def _past(action: str) -> str:
    return {"fulfill": "fulfilled", "cancel": "cancelled"}.get(action, action + "d")
