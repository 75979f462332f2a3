"""glyphveil tokens: keep sensitive strings out of HTML.

Mint a token while rendering a template and put the image in the page::

    import tokens
    tokens.img_tag("jane@example.com", "https://img.example.com")

Depends on ``cryptography`` only. Template helpers live in modules of their own, which
import their engine: :mod:`tokens.jinja` (Jinja2) and the Django app
``tokens.django`` (Django). Pages protected without template edits:
:mod:`tokens.rewrite` and the middlewares in :mod:`tokens.middleware`
(``glyphveil[rewrite]``), imported from there so that this package needs neither.
"""

from .api import OptionValues, decode, encode, image_size, image_url, img_tag, text_box
from .codec import Payload
from .colors import contrast_ratio, parse_color
from .errors import ExpiredToken, InvalidToken, KeyConfigError, OptionError, TokenError
from .keys import Key, KeyRing, default_keyring, generate_key
from .markup import SafeHTML
from .options import FONTS, MAX_TEXT_BYTES, Noise, RenderOptions
from .reveal import reveal_button
from .sizes import TextBox

__all__ = [
    "FONTS",
    "MAX_TEXT_BYTES",
    "ExpiredToken",
    "InvalidToken",
    "Key",
    "KeyConfigError",
    "KeyRing",
    "Noise",
    "OptionError",
    "OptionValues",
    "Payload",
    "RenderOptions",
    "SafeHTML",
    "TextBox",
    "TokenError",
    "contrast_ratio",
    "decode",
    "default_keyring",
    "encode",
    "generate_key",
    "image_size",
    "image_url",
    "img_tag",
    "parse_color",
    "reveal_button",
    "text_box",
]
