"""One plotting style for the whole book."""

from __future__ import annotations


def use_book_style() -> None:
    """White figure backgrounds (readable on the website's dark theme too),
    labelled-axes defaults, and a modest resolution so pages stay light."""
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "figure.dpi": 90,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
