"""``glyphveil protect DIR``: rewrite the HTML files of a built static site.

For the output folder of MkDocs, Hugo, Jekyll or any generator: every ``.html``,
``.htm`` and ``.xhtml`` file goes through :class:`tokens.rewrite.Rewriter`, in place or
into another folder (which then gets a copy of every other file too, ready to deploy).
A file whose rewrite changes nothing is not written, so a second run over a protected
site changes nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import OptionError
from .rewrite import Rewriter, Rewritten, sniff_charset

__all__ = ["HTML_SUFFIXES", "FileResult", "protect_tree"]

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


@dataclass(frozen=True)
class FileResult:
    """What happened to one HTML file: its report, or the error that left it as it was."""

    path: Path
    result: Rewritten | None
    error: str | None = None


def protect_tree(
    source: Path, rewriter: Rewriter, output: Path | None = None
) -> Iterator[FileResult]:
    """Rewrite every HTML file under ``source``, in place or into ``output``."""
    if output is not None:
        output = output.resolve()
        if output == source.resolve() or output.is_relative_to(source.resolve()):
            raise OptionError(f"the output folder {output} must be outside {source}")
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        here = Path(folder)
        for name in sorted(files):
            path = here / name
            target = path if output is None else output / path.relative_to(source)
            if output is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix.lower() not in HTML_SUFFIXES:
                if output is not None:
                    shutil.copy2(path, target)
                continue
            yield _protect_file(path, target, rewriter, source)


def _protect_file(path: Path, target: Path, rewriter: Rewriter, source: Path) -> FileResult:
    shown = path.relative_to(source)
    data = path.read_bytes()
    try:
        charset = sniff_charset(data)
        xhtml = path.suffix.lower() == ".xhtml"  # XML: inserted void elements closed
        result = rewriter.run(data.decode(charset, "surrogateescape"), xhtml=xhtml)
    except OptionError as exc:
        if target != path:
            shutil.copy2(path, target)
        return FileResult(shown, None, str(exc))
    if result.changed:
        _write(target, result.document.encode(charset, "surrogateescape"), path)
    elif target != path:
        shutil.copy2(path, target)
    return FileResult(shown, result)


def _write(target: Path, data: bytes, original: Path) -> None:
    """Replace ``target`` at once, keeping the original file's permissions."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".glyphveil-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        shutil.copymode(original, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
