"""server/http/access_log.py: a short or full line per request, or none."""

from __future__ import annotations

import logging
import re

import pytest

from server import Config, create_app
from server.http.access_log import access_log_args
from tests.fetching import fetch


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]


async def test_off_by_default_logs_no_line(
    aiohttp_client, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    assert config.access_log == "off"
    client = await aiohttp_client(create_app(config))
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        response, _ = await fetch(client, "/healthz")
    assert response.status == 200
    assert access_lines(caplog) == []


async def test_short_logs_one_line_per_request(
    aiohttp_client, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(create_app(config.with_values(access_log="short")))
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        await fetch(client, "/healthz?probe=1")
        await fetch(client, "/no-such-page")
    lines = access_lines(caplog)
    assert len(lines) == 2
    # client "request" status bytes-sent (headers too, as aiohttp's %b) seconds
    assert re.fullmatch(r'127\.0\.0\.1 "GET /healthz\?probe=1" 200 \d+ \d+\.\d{6}', lines[0])
    assert re.fullmatch(r'127\.0\.0\.1 "GET /no-such-page" 404 \d+ \d+\.\d{6}', lines[1])


async def test_short_is_skipped_below_info(
    aiohttp_client, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(create_app(config.with_values(access_log="short")))
    with caplog.at_level(logging.WARNING, logger="aiohttp.access"):
        await fetch(client, "/healthz")
    assert access_lines(caplog) == []


async def test_full_adds_time_referrer_and_agent(
    aiohttp_client, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(create_app(config.with_values(access_log="full")))
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        await fetch(client, "/healthz", headers={"User-Agent": "probe/1", "Referer": "/x"})
    (line,) = access_lines(caplog)
    assert re.search(r'"GET /healthz HTTP/1\.1" 200 \d+ "/x" "probe/1" \d+\.\d{6}$', line)
    assert "[" in line  # the time


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="loud"):
        access_log_args("loud")
