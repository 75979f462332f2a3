"""A bounded in-memory LRU cache of encoded images that renders each key once at a time."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Literal

__all__ = ["CacheResult", "RenderCache", "RenderedImage"]

CacheResult = Literal["hit", "miss", "coalesced"]


@dataclass(frozen=True, slots=True)
class RenderedImage:
    """An encoded image ready to send, with a strong ETag from a hash of its bytes."""

    body: bytes
    content_type: str
    etag: str

    @classmethod
    def from_bytes(cls, body: bytes, content_type: str) -> RenderedImage:
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        return cls(body, content_type, f'"{digest}"')


class RenderCache:
    """LRU by total body size. Concurrent requests for one key share a single render."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, RenderedImage] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[RenderedImage]] = {}

    def __len__(self) -> int:
        return len(self._items)

    async def get(
        self, key: Hashable, render: Callable[[], Awaitable[RenderedImage]]
    ) -> tuple[RenderedImage, CacheResult]:
        """The image for ``key``: from the cache, from a render under way, or rendered now.

        The render runs as its own task, so a client that goes away neither cancels it
        nor fails the other requests waiting for the same image.
        """
        if (image := self._items.get(key)) is not None:
            self._items.move_to_end(key)
            return image, "hit"
        result: CacheResult = "coalesced"
        if (task := self._pending.get(key)) is None:
            task = asyncio.ensure_future(self._render(key, render))
            task.add_done_callback(_retrieve_exception)
            self._pending[key] = task
            result = "miss"
        return await asyncio.shield(task), result

    async def _render(
        self, key: Hashable, render: Callable[[], Awaitable[RenderedImage]]
    ) -> RenderedImage:
        try:
            image = await render()
            self._store(key, image)
            return image
        finally:
            del self._pending[key]

    def _store(self, key: Hashable, image: RenderedImage) -> None:
        if len(image.body) > self.max_bytes:
            return
        self._items[key] = image
        self.size += len(image.body)
        while self.size > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.size -= len(evicted.body)


def _retrieve_exception(task: asyncio.Future[RenderedImage]) -> None:
    """Mark a failed render's exception as seen: the waiters re-raise it, if any are left."""
    if not task.cancelled():
        task.exception()
