"""The classic way to serve placeholder images: a few lines of Flask and Pillow.

The baseline of ``bench/suite.py --only baseline``, served by gunicorn with 2 sync workers:

    gunicorn --chdir bench -w 2 baseline_flask:app

``GET /<W>x<H>`` makes an RGB image, draws its size with Pillow's default font and
saves it as PNG into a BytesIO, every time: nothing is cached.
"""

from __future__ import annotations

import io

from flask import Flask, abort, send_file
from PIL import Image, ImageDraw

__all__ = ["app"]

app = Flask(__name__)


@app.route("/<int:width>x<int:height>")
def placeholder(width: int, height: int):  # type: ignore[no-untyped-def]
    if not (0 < width <= 4000 and 0 < height <= 4000):
        abort(400)
    image = Image.new("RGB", (width, height), (221, 221, 221))
    ImageDraw.Draw(image).text((10, 10), f"{width}x{height}", fill=(102, 102, 102))
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return send_file(out, mimetype="image/png")
