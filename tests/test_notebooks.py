"""Notebook checks (plain pytest, seconds): the table of contents, the chapter skeleton, guarded
ignored cells, and that the stored outputs belong to the current code and were not edited by hand.

The rules are written down in CONTRIBUTING.md; every failure here names the part that applies."""

from __future__ import annotations

import ast
import re

import pytest

from book import ROOT, chapter_paths, notebook_code_hash, notebook_outputs_hash, read_notebook, toc_files

pytestmark = pytest.mark.notebooks

CHAPTERS = chapter_paths()
PROPER_NOUNS = {"Keras", "TensorFlow", "Colab", "NumPy", "LeNet-5", "Python"}
ids = [p.name for p in CHAPTERS]


def markdown_text(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def headings(nb, level: int) -> list[str]:
    prefix = "#" * level + " "
    return [
        line[len(prefix) :].strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith(prefix)
    ]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


# --- table of contents -------------------------------------------------------


def test_every_chapter_is_in_the_toc():
    listed = set(toc_files())
    missing = [p.name for p in CHAPTERS if f"chapters/{p.stem}" not in listed]
    assert not missing, f"chapters missing from _toc.yml: {missing}"


def test_every_toc_entry_exists():
    for name in toc_files():
        assert (ROOT / f"{name}.ipynb").exists() or (ROOT / f"{name}.md").exists(), name


def test_there_is_at_least_one_chapter():
    assert CHAPTERS


# --- the template ------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_title_and_overview(path):
    nb = read_notebook(path)
    assert len(headings(nb, 1)) == 1, "exactly one H1 title"
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    first_word, *other_words = headings(nb, 1)[0].split()
    assert first_word[0].isupper()
    for word in other_words:  # sentence case: acronyms and product names keep their capitals
        assert word.islower() or word.isupper() or word.strip(",:") in PROPER_NOUNS, f"'{word}' in the title"
    overview = first.source.split("\n", 1)[1].split("\n## ", 1)[0]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", overview.strip()) if s]
    assert 2 <= len(sentences) <= 4, f"overview has {len(sentences)} sentences"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_objectives_prerequisites_and_run_time(path):
    nb = read_notebook(path)
    text = markdown_text(nb)
    section = text.split("## Learning objectives", 1)[1].split("\n## ", 1)[0]
    objectives = re.findall(r"^\s*(?:\d+\.|-)\s+\S", section, flags=re.M)
    assert 3 <= len(objectives) <= 5, f"{len(objectives)} learning objectives"
    assert "**Prerequisites:**" in section
    stated = re.search(r"\*\*Run time:\*\* under (\d+) minutes?", section)
    assert stated, "state the run time as '**Run time:** under N minutes ...'"
    recorded = nb.metadata["mnist_book"]["run"]["seconds"]
    assert recorded <= 60 * int(stated[1]), f"the last run took {recorded} s, more than the stated time"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_sections_in_template_order(path):
    nb = read_notebook(path)
    h2 = headings(nb, 2)
    assert h2[:2] == ["Learning objectives", "Setup"]
    assert h2[-3:] == ["Exercises", "Summary", "Further reading"]
    numbered = h2[2:-3]
    assert numbered, "at least one numbered section"
    for number, heading in enumerate(numbered, start=1):
        assert heading.startswith(f"{number}. "), f"section {number} is '{heading}'"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_setup_cell(path):
    nb = read_notebook(path)
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Setup" in c.source)
    setup = nb.cells[index + 1]
    assert setup.cell_type == "code"
    for needed in ("%pip install", "seed_everything(", "use_book_style()", "device_report()"):
        assert needed in setup.source, f"setup cell lacks {needed}"
    assert code_cells(nb)[0] is setup, "the setup cell is the first code cell"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_every_code_cell_is_introduced(path):
    """One sentence of explanation before every code cell (a self-check follows its solution)."""
    nb = read_notebook(path)
    for before, cell in zip(nb.cells, nb.cells[1:], strict=False):
        if cell.cell_type == "code" and "self-check" not in tags(cell):
            assert before.cell_type == "markdown", f"code cell without explanation:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_exercises_have_solutions_and_self_checks(path):
    nb = read_notebook(path)
    exercises = [h for h in headings(nb, 3) if h.startswith("Exercise ")]
    solutions = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "solution" in tags(c)]
    assert exercises, "at least one exercise"
    assert len(solutions) == len(exercises), "one solution cell per exercise"
    for i in solutions:
        solution, after = nb.cells[i], nb.cells[i + 1]
        assert "hide-input" in tags(solution), "solutions are collapsed on the website"
        assert after.cell_type == "code" and "self-check" in tags(after), "a self-check follows each solution"
        assert "self_check(" in after.source
        assert any("PASS:" in o.get("text", "") for o in after.outputs), "the stored self-check passed"


# --- stored outputs ----------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_executed_top_to_bottom_in_one_run(path):
    counts = [c.execution_count for c in code_cells(read_notebook(path))]
    assert counts == list(range(1, len(counts) + 1)), "run `make execute` (top to bottom, one kernel)"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_outputs_belong_to_the_current_code(path):
    nb = read_notebook(path)
    recorded = nb.metadata.get("mnist_book", {}).get("code_sha256")
    assert recorded == notebook_code_hash(nb), "code changed since the outputs were stored: `make execute`"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_run_record(path):
    run = read_notebook(path).metadata["mnist_book"]["run"]
    for key in ("seconds", "date", "device", "tensorflow", "keras", "cpu_cores"):
        assert run.get(key) not in (None, ""), key


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_colab_asks_for_a_gpu_only_where_the_chapter_may_use_one(path):
    """Colab reads the notebook's `accelerator` field when it opens the chapter: a chapter that says it
    needs no GPU must not make a student wait for one (free GPUs are rationed)."""
    nb = read_notebook(path)
    if "no GPU needed" in markdown_text(nb):
        assert "accelerator" not in nb.metadata, "the chapter says 'no GPU needed' but asks Colab for one"


