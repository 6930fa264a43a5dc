"""mnist_book.images.prepare_digit: a photo or drawing -> an MNIST-style 28x28 image.

Plain pytest, NumPy and Pillow only (no TensorFlow), well under a second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_book.images import (
    CENTRE,
    centre_by_mass,
    centre_of_mass,
    crop_to_ink,
    ink_on_black,
    prepare_digit,
)

PAPER, INK = 240, 30  # grey levels of a photographed page and of the pen


def seven_mask(size=(300, 400), offset=(-40, 60), scale=1.0, width=18) -> Image.Image:
    """A hand-drawn-looking 7 (where the pen went, 255) off-centre on a canvas, as mode L."""
    mask = Image.new("L", size, 0)
    cx, cy = size[0] / 2 + offset[0], size[1] / 2 + offset[1]
    points = [(-50, -70), (45, -75), (40, -60), (-5, 75)]
    draw = ImageDraw.Draw(mask)
    draw.line([(cx + scale * x, cy + scale * y) for x, y in points], fill=255, width=width, joint="curve")
    return mask


def on_paper(mask: Image.Image, paper=PAPER, ink=INK) -> np.ndarray:
    """The mask as grey pen on grey paper, uint8 (height, width)."""
    m = np.asarray(mask, dtype=float) / 255
    return np.round(paper * (1 - m) + ink * m).astype(np.uint8)


@pytest.fixture
def photo() -> np.ndarray:
    return on_paper(seven_mask())


def ink_box(digit: np.ndarray, level: float = 0.05) -> tuple[int, int]:
    """Height and width of the rows/columns holding ink above ``level``."""
    rows = np.flatnonzero((digit > level).any(axis=1))
    cols = np.flatnonzero((digit > level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


# --- what comes out ----------------------------------------------------------


def test_output_is_mnist_shaped_float32_in_unit_range(photo):
    digit = prepare_digit(photo)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() == 0.0 and digit.max() == pytest.approx(1.0)


def test_ink_is_bright_on_a_black_background(photo):
    digit = prepare_digit(photo)
    assert (digit == 0).mean() > 0.5  # the paper is exactly 0, as in MNIST (about 80% of its pixels)
    assert digit.sum() > 30  # a real digit's worth of ink, not a speck


@pytest.mark.parametrize("offset", [(-100, -120), (0, 0), (90, 130), (-110, 150)])
@pytest.mark.parametrize("scale", [0.4, 1.0, 1.4])
def test_centred_by_centre_of_mass_within_half_a_pixel(offset, scale):
    digit = prepare_digit(on_paper(seven_mask(offset=offset, scale=scale, width=round(18 * scale))))
    row, col = centre_of_mass(digit)
    assert abs(row - CENTRE) <= 0.5 and abs(col - CENTRE) <= 0.5, (row, col)


@pytest.mark.parametrize("scale", [0.4, 1.0, 1.4])
def test_longer_side_fits_the_20_pixel_box(scale):
    digit = prepare_digit(on_paper(seven_mask(scale=scale, width=round(18 * scale))))
    height, width = ink_box(digit, level=0.0)
    assert max(height, width) in (20, 21)  # 20, plus at most one pixel of Lanczos fringe


@pytest.mark.parametrize("width, height", [(60, 180), (180, 60), (100, 100)])
def test_aspect_ratio_is_kept(width, height):
    page = np.full((400, 300), PAPER, dtype=np.uint8)
    page[50 : 50 + height, 70 : 70 + width] = INK  # a solid bar of known proportions
    digit = prepare_digit(page)
    got_height, got_width = ink_box(digit, level=0.5)
    assert got_width / got_height == pytest.approx(width / height, rel=0.1)


def test_same_digit_at_any_size_and_place_gives_almost_the_same_image():
    small = prepare_digit(on_paper(seven_mask(size=(200, 200), offset=(-50, -40), scale=0.5, width=9)))
    large = prepare_digit(on_paper(seven_mask(size=(600, 800), offset=(120, 200), scale=2.0, width=36)))
    assert np.abs(small - large).mean() < 0.03


# --- dark ink on light paper, or light on dark: detected ---------------------


def test_light_ink_on_dark_gives_the_same_result(photo):
    chalkboard = 255 - photo
    assert np.allclose(prepare_digit(chalkboard), prepare_digit(photo), atol=1e-6)


def test_inversion_does_not_depend_on_the_shades(photo):
    mask = seven_mask()
    pencil = on_paper(mask, paper=225, ink=120)  # faint pencil on greyish paper
    chalk = on_paper(mask, paper=50, ink=210)
    for other in (pencil, chalk):
        assert np.allclose(prepare_digit(other), prepare_digit(photo), atol=1e-3)


def test_faint_noise_and_a_light_shadow_are_ignored(photo):
    rng = np.random.default_rng(0)
    height, width = photo.shape
    shadow = np.linspace(0, 25, width)[None, :] * np.linspace(0, 1, height)[:, None]  # darker bottom-right
    noisy = np.clip(photo - shadow + rng.normal(0, 4, photo.shape), 0, 255).astype(np.uint8)
    assert np.abs(prepare_digit(noisy) - prepare_digit(photo)).mean() < 0.02


def test_ink_on_black_makes_paper_exactly_zero(photo):
    ink = ink_on_black(photo / 255)
    assert ink[0, 0] == 0 and ink.max() == 1.0
    cropped = crop_to_ink(ink).shape
    assert cropped[0] < photo.shape[0] and cropped[1] < photo.shape[1]  # both sides cropped


# --- path, PIL image or array; grey, RGB or RGBA -----------------------------


def test_path_pil_and_array_inputs_agree(tmp_path, photo):
    path = tmp_path / "seven.png"
    Image.fromarray(photo).save(path)
    expected = prepare_digit(photo)
    for image in (str(path), path, Image.open(path), np.asarray(Image.open(path)), photo.astype(float) / 255):
        assert np.array_equal(prepare_digit(image), expected), type(image)


def test_grey_with_a_channel_axis(photo):
    assert np.array_equal(prepare_digit(photo[:, :, None]), prepare_digit(photo))


def test_rgb_blue_ink(photo):
    m = np.asarray(seven_mask(), dtype=float)[:, :, None] / 255
    paper, blue = np.array([246, 243, 233]), np.array([28, 52, 150])
    rgb = np.round(paper * (1 - m) + blue * m).astype(np.uint8)
    assert np.abs(prepare_digit(rgb) - prepare_digit(photo)).max() < 1e-3
    assert np.abs(prepare_digit(Image.fromarray(rgb, "RGB")) - prepare_digit(photo)).max() < 1e-3


@pytest.mark.parametrize("colour", [(0, 0, 0), (20, 30, 90), (255, 255, 255)])
def test_rgba_transparent_background_is_paper(photo, colour):
    """A drawing app's export: one ink colour, opacity = where the pen went. Even white ink works."""
    mask = np.asarray(seven_mask())
    rgba = np.zeros((*mask.shape, 4), dtype=np.uint8)
    rgba[:, :, :3] = colour
    rgba[:, :, 3] = mask
    for image in (rgba, Image.fromarray(rgba, "RGBA")):
        assert np.abs(prepare_digit(image) - prepare_digit(photo)).max() < 1e-3


