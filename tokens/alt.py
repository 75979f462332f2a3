"""Alt text: what kind of value an image shows, never the value itself.

An ``<img>`` of protected text needs an alt text (WCAG 1.1.1), and an alt text that
repeats the value puts it straight back into the HTML. :func:`describe` guesses a
generic description from the text's shape; :func:`leaks` tells whether some attribute
value gives the text away, also when it is disguised by case, compatibility forms,
invisible characters or punctuation.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["EMAIL", "GENERIC", "PHONE", "PRICE", "describe", "leaks"]

EMAIL = "email address"
PHONE = "phone number"
PRICE = "price"
#: For text of no recognised shape.
GENERIC = "protected text"

_EMAIL = re.compile(r"(?:mailto:)?[^@\s]+@[^@\s]+\.[^@\s.]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"(?:tel:)?\+?[\d\s().\-/]+(?:\s*(?:ext\.?|x)\s*\d{1,6})?", re.IGNORECASE)
_AMOUNT = re.compile(r"[-+]?\d[\d\s.,'’]*(?:\s*/\s*\w{1,10})?")
_CURRENCY_CODE = re.compile(r"\b[A-Z]{3}\b")
#: What str.isalnum() refuses: \w is exactly isalnum() plus the underscore.
_NOT_ALNUM = re.compile(r"[\W_]+")
#: A letters-and-digits run this long tells the text apart from ordinary words; a
#: shorter one only counts as a whole word of the attribute value.
_DISTINCT = 3


def describe(text: str) -> str:
    """A generic description of ``text``: :data:`EMAIL`, :data:`PHONE`, :data:`PRICE`
    or :data:`GENERIC`, from its shape alone."""
    shown = unicodedata.normalize("NFKC", _visible(text)).strip()
    if _EMAIL.fullmatch(shown):
        return EMAIL
    symbols = [char for char in shown if unicodedata.category(char) == "Sc"]
    codes = _CURRENCY_CODE.findall(shown)
    if symbols or codes:
        bare = _CURRENCY_CODE.sub("", "".join(c for c in shown if c not in symbols)).strip()
        if _AMOUNT.fullmatch(bare):
            return PRICE
    digits = sum(char.isdigit() for char in shown)
    if 6 <= digits <= 20 and _PHONE.fullmatch(shown):
        return PHONE
    return GENERIC


def leaks(text: str, value: str) -> bool:
    """Whether attribute ``value`` contains ``text`` or a near copy of it.

    Both are compared with format characters (zero-width spaces and joiners, bidi
    controls) removed, NFKC-normalised and case-folded; and as runs of letters and
    digits alone, so ``j.a.n.e@example.com`` or ``JANE @ EXAMPLE . COM`` still count.
    """
    needle, haystack = _normal(text).strip(), _normal(value)
    if not needle:
        return False
    key = _alnum(needle)
    if len(key) >= _DISTINCT:
        return needle in haystack or key in _alnum(haystack)
    if not key:  # symbols only, such as "€"
        return needle in haystack
    words = re.findall(r"[^\W_]+", haystack)
    return key in words or needle in haystack.split()


#: Unicode's Default_Ignorable_Code_Point characters that are not format characters
#: (Cf): fillers and variation selectors that draw nothing either, such as U+3164.
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u3164\ufe00-\ufe0f\uffa0"
    "\ufff0-\ufff8\U000e0100-\U000e01ef]"
)


def _visible(text: str) -> str:
    if text.isascii():  # no format characters, and NFKC leaves ASCII alone
        return text
    text = _IGNORABLE.sub("", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def _normal(text: str) -> str:
    if text.isascii():
        return text.casefold()
    return unicodedata.normalize("NFKC", _visible(text)).casefold()


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text)
