"""How well Tesseract reads glyphveil images at each noise level.

Run: .venv/bin/python bench/ocr_noise.py [--count 30] [--size 20]
Needs Debian's tesseract-ocr (apt-get install tesseract-ocr).

For random email addresses it counts exact reads by Tesseract 5 (and, in brackets, the
mean share of characters it got right, from difflib's similarity ratio):
- raw: the served PNG as it is;
- cleaned: upscaled 3x, median-filtered and thresholded (Otsu), the usual first step
  of an OCR scraper;
- averaged: 16 fetches averaged before cleaning. glyphveil's noise is deterministic, so
  16 fetches are 16 identical images; the last column shows what the same averaging
  would recover if the noise were drawn afresh for every request.
"""

from __future__ import annotations

import argparse
import difflib
import random
import string
import subprocess

from PIL import Image, ImageChops, ImageFilter

import tokens
from server.render.text import render_text

KEY = "glyphveil-ocr-bench-key-000000000000000000A"


def random_email(rng: random.Random) -> str:
    letters = string.ascii_lowercase
    user = "".join(rng.choice(letters) for _ in range(rng.randint(4, 9)))
    sep = rng.choice(["", ".", "_"])
    user += sep + "".join(rng.choice(letters + string.digits) for _ in range(rng.randint(2, 6)))
    domain = "".join(rng.choice(letters) for _ in range(rng.randint(4, 9)))
    return f"{user}@{domain}.{rng.choice(['com', 'org', 'net', 'de', 'io'])}"


def ocr(image: Image.Image) -> str:
    grey = image.convert("RGBA")
    flat = Image.new("RGBA", grey.size, "white")
    flat.alpha_composite(grey)
    png = flat.convert("L")
    import io

    buf = io.BytesIO()
    png.save(buf, "PNG")
    result = subprocess.run(
        ["tesseract", "stdin", "stdout", "--psm", "7"],
        input=buf.getvalue(),
        capture_output=True,
        check=True,
    )
    return "".join(result.stdout.decode("utf-8", "replace").split())


def clean(image: Image.Image) -> Image.Image:
    grey = image.convert("L")
    big = grey.resize((grey.width * 3, grey.height * 3), Image.Resampling.BICUBIC)
    smooth = big.filter(ImageFilter.MedianFilter(5))
    histogram = smooth.histogram()
    threshold = _otsu(histogram)
    return smooth.point(lambda v: 255 if v > threshold else 0)


def _otsu(histogram: list[int]) -> int:
    total = sum(histogram)
    sum_all = sum(i * h for i, h in enumerate(histogram))
    best, best_var, weight_b, sum_b = 0, -1.0, 0, 0
    for t in range(256):
        weight_b += histogram[t]
        if weight_b == 0 or weight_b == total:
            continue
        sum_b += t * histogram[t]
        mean_b, mean_f = sum_b / weight_b, (sum_all - sum_b) / (total - weight_b)
        between = weight_b * (total - weight_b) * (mean_b - mean_f) ** 2
        if between > best_var:
            best, best_var = t, between
    return best


def average(images: list[Image.Image]) -> Image.Image:
    acc = images[0].convert("L")
    for n, image in enumerate(images[1:], start=2):
        acc = ImageChops.blend(acc, image.convert("L").resize(acc.size), 1 / n)
    return acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--size", type=int, default=20)
    args = parser.parse_args()
    keyring = tokens.KeyRing([KEY])
    rng = random.Random(1)
    emails = [random_email(rng) for _ in range(args.count)]
    rows = []
    for noise in tokens.Noise:
        raw = cleaned = averaged = fresh = 0
        raw_similar = cleaned_similar = 0.0
        for email in emails:
            token = tokens.encode(email, keyring=keyring, noise=noise, size=args.size)
            payload = tokens.decode(token, keyring=keyring)
            image = render_text(payload.text, payload.options, payload.seed)
            fetches = [render_text(payload.text, payload.options, payload.seed) for _ in range(16)]
            fresh_noise = [
                render_text(payload.text, payload.options, rng.randbytes(16)) for _ in range(16)
            ]
            raw_read, cleaned_read = ocr(image), ocr(clean(image))
            raw += raw_read == email
            cleaned += cleaned_read == email
            raw_similar += difflib.SequenceMatcher(None, raw_read, email).ratio()
            cleaned_similar += difflib.SequenceMatcher(None, cleaned_read, email).ratio()
            averaged += ocr(clean(average(fetches))) == email
            fresh += ocr(clean(average(fresh_noise))) == email
        n = len(emails)
        rows.append(
            (str(noise), raw, raw_similar / n, cleaned, cleaned_similar / n, averaged, fresh)
        )
    n = len(emails)
    print(f"Tesseract exact reads of {n} random emails at {args.size}px (fewer is better)")
    print(f"{'noise':<8} {'raw':>13} {'cleaned':>13} {'avg x16':>8} {'if fresh noise':>15}")
    for noise, raw, raw_sim, cleaned, clean_sim, averaged, fresh in rows:
        print(
            f"{noise:<8} {raw:>2}/{n} ({raw_sim:4.0%}) {cleaned:>2}/{n} ({clean_sim:4.0%})"
            f" {averaged:>5}/{n} {fresh:>12}/{n}"
        )


if __name__ == "__main__":
    main()
