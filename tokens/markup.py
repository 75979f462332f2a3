"""HTML that template engines insert as it is, through the ``__html__`` protocol."""

from __future__ import annotations

__all__ = ["SafeHTML"]


class SafeHTML(str):
    """A ``str`` of markup that Jinja2, Django and MarkupSafe insert without escaping.

    They all honour ``__html__`` (MarkupSafe's ``escape``, so Jinja2's autoescape, and
    Django's ``conditional_escape``); everywhere else it is the plain string. Only this
    package's functions make one, from attribute values they escaped themselves.
    """

    __slots__ = ()

    def __html__(self) -> SafeHTML:
        return self
