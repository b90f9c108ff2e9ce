"""Notebooks as the grader sees them: answer cells, the pristine template, the child's program.

A submission is never run as it is. The grader reads it with the standard ``json`` module (a
tolerant reader: a damaged notebook costs what it must and no more), keeps only its **answer
cells**, found by their metadata ``{"grader": {"answer": "5.3"}}`` wherever they are (reordered,
duplicated, turned into markdown) and, failing that, by the cell id the template gave them, and
puts them into the **template**: the committed, generated ``exercises/NN_name.ipynb``. Every other
cell of the submission is ignored, so edited set-up cells, deleted check cells or extra cells
change nothing.

For exercise ``k`` the child runs the template's code cells from the top through ``k``'s answer
cell, in template order, with each answer cell replaced by the submission's cells for it (all of
them, in the submission's order, as a kernel would have run them; the template's stub where the
submission has none). Check cells (``{"grader": {"check": ...}}``) are left out.

>>> cells = parse_notebook('{"cells": [{"cell_type": "code", "source": ["x = 1"], '
...     '"metadata": {"grader": {"answer": "0.1"}}}], "nbformat": 4, "nbformat_minor": 5}')
>>> cells[0].answer, cells[0].source
('0.1', 'x = 1')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autodiff.grading.policy import import_aliases, imported_modules, strip_magics

__all__ = ["Unreadable", "Cell", "ProgramCell", "Answers", "Template", "parse_notebook", "read_notebook"]

#: Larger files are not read (a notebook with megabytes of saved output is still far below this).
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


class Unreadable(ValueError):
    """A submission that is not a notebook the grader can read (the message says why).

    >>> issubclass(Unreadable, ValueError)
    True
    """


@dataclass(frozen=True)
class Cell:
    """One notebook cell, reduced to what grading needs.

    >>> cell = Cell(0, "code", "x = 1", {"grader": {"check": "5.1"}})
    >>> cell.check, cell.answer
    ('5.1', None)
    """

    index: int
    cell_type: str
    source: str
    metadata: dict[str, Any]
    id: str | None = None

    def _grader(self, key: str) -> str | None:
        grader = self.metadata.get("grader")
        value = grader.get(key) if isinstance(grader, dict) else None
        return value if isinstance(value, str) and value else None

    @property
    def answer(self) -> str | None:
        """The exercise this cell answers (metadata ``grader.answer``), if any."""
        return self._grader("answer")

    @property
    def check(self) -> str | None:
        """The exercise this cell checks (metadata ``grader.check``), if any."""
        return self._grader("check")


def _source(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list) and all(isinstance(line, str) for line in raw):
        return "".join(raw)
    raise Unreadable("a cell's source is neither text nor a list of lines")


def parse_notebook(text: str | bytes) -> list[Cell]:
    """The cells of a notebook given as JSON text; :class:`Unreadable` if it is not one.

    Cells that are damaged beyond use (no type, no source) are dropped; the rest are kept.

    >>> parse_notebook("{not json")
    Traceback (most recent call last):
    ...
    autodiff.grading.notebook.Unreadable: not valid JSON (line 1, column 2): Expecting property name enclosed in double quotes
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise Unreadable(f"not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}") from None
    except RecursionError:
        raise Unreadable("JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        if isinstance(data, dict) and data.get("nbformat") == 3:
            raise Unreadable("nbformat 3 notebook: open it in Jupyter and save it again")
        raise Unreadable("JSON, but not a Jupyter notebook (no list of cells)")
    cells = []
    for index, raw in enumerate(data["cells"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("cell_type"), str):
            continue
        try:
            source = _source(raw.get("source", ""))
        except Unreadable:
            continue
        metadata = raw.get("metadata")
        cell_id = raw.get("id")
        cells.append(
            Cell(
                index=index,
                cell_type=raw["cell_type"],
                source=source,
                metadata=metadata if isinstance(metadata, dict) else {},
                id=cell_id if isinstance(cell_id, str) else None,
            )
        )
    return cells


def read_notebook(path: str | Path) -> list[Cell]:
    """The cells of the notebook at ``path``; :class:`Unreadable` says what is wrong with it.

    >>> read_notebook("/nonexistent.ipynb")
    Traceback (most recent call last):
    ...
    autodiff.grading.notebook.Unreadable: cannot read the file: No such file or directory
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise Unreadable(f"{size} bytes, more than the {MAX_NOTEBOOK_BYTES} the grader reads")
        data = path.read_bytes()
    except OSError as error:
        raise Unreadable(f"cannot read the file: {error.strerror or error}") from None
    return parse_notebook(data)


@dataclass(frozen=True)
class ProgramCell:
    """A cell the child runs: ``key`` identifies it across exercises, ``label`` names it for people.

    Keys are ``t<index>`` for template cells, ``a<id>#<n>`` for the submission's answer cells and
    ``s<id>`` for a stub the submission did not replace.

    >>> ProgramCell("a5.1#0", "answer cell of 5.1", "def mul(a, b): ...", "5.1").answer
    '5.1'
    """

    key: str
    label: str
    source: str
    answer: str | None = None


@dataclass
class Answers:
    """The answer cells of one submission, by exercise, and what was odd about them.

    >>> Answers().cells
    {}
    """

    cells: dict[str, list[Cell]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Template:
    """A pristine exercise notebook: the frame every submission's answers are put into.

    >>> import tempfile, pathlib
    >>> nb = {"cells": [
    ...     {"cell_type": "code", "source": "import math", "metadata": {}},
    ...     {"cell_type": "code", "source": "raise NotImplementedError", "id": "a1",
    ...      "metadata": {"grader": {"answer": "0.1"}}},
    ...     {"cell_type": "code", "source": "check('0.1')", "metadata": {"grader": {"check": "0.1"}}},
    ...     {"cell_type": "code", "source": "y = 2", "metadata": {"grader": {"answer": "0.2"}}}],
    ...     "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "00_doc.ipynb"
    >>> _ = path.write_text(json.dumps(nb))
    >>> template = Template(path)
    >>> template.exercise_ids, template.modules
    (['0.1', '0.2'], ['math'])
    >>> answers = template.answers(parse_notebook(json.dumps(nb).replace("raise NotImplementedError", "x = 1")))
    >>> [c.label for c in template.program("0.1", answers)]
    ['cell 1', 'answer cell of 0.1']
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        data = self.path.read_bytes()
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.cells = parse_notebook(data)
        self.key = self.path.stem
        self.exercise_ids: list[str] = []
        for cell in self.cells:
            if cell.answer:
                if cell.answer in self.exercise_ids:
                    raise ValueError(f"{self.path.name}: exercise {cell.answer} has more than one answer cell")
                self.exercise_ids.append(cell.answer)
        setup = [c.source for c in self._code_cells() if not c.answer]
        self.aliases = import_aliases(setup)
        self.modules = imported_modules(setup)

    def __repr__(self) -> str:
        return f"Template({self.path.name!r}, exercises={self.exercise_ids})"

    def _code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.cell_type == "code" and not c.check]

    def answer_cell(self, exercise_id: str) -> Cell:
        return next(c for c in self.cells if c.answer == exercise_id)

    def answers(self, submission: list[Cell]) -> Answers:
        """Find the submission's answer cells for this template's exercises."""
        found = Answers()
        for cell in submission:
            exercise_id = cell.answer
            if exercise_id is None:
                continue
            if exercise_id not in self.exercise_ids:
                found.warnings.append(f"cell {cell.index + 1} answers unknown exercise {exercise_id!r}; ignored")
                continue
            if cell.cell_type != "code":
                found.warnings.append(
                    f"the answer cell of {exercise_id} is a {cell.cell_type} cell; its text was run as code"
                )
            found.cells.setdefault(exercise_id, []).append(cell)
        by_id = {c.id: c for c in submission if c.id and c.answer is None}
        for exercise_id in self.exercise_ids:
            cells = found.cells.get(exercise_id, [])
            if len(cells) > 1:
                found.warnings.append(
                    f"{len(cells)} answer cells for {exercise_id}; all were run, in the submission's order"
                )
            if not cells:
                template_id = self.answer_cell(exercise_id).id
                if template_id and template_id in by_id:
                    found.cells[exercise_id] = [by_id[template_id]]
                    found.warnings.append(
                        f"the answer cell of {exercise_id} had lost its grader metadata; found it by its cell id"
                    )
        return found

    def program(self, exercise_id: str, answers: Answers, skip: Iterable[str] = ()) -> list[ProgramCell]:
        """The cells the child runs for ``exercise_id``; cells whose key is in ``skip`` are left out."""
        if exercise_id not in self.exercise_ids:
            raise KeyError(f"{self.path.name} has no exercise {exercise_id!r}")
        skipped = set(skip)
        program: list[ProgramCell] = []
        for cell in self._code_cells():
            if cell.answer is None:
                cells = [ProgramCell(f"t{cell.index}", f"cell {cell.index + 1}", strip_magics(cell.source))]
            elif cell.answer in answers.cells:
                submitted = answers.cells[cell.answer]
                cells = [
                    ProgramCell(
                        f"a{cell.answer}#{n}",
                        f"answer cell of {cell.answer}" + (f" (copy {n + 1})" if len(submitted) > 1 else ""),
                        strip_magics(s.source),
                        cell.answer,
                    )
                    for n, s in enumerate(submitted)
                ]
            else:
                cells = [ProgramCell(f"s{cell.answer}", f"stub of {cell.answer} (no answer cell)", cell.source, cell.answer)]
            program += [c for c in cells if c.key not in skipped]
            if cell.answer == exercise_id:
                return program
        raise AssertionError("unreachable: the exercise's answer cell is in the template")  # pragma: no cover
