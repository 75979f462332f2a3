"""The test clients' one request helper: a response with its whole body read."""

from __future__ import annotations

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from yarl import URL


async def fetch(
    client: TestClient, path: str | URL, method: str = "GET", **kwargs: object
) -> tuple[ClientResponse, bytes]:
    response = await client.request(method, path, **kwargs)
    return response, await response.read()
