"""Draw the handwritten-looking digits of chapter 7: images/handwriting/<digit>_<style>.png.

Usage: python tools/draw_digits.py        (deterministic: the same PNG files on every run)

Each digit 0-9 is a few pen strokes through hand-placed points (a Catmull-Rom spline through
them), jittered, slanted, scaled and placed off-centre, then drawn the way a reader's own
digits reach the book: ballpoint or marker on paper photographed with a phone (off-white paper,
a soft shadow, a little sensor noise), pencil, chalk on a blackboard (light on dark), a drawing
app's transparent PNG (RGBA), a greyscale scan. The first character of each file name is the
digit it shows, which the chapter uses as the label.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "images" / "handwriting"
SEED = 7
SUPERSAMPLE = 3  # draw 3x larger, then shrink: smooth (anti-aliased) stroke edges

# Each digit: strokes, each a list of (x, y) points in a unit box (x to the right, y down).
# A corner in a digit (the 7's elbow, the 4's cross) is where one stroke ends and the next begins.
# The tables below are laid out by hand, one digit a line: the formatter leaves them alone.
# fmt: off
STROKES = {
    0: [[(0.52, 0.04), (0.24, 0.14), (0.1, 0.45), (0.2, 0.82), (0.5, 0.97), (0.8, 0.84), (0.9, 0.5),
         (0.8, 0.16), (0.55, 0.03), (0.4, 0.08)]],
    1: [[(0.42, 0.18), (0.62, 0.03), (0.58, 0.35), (0.52, 0.7), (0.47, 0.97)]],
    2: [[(0.12, 0.28), (0.3, 0.07), (0.62, 0.04), (0.84, 0.22), (0.74, 0.48), (0.4, 0.75), (0.1, 0.95)],
        [(0.1, 0.95), (0.5, 0.91), (0.92, 0.93)]],
    3: [[(0.14, 0.16), (0.45, 0.03), (0.78, 0.12), (0.8, 0.32), (0.45, 0.47)],
        [(0.45, 0.47), (0.8, 0.58), (0.86, 0.8), (0.58, 0.97), (0.15, 0.88)]],
    4: [[(0.58, 0.03), (0.32, 0.35), (0.08, 0.66)], [(0.08, 0.66), (0.5, 0.64), (0.94, 0.62)],
        [(0.7, 0.3), (0.68, 0.65), (0.66, 0.98)]],
    5: [[(0.84, 0.05), (0.55, 0.06), (0.28, 0.07)], [(0.28, 0.07), (0.25, 0.26), (0.22, 0.46)],
        [(0.22, 0.46), (0.52, 0.38), (0.82, 0.5), (0.86, 0.75), (0.6, 0.95), (0.14, 0.88)]],
    6: [[(0.76, 0.04), (0.42, 0.22), (0.18, 0.56), (0.24, 0.88), (0.52, 0.97), (0.8, 0.8), (0.74, 0.56),
         (0.46, 0.5), (0.24, 0.64)]],
    7: [[(0.08, 0.1), (0.5, 0.07), (0.92, 0.06)], [(0.92, 0.06), (0.62, 0.48), (0.4, 0.97)]],
    8: [[(0.74, 0.16), (0.5, 0.03), (0.24, 0.14), (0.28, 0.34), (0.5, 0.48), (0.76, 0.64), (0.72, 0.9),
         (0.48, 0.98), (0.24, 0.86), (0.28, 0.62), (0.5, 0.48), (0.72, 0.32), (0.74, 0.16)]],
    9: [[(0.8, 0.3), (0.6, 0.06), (0.28, 0.1), (0.2, 0.34), (0.44, 0.48), (0.72, 0.38), (0.8, 0.18)],
        [(0.8, 0.18), (0.77, 0.58), (0.7, 0.98)]],
}

# How each digit is drawn: canvas size (width, height), medium, digit height as a share of the
# canvas height, digit width as a share of its height, slant (shear), stroke width as a share of
# the digit's height, centre of the digit as shares of the canvas (x, y).
STYLES = {
    0: dict(name="blue_ballpoint", size=(300, 400), medium="blue_ink", height=0.42, aspect=0.7, slant=0.15,
            width=0.07, centre=(0.42, 0.56)),
    1: dict(name="pencil", size=(300, 400), medium="pencil", height=0.5, aspect=0.45, slant=0.1,
            width=0.07, centre=(0.6, 0.45)),
    2: dict(name="app_transparent", size=(400, 400), medium="app_black", height=0.55, aspect=0.75, slant=0.0,
            width=0.1, centre=(0.5, 0.5)),
    3: dict(name="chalkboard", size=(400, 300), medium="chalk", height=0.55, aspect=0.7, slant=0.12,
            width=0.11, centre=(0.45, 0.48)),
    4: dict(name="small_blue_ink", size=(300, 400), medium="blue_ink", height=0.3, aspect=0.8, slant=0.1,
            width=0.08, centre=(0.35, 0.66)),
    5: dict(name="app_navy", size=(300, 300), medium="app_navy", height=0.5, aspect=0.72, slant=0.08,
            width=0.11, centre=(0.56, 0.46)),
    6: dict(name="pencil_slanted", size=(300, 400), medium="pencil", height=0.5, aspect=0.7, slant=0.3,
            width=0.09, centre=(0.5, 0.5)),
    7: dict(name="marker", size=(300, 400), medium="marker", height=0.45, aspect=0.75, slant=0.05,
            width=0.12, centre=(0.55, 0.42)),
    8: dict(name="ballpoint_shadow", size=(300, 400), medium="black_ink", height=0.5, aspect=0.6, slant=0.18,
            width=0.08, centre=(0.5, 0.55)),
    9: dict(name="grey_scan", size=(320, 320), medium="scan", height=0.55, aspect=0.65, slant=0.15,
            width=0.09, centre=(0.5, 0.5)),
}

# Ink colours (RGB) on paper, and the paper.
PAPER = np.array([246, 243, 233], dtype=float)
INKS = {"blue_ink": (28, 52, 150), "black_ink": (35, 35, 40), "pencil": (95, 95, 100),
        "marker": (20, 20, 24), "app_black": (10, 10, 10), "app_navy": (20, 30, 90)}
# fmt: on


def catmull_rom(points: list[tuple[float, float]], steps: int = 24) -> np.ndarray:
    """A smooth curve through every point (Catmull-Rom spline), as an (n, 2) array."""
    p = np.asarray(points, dtype=float)
    if len(p) == 2:
        return np.linspace(p[0], p[1], steps)
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    pieces = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        pieces.append(
            0.5
            * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)
        )
    pieces.append(p[-2][None, :])
    return np.vstack(pieces)


def stroke_mask(digit: int, style: dict, rng: np.random.Generator) -> np.ndarray:
    """Where the pen touched the paper: floats in [0, 1] of the canvas size (anti-aliased)."""
    width, height = style["size"]
    big = Image.new("L", (width * SUPERSAMPLE, height * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    digit_h = style["height"] * height
    digit_w = style["aspect"] * digit_h
    cx, cy = style["centre"][0] * width, style["centre"][1] * height
    angle = rng.uniform(-0.06, 0.06)  # a slightly turned page
    cos, sin = np.cos(angle), np.sin(angle)
    pen = style["width"] * digit_h * SUPERSAMPLE
    for stroke in STROKES[digit]:
        points = np.asarray(stroke, dtype=float) + rng.normal(0, 0.012, size=(len(stroke), 2))
        curve = catmull_rom(points)
        x = (curve[:, 0] - 0.5) * digit_w + style["slant"] * (0.5 - curve[:, 1]) * digit_h
        y = (curve[:, 1] - 0.5) * digit_h
        xs = (cx + cos * x - sin * y) * SUPERSAMPLE
        ys = (cy + sin * x + cos * y) * SUPERSAMPLE
        # The pen presses harder in the middle of a stroke: width varies by +-15% along it.
        widths = pen * (1 + 0.15 * np.sin(np.linspace(0, np.pi, len(xs)) + rng.uniform(0, np.pi)))
        # widths has one entry more than there are segments: the last one is not used.
        for x0, y0, x1, y1, w in zip(xs[:-1], ys[:-1], xs[1:], ys[1:], widths, strict=False):
            draw.line([(x0, y0), (x1, y1)], fill=255, width=max(1, round(w)))
            r = w / 2
            draw.ellipse([x1 - r, y1 - r, x1 + r, y1 + r], fill=255)
        r = widths[0] / 2
        draw.ellipse([xs[0] - r, ys[0] - r, xs[0] + r, ys[0] + r], fill=255)
    small = big.resize((width, height), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small, dtype=float) / 255, 0, 1)


def grain(shape: tuple[int, int], rng: np.random.Generator, scale: int) -> np.ndarray:
    """Smooth random texture in [0, 1] (random values on a coarse grid, enlarged)."""
    coarse = rng.random((shape[0] // scale + 2, shape[1] // scale + 2))
    big = Image.fromarray((coarse * 255).astype(np.uint8)).resize(
        ((shape[1] // scale + 2) * scale, (shape[0] // scale + 2) * scale), Image.Resampling.BICUBIC
    )
    return np.asarray(big, dtype=float)[: shape[0], : shape[1]] / 255


def paper(shape: tuple[int, int], rng: np.random.Generator, shadow: float) -> np.ndarray:
    """Off-white paper lit unevenly (a soft shadow from one corner), with a faint grain (a little
    smooth noise: pixel-by-pixel noise would make each PNG several times larger)."""
    height, width = shape
    yy, xx = np.mgrid[0:height, 0:width]
    corner = np.hypot((xx - width) / width, (yy - height) / height)  # 0 at the bottom-right corner
    light = 1 - shadow * np.clip(1 - corner, 0, 1) ** 2
    sheet = PAPER[None, None, :] * light[:, :, None]
    return sheet + 5 * (grain(shape, rng, 4)[:, :, None] - 0.5)


def render(digit: int, rng: np.random.Generator) -> Image.Image:
    style = STYLES[digit]
    width, height = style["size"]
    mask = stroke_mask(digit, style, rng)
    medium = style["medium"]
    if medium.startswith("app_"):  # a drawing app's export: ink colour, opacity = where the pen went
        rgba = np.zeros((height, width, 4))
        rgba[:, :, :3] = INKS[medium]
        rgba[:, :, 3] = 255 * mask
        return Image.fromarray(np.round(rgba).astype(np.uint8), "RGBA")
    if medium == "chalk":  # light chalk on a dark green board, with gaps where the chalk skipped
        board = (
            np.array([38, 58, 50], dtype=float)[None, None, :]
            * (0.9 + 0.2 * grain((height, width), rng, 40))[:, :, None]
        )
        cover = mask * (0.55 + 0.45 * grain((height, width), rng, 2))
        chalk = np.array([232, 234, 226], dtype=float)
        rgb = board * (1 - cover[:, :, None]) + chalk * cover[:, :, None]
        return Image.fromarray(np.clip(np.round(rgb), 0, 255).astype(np.uint8), "RGB")
    if medium == "scan":  # a greyscale flatbed scan: white paper, dark grey ink, no shadow
        grey = 250 - 190 * mask + rng.normal(0, 1.0, size=mask.shape)
        return Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8), "L")
    sheet = paper((height, width), rng, shadow=0.12 if style["name"].endswith("shadow") else 0.06)
    cover = mask
    if medium == "pencil":  # graphite leaves grainy, lighter lines
        cover = mask * (0.55 + 0.35 * grain((height, width), rng, 3))
    ink = np.array(INKS[medium], dtype=float)
    rgb = sheet * (1 - cover[:, :, None]) + ink * cover[:, :, None]
    return Image.fromarray(np.clip(np.round(rgb), 0, 255).astype(np.uint8), "RGB")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for digit in range(10):
        image = render(digit, rng)
        path = OUT / f"{digit}_{STYLES[digit]['name']}.png"
        image.save(path, optimize=True)
        print(
            f"{path.relative_to(ROOT)}  {image.mode:4s} {image.size[0]}x{image.size[1]}  "
            f"{path.stat().st_size / 1024:.0f} KB"
        )


if __name__ == "__main__":
    main()