#: `make execute` of the whole book on the 2 CPU cores of CI and of a free Colab runtime.
BOOK_TIME_BUDGET_S = 600


def test_the_whole_book_runs_within_its_time_budget():
    """The stored runs (one `make execute`, or chapters re-run one at a time) add up to at most 10 minutes
    on 2 CPU cores: a student with a free Colab CPU runs every chapter in a lab session."""
    runs = [read_notebook(path).metadata["mnist_book"]["run"] for path in CHAPTERS]
    assert all(run["cpu_cores"] <= 2 for run in runs), "time the book on 2 cores, as CI and Colab have"
    total = sum(run["seconds"] for run in runs)
    assert total <= BOOK_TIME_BUDGET_S, (
        f"the chapters took {total:.0f} s together, over the {BOOK_TIME_BUDGET_S} s budget: use smaller subsets"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_no_errors_or_unstable_reprs(path):
    for cell in code_cells(read_notebook(path)):
        for output in cell.outputs:
            assert output.output_type != "error", f"stored error in:\n{cell.source[:200]}"
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            assert not re.search(r"<matplotlib\.\w+.* at 0x|object at 0x", text), (
                "end plotting cells with plt.show(); addresses differ on every run"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_images_show_on_the_website_and_on_colab(path):
    """Pictures come from code outputs or absolute URLs; relative links break on Colab.
    Every plot carries alt text for screen readers."""
    nb = read_notebook(path)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", cell.source) + re.findall(
                r"<img[^>]+src=[\"']([^\"']+)", cell.source
            ):
                assert target.startswith("https://"), f"image link that Colab cannot show: {target}"
        elif any("image/png" in o.get("data", {}) for o in cell.outputs):
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 20, f"plot without alt text:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_outputs_and_tags_were_not_edited_by_hand(path):
    nb = read_notebook(path)
    recorded = nb.metadata.get("mnist_book", {}).get("outputs_sha256")
    assert recorded == notebook_outputs_hash(nb), (
        "a stored output or a cell tag changed since `make execute` wrote it: outputs get into git only "
        "through `make execute` (CONTRIBUTING.md, 'Stored outputs')"
    )


# --- cells whose output nbval does not compare --------------------------------


def _names_in(node) -> set[str]:
    """Names a piece of code reads (not the ones it assigns)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _assigned_names(statement) -> set[str]:
    """Names a top-level statement binds: assignment targets, loop and with targets, defs, imports."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
    bound = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    return bound


def _checks(statement) -> list[ast.AST]:
    """The expressions a statement checks: assert tests and the arguments of self_check calls."""
    found = []
    for node in ast.walk(statement):
        if isinstance(node, ast.Assert):
            found.append(node.test)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "self_check":
            found.extend(node.args)
    return found


def guard_of(cells, index) -> str | None:
    """How code cell `index` is guarded: 'asserts in the cell', 'feeds an assert in a later cell', or None.

    A later check counts when it uses a name the cell binds, directly or through names computed from it.
    """
    tree = ast.parse(cells[index].source)
    if any(_checks(statement) for statement in tree.body):
        return "asserts in the cell"
    fed = set().union(*(_assigned_names(s) for s in tree.body))
    for later in cells[index + 1 :]:
        for statement in ast.parse(later.source).body:
            if any(_names_in(check) & fed for check in _checks(statement)):
                return "feeds an assert in a later cell"
            if _names_in(statement) & fed:
                fed |= _assigned_names(statement)
    return None


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_every_ignored_cell_is_guarded(path):
    """nbval does not compare a cell tagged nbval-ignore-output, so what it shows must be checked
    by an assert, in the cell or in a later cell that uses what it computed (setup cell aside)."""
    cells = code_cells(read_notebook(path))
    unguarded = [
        cell.source[:300]
        for index, cell in enumerate(cells[1:], start=1)
        if "nbval-ignore-output" in tags(cell) and guard_of(cells, index) is None
    ]
    assert not unguarded, (
        "cells tagged nbval-ignore-output with no assert on what they compute "
        "(CONTRIBUTING.md, 'Outputs that change between runs'):\n\n" + "\n\n---\n".join(unguarded)
    )


# Reading back what a figure shows: images, lines, bars, scatter points, titles.
PLOTTED_DATA = re.compile(
    r"\.(images|lines|patches|containers|collections|texts|get_array|get_ydata|get_xdata|"
    r"get_offsets|get_height|get_width|get_title|get_text)\b"
)


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_run_dependent_plots_assert_their_data(path):
    """nbval compares the plots of compared cells as images; a plot in a cell tagged nbval-ignore-output is
    not compared, so the cell must assert what it drew, read back from the figure (CONTRIBUTING.md)."""
    unchecked = []
    for cell in code_cells(read_notebook(path)):
        draws = any("image/png" in o.get("data", {}) for o in cell.outputs)
        if draws and "nbval-ignore-output" in tags(cell):
            checks = [ast.unparse(check) for s in ast.parse(cell.source).body for check in _checks(s)]
            if not any(PLOTTED_DATA.search(check) for check in checks):
                unchecked.append(cell.source[:200])
    assert not unchecked, "run-dependent plots without an assert on the plotted data:\n\n" + "\n---\n".join(unchecked)
