"""Shared fixtures for the two preparations of a drawn digit: Python's and the widget's JavaScript.

The website's draw-a-digit widget runs web/prepare.mjs, a port of mnist_book.images.prepare_digit.
This tool writes canvases (RGBA pixels, as a browser's canvas holds them) together with what
Python's prepare_digit makes of each, so that `node --test` in web/ can compare the two
(`make test-web`). Nothing here is committed: the fixtures are made at test time from the book's
drawn digits (images/handwriting/, shrunk) and from synthetic canvases drawn below.

Usage:
    python -m tools.widget_fixtures [--out DIR]   write DIR/*.json (default: _build/widget_fixtures)
    python -m tools.widget_fixtures --prepare     read canvases as JSON on stdin, print Python's result

--prepare reads one canvas {"width": W, "height": H, "data": [r, g, b, a, ...]} or a list of
them and prints, for each, {"prepared": [784 floats]} or {"error": {"type": ..., "message": ...}}.
The browser tests use it on the widget's own canvas.

Each fixture file holds {"name", "about", "width", "height", "rgba" (base64 of the RGBA bytes),
and "prepared" (base64 of 784 float32, little-endian) or "error" ({"type", "message"})}.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_book.images import prepare_digit

ROOT = Path(__file__).resolve().parent.parent
HANDWRITING = ROOT / "images" / "handwriting"
DEFAULT_OUT = ROOT / "_build" / "widget_fixtures"
#: The book's drawings are 300-400 pixels a side; a widget canvas is 280. Shrunk to at most this
#: many pixels a side, they stay realistic and keep the fixtures small.
LONGEST_SIDE = 200
#: The widget's canvas, and its ink in light and dark mode (the theme's text colours).
CANVAS = 280
DARK_INK = (34, 40, 50)
LIGHT_INK = (206, 214, 221)
SUPERSAMPLE = 4  # strokes are drawn 4x larger, then shrunk: anti-aliased edges like a canvas's


def outcome(rgba: np.ndarray) -> dict:
    """What Python's prepare_digit makes of an RGBA uint8 array: the 28x28 floats, or its error."""
    try:
        return {"prepared": prepare_digit(rgba)}
    except ValueError as error:
        return {"error": {"type": type(error).__name__, "message": str(error)}}


def fixture(name: str, about: str, rgba: np.ndarray) -> dict:
    height, width = rgba.shape[:2]
    record = {"name": name, "about": about, "width": width, "height": height}
    record["rgba"] = base64.b64encode(np.ascontiguousarray(rgba, dtype=np.uint8).tobytes()).decode()
    result = outcome(rgba)
    if "prepared" in result:
        record["prepared"] = base64.b64encode(result["prepared"].astype("<f4").tobytes()).decode()
    else:
        record["error"] = result["error"]
    return record


def handwriting_canvases() -> list[tuple[str, str, np.ndarray]]:
    """The book's drawn digits as RGBA (as a canvas would hold them), at most LONGEST_SIDE a side."""
    cases = []
    for path in sorted(HANDWRITING.glob("*.png")):
        image = Image.open(path).convert("RGBA")
        scale = LONGEST_SIDE / max(image.size)
        if scale < 1:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        about = f"images/handwriting/{path.name} as RGBA, {image.width}x{image.height}"
        cases.append((f"handwriting_{path.stem}", about, np.asarray(image)))
    return cases


