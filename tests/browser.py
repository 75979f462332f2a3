"""Headless Chromium for the browser tests: Debian's ``/usr/bin/chromium``, driven by
Playwright without a browser download of its own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox (tests run as root) and no background traffic to the outside world.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def launch_chromium(pw: Playwright) -> Browser:
    """Start headless Chromium, or fail with the command that installs it."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    return await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
