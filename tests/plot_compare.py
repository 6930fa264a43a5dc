"""Compare plots (PNG outputs) with the stored ones, within a tolerance.

The stored plots were re-encoded by `make execute` with a 256-colour palette; a fresh plot gets the
same re-encoding before the comparison, so the same drawing gives the same pixels. A plot counts as
the same when it has the same size and at most PLOT_TOLERANCE["changed_share"] of its pixels moved
by more than PLOT_TOLERANCE["pixel"] (in 0-1 units, on any RGB channel): room for antialiasing and
for the palette's choices, far less than other data, another digit, a moved curve or a changed title
change.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from tools.execute import compressed_png

PLOT_TOLERANCE = {"pixel": 0.1, "changed_share": 0.001}


def decode_png(encoded: str, reencode: bool = False) -> np.ndarray:
    """An RGB array in 0-1 from a notebook's base64 `image/png`, re-encoded as `make execute` does."""
    png = base64.b64decode(encoded)
    if reencode:
        png = compressed_png(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return np.asarray(image, dtype=np.float32) / 255


def pngs(outputs) -> list[str]:
    return [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]


def plot_difference(fresh: np.ndarray, stored: np.ndarray) -> float | None:
    """Share of pixels that changed by more than the pixel tolerance; None if the sizes differ."""
    if fresh.shape != stored.shape:
        return None
    changed = np.abs(fresh - stored).max(axis=-1) > PLOT_TOLERANCE["pixel"]
    return float(changed.mean())


def plot_differences(fresh_outputs, stored_outputs) -> list[str]:
    """One line per plot that differs from its stored counterpart (empty when all match)."""
    fresh, stored = pngs(fresh_outputs), pngs(stored_outputs)
    if len(fresh) != len(stored):
        return [f"{len(fresh)} plot(s) drawn, {len(stored)} stored"]
    problems = []
    for number, (new, old) in enumerate(zip(fresh, stored, strict=True), start=1):
        new_pixels, old_pixels = decode_png(new, reencode=True), decode_png(old)
        share = plot_difference(new_pixels, old_pixels)
        if share is None:
            problems.append(f"plot {number}: size {new_pixels.shape[1::-1]} against {old_pixels.shape[1::-1]} stored")
        elif share > PLOT_TOLERANCE["changed_share"]:
            problems.append(
                f"plot {number}: {share:.2%} of its pixels changed by more than {PLOT_TOLERANCE['pixel']} "
                f"(tolerance {PLOT_TOLERANCE['changed_share']:.2%})"
            )
    return problems
