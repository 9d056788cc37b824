"""cnnlib.practice.exercises: `make exercises` writes student versions that open and run up to
their first blank, and stop there with NotImplementedError, not before."""

from pathlib import Path

import nbformat
import pytest

from cnnlib.practice import exercises as E

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = sorted((ROOT / "book").rglob("*practice*.ipynb"))

SOLVED = '''def zero_pad(X, pad):
    """Docstring stays."""
    ### BEGIN SOLUTION
    X_pad = np.pad(X, pad)
    ### END SOLUTION
    return X_pad
'''


def test_a_region_becomes_a_blank_at_its_indentation():
    blank = E.strip_solutions(SOLVED)
    assert "np.pad" not in blank and "SOLUTION" not in blank
    lines = blank.splitlines()
    assert lines[0] == "def zero_pad(X, pad):" and lines[-1] == "    return X_pad"
    assert "    # YOUR CODE HERE" in blank
    assert '    raise NotImplementedError("write this part' in blank
    compile(blank, "student", "exec")                     # still valid Python
    assert E.strip_solutions("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION\n") == (
        "x = 1\n" + "\n".join(E.CODE_BLANK) + "\n")
    assert E.strip_solutions("Answer:\n### BEGIN SOLUTION\n42\n### END SOLUTION",
                             kind="markdown") == "Answer:\nYOUR ANSWER HERE"


@pytest.mark.parametrize("source,message", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "END SOLUTION without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
])
def test_broken_markers_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        E.strip_solutions(source, where="nb.ipynb, cell 3")


def test_student_version_clears_every_output_and_keeps_the_solved_notebook():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Write `zero_pad`."),
        nbformat.v4.new_code_cell(SOLVED, outputs=[nbformat.v4.new_output(
            "stream", text="secret")], execution_count=3),
        nbformat.v4.new_code_cell("zero_pad(x, 1)", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "array(...)"}, execution_count=4)]),
    ])
    nb.metadata["widgets"] = {"state": "..."}
    assert E.has_solutions(nb)
    student = E.student_version(nb)
    assert all(c.outputs == [] and c.execution_count is None
               for c in student.cells if c.cell_type == "code")
    assert "np.pad" not in student.cells[1].source and "widgets" not in student.metadata
    assert "np.pad" in nb.cells[1].source and nb.cells[1].outputs      # the original is intact
    assert not E.has_solutions(student)


def test_write_exercises_skips_notebooks_without_solutions(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    practice = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOLVED)])
    nbformat.write(plain, book / "plain.ipynb")
    nbformat.write(practice, book / "practice.ipynb")
    written = E.write_exercises([book], tmp_path / "out", root=tmp_path)
    assert written == [tmp_path / "out" / "book" / "practice.ipynb"]
    with pytest.raises(FileNotFoundError):
        E.write_exercises([tmp_path / "missing"], tmp_path / "out")
    assert E.main([str(book / "plain.ipynb"), "--out", str(tmp_path / "none")]) == 1


def test_the_book_has_practice_notebooks_with_solutions():
    assert len(PRACTICE) >= 2
    for path in PRACTICE:
        assert E.has_solutions(nbformat.read(path, as_version=4)), path


@pytest.mark.parametrize("path", PRACTICE, ids=lambda p: p.name)
def test_student_version_runs_up_to_its_first_blank(path, tmp_path, monkeypatch):
    """Execute the generated student version: every cell before the first blank runs, and the
    first error is the NotImplementedError of the first function left to write."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    (target,) = E.write_exercises([path], tmp_path, root=ROOT)
    student = nbformat.read(target, as_version=4)
    solved = nbformat.read(path, as_version=4)
    first_blank = next(i for i, cell in enumerate(solved.cells)
                       if cell.cell_type == "code" and E.BEGIN in cell.source)
    client = NotebookClient(student, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    assert info.value.ename == "NotImplementedError", info.value
    failed = [i for i, cell in enumerate(student.cells) if cell.cell_type == "code"
              and any(o.get("output_type") == "error" for o in cell.get("outputs", []))]
    ran = [i for i, cell in enumerate(student.cells)
           if cell.cell_type == "code" and cell.get("execution_count")]
    # The blank itself only defines a function; the first cell that calls it stops the run.
    assert failed == [ran[-1]] and ran[-1] > first_blank
    calls = [i for i in range(first_blank + 1, ran[-1]) if student.cells[i].cell_type == "code"]
    assert calls == [], "a code cell between the blank and the stop ran without calling it"
    assert all(i in ran for i in range(ran[-1]) if student.cells[i].cell_type == "code")
