"""Where webhooks may go: never an internal address, in any spelling, unless an operator allows it."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rewards.errors import DomainError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_TEREDO = ipaddress.ip_network("2001::/32")  # a tunnel; no receiver needs one, so refused outright
DNS_TIMEOUT_SECONDS = 3.0
NOT_PUBLIC = "A webhook host must resolve to a public address."
# getaddrinfo has no timeout of its own; a few threads bound how many lookups can hang at once.
_DNS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="plaudit-dns")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")

# The only words a client reads in a delivery log's `error`; details stay in the server log.
ERROR_CATEGORIES = frozenset(
    {
        "destination_not_allowed",
        "dns_error",
        "connection_refused",
        "connection_error",
        "timeout",
        "tls_error",
        "bad_response",
        "http_status",
        "subscription_deleted",
        "not_permitted",
        "delivery_failed",
    }
)


class DestinationNotAllowed(DomainError):
    code = "destination_not_allowed"
    status = 422


Resolver = Callable[[str, int], list[Address]]


def resolve(host: str, port: int, timeout: float | None = None) -> list[Address]:
    """Every address the name resolves to; TimeoutError when the resolver takes longer than that."""
    lookup = _DNS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    found = lookup.result(
        timeout=timeout or DNS_TIMEOUT_SECONDS
    )  # concurrent.futures.TimeoutError is TimeoutError
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: scheme, normalised host name or address, port and path."""

    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class DestinationPolicy:
    """Which receivers are allowed: public addresses, plus the hosts and networks an operator names."""

    https_only: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, allowed: str, *, https_only: bool) -> DestinationPolicy:
        """From a comma-separated list of host names, addresses and CIDR blocks."""
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in (e.strip() for e in allowed.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = normalise_name(entry)
            if not name or any(c in name for c in "/:@ ") or name.replace(".", "").isdigit():
                raise ValueError(f"{entry!r} is neither a host name, an address nor a CIDR block")
            hosts.add(name)
        return cls(https_only, frozenset(hosts), tuple(networks))

    def target(self, url: str) -> Target:
        """Check the URL's form; raise DestinationNotAllowed naming what is wrong."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise DestinationNotAllowed("The webhook URL is not a valid URL.") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise DestinationNotAllowed(
                "A webhook URL must start with https:// (or http:// outside production)."
            )
        if scheme == "http" and self.https_only:
            raise DestinationNotAllowed("A webhook URL must use https in production.")
        if parts.username is not None or parts.password is not None:
            raise DestinationNotAllowed("A webhook URL must not carry a user name or password.")
        host = normalise_name(parts.hostname or "")
        if not host:
            raise DestinationNotAllowed("The webhook URL has no host.")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return Target(scheme, host, port or (443 if scheme == "https" else 80), path)

    def check(self, url: str) -> Target:
        """The URL's target if its host, as written, is not internal (names are checked once resolved)."""
        target = self.target(url)
        if self.host_allowed(target.host):
            return target
        literal = ip_literal(target.host)
        if literal is not None:
            self.check_address(literal)
        elif is_local_name(target.host):
            raise DestinationNotAllowed("Webhooks cannot be sent to this host.", host=target.host)
        return target

    def host_allowed(self, host: str) -> bool:
        """An operator named this host: it is trusted whatever it resolves to."""
        return normalise_name(host) in self.allowed_hosts

    def address_allowed(self, address: Address) -> bool:
        """A public address, or one inside a network the operator allowed."""
        plain = _unwrap(address)
        if any(a in n for a in {address, plain} for n in self.allowed_networks if a.version == n.version):
            return True
        return not is_internal(address)

    def check_address(self, address: Address) -> None:
        if not self.address_allowed(address):
            raise DestinationNotAllowed("Webhooks cannot be sent to an internal address.")

    def check_resolved(self, host: str, addresses: Iterable[Address]) -> Address:
        """The address to connect to, if every address the host resolved to is allowed."""
        found = list(addresses)
        if not found:
            raise DestinationNotAllowed(NOT_PUBLIC)
        if not self.host_allowed(host):
            for address in found:
                if not self.address_allowed(address):
                    raise DestinationNotAllowed(NOT_PUBLIC)
        return found[0]

    def address_for(self, target: Target, resolver: Resolver = resolve) -> Address:
        """The checked address to connect to for a target that passed `check`.

        A name that does not resolve (or not in time) is refused exactly like one that resolves
        inside, so a refusal tells a client nothing about the internal DNS; the cause is chained.
        """
        try:
            addresses = resolver(target.host, target.port)
        except (OSError, UnicodeError, ValueError) as exc:
            raise DestinationNotAllowed(NOT_PUBLIC) from exc
        return self.check_resolved(target.host, addresses)


def normalise_name(host: str) -> str:
    """Lower case, without brackets or a trailing dot: the form a resolver sees."""
    return host.strip().strip("[]").lower().rstrip(".")


def is_local_name(host: str) -> bool:
    name = normalise_name(host)
    return name in LOCAL_NAMES or name.endswith(".localhost")


def ip_literal(host: str) -> Address | None:
    """The address a host spells, in every form a resolver accepts (`127.1`, `0x7f.1`, `2130706433`)."""
    name = normalise_name(host)
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        pass
    return _inet_aton(name)


def _inet_aton(name: str) -> ipaddress.IPv4Address | None:
    parts = name.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10) if part.isdigit() else -1)
        except ValueError:
            return None
    if any(n < 0 for n in numbers):
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _unwrap(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped, -compatible, NAT64, 6to4 or Teredo IPv6 one."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64[0] or (address in _V4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_internal(address: Address) -> bool:
    """Loopback, private, link-local, unique-local, CGNAT, multicast, reserved or unspecified."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped or address in _V4_COMPATIBLE or address in _NAT64[1]:
            return True  # never a public receiver, whatever address it wraps
        if address in _TEREDO:
            return True
        if address in _NAT64[0] or address.sixtofour is not None:
            inner = _unwrap(address)
            return inner == address or _internal(inner)
    return _internal(address)


def _internal(address: Address) -> bool:
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )
