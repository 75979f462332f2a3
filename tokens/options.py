"""Render options: everything that decides how the text looks, carried inside the token."""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
from dataclasses import dataclass

from .colors import ASCII_WHITESPACE, RGB, contrast_ratio, keyword, parse_color, to_hex
from .errors import OptionError
from .text import MAX_TEXT_BYTES

__all__ = [
    "ASCII_WHITESPACE",
    "DENSITIES",
    "FONTS",
    "LINES",
    "MAX_TEXT_BYTES",
    "MAX_WIDTH",
    "MIN_CONTRAST",
    "OPTION_NAMES",
    "PADDING_RANGE",
    "SIZE_RANGE",
    "Noise",
    "RenderOptions",
    "max_chars",
    "on_two_lines",
]

#: Bundled font families, in token order: a family's id in a token is its index here.
FONTS: tuple[str, ...] = ("sans", "serif", "mono", "lato")
#: Font size in CSS pixels (before density).
SIZE_RANGE = range(8, 129)
#: Padding around the text in CSS pixels.
PADDING_RANGE = range(0, 65)
#: WCAG AA contrast for normal text; text against an opaque background must reach it.
MIN_CONTRAST = 4.5
#: Densities the service draws: CSS px to device px.
DENSITIES = (1, 2, 3)
#: How many lines the text may take: 2 breaks a long value once (see
#: :func:`tokens.sizes.break_lines`), for narrow screens.
LINES = (1, 2)
#: The widest image the service draws, in device px (WebP's limit).
MAX_WIDTH = 16383
#: A generous width of one character in em, noise jitter included, for the width budget.
_EM_PER_CHAR = 1.25


def max_chars(size: int, padding: int, density: int = 1) -> int:
    """The most characters sure to fit in :data:`MAX_WIDTH` at ``density``: a generous
    estimate of the width, to refuse what cannot be drawn."""
    room = MAX_WIDTH / density - 2 * (padding + size)
    return max(0, math.floor(room / (size * _EM_PER_CHAR)))


class Noise(enum.IntEnum):
    """How much OCR-hostile noise is drawn; ``medium`` is the default."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, value: str | Noise) -> Noise:
        """Accept a member or its name (any ASCII case, surrounding ASCII whitespace
        ignored), as every named option is spelled; not its number."""
        if isinstance(value, cls):
            return value
        name = keyword(value)
        for member in cls:
            if member.name.lower() == name:
                return member
        names = "|".join(m.name.lower() for m in cls)
        raise OptionError(f"bad noise {value!r}: use {names}")

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Validated render options. ``background`` is ``None`` for a transparent background.

    ``lines=2`` draws the text on two lines where it has a place to break (after the
    ``@`` of an email address, else at the space or separator nearest its middle), on one
    where it has none: see :func:`tokens.sizes.break_lines`.
    """

    font: str = "sans"
    size: int = 16
    color: RGB = (0x22, 0x22, 0x22)
    background: RGB | None = (0xFF, 0xFF, 0xFF)
    noise: Noise = Noise.MEDIUM
    padding: int = 4
    lines: int = 1

    def __post_init__(self) -> None:
        if self.font not in FONTS:
            raise OptionError(f"unknown font {self.font!r}: use one of {', '.join(FONTS)}")
        _check_range("size", self.size, SIZE_RANGE)
        _check_range("padding", self.padding, PADDING_RANGE)
        if type(self.lines) is not int or self.lines not in LINES:
            raise OptionError(f"bad lines {self.lines!r}: use 1 or 2")
        if not isinstance(self.noise, Noise):
            raise OptionError(f"bad noise {self.noise!r}: use a Noise member")
        _check_rgb("color", self.color)
        if self.background is not None:
            _check_rgb("background", self.background)
            ratio = contrast_ratio(self.color, self.background)
            if ratio < MIN_CONTRAST:
                raise OptionError(
                    f"colour {to_hex(self.color)} on {to_hex(self.background)} has contrast "
                    f"{ratio:.2f}:1, below the {MIN_CONTRAST}:1 that keeps text readable"
                )

    @classmethod
    def build(
        cls,
        *,
        font: str = "sans",
        size: int = 16,
        color: str | RGB = (0x22, 0x22, 0x22),
        background: str | RGB | None = (0xFF, 0xFF, 0xFF),
        noise: str | Noise = Noise.MEDIUM,
        padding: int = 4,
        lines: int = 1,
    ) -> RenderOptions:
        """Validate user-facing values: font and noise by name, colours as strings.

        Names and colour strings are ASCII case-insensitive, with surrounding ASCII
        whitespace ignored; sizes are ints (not bools, floats or strings). From Python,
        an ``(r, g, b)`` tuple, a :class:`Noise` member and ``background=None``
        (transparent) are accepted too.
        """
        return cls(
            font=_font(font),
            size=size,
            color=_opaque(color, "color"),
            background=None if background is None else _background(background),
            noise=Noise.parse(noise),
            padding=padding,
            lines=lines,
        )

    def to_dict(self) -> dict[str, object]:
        """The options as JSON-friendly values, the same names :meth:`build` takes;
        ``lines`` only when it is 2 (it travels in the token's extensions byte, not in
        its option fields: ``docs/tokens.md`` §11)."""
        values: dict[str, object] = {
            "font": self.font,
            "size": self.size,
            "color": to_hex(self.color),
            "background": "transparent" if self.background is None else to_hex(self.background),
            "noise": str(self.noise),
            "padding": self.padding,
        }
        if self.lines != 1:
            values["lines"] = self.lines
        return values


#: The option names :meth:`RenderOptions.build` takes, in token order.
OPTION_NAMES: tuple[str, ...] = (
    "font",
    "size",
    "color",
    "background",
    "noise",
    "padding",
    "lines",
)


def _font(value: str) -> str:
    name = keyword(value)
    if name not in FONTS:
        raise OptionError(f"unknown font {value!r}: use one of {', '.join(FONTS)}")
    return name


def _check_range(name: str, value: int, allowed: range) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise OptionError(
            f"bad {name} {value!r}: "
            f"use a whole number of px from {allowed.start} to {allowed.stop - 1}"
        )


def _check_rgb(name: str, value: object) -> None:
    if not (
        isinstance(value, tuple)
        and len(value) == 3
        and all(type(v) is int and 0 <= v <= 255 for v in value)
    ):
        raise OptionError(f"bad {name} {value!r}: use (r, g, b) with values 0-255")


def _opaque(value: str | RGB, name: str) -> RGB:
    if isinstance(value, tuple):
        _check_rgb(name, value)
        return value
    if not isinstance(value, str):
        raise OptionError(f"bad {name} {value!r}: use a colour string such as '#222'")
    try:
        r, g, b, a = parse_color(value)
    except OptionError:
        also = ", or transparent" if name == "background" else ""
        raise OptionError(
            f"bad {name} {value[:32]!r}: use hex of 3, 4, 6 or 8 digits or a CSS name{also}"
        ) from None
    if keyword(value) == "transparent":
        raise OptionError(f"bad {name} {value!r}: only the background can be transparent")
    if a != 255:
        raise OptionError(f"bad {name} {value!r}: must be opaque")
    return (r, g, b)


def _background(value: str | RGB) -> RGB | None:
    if isinstance(value, str) and keyword(value) == "transparent":
        return None
    return _opaque(value, "background")


@functools.lru_cache(maxsize=256)
def on_two_lines(options: RenderOptions) -> RenderOptions:
    """``options`` with ``lines=2``: the same look, drawn on two lines."""
    return dataclasses.replace(options, lines=2)