def test_opaque_rgba_is_read_like_rgb(photo):
    rgba = np.dstack([photo, photo, photo, np.full_like(photo, 255)])
    assert np.abs(prepare_digit(rgba) - prepare_digit(photo)).max() < 1e-6


def test_exif_orientation_of_phone_photos_is_applied(tmp_path, photo):
    path = tmp_path / "sideways.png"
    stored = Image.fromarray(photo).transpose(Image.Transpose.ROTATE_90)  # the camera held sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90 degrees clockwise to display
    stored.save(path, exif=exif)
    assert np.array_equal(prepare_digit(path), prepare_digit(photo))


def test_centre_by_mass_never_pushes_ink_off_the_image():
    top_heavy = np.zeros((20, 20))
    top_heavy[:2] = 1.0  # all the ink in the top two rows: centring would push it up and out
    placed = centre_by_mass(top_heavy)
    assert placed.sum() == pytest.approx(top_heavy.sum())


# --- clear errors --------------------------------------------------------------


@pytest.mark.parametrize(
    "blank",
    [
        np.full((300, 200), 255, dtype=np.uint8),
        np.zeros((28, 28), dtype=np.float32),
        np.clip(np.random.default_rng(1).normal(240, 3, (300, 200)), 0, 255).astype(np.uint8),
        np.zeros((100, 100, 4), dtype=np.uint8),  # a fully transparent drawing
    ],
    ids=["white", "black", "noisy-paper", "transparent"],
)
def test_blank_image_raises(blank):
    with pytest.raises(ValueError, match=r"no ink found.*accepts"):
        prepare_digit(blank)


