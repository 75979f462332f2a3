"""Draw docs/contact-sheet.png: emails, phone numbers and prices at every noise level, @1x and @2x.

Run: .venv/bin/python docs/make_contact_sheet.py
Each cell is what the service serves for a token at the default options (16 px, which
noisy text draws at its level's minimum size instead; medium noise unless the row says
otherwise), rendered with a fixed key so the sheet is reproducible. View it at 100%:
every sample should read at a glance.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

import tokens
from server.render.fonts import FAMILIES, load_font
from server.render.text import render_text

SAMPLES = (
    "jane.doe@example-mail.com",
    "+1 363 277 932",
    "$1,299.00",
    "k.nakamura77@gmail.com",
    "(212) 555-0147",
    "49,90 €",
)
KEY = "glyphveil-contact-sheet-key-0123456789abcdA"  # fixed, so the sheet is reproducible
OUT = Path(__file__).with_name("contact-sheet.png")
GAP = 8


def main() -> None:
    keyring = tokens.KeyRing([KEY])
    label_font = load_font(FAMILIES["sans"], 13)
    rows: list[tuple[str, list[Image.Image]]] = []
    for noise in tokens.Noise:
        for density in (1, 2):
            images = []
            for text in SAMPLES:
                token = tokens.encode(text, keyring=keyring, noise=noise)
                payload = tokens.decode(token, keyring=keyring)
                image = render_text(
                    payload.text, payload.options, payload.seed, density, style=payload.style
                )
                images.append(image.convert("RGB"))
            rows.append((f"{noise} @{density}x", images))
    label_width = 110
    lines: list[tuple[str, list[Image.Image]]] = []
    limit = 1400
    for label, images in rows:  # wrap long rows
        line: list[Image.Image] = []
        for image in images:
            if line and sum(i.width + GAP for i in line) + image.width > limit:
                lines.append((label, line))
                label, line = "", []
            line.append(image)
        lines.append((label, line))
    width = label_width + max(sum(i.width + GAP for i in line) for _, line in lines) + GAP
    height = sum(max(i.height for i in line) + GAP for _, line in lines) + GAP
    sheet = Image.new("RGB", (width, height), "#e8e8e8")
    draw = ImageDraw.Draw(sheet)
    y = GAP
    for label, line in lines:
        tall = max(i.height for i in line)
        draw.text((GAP, y + tall / 2), label, fill="#333", font=label_font, anchor="lm")
        x = label_width
        for image in line:
            sheet.paste(image, (x, y))
            x += image.width + GAP
        y += tall + GAP
    sheet.save(OUT, optimize=True)
    print(f"wrote {OUT} ({width}x{height})")


if __name__ == "__main__":
    main()
