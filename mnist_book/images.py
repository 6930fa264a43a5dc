"""Turn a photo or drawing of one handwritten digit into an MNIST-style 28x28 image.

MNIST's digits were prepared in a fixed way (LeCun et al., 1998): each scanned digit was
scaled to fit inside a 20x20 box, keeping its aspect ratio, with anti-aliasing (which
made the grey levels), then placed in a 28x28 image so that its centre of mass falls on
the centre of the image; ink is bright on a black background. A model trained on MNIST
expects exactly that, so a photo of your own digit should go through the same steps.
Chapter 7 explains each step and shows what it does; :func:`prepare_digit` runs them all:

1. :func:`read_pixels`: a path, a PIL image or a NumPy array -> floats in [0, 1];
2. :func:`to_greyscale`: RGB by the usual luma weights; in RGBA, transparent pixels are paper;
3. :func:`ink_on_black`: find the paper's shade (median of the border), decide whether the
   ink is darker or lighter than the paper, make the ink bright on 0 and drop faint noise;
4. :func:`crop_to_ink`: cut away the empty paper around the digit;
5. :func:`fit_in_box`: resize so the longer side is 20 pixels (aspect ratio kept, anti-aliased);
6. :func:`centre_by_mass`: paste it into 28x28 with its centre of mass on MNIST's centre.

Only NumPy and Pillow are needed (no TensorFlow).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

#: What prepare_digit accepts, quoted in every error message.
ACCEPTED = (
    "It accepts a path to an image file (str or pathlib.Path), a PIL image, or a NumPy "
    "array of shape (height, width) for grey, (height, width, 1), (height, width, 3) for RGB or "
    "(height, width, 4) for RGBA, showing one digit on plain paper or a plain background"
)

#: MNIST's digits fit in a 20x20 box inside a 28x28 image.
BOX = 20
SIZE = 28
#: MNIST's mean centre of mass, in pixel indices (row, column): measured on the training set,
#: it is (14.0, 14.0) to within 0.01.
CENTRE = 14.0
#: The ink must differ from the paper by at least this share of the full 0-1 range.
MIN_CONTRAST = 0.15
#: A background darker than this grey level, with no ink found on it, is a photo taken in too little
#: light rather than a blank page; the error message says which.
DARK_BACKGROUND = 0.25
#: Pixels that differ from the paper by less than this share of the strongest ink count as
#: paper: sensor noise, paper texture, a light shadow.
NOISE_LEVEL = 0.35


def _error(problem: str) -> ValueError:
    return ValueError(f"prepare_digit: {problem}. {ACCEPTED}.")


def _open_path(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()
    except FileNotFoundError:
        raise _error(f"there is no file at '{path}'") from None
    except (OSError, SyntaxError, ValueError) as error:  # PIL raises these for non-images
        raise _error(f"cannot read '{path}' as an image ({type(error).__name__}: {error})") from None
    return image


def _pil_to_array(image: Image.Image) -> np.ndarray:
    # Phone photos are often stored sideways with an EXIF tag saying how to turn them.
    image = ImageOps.exif_transpose(image)
    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;"):
        pixels = np.asarray(image.convert("F"), dtype=np.float64)
        return pixels / (255.0 if pixels.max(initial=0) <= 255 else 65535.0)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info)
    if has_alpha:
        image = image.convert("RGBA")
    elif mode not in ("L", "RGB"):
        image = image.convert("RGB")  # 1, P, CMYK, YCbCr, LAB, HSV
    return np.asarray(image, dtype=np.float64) / 255.0


def _array_to_unit_range(array: np.ndarray) -> np.ndarray:
    if array.dtype == bool:
        return array.astype(np.float64)
    if np.issubdtype(array.dtype, np.integer):
        if array.size and array.min() < 0:
            raise _error("the array has negative pixel values")
        top = array.max(initial=0)
        if top > 65535:
            raise _error(f"the array's largest pixel value is {top}, above 65535")
        return array.astype(np.float64) / (255.0 if top <= 255 else 65535.0)
    if np.issubdtype(array.dtype, np.floating):
        pixels = array.astype(np.float64)
        if not np.all(np.isfinite(pixels)):
            raise _error("the array contains NaN or infinite values")
        if pixels.min(initial=0) < 0 or pixels.max(initial=0) > 255:
            raise _error("float pixel values must lie in [0, 1] or [0, 255]")
        return pixels / 255.0 if pixels.max(initial=0) > 1 else pixels
    raise _error(f"the array has dtype {array.dtype}; pixels must be numbers (integers, floats or booleans)")


def read_pixels(image) -> np.ndarray:
    """Read ``image`` (path, PIL image or NumPy array) as floats in [0, 1].

    Returns an array of shape (height, width) or (height, width, channels) with 1, 3 or 4
    channels. Raises ValueError, saying what was wrong and what is accepted, for anything else.
    """
    if isinstance(image, (str, os.PathLike)):
        image = _open_path(Path(image))
    if isinstance(image, Image.Image):
        pixels = _pil_to_array(image)
    elif isinstance(image, np.ndarray):
        pixels = _array_to_unit_range(image)
    else:
        raise _error(f"got a {type(image).__name__}")
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (1, 3, 4)):
        hint = " (a batch? call prepare_digit on each image)" if pixels.ndim == 4 else ""
        raise _error(f"got an array of shape {pixels.shape}{hint}")
    if pixels.shape[0] < 2 or pixels.shape[1] < 2:
        raise _error(f"the image is {pixels.shape[1]}x{pixels.shape[0]} pixels, too small to hold a digit")
    return pixels


def to_greyscale(pixels: np.ndarray) -> np.ndarray:
    """One grey value per pixel, 0 = black, 1 = white.

    RGB uses the ITU-R 601 luma weights (as PIL's "L" mode does). With an alpha channel,
    transparent pixels are paper: the paper is taken to be white when the visible ink is
    dark, black when the ink is light, and each pixel is blended with it by its opacity.
    """
    if pixels.ndim == 2:
        return pixels
    if pixels.shape[2] == 1:
        return pixels[:, :, 0]
    grey = 0.299 * pixels[:, :, 0] + 0.587 * pixels[:, :, 1] + 0.114 * pixels[:, :, 2]
    if pixels.shape[2] == 3:
        return grey
    alpha = pixels[:, :, 3]
    if alpha.min() >= 0.99:  # fully opaque: the alpha channel says nothing
        return grey
    visible = alpha.sum()
    ink_shade = (grey * alpha).sum() / visible if visible > 0 else 0.0
    paper = 1.0 if ink_shade < 0.5 else 0.0
    return alpha * grey + (1.0 - alpha) * paper


def paper_shade(grey: np.ndarray) -> float:
    """The background's grey level: the median of the pixels along the image's border."""
    height, width = grey.shape
    band = max(1, min(height, width) // 20)
    border = np.concatenate(
        [grey[:band].ravel(), grey[-band:].ravel(), grey[:, :band].ravel(), grey[:, -band:].ravel()]
    )
    return float(np.median(border))


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """Make the ink bright (up to 1) on a background of exactly 0, like MNIST.

    The ink is darker than the paper when the darkest pixel lies further below the paper's
    shade than the brightest lies above it (dark pen on paper), else lighter (chalk on a
    board, a white pen in a drawing app). Differences from the paper below ``NOISE_LEVEL`` of
    the strongest ink are set to 0; the rest are stretched to fill 0-1.
    Raises ValueError when nothing differs from the paper by ``MIN_CONTRAST``: a blank image, or a
    photo too dark to find ink in (background below ``DARK_BACKGROUND``), each with its own message.
    """
    paper = paper_shade(grey)
    dark_ink = paper - grey.min() >= grey.max() - paper
    difference = np.clip(paper - grey if dark_ink else grey - paper, 0.0, None)
    peak = float(difference.max())
    if peak < MIN_CONTRAST:
        measured = (
            f"no pixel differs from the background, grey level {paper:.2f} on a 0-1 scale, by more than "
            f"{peak:.2f}; a digit needs {MIN_CONTRAST} or more"
        )
        if paper < DARK_BACKGROUND:
            raise _error(f"no ink found, the photo is too dark ({measured}): take it again in brighter, even light")
        raise _error(f"no ink found, is the image blank or very faint? ({measured})")
    threshold = NOISE_LEVEL * peak
    return np.clip((difference - threshold) / (peak - threshold), 0.0, 1.0)


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """Cut away the rows and columns that hold no ink."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def fit_in_box(cropped: np.ndarray, box: int = BOX) -> np.ndarray:
    """Resize so that the longer side is ``box`` pixels, keeping the aspect ratio.

    Pillow's Lanczos filter anti-aliases (each new pixel averages the pixels it covers), which
    turns the edges of the strokes grey, as in MNIST. The result is stretched so that its
    strongest ink is 1 (thin strokes would otherwise come out faint).
    """
    height, width = cropped.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(cropped.astype(np.float32)).resize(size, Image.Resampling.LANCZOS)
    fitted = np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)
    if fitted.max() <= 0:
        raise _error("no ink left after resizing to 20x20: the ink is a few specks far apart")
    return fitted / fitted.max()


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, in pixel indices (NumPy only)."""
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def centre_by_mass(fitted: np.ndarray, size: int = SIZE, centre: float = CENTRE) -> np.ndarray:
    """Paste ``fitted`` into a size x size black image so that its centre of mass lands on
    ``centre`` (to within half a pixel: the shift is a whole number of pixels, so no blur),
    without pushing ink over the edge."""
    height, width = fitted.shape
    row, col = centre_of_mass(fitted)
    top = int(np.clip(np.round(centre - row), 0, size - height))
    left = int(np.clip(np.round(centre - col), 0, size - width))
    canvas = np.zeros((size, size), dtype=np.float32)
    canvas[top : top + height, left : left + width] = fitted
    return canvas


def prepare_digit(image) -> np.ndarray:
    """Turn a photo or drawing of one digit into what an MNIST model expects.

    ``image``: a path (str or pathlib.Path), a PIL image or a NumPy array; any size; grey,
    RGB or RGBA (transparent background = paper); dark ink on light paper or light ink on a
    dark background (detected automatically).

    Returns a float32 array of shape (28, 28) with values in [0, 1]: the digit bright on 0,
    fitted into 20x20 with its aspect ratio kept and centred by its centre of mass, the way
    MNIST's digits were made. Raises ValueError for a blank image, a file that is not an
    image, another type, or an array of another shape.
    """
    grey = to_greyscale(read_pixels(image))
    digit = centre_by_mass(fit_in_box(crop_to_ink(ink_on_black(grey))))
    return digit.astype(np.float32)


__all__ = [
    "ACCEPTED",
    "centre_by_mass",
    "centre_of_mass",
    "crop_to_ink",
    "fit_in_box",
    "ink_on_black",
    "paper_shade",
    "prepare_digit",
    "read_pixels",
    "to_greyscale",
]
