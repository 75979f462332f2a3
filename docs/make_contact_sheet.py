"""Draw docs/contact-sheet.png: one email at every noise level in every font.

Run: .venv/bin/python docs/make_contact_sheet.py
Each row is what the service serves for a token (at 1x), rendered with a fixed key.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

import tokens
from server.render.fonts import FAMILIES, load_font
from server.render.text import render_text

EMAIL = "jane.doe@example-mail.com"
KEY = "glyphveil-contact-sheet-key-0123456789abcdA"  # fixed, so the sheet is reproducible
OUT = Path(__file__).with_name("contact-sheet.png")


def main() -> None:
    keyring = tokens.KeyRing([KEY])
    label_font = load_font(FAMILIES["sans"], 13)
    cells: list[tuple[str, Image.Image]] = []
    for noise in tokens.Noise:
        for font in tokens.FONTS:
            token = tokens.encode(EMAIL, keyring=keyring, font=font, noise=noise, size=20)
            payload = tokens.decode(token, keyring=keyring)
            image = render_text(payload.text, payload.options, payload.seed).convert("RGB")
            cells.append((f"{noise} / {font}", image))
    label_width = 120
    width = label_width + max(image.width for _, image in cells) + 16
    height = sum(image.height + 8 for _, image in cells) + 8
    sheet = Image.new("RGB", (width, height), "#f4f4f4")
    draw = ImageDraw.Draw(sheet)
    y = 8
    for label, image in cells:
        draw.text((8, y + image.height / 2), label, fill="#333", font=label_font, anchor="lm")
        sheet.paste(image, (label_width, y))
        y += image.height + 8
    sheet.save(OUT, optimize=True)
    print(f"wrote {OUT} ({width}x{height})")


if __name__ == "__main__":
    main()
