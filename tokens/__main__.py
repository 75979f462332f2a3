"""``python -m tokens keygen | encode TEXT | decode TOKEN``: the ``glyphveil`` command
without ``serve``."""

import sys

from .cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main(prog="python -m tokens"))
