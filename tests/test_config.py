"""_config.yml and _toc.yml: the settings the website and Colab depend on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from book import CONFIG, ROOT, chapter_paths, read_notebook, toc_files

INSTALL_LINE = re.compile(r'%pip install -q "mnist-book @ git\+(?P<url>\S+?)@(?P<branch>[\w.\-/]+)"')


def test_site_shows_stored_outputs_only():
    assert CONFIG["execute"]["execute_notebooks"] == "off"


def test_repository_settings_for_launch_buttons():
    repository = CONFIG["repository"]
    assert re.fullmatch(r"https://github\.com/[\w.\-]+/[\w.\-]+", repository["url"])
    assert repository["branch"] == "main"
    assert repository["path_to_book"] == ""  # the book sits at the repository root
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    for button in ("use_download_button", "use_repository_button", "use_issues_button"):
        assert CONFIG["html"][button] is True


def test_bibliography_is_configured():
    for bib in CONFIG["bibtex_bibfiles"]:
        assert (ROOT / bib).is_file()
    assert "bibliography" in toc_files()


def test_only_the_book_is_built():
    assert CONFIG["only_build_toc_files"] is True
    for folder in ("_build", ".venv", "tests", "tools", "mnist_book"):
        assert folder in CONFIG["exclude_patterns"]


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.name)
def test_install_line_matches_the_configured_repository(path):
    """Colab installs the helper package from the URL and branch set in _config.yml."""
    setup_sources = [c.source for c in read_notebook(path).cells if c.cell_type == "code" and "%pip" in c.source]
    assert setup_sources, "no %pip install line: Colab would lack the helper package"
    for source in setup_sources:
        for match in INSTALL_LINE.finditer(source):
            assert match["url"] == CONFIG["repository"]["url"]
            assert match["branch"] == CONFIG["repository"]["branch"]
        assert INSTALL_LINE.search(source), f"unexpected install line: {source}"
        # Colab ships TensorFlow/Keras/NumPy: reinstalling or pinning them breaks the runtime.
        assert not re.search(r"%pip install[^\n]*\b(tensorflow|keras|numpy|pandas)\b", source)


@pytest.mark.slow  # pip builds the package in an isolated environment (fetches setuptools)
def test_install_line_builds_the_package_from_git(tmp_path):
    """What Colab's `%pip install "mnist-book @ git+URL@BRANCH"` does, against the commit under test
    (HEAD of this clone, which on CI is the branch being checked): the package builds from git and
    carries every module and data file that the package folder holds in git."""
    import subprocess
    import sys

    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    commit = git("rev-parse", "HEAD").strip()
    shipped = [Path(name).name for name in git("ls-tree", "--name-only", commit, "mnist_book/").split()]
    assert {"__init__.py", "images.py", "training.py", "bench_results.json"} <= set(shipped)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(tmp_path / "site"),
            f"mnist-book @ git+file://{ROOT}@{commit}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    installed = tmp_path / "site" / "mnist_book"
    missing = [name for name in shipped if not (installed / name).is_file()]
    assert not missing, f"the git install lacks {missing}: chapters on Colab import them"
