"""server.ops.client_group: IPv6 clients by network, IPv4 by address or /24."""

from __future__ import annotations

import pytest

from server.ops.client_group import client_group


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::1", "::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4-mapped: the IPv4 address
        ("fe80::1%eth0", "fe80::/64"),
        ("", ""),  # no address (a Unix socket): its own group
        ("not an address", "not an address"),
    ],
)
def test_default_groups(address: str, group: str) -> None:
    assert client_group(address) == group


def test_every_address_of_a_64_is_one_client() -> None:
    groups = {client_group(f"2001:db8:0:7:{i:x}::{i:x}") for i in range(1, 500)}
    assert groups == {"2001:db8:0:7::/64"}
    assert client_group("2001:db8:0:8::1") != client_group("2001:db8:0:7::1")


@pytest.mark.parametrize(
    ("prefix", "group"),
    [
        (48, "2001:db8:1::/48"),
        (56, "2001:db8:1:200::/56"),
        (64, "2001:db8:1:2ff::/64"),
    ],
)
def test_ipv6_prefix(prefix: int, group: str) -> None:
    assert client_group("2001:db8:1:2ff::9", ipv6_prefix=prefix) == group


def test_ipv4_by_24() -> None:
    assert client_group("198.51.100.77", ipv4_prefix=24) == "198.51.100.0/24"
    assert client_group("198.51.100.77", ipv4_prefix=32) == "198.51.100.77"
    assert client_group("2001:db8::1", ipv4_prefix=24) == "2001:db8::/64"


@pytest.mark.parametrize(("v6", "v4"), [(47, 32), (65, 32), (64, 23), (64, 33)])
def test_prefixes_out_of_range(v6: int, v4: int) -> None:
    with pytest.raises(ValueError, match="prefixes"):
        client_group("192.0.2.1", ipv6_prefix=v6, ipv4_prefix=v4)