def test_a_photo_too_dark_to_find_ink_in_says_so():
    # A digit photographed in almost no light: paper at grey 30, ink at 20 of 255.
    mask = np.zeros((300, 200), dtype=bool)
    mask[60:240, 95:105] = True
    dark = np.where(mask, 20, 30).astype(np.uint8)
    with pytest.raises(ValueError, match=r"no ink found, the photo is too dark .*brighter"):
        prepare_digit(dark)
    with pytest.raises(ValueError, match=r"blank or very faint") as white_page:
        prepare_digit(np.full((300, 200), 255, dtype=np.uint8))
    assert "too dark" not in str(white_page.value)


def test_missing_file_raises(tmp_path):
    with pytest.raises(ValueError, match=r"no file at .*accepts a path"):
        prepare_digit(tmp_path / "missing.png")


def test_file_that_is_not_an_image_raises(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is text, not a picture")
    with pytest.raises(ValueError, match=r"cannot read .*notes\.png.* as an image"):
        prepare_digit(str(path))


def test_truncated_image_file_raises(tmp_path, photo):
    path = tmp_path / "cut.png"
    Image.fromarray(photo).save(path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="cannot read"):
        prepare_digit(path)


@pytest.mark.parametrize("thing", [[[0, 255], [255, 0]], 7, None, b"\x89PNG"], ids=["list", "int", "None", "bytes"])
def test_wrong_type_raises(thing):
    with pytest.raises(ValueError, match=f"got a {type(thing).__name__}. It accepts"):
        prepare_digit(thing)


@pytest.mark.parametrize(
    "shape",
    [(784,), (1, 28, 28, 1), (28, 28, 2), (28, 28, 5), (3, 28, 28)],
    ids=["1-D", "4-D batch", "2 channels", "5 channels", "channels first"],
)
def test_wrong_dimensions_raise(shape):
    with pytest.raises(ValueError, match=r"got an array of shape .*\(height, width\)"):
        prepare_digit(np.zeros(shape, dtype=np.uint8))


def test_batch_gets_a_hint():
    with pytest.raises(ValueError, match="a batch\\? call prepare_digit on each image"):
        prepare_digit(np.zeros((5, 28, 28, 1)))


@pytest.mark.parametrize(
    "array, problem",
    [
        (np.full((28, 28), np.nan), "NaN"),
        (np.full((28, 28), -1, dtype=np.int16), "negative"),
        (np.full((28, 28), 300.0), r"\[0, 1\] or \[0, 255\]"),
        (np.zeros((28, 28), dtype=complex), "dtype complex"),
        (np.zeros((1, 40)), "too small"),
    ],
)
def test_bad_pixel_values_raise(array, problem):
    with pytest.raises(ValueError, match=problem):
        prepare_digit(array)


def test_no_tensorflow_needed():
    code = "import sys, mnist_book.images; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
