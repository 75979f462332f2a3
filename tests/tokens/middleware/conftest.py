"""A page with values, and how to tell what a middleware did to it."""

from __future__ import annotations

import re

import pytest

import tokens
from tokens.rewrite import Rewriter

BASE = "https://img.example.com"
PAGE = (
    "<!doctype html><html><head><title>Contact</title></head><body>"
    "<p>Write to jane.doe@example.com or call +44 20 7946 0958.</p></body></html>"
)
VALUES = ["jane.doe@example.com", "+44 20 7946 0958"]


@pytest.fixture
def rewriter(keyring: tokens.KeyRing) -> Rewriter:
    return Rewriter(BASE, region="GB", keyring=keyring)


def shown(body: str, keyring: tokens.KeyRing) -> list[str]:
    """The values behind the page's images, in order."""
    found = re.findall(r'src="https://img\.example\.com/t/([A-Za-z0-9_-]+)\.png"', body)
    return [tokens.decode(token, keyring=keyring).text for token in found]
