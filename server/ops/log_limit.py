"""Log lines that clients cause, limited: at most once an interval per subject (a key id,
a page origin) and at most ``per_minute`` lines in all, remembering a bounded number of
subjects, so that made-up headers can neither flood the log nor grow the memory."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["LogLimit"]


class LogLimit:
    """Whether a line about a subject may be logged now (:meth:`allow`)."""

    def __init__(
        self,
        *,
        interval: float = 60.0,
        per_minute: int = 10,
        max_subjects: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.per_minute = per_minute
        self.max_subjects = max_subjects
        self.clock = clock
        self._last: OrderedDict[Hashable, float] = OrderedDict()
        self._window = (-interval, 0)  # (start, lines logged in it)

    def allow(self, subject: Hashable, *, now: float | None = None) -> bool:
        """True, and counted, if a line about ``subject`` may be logged now."""
        current = self.clock() if now is None else now
        last = self._last.get(subject)
        if last is not None and current - last < self.interval:
            return False
        start, lines = self._window
        if current - start >= self.interval:
            start, lines = current, 0
        if lines >= self.per_minute:
            return False
        self._window = (start, lines + 1)
        self._last.pop(subject, None)
        self._last[subject] = current
        while len(self._last) > self.max_subjects:
            self._last.popitem(last=False)
        return True
