"""Render cost and output size: token images per noise level and placeholders per size.

Run: .venv/bin/python bench/render_speed.py
Prints milliseconds per draw+encode (best of several runs) and the PNG size that
glyphveil serves (4-bit palette) beside the same pixels saved as plain RGB(A) PNG.
"""

from __future__ import annotations

import functools
import io
import statistics
import time
from collections.abc import Callable

from PIL import Image

import tokens
from server.config import PlaceholderLimits
from server.render.encode import encode_image
from server.render.placeholder import PlaceholderSpec, render_placeholder
from server.render.text import render_text

KEY = "glyphveil-render-bench-key-0000000000000000"


def timed(fn: Callable[[], Image.Image], repeat: int) -> tuple[float, Image.Image, int]:
    """Best ms of drawing and PNG-encoding, the image, and its PNG size in bytes."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        image = fn()
        png = encode_image(image, "png")
        times.append(time.perf_counter() - start)
    return min(times) * 1000, image, len(png)


def rgb_size(image: Image.Image) -> int:
    out = io.BytesIO()
    image.convert("RGBA" if image.has_transparency_data else "RGB").save(out, "PNG")
    return len(out.getvalue())


def main() -> None:
    keyring = tokens.KeyRing([KEY])
    token_rows: list[tuple[str, float, int, int]] = []
    for noise in tokens.Noise:
        token = tokens.encode("jane.doe@example-mail.com", keyring=keyring, noise=noise)
        p = tokens.decode(token, keyring=keyring)
        for density in (1, 2):
            draw = functools.partial(render_text, p.text, p.options, p.seed, density)
            ms, image, size = timed(draw, 30)
            token_rows.append((f"token {noise} @{density}x", ms, size, rgb_size(image)))
    placeholder_rows = []
    for path in ("300x200", "1200x630", "4000x4000", "600x200/transparent/0b5fff"):
        spec = PlaceholderSpec.parse(path, {}, PlaceholderLimits())
        ms, image, size = timed(functools.partial(render_placeholder, spec), 5)
        placeholder_rows.append((f"placeholder {path}", ms, size, rgb_size(image)))
    print(f"{'image':<36} {'ms':>8} {'png bytes':>10} {'rgb png':>9} {'ratio':>6}")
    for name, ms, size, rgb in token_rows + placeholder_rows:
        print(f"{name:<36} {ms:>8.2f} {size:>10} {rgb:>9} {rgb / size:>6.1f}")
    print(f"median ms over token rows: {statistics.median(r[1] for r in token_rows):.2f}")


if __name__ == "__main__":
    main()
