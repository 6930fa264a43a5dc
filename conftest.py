"""pytest settings for nbval runs over chapters/ (see Makefile: make test-nbval).

Two changes to what nbval compares:
- stderr is not compared: TensorFlow's start-up lines differ between machines, and the outputs that
  matter are on stdout and in the display data;
- plots are compared. nbval skips `image/png` unless it runs with --nbdime, and then it would compare
  the PNG bytes, which differ with any encoder change. Here every plot of a compared cell is decoded
  and compared with the stored one pixel by pixel, within PLOT_TOLERANCE (tests/plot_compare.py).
  Plots of cells tagged nbval-ignore-output change from run to run: those cells assert the plotted
  data in code instead (CONTRIBUTING.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

from plot_compare import plot_differences  # found through the path above


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("nbval"):
        return
    from nbval.plugin import IPyNbCell

    compare_text = IPyNbCell.compare_outputs

    def compare_text_and_plots(self, test, ref, skip_compare=None):
        same = compare_text(self, test, ref, skip_compare)
        problems = plot_differences(test, ref)
        if problems:
            self.comparison_traceback.extend(["Plots differ from the stored ones:", *problems])
        return same and not problems

    IPyNbCell.compare_outputs = compare_text_and_plots


def pytest_runtest_makereport(item, call):
    """A failed notebook check points to the rules it enforces."""
    if call.when == "call" and call.excinfo is not None and item.get_closest_marker("notebooks"):
        item.add_report_section("call", "rules", "The chapter rules are in CONTRIBUTING.md.")
