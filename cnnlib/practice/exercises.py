"""Student versions of the practice notebooks: ``make exercises``.

The book stores each practice notebook *solved*, so that it builds, runs under nbval and shows
the answers behind toggles. The parts a student should write are marked as nbgrader marks them::

    def zero_pad(X, pad):
        ### BEGIN SOLUTION
        return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        ### END SOLUTION

:func:`student_version` replaces every such region, markers included, with a comment and
``raise NotImplementedError`` at the region's indentation, and clears every output, so a student
version opens clean and runs up to its first blank. In a markdown cell a region becomes
``YOUR ANSWER HERE``. Run it over the book with::

    python -m cnnlib.practice.exercises book --out _build/exercises

which writes the student version of every notebook that has a solution region, at the same
relative path under ``--out``, and leaves the other notebooks alone.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

__all__ = ["BEGIN", "END", "has_solutions", "strip_solutions", "student_version",
           "write_exercises"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_BLANK = ("# YOUR CODE HERE: replace this comment and the line below with your code.",
              'raise NotImplementedError("write this part, then run the check below it")')
MARKDOWN_BLANK = "YOUR ANSWER HERE"

_MARKER = re.compile(r"^(\s*)(?:#\s*)?###\s*(BEGIN|END) SOLUTION\s*$")


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def has_solutions(nb) -> bool:
    """Whether any cell of the notebook (a dict as nbformat reads it) has a solution region."""
    return any(_MARKER.match(line) for cell in nb.get("cells", ())
               for line in _source(cell).splitlines())


def strip_solutions(source: str, kind: str = "code", where: str = "cell") -> str:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of ``source``.

    Code regions become :data:`CODE_BLANK` at the ``BEGIN`` marker's indentation; markdown
    regions (``kind='markdown'``) become :data:`MARKDOWN_BLANK`. A region left open, an
    ``END`` without ``BEGIN`` or a nested ``BEGIN`` is a ``ValueError`` that names ``where``.
    """
    if kind not in ("code", "markdown"):
        raise ValueError(f"strip_solutions: kind must be 'code' or 'markdown', got {kind!r}")
    out: list[str] = []
    indent = None
    for number, line in enumerate(source.splitlines(), 1):
        match = _MARKER.match(line)
        if match and match.group(2) == "BEGIN":
            if indent is not None:
                raise ValueError(f"{where}, line {number}: {BEGIN} inside another solution "
                                 f"region")
            indent = match.group(1)
            if kind == "code":
                out.extend(indent + blank for blank in CODE_BLANK)
            else:
                out.append(indent + MARKDOWN_BLANK)
        elif match:
            if indent is None:
                raise ValueError(f"{where}, line {number}: {END} without {BEGIN}")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise ValueError(f"{where}: {BEGIN} is never closed by {END}")
    text = "\n".join(out)
    return text + "\n" if source.endswith("\n") and out else text


def student_version(nb, name: str = "notebook"):
    """A copy of the notebook (a dict as nbformat reads it) with solutions blanked out.

    Every solution region is replaced (see :func:`strip_solutions`); every code cell loses its
    outputs and execution count, and the stored widget state is dropped, so nothing the solved
    run printed or drew gives an answer away. ``name`` labels error messages.
    """
    out = copy.deepcopy(nb)
    for index, cell in enumerate(out.get("cells", ())):
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown"):
            continue
        source = _source(cell)
        if any(_MARKER.match(line) for line in source.splitlines()):
            cell["source"] = strip_solutions(source, kind, where=f"{name}, cell {index}")
        if kind == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    out.get("metadata", {}).pop("widgets", None)
    return out


def write_exercises(paths, out_dir, root=None) -> list[Path]:
    """Write the student version of every notebook with solutions under ``paths``.

    ``paths`` are notebooks or folders (searched recursively, checkpoints skipped). Each student
    version goes to ``out_dir`` at its path relative to ``root`` (default: the current folder).
    Returns the paths written, sorted.
    """
    import nbformat

    root = Path.cwd() if root is None else Path(root)
    out_dir = Path(out_dir)
    notebooks: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            notebooks += [p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
        elif path.suffix == ".ipynb" and path.exists():
            notebooks.append(path)
        else:
            raise FileNotFoundError(f"write_exercises: no notebook or folder at {path}")
    written = []
    for path in sorted(set(notebooks)):
        nb = nbformat.read(path, as_version=4)
        if not has_solutions(nb):
            continue
        try:
            relative = path.resolve().relative_to(root.resolve())
        except ValueError:
            relative = Path(path.name)
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.from_dict(student_version(nb, name=str(path))), target)
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnlib.practice.exercises",
        description="Write student versions of the practice notebooks (solution regions "
                    "replaced by `raise NotImplementedError`, outputs cleared).")
    parser.add_argument("paths", nargs="*", default=["book"],
                        help="notebooks or folders to search (default: book)")
    parser.add_argument("--out", default="_build/exercises",
                        help="folder for the student versions (default: _build/exercises)")
    args = parser.parse_args(argv)
    written = write_exercises(args.paths, args.out)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("no notebook with a solution region found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
