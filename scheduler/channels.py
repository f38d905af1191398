"""Delivery channels that pause while their outside service is unusable, so nothing is attempted."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from rewards.delivery import Deliverer


class ReadyChannels(Mapping[str, Deliverer]):
    """The deliverers, listing only channels whose service is usable now.

    The dispatcher claims messages of the listed channels only, so a paused channel's messages
    wait in the outbox without spending their attempts (Slack unreachable at start, say).
    """

    def __init__(self, deliverers: Mapping[str, Deliverer], usable: Mapping[str, Callable[[], bool]]) -> None:
        self._deliverers = dict(deliverers)
        self._usable = dict(usable)

    def __getitem__(self, channel: str) -> Deliverer:
        return self._deliverers[channel]

    def __iter__(self) -> Iterator[str]:
        return (c for c in self._deliverers if c not in self._usable or self._usable[c]())

    def __len__(self) -> int:
        return sum(1 for _ in self)
