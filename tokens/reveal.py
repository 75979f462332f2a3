"""Markup for a protected image the visitor may reveal as text.

The service's ``/reveal.js`` finds these wrappers, puts a button around the image and,
when the visitor activates it, trades a proof of work for the text (a ``mailto:`` or
``tel:`` link, or plain text). Without the script the image simply stays, and there is
no dead button: the button is the script's to add. Only tokens minted with
``encode(..., revealable=True)`` can be revealed.
"""

from __future__ import annotations

import html
import re
from typing import Protocol

from .errors import OptionError
from .markup import SafeHTML

__all__ = ["REVEAL_CLASS", "HasHTML", "reveal_button"]

#: The class of the wrapper that ``/reveal.js`` looks for.
REVEAL_CLASS = "glyphveil-reveal"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,400}")


class HasHTML(Protocol):
    """Markup that says it is safe HTML, such as MarkupSafe's ``Markup``."""

    def __html__(self) -> str: ...


def reveal_button(img: str | HasHTML, token: str, *, label: str) -> SafeHTML:
    """Wrap ``img`` (the ``<img>`` markup of ``token``'s image, or the ``<picture>``
    around it) for ``/reveal.js``.

    ``label`` is the button's accessible name, an action that describes the value
    ("Show email address"); like alt text it must never contain the protected text.
    ``token`` must be the revealable token the image shows. Returns the markup::

        <span class="glyphveil-reveal" data-glyphveil-token="…"
              data-glyphveil-label="…"><img …></span>
    """
    markup = img.__html__() if hasattr(img, "__html__") else img
    if not isinstance(markup, str) or not markup.lstrip().lower().startswith(("<img", "<picture")):
        raise OptionError("img must be the <img> or <picture> markup of the protected image")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise OptionError("token must be a glyphveil token: 1 to 400 characters of URL-safe base64")
    if not isinstance(label, str) or not label.strip():
        raise OptionError("label must be a non-empty description such as 'Show email address'")
    return SafeHTML(
        f'<span class="{REVEAL_CLASS}" data-glyphveil-token="{token}"'
        f' data-glyphveil-label="{html.escape(label.strip())}">{markup}</span>'
    )
