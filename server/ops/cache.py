"""A bounded in-memory LRU cache of encoded images that renders each key once at a time."""

from __future__ import annotations

import asyncio
import functools
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


@dataclass(eq=False, slots=True)
class _Pending:
    """A render under way and how many requests wait for it."""

    task: asyncio.Future[RenderedImage]
    waiters: int = 0


class RenderCache:
    """LRU by total body size. Concurrent requests for one key share a single render."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, RenderedImage] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}

    def __len__(self) -> int:
        return len(self._items)

    async def get(
        self,
        key: Hashable,
        render: Callable[[], Awaitable[RenderedImage]],
        *,
        timeout: float | None = None,
    ) -> tuple[RenderedImage, CacheResult]:
        """The image for ``key``: from the cache, from a render under way, or rendered now.

        On a miss ``render()`` runs as its own task; what it raises (such as
        :class:`~server.errors.Overloaded`) reaches every request waiting. A waiter that
        goes away (its client disconnected, or ``timeout`` seconds passed:
        :class:`TimeoutError`) does not fail the others; when the last one goes, the
        render task is cancelled, and ``render`` decides what that stops (see
        :func:`server.ops.jobs.render_cached`).
        """
        if (image := self.lookup(key)) is not None:
            return image, "hit"
        result: CacheResult = "coalesced"
        if (pending := self._pending.get(key)) is None:
            task = asyncio.ensure_future(self._render(key, render()))
            pending = self._pending[key] = _Pending(task)
            task.add_done_callback(functools.partial(self._forget, key, pending))
            result = "miss"
        pending.waiters += 1
        try:
            return await asyncio.wait_for(asyncio.shield(pending.task), timeout), result
        finally:
            pending.waiters -= 1
            if not pending.waiters and not pending.task.done():
                pending.task.cancel()
                if self._pending.get(key) is pending:  # the next request starts afresh
                    del self._pending[key]

    def lookup(self, key: Hashable) -> RenderedImage | None:
        """The cached image for ``key`` (now the most recently used), or None."""
        if (image := self._items.get(key)) is not None:
            self._items.move_to_end(key)
        return image

    def waiting(self, key: Hashable) -> int:
        """How many requests wait for the render of ``key`` under way (0 if none)."""
        pending = self._pending.get(key)
        return pending.waiters if pending is not None else 0

    async def _render(self, key: Hashable, render: Awaitable[RenderedImage]) -> RenderedImage:
        image = await render
        self._store(key, image)
        return image

    def _forget(
        self, key: Hashable, pending: _Pending, task: asyncio.Future[RenderedImage]
    ) -> None:
        """Drop a finished render (a done callback: it runs even for a task cancelled
        before its first step), and mark its exception as seen: the waiters re-raise it,
        if any are left."""
        if self._pending.get(key) is pending:
            del self._pending[key]
        if not task.cancelled():
            task.exception()

    def _store(self, key: Hashable, image: RenderedImage) -> None:
        if len(image.body) > self.max_bytes:
            return
        self._items[key] = image
        self.size += len(image.body)
        while self.size > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.size -= len(evicted.body)
