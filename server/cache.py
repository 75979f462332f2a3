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
        """The image for ``key``: from the cache, from a render under way, or rendered now."""
        if (image := self._items.get(key)) is not None:
            self._items.move_to_end(key)
            return image, "hit"
        if (pending := self._pending.get(key)) is not None:
            return await asyncio.shield(pending), "coalesced"
        future: asyncio.Future[RenderedImage] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            image = await render()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must log it
            raise
        else:
            future.set_result(image)
            self._store(key, image)
        finally:
            del self._pending[key]
        return image, "miss"

    def _store(self, key: Hashable, image: RenderedImage) -> None:
        if len(image.body) > self.max_bytes:
            return
        self._items[key] = image
        self.size += len(image.body)
        while self.size > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.size -= len(evicted.body)