def strokes_canvas(
    strokes: list[list[tuple[float, float]]],
    width: float,
    ink: tuple[int, int, int] = DARK_INK,
    size: tuple[int, int] = (CANVAS, CANVAS),
    paper: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Pen strokes (points in canvas pixels) drawn with round ends, anti-aliased, in `ink`.

    With no `paper` the background is transparent, as on the widget's canvas: the ink's opacity is
    where the pen went. With `paper` (RGBA), the ink is blended onto it.
    """
    big = Image.new("L", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    pen = width * SUPERSAMPLE
    for stroke in strokes:
        points = [(x * SUPERSAMPLE, y * SUPERSAMPLE) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=255, width=round(pen), joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=255)
    cover = np.asarray(big.resize(size, Image.Resampling.LANCZOS), dtype=float)[:, :, None] / 255
    if paper is None:
        rgba = np.zeros((size[1], size[0], 4))
        rgba[:, :, :3] = ink
        rgba[:, :, 3:] = 255 * cover
    else:
        rgba = np.asarray(paper, dtype=float) * (1 - cover) + np.asarray((*ink, 255), dtype=float) * cover
    return np.clip(np.round(rgba), 0, 255).astype(np.uint8)


def plain(size: tuple[int, int], colour: tuple[int, int, int, int]) -> np.ndarray:
    return np.tile(np.asarray(colour, dtype=np.uint8), (size[1], size[0], 1))


def hard_rectangle(box: tuple[int, int, int, int], size=(120, 60)) -> np.ndarray:
    """Black ink with hard edges on opaque white: the crop is exactly the rectangle."""
    rgba = plain(size, (255, 255, 255, 255))
    left, top, right, bottom = box
    rgba[top:bottom, left:right, :3] = 0
    return rgba


SEVEN = [[(70, 60), (210, 55)], [(210, 55), (150, 150), (120, 235)]]
ZERO = [[(140, 40), (85, 80), (70, 150), (95, 220), (145, 240), (195, 205), (210, 135), (190, 65), (140, 40)]]
ONE = [[(120, 70), (150, 40), (148, 140), (145, 240)]]
THREE = [[(80, 60), (140, 35), (195, 70), (150, 130)], [(150, 130), (200, 175), (180, 230), (90, 235)]]
TWO = [[(20, 30), (50, 12), (80, 30), (20, 95), (85, 95)]]

#: name -> (what it checks, how to draw it)
SYNTHETIC: dict[str, tuple[str, Callable[[], np.ndarray]]] = {
    "thin_stroke_seven": ("a 7 drawn with a 2-pixel pen", lambda: strokes_canvas(SEVEN, 2)),
    "thick_stroke_zero": ("a 0 drawn with a 40-pixel pen", lambda: strokes_canvas(ZERO, 40)),
    "transparent_dark_ink_one": (
        "a 1 in dark ink on a transparent canvas (light mode)",
        lambda: strokes_canvas(ONE, 18),
    ),
    "transparent_light_ink_three": (
        "a 3 in light ink on a transparent canvas (dark mode): the paper is taken to be black",
        lambda: strokes_canvas(THREE, 18, ink=LIGHT_INK),
    ),
    "opaque_white_paper_seven": (
        "a 7 on opaque white paper (the alpha channel says nothing)",
        lambda: strokes_canvas(SEVEN, 16, paper=(255, 255, 255, 255)),
    ),
    "half_transparent_paper_three": (
        "a 3 on paper at 50% opacity",
        lambda: strokes_canvas(THREE, 18, paper=(250, 250, 250, 128)),
    ),
    "off_centre_two": (
        "a small 2 in the top-left corner of a 280x280 canvas",
        lambda: strokes_canvas(TWO, 10),
    ),
    "tall_thin_one": (
        "a very tall, thin 1: 20 pixels high, 1 wide after fitting",
        lambda: strokes_canvas([[(140, 20), (140, 260)]], 6),
    ),
    "wide_dash": (
        "a very wide '-': the short side rounds to 0, and max(1, ...) keeps a 1-pixel row",
        lambda: strokes_canvas([[(20, 140), (260, 140)]], 6),
    ),
    "round_half_to_even_width": (
        "a 40x5 bar: scale 0.5 makes 2.5 pixels, which round() takes to 2 (half to even), not 3",
        lambda: hard_rectangle((30, 20, 70, 25)),
    ),
    "round_half_to_even_height": (
        "a 5x40 bar: 2.5 pixels high, rounds to 2",
        lambda: hard_rectangle((30, 10, 35, 50)),
    ),
    "single_dot": ("one tap of the pen: a round dot", lambda: strokes_canvas([[(150, 120)]], 24)),
    "blank_transparent": ("an empty canvas: 'no ink found'", lambda: plain((CANVAS, CANVAS), (0, 0, 0, 0))),
    "blank_white": (
        "opaque white, nothing drawn: 'no ink found'",
        lambda: plain((CANVAS, CANVAS), (255, 255, 255, 255)),
    ),
    "too_dark": (
        "a dark grey canvas with nothing on it: 'no ink found, the photo is too dark'",
        lambda: plain((CANVAS, CANVAS), (40, 40, 40, 255)),
    ),
    "too_faint": (
        "a stroke 6% darker than the paper, under MIN_CONTRAST: 'no ink found'",
        lambda: strokes_canvas(SEVEN, 18, ink=(240, 240, 240), paper=(255, 255, 255, 255)),
    ),
}


def all_fixtures() -> list[dict]:
    cases = handwriting_canvases() + [(name, about, draw()) for name, (about, draw) in SYNTHETIC.items()]
    return [fixture(name, about, rgba) for name, about, rgba in cases]


def write_fixtures(out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    fixtures = all_fixtures()
    for record in fixtures:
        (out / f"{record['name']}.json").write_text(json.dumps(record))
    return fixtures


def prepare_from_json(payload):
    """--prepare: one canvas (or a list) as {"width", "height", "data"} -> Python's outcome for each."""
    if isinstance(payload, list):
        return [prepare_from_json(item) for item in payload]
    data = np.asarray(payload["data"], dtype=np.uint8)
    rgba = data.reshape(int(payload["height"]), int(payload["width"]), 4)
    result = outcome(rgba)
    if "prepared" in result:
        return {"prepared": [float(v) for v in result["prepared"].ravel()]}
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the fixtures (default: %(default)s)")
    parser.add_argument("--prepare", action="store_true", help="read canvases (JSON) on stdin, print prepare_digit's")
    args = parser.parse_args(argv)
    if args.prepare:
        json.dump(prepare_from_json(json.load(sys.stdin)), sys.stdout)
        return
    fixtures = write_fixtures(args.out)
    errors = sum("error" in f for f in fixtures)
    try:
        shown = args.out.resolve().relative_to(ROOT)
    except ValueError:
        shown = args.out
    print(f"[widget fixtures] {len(fixtures)} canvases ({errors} that prepare_digit rejects) in {shown}")


if __name__ == "__main__":
    main()
