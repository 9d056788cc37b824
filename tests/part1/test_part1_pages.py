"""Part 1's pages, read as stored: every figure shown, answers behind toggles, a summary at the end.

These read the committed notebooks (nbval checks separately that their outputs are what the code
produces today), so a figure that a cell builds but never displays, or an exercise whose answer
is printed above its toggle, fails here before anyone opens the book. The browser test checks the
same things in the built HTML.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
PART1 = ROOT / "book" / "part1"
PAGES = sorted(PART1.glob("*.ipynb"))
SECTIONS = [p for p in PAGES if "practice" not in p.name]
TOC = (ROOT / "_toc.yml").read_text()


def _read(path):
    return nbformat.read(path, as_version=4)


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def _mimes(cell):
    out = set()
    for o in cell.get("outputs", []):
        out |= set(o.get("data", {}))
    return out


def test_every_part1_page_is_in_the_table_of_contents():
    assert len(SECTIONS) >= 12                       # 1.1-1.10 and the pages of 1.6
    for path in PAGES:
        assert f"book/part1/{path.stem}\n" in TOC, path.name


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_every_figure_is_displayed(path):
    """A cell that draws must show a picture: a Figure's text repr alone means it was never
    rendered, and a cell ending with plt.show() that has no image drew on a figure pyplot does
    not own (the receptive-field figure of 1.9 once went missing that way)."""
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            text = "".join(output.get("data", {}).get("text/plain", ""))
            if text.startswith("<Figure size"):
                assert "image/png" in output["data"], f"{path.name} cell {index}: {text}"
        lines = [line for line in cell.source.splitlines() if line.strip()
                 and not line.lstrip().startswith("#")]
        if lines and lines[-1].strip() == "plt.show()" and "NBVAL_IGNORE_OUTPUT" not in cell.source:
            assert "image/png" in _mimes(cell), f"{path.name} cell {index} shows no picture"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_exercise_answers_sit_behind_toggles(path):
    """In the Exercises section, a solution is a {dropdown} block, and every code cell comes
    after such a block and is collapsed (hide-cell, hide-input and hide-output, or removed)."""
    cells = _read(path).cells
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and re.search(r"^## Exercises?\s*$", c.source, re.M)), None)
    assert start is not None, f"{path.name} has no Exercises section"
    end = next((i for i, c in enumerate(cells) if i > start and c.cell_type == "markdown"
                and re.search(r"^## (?!Exercises)", c.source, re.M)), len(cells))
    assert cells[start].source.count(":class: dropdown") == 0
    dropdown_since_code = False
    questions = 0
    for index in range(start, end):
        cell = cells[index]
        if cell.cell_type == "markdown":
            assert ":class: dropdown" not in cell.source, \
                f"{path.name} cell {index}: use :::{{dropdown}} Solution"
            questions += len(re.findall(r"^\*\*\d+\.|^\d+\. ", cell.source, re.M))
            if ":::{dropdown}" in cell.source:
                dropdown_since_code = True
            continue
        tags = _tags(cell)
        hidden = "hide-cell" in tags or "remove-cell" in tags or {"hide-input", "hide-output"} <= tags
        assert hidden, f"{path.name} cell {index}: an exercise's code cell must be collapsed"
        assert dropdown_since_code, f"{path.name} cell {index}: code above its solution toggle"
        dropdown_since_code = False
    assert questions >= 2, f"{path.name}: {questions} exercises"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_every_page_ends_with_a_summary(path):
    markdown = [c.source for c in _read(path).cells if c.cell_type == "markdown"]
    headings = [h for m in markdown for h in re.findall(r"^## .*$", m, re.M)]
    assert headings and headings[-1] == "## Summary", f"{path.name}: last heading {headings[-1:]}"


@pytest.mark.parametrize("path", SECTIONS, ids=lambda p: p.stem)
def test_sections_leave_the_twins_to_the_test_suite(path):
    """Agreement of numpy_ops, torch_ops and torch is the appendix's subject, not a section's."""
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type == "code":
            assert "tops." not in cell.source, f"{path.name} cell {index} uses torch_ops"
            assert not re.search(r"agree with torch|torch_ops and torch", cell.source), index


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_stored_pages_ran_without_errors(path):
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), f"{path.name} is not executed"
    for cell in code:
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", []))
