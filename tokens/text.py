"""The text a token may carry: which code points are refused, and why.

The service draws the text on one line, left to right as Unicode's bidirectional
algorithm orders it, with no control characters. A character that would make it draw
something other than the minted string (a newline that is dropped, a U+202E that draws
the rest reversed) is refused when minting, and a decoder refuses a token that carries
one. The refused set is fixed by code point ranges, not by Unicode character
properties, so every minter agrees on it whatever version of Unicode its language ships.
See ``docs/tokens.md`` §3.3.
"""

from __future__ import annotations

import re

from .errors import OptionError

__all__ = ["MAX_TEXT_BYTES", "REFUSED_RANGES", "check_text", "first_refused"]

#: Longest text a token carries, in UTF-8 bytes.
MAX_TEXT_BYTES = 256

#: Code points a text must not hold, as inclusive ranges, with what they are.
REFUSED_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x001F, "a control character"),
    (0x007F, 0x009F, "a control character"),
    (0x061C, 0x061C, "a bidirectional formatting character"),
    (0x200E, 0x200F, "a bidirectional formatting character"),
    (0x2028, 0x2029, "a line or paragraph separator"),
    (0x202A, 0x202E, "a bidirectional formatting character"),
    (0x2066, 0x2069, "a bidirectional formatting character"),
    (0x206A, 0x206F, "a deprecated format character"),
    (0xD800, 0xDFFF, "a lone surrogate (not valid Unicode)"),
    (0xFDD0, 0xFDEF, "a noncharacter"),
    (0xFEFF, 0xFEFF, "a byte order mark"),
    (0xFFF9, 0xFFFB, "an interlinear annotation character"),
    *((plane + 0xFFFE, plane + 0xFFFF, "a noncharacter") for plane in range(0, 0x110000, 0x10000)),
)

_REFUSED = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in REFUSED_RANGES) + "]"
)
#: Finds the first refused code point in a text; ``None`` when there is none.
first_refused = _REFUSED.search


def _describe(char: str) -> str:
    code = ord(char)
    what = next(name for lo, hi, name in REFUSED_RANGES if lo <= code <= hi)
    return f"U+{code:04X}, {what}"


def check_text(text: object) -> bytes:
    """The UTF-8 bytes of ``text``, or :class:`OptionError` saying what is wrong with it.

    The text is taken as it is: neither normalised nor trimmed.
    """
    if not isinstance(text, str):
        raise OptionError(f"text must be str, not {type(text).__name__}")
    refused = _REFUSED.search(text)
    if refused is not None:
        raise OptionError(
            f"text holds {_describe(refused.group())} at character {refused.start()}: "
            "a token's text is one line of printable characters"
        )
    data = text.encode()
    if not 0 < len(data) <= MAX_TEXT_BYTES:
        raise OptionError(f"text must be 1 to {MAX_TEXT_BYTES} UTF-8 bytes, not {len(data)}")
    return data
