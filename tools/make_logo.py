"""Draw the book's logo, images/logo.png: a pixelated "7" on a 28x28 grid, as MNIST stores digits."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def seven(size: int = 28) -> np.ndarray:
    """A soft-edged 7: a top bar and a slanted stroke, drawn as distances to two segments."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)

    def segment(p, q, width):
        p, q = np.array(p, float), np.array(q, float)
        d = q - p
        t = np.clip(((xx - p[0]) * d[0] + (yy - p[1]) * d[1]) / (d @ d), 0, 1)
        dist = np.hypot(xx - (p[0] + t * d[0]), yy - (p[1] + t * d[1]))
        return np.clip(width - dist, 0, 1)

    ink = np.maximum(segment((7, 6), (21, 6), 2.2), segment((21, 6), (12, 23), 2.2))
    return (255 * ink).astype(np.uint8)


def main() -> None:
    fig, ax = plt.subplots(figsize=(2, 2), dpi=80)
    ax.imshow(seven(), cmap="gray_r", vmin=0, vmax=255)
    ax.set_xticks(np.arange(-0.5, 28, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 28, 1), minor=True)
    ax.grid(which="minor", color="#d0d7de", linewidth=0.3)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    fig.savefig(ROOT / "images" / "logo.png", bbox_inches="tight", pad_inches=0.02, facecolor="white")


if __name__ == "__main__":
    main()
