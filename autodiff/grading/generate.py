"""Exercise notebooks from solution notebooks: ``python -m autodiff.grading generate [--check]``.

``solutions/NN_name.ipynb`` is the source of truth; ``exercises/NN_name.ipynb`` is derived from it:

* every answer cell (metadata ``{"grader": {"answer": "5.1"}}``) becomes a **stub** tagged
  ``raises-exception``: the cell's ``grader.stub`` metadata if it has one, otherwise derived from
  the answer: imports are kept, each ``def`` keeps its signature and docstring and its body
  becomes ``raise NotImplementedError("Exercise 5.1: write mul")`` (methods of a class likewise),
  and an answer that defines no function (a value) becomes a cell that raises;
* cells marked ``{"grader": {"solution_only": true}}`` are left out;
* every output and execution count is cleared and volatile metadata dropped, so the result depends
  only on the solution's cells and ``--check`` can compare files byte for byte.

``--check`` writes nothing; it fails when a committed exercise notebook differs from what would be
generated, is missing, or has no solution, and when a solution breaks the conventions (an exercise
of the chapter's check file without exactly one answer cell, an answer cell that is not code or
has no ``check`` cell after it, an answer id the check file does not declare).

>>> print(stub_source("def mul(a, b):\\n    '''a * b'''\\n    return a * b\\n", "5.1"))
def mul(a, b):
    '''a * b'''
    raise NotImplementedError("Exercise 5.1: write mul")
>>> print(stub_source("answer = 42", "5.9"))
raise NotImplementedError("Exercise 5.9: replace this line with your answer")
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["stub_source", "exercise_notebook", "problems", "generate", "default_notebook_dirs"]

VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter")
VOLATILE_NOTEBOOK_METADATA = ("widgets", "toc", "varInspector", "vscode", "colab")


def _stub_block(body: list[ast.stmt], lines: list[str], exercise_id: str, depth: int = 0) -> str:
    """Stub text for a block of statements: imports kept, defs reduced to signature and docstring."""
    blocks: list[str] = []
    imports: list[str] = []
    for node in body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports += lines[start - 1 : node.end_lineno]
            continue
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        first = node.body[0]
        has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
        if first.lineno == node.lineno:  # `def f(x): return x`: the header and the body share a line
            header = [ast.unparse(node).splitlines()[len(node.decorator_list)]]
            header = lines[start - 1 : node.lineno - 1] + [" " * node.col_offset + header[0]]
            indent = " " * (node.col_offset + 4)
        else:
            header = lines[start - 1 : (first.end_lineno if has_doc else first.lineno - 1)]
            indent = " " * first.col_offset
        text = "\n".join(header)
        if isinstance(node, ast.ClassDef):
            rest = node.body[1:] if has_doc else node.body
            inner = [n for n in rest if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
            if inner:
                text += "\n" + _stub_block(inner, lines, exercise_id, depth + 1)
            elif not has_doc:
                text += f"\n{indent}pass"
        else:
            text += f'\n{indent}raise NotImplementedError("Exercise {exercise_id}: write {node.name}")'
        blocks.append(text)
    if imports:
        blocks.insert(0, "\n".join(imports))
    return ("\n\n\n" if depth == 0 else "\n\n").join(blocks)


def stub_source(source: str, exercise_id: str) -> str:
    """The stub an answer cell's ``source`` becomes (see the module docstring).

    >>> print(stub_source("import math\\n\\ndef f(x):\\n    return math.exp(x)", "1.2"))
    import math
    <BLANKLINE>
    <BLANKLINE>
    def f(x):
        raise NotImplementedError("Exercise 1.2: write f")
    """
    tree = ast.parse(source)
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body):
        return f'raise NotImplementedError("Exercise {exercise_id}: replace this line with your answer")'
    return _stub_block(list(tree.body), source.splitlines(), exercise_id)


def _grader(cell: Any) -> dict[str, Any]:
    grader = cell.get("metadata", {}).get("grader")
    return grader if isinstance(grader, dict) else {}


def exercise_notebook(solution: Any) -> Any:
    """The exercise edition of a solution notebook (an ``nbformat`` node; the input is not changed).

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "def f(x):\\n    return 2 * x", metadata={"grader": {"answer": "1.1"}}, execution_count=3)])
    >>> cell = exercise_notebook(nb).cells[0]
    >>> cell.execution_count, cell.metadata["tags"], cell.source.splitlines()[-1].strip()
    (None, ['raises-exception'], 'raise NotImplementedError("Exercise 1.1: write f")')
    """
    nb = copy.deepcopy(solution)
    cells = []
    for cell in nb.cells:
        grader = _grader(cell)
        if grader.get("solution_only"):
            continue
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        answer = grader.get("answer")
        if answer:
            stub = grader.get("stub")
            if isinstance(stub, list):
                stub = "".join(stub)
            cell.source = stub if isinstance(stub, str) else stub_source(cell.source, answer)
            cell.metadata["grader"] = {k: v for k, v in grader.items() if k != "stub"}
            tags = list(cell.metadata.get("tags", []))
            if "raises-exception" not in tags:
                tags.append("raises-exception")
            cell.metadata["tags"] = tags
        cells.append(cell)
    nb.cells = cells
    for key in VOLATILE_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    return nb


def problems(solution: Any, name: str) -> list[str]:
    """Convention breaks in a solution notebook ``name`` (``"05_micrograd"``), as messages.

    >>> import nbformat
    >>> problems(nbformat.v4.new_notebook(), "05_micrograd")[0]
    '05_micrograd: exercise 5.1 has 0 answer cells, expected 1'
    """
    from autodiff.grading.registry import chapters

    found: list[str] = []
    answers = [(i, c) for i, c in enumerate(solution.cells) if _grader(c).get("answer")]
    checks = [(i, _grader(c).get("check")) for i, c in enumerate(solution.cells) if _grader(c).get("check")]
    chapter = next((c for c in chapters() if c.key == name), None)
    if chapter is None:
        return [f"{name}: no check file declares the exercise set {name!r} (autodiff/grading/chNN.py)"]
    ids = [_grader(c)["answer"] for _, c in answers]
    for exercise_id in chapter.exercises:
        if ids.count(exercise_id) != 1:
            found.append(f"{name}: exercise {exercise_id} has {ids.count(exercise_id)} answer cells, expected 1")
    for index, cell in answers:
        exercise_id = _grader(cell)["answer"]
        if exercise_id not in chapter.exercises:
            found.append(f"{name}: cell {index} answers {exercise_id!r}, which the check file does not declare")
        if cell.cell_type != "code":
            found.append(f"{name}: the answer cell of {exercise_id} is a {cell.cell_type} cell")
        if not any(i > index and check == exercise_id for i, check in checks):
            found.append(f"{name}: no check cell for {exercise_id} after its answer cell")
        try:
            stub_source(cell.source, exercise_id)
        except SyntaxError as error:
            found.append(f"{name}: the answer cell of {exercise_id} does not parse: {error}")
    return found


def default_notebook_dirs() -> tuple[Path, Path]:
    """``solutions/`` and ``exercises/`` beside the package's checkout, else in the current directory.

    >>> [folder.name for folder in default_notebook_dirs()]
    ['solutions', 'exercises']
    """
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "solutions").is_dir():
        return root / "solutions", root / "exercises"
    return Path("solutions"), Path("exercises")


def _text(nb: Any) -> str:
    import nbformat

    nbformat.validate(nb)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def generate(
    solutions_dir: Path,
    exercises_dir: Path,
    check: bool = False,
    names: Sequence[str] = (),
) -> list[str]:
    """Generate (or with ``check``, verify) exercise notebooks; returns the problems found.

    >>> solutions, exercises = default_notebook_dirs()
    >>> generate(solutions, exercises, check=True, names=["05_micrograd"])
    []
    """
    import nbformat

    paths = [solutions_dir / f"{Path(n).stem}.ipynb" for n in names] if names else sorted(solutions_dir.glob("*.ipynb"))
    if not paths:
        return [f"no solution notebooks in {solutions_dir}"]
    found: list[str] = []
    for path in paths:
        if not path.is_file():
            found.append(f"{path}: no such solution notebook")
            continue
        solution = nbformat.read(path, as_version=4)
        issues = problems(solution, path.stem)
        found += issues
        target = exercises_dir / path.name
        text = _text(exercise_notebook(solution))
        if check:
            if not target.is_file():
                found.append(f"{target} is missing: run `python -m autodiff.grading generate`")
            elif target.read_text(encoding="utf-8") != text:
                found.append(f"{target} differs from what {path} generates: run `python -m autodiff.grading generate`")
        elif not issues:
            exercises_dir.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if check and not names:
        for orphan in sorted(exercises_dir.glob("*.ipynb")):
            if not (solutions_dir / orphan.name).is_file():
                found.append(f"{orphan} has no solution notebook {solutions_dir / orphan.name}")
    return found
