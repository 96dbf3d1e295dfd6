"""The client's address, the one place that decides it (login throttling, API rate limits).

``X-Forwarded-For`` is believed only from our own proxies (``PORTAL_TRUSTED_PROXIES``): walking it
from the right, the first hop that is not a trusted proxy is the client. Anyone can write the
left end of that header, so it is never taken as is.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from litestar.connection import ASGIConnection

from portal.settings import get_settings

__all__ = ["client_address", "address_from"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # "203.0.113.7:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def address_from(peer: str, forwarded_for: list[str], trusted: tuple[str, ...]) -> str:
    """The client address given the TCP peer, the ``X-Forwarded-For`` header values (in order) and
    the trusted proxy networks."""
    networks = _networks(trusted)
    current = _ip(peer)
    if current is None:
        return peer[:64] or "unknown"
    if not networks:
        return str(current)
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    while any(current in n for n in networks) and hops:
        previous = _ip(hops.pop())
        if previous is None:  # written by the client, not by one of our proxies
            break
        current = previous
    return str(current)


def client_address(connection: ASGIConnection) -> str:
    peer = connection.client.host if connection.client else ""
    trusted = get_settings().trusted_proxies
    forwarded = connection.headers.getall("x-forwarded-for", []) if trusted else []
    return address_from(peer, forwarded, trusted)
