"""The Host header, parsed strictly, and the base of absolute links (DESIGN rule 9). Pure code.

A Host header is RFC 3986 ``host [ ":" port ]`` and nothing else: no userinfo (``localhost:1@evil``
would otherwise read as host ``localhost`` to one parser and ``evil`` to a browser), no path, port
digits only. The host is an IPv6 literal in brackets, a dotted IPv4 address or a DNS name
(international names are turned into their IDNA ``xn--`` form). Anything else is refused.

Absolute links (the verification link printed in reports) come from ``PORTAL_BASE_URL``, which
production requires; in development they are rebuilt from the validated Host, never copied from it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Host", "InvalidHost", "parse_host", "base_url_for", "check_base_url"]

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")
# WHATWG URL parsers read a name whose last label is a number as IPv4 ("0x7f.1" is 127.0.0.1).
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidHost(ValueError):
    pass


@dataclass(frozen=True)
class Host:
    name: str
    """Lower-case DNS name (IDNA), dotted IPv4, or an IPv6 address without brackets."""
    port: int | None = None

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.name

    def authority(self, scheme: str) -> str:
        name = f"[{self.name}]" if self.is_ipv6 else self.name
        if self.port is None or self.port == _DEFAULT_PORTS.get(scheme):
            return name
        return f"{name}:{self.port}"


def _port(raw: str) -> int:
    if not _PORT.fullmatch(raw) or not 0 < int(raw) <= 65535:
        raise InvalidHost("port")
    return int(raw)


def _dns_name(raw: str) -> str:
    if not raw.isascii():
        try:
            raw = raw.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidHost("name") from None
    name = raw.lower()
    name = name[:-1] if name.endswith(".") else name
    if _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
        try:
            return str(ipaddress.IPv4Address(name))  # no "127.1", no octal or hex forms
        except ValueError:
            raise InvalidHost("ipv4") from None
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise InvalidHost("name")
    return name


def parse_host(header: str | None) -> Host:
    """``InvalidHost`` for anything but ``host[:port]``."""
    if not header or len(header) > 300 or "%" in header:
        raise InvalidHost("empty")
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            raise InvalidHost("ipv6")
        try:
            name = str(ipaddress.IPv6Address(header[1:end]))  # no zone id ("%eth0")
        except ValueError:
            raise InvalidHost("ipv6") from None
        rest = header[end + 1 :]
        if rest and not rest.startswith(":"):
            raise InvalidHost("ipv6")
        return Host(name, _port(rest[1:]) if rest else None)
    name, colon, port = header.partition(":")
    if colon and ":" in port:
        raise InvalidHost("colons")
    return Host(_dns_name(name), _port(port) if colon else None)


def check_base_url(value: str) -> str:
    """``PORTAL_BASE_URL`` as configured: ``http(s)://host[:port][/path]``, no userinfo, query or fragment.
    Returns it without a trailing slash; ``ValueError`` with the reason otherwise."""
    parts = urlsplit(value.strip())
    if parts.scheme not in _DEFAULT_PORTS:
        raise ValueError("PORTAL_BASE_URL must start with https:// (or http://)")
    if "@" in parts.netloc or parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError("PORTAL_BASE_URL must not contain a user name, query or fragment")
    try:
        host = parse_host(parts.netloc)
    except InvalidHost:
        raise ValueError(f"PORTAL_BASE_URL has an invalid host: {parts.netloc!r}") from None
    return f"{parts.scheme}://{host.authority(parts.scheme)}{parts.path.rstrip('/')}"


def base_url_for(configured: str | None, scheme: str, host_header: str | None) -> str:
    """The base of absolute links: ``PORTAL_BASE_URL`` if set, else rebuilt from the validated Host."""
    if configured:
        return configured.rstrip("/")
    scheme = scheme if scheme in _DEFAULT_PORTS else "http"
    return f"{scheme}://{parse_host(host_header).authority(scheme)}"
