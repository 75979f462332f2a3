"""Speed and size of glyphveil tokens against Fernet, side by side, in one run.

    .venv/bin/python bench/tokens_speed.py [--repeat N]

Both encrypt the same 24-character email address: glyphveil through ``tokens.encode`` /
``tokens.decode`` with default options and an explicit key ring (AES-SIV), Fernet
through ``encrypt`` / ``decrypt`` of the same 24 bytes (AES-128-CBC + HMAC-SHA256).
A second table times glyphveil alone for other shapes of token (render options, an
expiry), whose encoding and decoding do more work. Each operation is timed with
``timeit``: the loop count is calibrated to about 0.2 s, then the loop is repeated and
the best and median microseconds per call are reported.
"""

from __future__ import annotations

import argparse
import functools
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass

import cryptography
from cryptography.fernet import Fernet

import tokens

EMAIL = "alice.martin@example.org"
#: Other shapes of token for the second table: keyword arguments of ``tokens.encode``.
OPTIONS: dict[str, object] = {"font": "mono", "size": 18, "color": "#0b5fff", "noise": "high"}
SHAPES: dict[str, dict[str, object]] = {
    "4 options": OPTIONS,
    "ttl": {"ttl": 3600},
    "4 options + ttl": {**OPTIONS, "ttl": 3600},
}


@dataclass(frozen=True)
class Timing:
    best: float
    median: float


@dataclass(frozen=True)
class Result:
    name: str
    encode: Timing
    decode: Timing
    token_chars: int


def measure(func: Callable[[], object], repeat: int) -> Timing:
    """Microseconds per call: best and median of ``repeat`` runs of a calibrated loop."""
    timer = timeit.Timer(func)
    number, elapsed = timer.autorange()  # at least 0.2 s per run
    number = max(1, int(number * 0.2 / max(elapsed, 1e-9)))
    runs = [t / number * 1e6 for t in timer.repeat(repeat=repeat, number=number)]
    return Timing(best=min(runs), median=statistics.median(runs))


def bench_glyphveil(
    repeat: int, name: str, keyring: tokens.KeyRing, encode: Callable[[], str]
) -> Result:
    """Time ``encode`` (which mints the email's token under ``keyring``) and decoding."""
    token = encode()
    assert tokens.decode(token, keyring=keyring).text == EMAIL
    return Result(
        name=name,
        encode=measure(encode, repeat),
        decode=measure(lambda: tokens.decode(token, keyring=keyring), repeat),
        token_chars=len(token),
    )


def bench_fernet(repeat: int) -> Result:
    fernet = Fernet(Fernet.generate_key())
    data = EMAIL.encode()
    token = fernet.encrypt(data)
    assert fernet.decrypt(token) == data
    return Result(
        name="Fernet",
        encode=measure(lambda: fernet.encrypt(data), repeat),
        decode=measure(lambda: fernet.decrypt(token), repeat),
        token_chars=len(token),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per operation")
    args = parser.parse_args(argv)

    print(
        f"Python {platform.python_version()} ({platform.machine()}), "
        f"cryptography {cryptography.__version__}"
    )
    print(f"text: {EMAIL!r} ({len(EMAIL)} characters), default options, no expiry")
    print(f"{args.repeat} runs per operation, each loop ~0.2 s; µs per call, best (median)\n")

    keyring = tokens.KeyRing([tokens.generate_key()])
    # A plain call, like Fernet's: no keyword-argument unpacking in the timed loop.
    glyph = bench_glyphveil(
        args.repeat, "glyphveil (AES-SIV)", keyring, lambda: tokens.encode(EMAIL, keyring=keyring)
    )
    fernet = bench_fernet(args.repeat)
    print_table("impl", [glyph, fernet])
    print("\nFernet / glyphveil (best; >1 means glyphveil is faster or shorter):")
    print(f"  encode       {fernet.encode.best / glyph.encode.best:.2f}x")
    print(f"  decode       {fernet.decode.best / glyph.decode.best:.2f}x")
    print(f"  token chars  {fernet.token_chars / glyph.token_chars:.2f}x")
    print(f"\nglyphveil token for the 24-character email: {glyph.token_chars} characters\n")

    print("glyphveil, other shapes of token (the same email):")
    shapes = [
        bench_glyphveil(
            args.repeat,
            name,
            keyring,
            functools.partial(tokens.encode, EMAIL, keyring=keyring, **options),
        )
        for name, options in SHAPES.items()
    ]
    print_table("token", shapes)
    return 0


def print_table(first_column: str, results: list[Result]) -> None:
    header = f"{first_column:<22} {'encode µs':>18} {'decode µs':>18} {'token chars':>12}"
    print(header)
    print("-" * len(header))
    for r in results:
        enc = f"{r.encode.best:.2f} ({r.encode.median:.2f})"
        dec = f"{r.decode.best:.2f} ({r.decode.median:.2f})"
        print(f"{r.name:<22} {enc:>18} {dec:>18} {r.token_chars:>12}")


if __name__ == "__main__":
    sys.exit(main())
