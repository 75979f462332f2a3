"""Clients by network: the one rule that turns a client address into the key its limits count.

One subscriber usually holds a whole IPv6 /64 (some a /56 or /48), and can use a new
address of it for every request, so IPv6 clients are grouped by prefix: /64 by default,
anything from /48 to /64 by setting. IPv4 addresses are scarce and each is counted on its
own (/32), or by /24 where a site prefers. An IPv4-mapped IPv6 address (``::ffff:a.b.c.d``)
counts as its IPv4 address. A proxy in front (nginx) can mirror this rule with a ``map``
on ``$binary_remote_addr``; ``deploy/`` does.

Groups are written as networks (``2001:db8:1:2::/64``, ``198.51.100.0/24``) or, for a
whole address, as the address alone (``198.51.100.7``).
"""

from __future__ import annotations

import functools
import ipaddress

__all__ = [
    "DEFAULT_IPV4_PREFIX",
    "DEFAULT_IPV6_PREFIX",
    "IPV4_PREFIXES",
    "IPV6_PREFIXES",
    "client_group",
]

DEFAULT_IPV6_PREFIX = 64
DEFAULT_IPV4_PREFIX = 32
#: The prefix lengths a setting may choose.
IPV6_PREFIXES = range(48, 65)
IPV4_PREFIXES = range(24, 33)


@functools.lru_cache(maxsize=4096)
def client_group(
    address: str,
    *,
    ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
    ipv4_prefix: int = DEFAULT_IPV4_PREFIX,
) -> str:
    """The group that ``address`` belongs to, as text; anything that is not an IP
    address (a Unix socket's peer, an empty string) is its own group, unchanged."""
    if ipv6_prefix not in IPV6_PREFIXES or ipv4_prefix not in IPV4_PREFIXES:
        raise ValueError("prefixes: IPv6 /48 to /64, IPv4 /24 to /32")
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop a zone (fe80::1%eth0)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        if ipv4_prefix == 32:
            return str(ip)
        return str(ipaddress.IPv4Network((ip, ipv4_prefix), strict=False))
    return str(ipaddress.IPv6Network((ip, ipv6_prefix), strict=False))
