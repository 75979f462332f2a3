"""What an address harvester finds in a page, and how pages are checked in Chromium.

The harvester is the kind scrapers run: character references decoded, then a loose
email regex and a loose phone regex over everything, tags and attributes included.
Its finds are compared with a page's known values (misses) and with the text that only
looks like a value (false positives), which must still be there after the rewrite.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+?\(?\d[\d\s().\-/\u00a0]{5,}\d")


def emails(page: str) -> list[str]:
    return EMAIL.findall(html.unescape(page))


def phones(page: str) -> list[str]:
    """Every digit run a harvester would try as a phone number, digits only."""
    found = []
    for run in PHONE.findall(html.unescape(page)):
        digits = "".join(char for char in run if char.isdigit())
        if len(digits) >= 7:
            found.append(digits)
    return found


def digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


@dataclass
class Harvest:
    """A harvester's finds in a page, against its known values."""

    emails: list[str]
    phones: list[str]

    @classmethod
    def of(cls, page: str) -> Harvest:
        return cls(emails(page), phones(page))

    def holds(self, values: list[str]) -> list[str]:
        """The ``values`` this harvest finds (an email as it is, a number by its digits)."""
        found = []
        for value in values:
            if "@" in value:
                if any(value.casefold() in e.casefold() for e in self.emails):
                    found.append(value)
            elif any(digits(value) in run for run in self.phones):
                found.append(value)
        return found


#: In the page: every element but the helper's markup (its ``<img>``, the ``<picture>``
#: and ``<source>`` around it, the reveal wrapper), by tag, id and classes, in document
#: order; the classes a theme's script toggles as the page scrolls (``active``, ``show``)
#: left out.
OUTLINE_JS = """
() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.tagName !== 'IMG' && !e.classList.contains('glyphveil-reveal'))
  .filter(e => { const p = e.closest('picture');
                 return !(p && p.querySelector(':scope > img.glyphveil')); })
  .map(e => [e.tagName, e.id, Array.from(e.classList)
    .filter(c => !['active', 'show', 'collapsing'].includes(c)).join(' ')])
"""
#: Every glyphveil image, and the size promised by what the browser shows: the first
#: ``<source>`` of its ``<picture>`` whose media matches, else the ``<img>`` itself.
IMAGES_JS = """
() => Array.from(document.querySelectorAll('img.glyphveil')).map(img => {
  const picture = img.parentElement.tagName === 'PICTURE' ? img.parentElement : null;
  const sources = picture ? Array.from(picture.querySelectorAll('source')) : [];
  const from = sources.find(source => matchMedia(source.media).matches) || img;
  return {
    complete: img.complete, naturalWidth: img.naturalWidth,
    width: img.width, height: img.height,
    promised: [Number(from.getAttribute('width')), Number(from.getAttribute('height'))],
  };
})
"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
#: Lazy images load only near the viewport: ask for all of them now.
EAGER_JS = "() => document.querySelectorAll('img.glyphveil').forEach(i => { i.loading = 'eager'; })"
ALL_LOADED_JS = """
() => Array.from(document.querySelectorAll('img.glyphveil'))
  .every(i => i.complete && i.naturalWidth > 0)
"""
