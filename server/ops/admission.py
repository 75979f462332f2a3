"""Admission control: how many renders, and how many pixels, a process takes on at once.

Checked on a cache miss only (hits, 304s, ``/healthz`` and ``/metrics`` never wait for a
render, so they are never shed). A render is admitted, or refused at once with
:class:`~server.errors.Overloaded`, before anything is queued: a client gets its 503
in microseconds instead of after a queue it would time out in. Memory follows pixels,
not requests (a 4000x4000 WebP takes about 170 MB while it is drawn and encoded, a token
image well under 1 MB), so the budget counts pixels as well as renders.

Placeholders have a budget of their own (:attr:`Admission.placeholders`), threads
included: a flood of big placeholders is refused from its own budget and never takes
the renders or the threads of token images, nor the other way round.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from ..errors import Overloaded
from .metrics import RENDER_PIXELS_IN_FLIGHT, RENDERS_SHED, labelled

__all__ = ["RETRY_AFTER", "Admission", "Ticket"]

#: What a 503 asks the client to wait, in seconds: renders take milliseconds to a
#: fraction of a second, so the queue has moved on by then.
RETRY_AFTER = 1


@dataclass(eq=False)
class Ticket:
    """A render admitted with its cost in pixels; :meth:`Admission.release` returns it once."""

    pixels: int
    released: bool = False


@dataclass(eq=False)
class Admission:
    """Bounds on one process's renders: ``limit`` renders and ``budget`` pixels at once
    (running and waiting), drawn by ``threads`` threads in arrival order."""

    threads: int
    limit: int
    budget: int
    admitted: int = 0
    pixels: int = 0
    #: A separate budget for placeholder renders; None: they share this one.
    placeholders: Admission | None = None
    #: Called when the last render in flight (of either budget) is released.
    when_idle: Callable[[], object] | None = None
    _slots: asyncio.Semaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.threads)

    def for_kind(self, kind: str) -> Admission:
        """The budget that renders of ``kind`` (``token`` or ``placeholder``) draw from."""
        if kind == "placeholder" and self.placeholders is not None:
            return self.placeholders
        return self

    @property
    def idle(self) -> bool:
        """No render admitted, in this budget or the placeholders'."""
        return self.admitted == 0 and (self.placeholders is None or self.placeholders.idle)

    @property
    def full(self) -> bool:
        """True while a new render would be refused: the queue or the pixel budget is used up."""
        return self.admitted >= self.limit or self.pixels >= self.budget

    def admit(self, pixels: int) -> Ticket:
        """Take on a render of ``pixels``, or raise :class:`Overloaded` at once.

        A render bigger than the whole budget is admitted when nothing else is, so every
        image the limits allow can still be drawn on an idle process.
        """
        over_budget = self.pixels > 0 and self.pixels + pixels > self.budget
        if self.admitted >= self.limit or over_budget:
            labelled(RENDERS_SHED, "overloaded").inc()
            raise Overloaded("too many images being drawn: try again shortly", RETRY_AFTER)
        self.admitted += 1
        self.pixels += pixels
        RENDER_PIXELS_IN_FLIGHT.inc(pixels)
        return Ticket(pixels)

    def release(self, ticket: Ticket) -> None:
        """Give back what ``ticket`` took; a second call does nothing."""
        if ticket.released:
            return
        ticket.released = True
        self.admitted -= 1
        self.pixels -= ticket.pixels
        RENDER_PIXELS_IN_FLIGHT.dec(ticket.pixels)

    @asynccontextmanager
    async def thread(self) -> AsyncIterator[None]:
        """Wait, first come first served, until one of the ``threads`` is free to draw.

        Cancelled while waiting, the render never starts and its place goes to the next.
        """
        async with self._slots:
            yield
