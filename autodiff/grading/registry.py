"""The exercise registry: chapters, exercises, checks and the cases they produce.

Checks are plain Python in one file per chapter (``ch05.py``, ...), never in notebooks. A chapter
file declares its exercises and, for each, *drivers* and *checks*:

* a **driver** runs where the student's code is (the notebook's kernel for :func:`check`, a fresh
  child process in the batch grader). It receives the student's namespace and plain arguments,
  calls the student's code and returns what it observed. It never sees an expected value.
* a **check** runs in the grader. It draws inputs (from a fixed generator for public checks, from
  the instructor's seed for hidden ones), computes the expected results with an independent oracle
  (finite differences, the package's other engines, properties) and returns :class:`Case` objects:
  which driver to run on which arguments, and how to judge what comes back.

A check is worth its points when every one of its cases passes.

>>> chapter = Chapter("99_demo", "A demo chapter", module=__name__)
>>> square = chapter.exercise("99.1", "Squares", answers=("square",))
>>> @chapter.driver
... def call_square(ns, x):
...     return need(ns, "square")(x)
>>> @square.check(points=1)
... def small(rng):
...     return [Case("square(3)", call_square, (3.0,), 9.0)]
>>> [c.label for c in square.checks[0].cases(seed=0)]
['square(3)']
>>> square.points
1
>>> forget_chapter("99_demo")
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import random
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autodiff.grading.compare import Comparator, close

__all__ = [
    "STATUSES",
    "worst",
    "AnswerMissing",
    "need",
    "Case",
    "Check",
    "Exercise",
    "Chapter",
    "chapters",
    "chapter_for_exercises",
    "find_exercise",
    "load_checks_file",
    "forget_chapter",
]

#: Every status a check, an exercise or a submission can have, from best to worst.
STATUSES: tuple[str, ...] = ("pass", "fail", "missing", "error", "timeout", "crashed", "unreadable")
_SEVERITY = {status: rank for rank, status in enumerate(STATUSES)}


def worst(statuses: Iterable[str]) -> str:
    """The most severe of ``statuses`` (``"pass"`` for none).

    >>> worst(["pass", "fail", "missing"])
    'missing'
    >>> worst([])
    'pass'
    """
    found = "pass"
    for status in statuses:
        if status not in _SEVERITY:
            raise ValueError(f"worst: unknown status {status!r}; expected one of {STATUSES}")
        if _SEVERITY[status] > _SEVERITY[found]:
            found = status
    return found


class AnswerMissing(NameError):
    """A driver looked for an answer the student has not defined (see :func:`need`).

    >>> issubclass(AnswerMissing, NameError)
    True
    """


def need(ns: Mapping[str, Any], name: str) -> Any:
    """``ns[name]``, or :class:`AnswerMissing` naming what to define.

    >>> need({"f": len}, "f") is len
    True
    >>> need({}, "mul")
    Traceback (most recent call last):
    ...
    autodiff.grading.registry.AnswerMissing: `mul` is not defined: run the answer cell that defines it
    """
    try:
        return ns[name]
    except KeyError:
        raise AnswerMissing(f"`{name}` is not defined: run the answer cell that defines it") from None


Driver = Callable[..., Any]


@dataclass(frozen=True)
class Case:
    """One call of a driver and how to judge its result.

    ``args`` and ``expected`` are plain data (numbers, strings, lists, dicts). ``compare(got,
    expected)`` runs in the grader and returns ``None`` when ``got`` is right, otherwise a short
    message. ``show`` replaces ``expected`` in tables when the expectation is a property rather
    than a value (for example "each node after its inputs").

    >>> Case("2 * 3", len, (2, 3), 6).label
    '2 * 3'
    """

    label: str
    driver: Driver
    args: tuple[Any, ...] = ()
    expected: Any = None
    compare: Comparator = field(default_factory=close)
    hint: str = ""
    show: str | None = None


MakeCases = Callable[[random.Random], Sequence[Case]]


@dataclass
class Check:
    """A named group of cases worth ``points``; hidden checks draw inputs from the seed.

    >>> ex = Exercise("0.1", "Demo", ("f",), Chapter("00_doc", "Doc", module=__name__, register=False))
    >>> chk = Check(ex, "c", 2, True, lambda rng: [Case(str(rng.random()), len)])
    >>> chk.cases(seed=1)[0].label == chk.cases(seed=1)[0].label != chk.cases(seed=2)[0].label
    True
    """

    exercise: Exercise
    name: str
    points: float
    hidden: bool
    make: MakeCases

    def rng(self, seed: int | str | None) -> random.Random:
        """The generator of this check: fixed for public checks, from ``seed`` for hidden ones."""
        base = "public" if not self.hidden else seed
        return random.Random(f"{base}:{self.exercise.id}:{self.name}")

    def cases(self, seed: int | str | None = None) -> list[Case]:
        """The cases of this check for ``seed`` (ignored by public checks)."""
        made = list(self.make(self.rng(seed)))
        if not made or not all(isinstance(case, Case) for case in made):
            raise TypeError(
                f"check {self.exercise.id}/{self.name} must return a non-empty list of Case objects, "
                f"got {made!r:.80}"
            )
        return made


@dataclass
class Exercise:
    """One graded exercise: an id such as ``"5.1"``, the names its answer cell defines, its checks.

    ``forbidden`` lists dotted names (modules, or attributes such as
    ``"autodiff.graph.topological_order"``) the answer cells may not use, ``allowed`` exceptions
    inside them (``"autodiff.grading"`` when ``"autodiff"`` is forbidden); see
    :mod:`autodiff.grading.policy`. Forbidden functions are also replaced, in the grader's child
    process, by ones that raise.

    >>> ex = find_exercise("5.4")
    >>> ex.answers, ex.points, ex.public_points, "autodiff.graph.topological_order" in ex.forbidden
    (('topological_order',), 4, 2, True)
    """

    id: str
    title: str
    answers: tuple[str, ...]
    chapter: Chapter
    forbidden: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    checks: list[Check] = field(default_factory=list)

    def check(self, points: float, hidden: bool = False) -> Callable[[MakeCases], MakeCases]:
        """Decorator registering ``make(rng) -> [Case, ...]`` as a check worth ``points``."""
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0:
            raise ValueError(f"Exercise.check: points must be a number >= 0, got {points!r}")

        def register(make: MakeCases) -> MakeCases:
            name = make.__name__
            if any(existing.name == name for existing in self.checks):
                raise ValueError(f"exercise {self.id} already has a check named {name!r}")
            self.checks.append(Check(self, name, points, hidden, make))
            return make

        return register

    @property
    def points(self) -> float:
        """The exercise's maximum score: the sum of its checks' points."""
        return sum(c.points for c in self.checks)

    @property
    def public_points(self) -> float:
        return sum(c.points for c in self.checks if not c.hidden)

    @property
    def public_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.hidden]


class Chapter:
    """The exercises of one notebook, keyed by the notebook's name without ``.ipynb``.

    ``module`` is the name of the Python module that defines the chapter (pass ``__name__``); a
    child process imports it again to find the drivers.

    >>> chapter = find_exercise("5.1").chapter
    >>> chapter.key, list(chapter.exercises)[:3], "local_rule" in chapter.drivers
    ('05_micrograd', ['5.1', '5.2', '5.3'], True)
    """

    def __init__(self, key: str, title: str, *, module: str, register: bool = True) -> None:
        if not key or "/" in key or key.endswith(".ipynb"):
            raise ValueError(f"Chapter: key must be a notebook name without '.ipynb', got {key!r}")
        self.key = key
        self.title = title
        self.module = module
        self.exercises: dict[str, Exercise] = {}
        self.drivers: dict[str, Driver] = {}
        if register:
            _CHAPTERS[key] = self

    def __repr__(self) -> str:
        return f"Chapter({self.key!r}, {len(self.exercises)} exercises)"

    @property
    def source_path(self) -> str | None:
        """The file the chapter's module was loaded from (the child process loads it again)."""
        module = sys.modules.get(self.module)
        return getattr(module, "__file__", None)

    def exercise(
        self,
        id: str,
        title: str,
        answers: Sequence[str],
        forbidden: Sequence[str] = (),
        allowed: Sequence[str] = (),
    ) -> Exercise:
        """Declare exercise ``id`` whose answer cell must define ``answers``."""
        if not id or not isinstance(id, str):
            raise ValueError(f"Chapter.exercise: id must be a non-empty string, got {id!r}")
        if id in self.exercises:
            raise ValueError(f"Chapter.exercise: exercise {id!r} is declared twice in {self.key}")
        if isinstance(answers, str) or not answers:
            raise ValueError(f"Chapter.exercise: answers must be a non-empty tuple of names, got {answers!r}")
        exercise = Exercise(id, title, tuple(answers), self, tuple(forbidden), tuple(allowed))
        self.exercises[id] = exercise
        if _CHAPTERS.get(self.key) is self:
            _EXERCISES[id] = exercise
        return exercise

    def driver(self, fn: Driver) -> Driver:
        """Decorator registering ``fn(ns, *args)`` as a driver, under its function name."""
        if fn.__name__ in self.drivers:
            raise ValueError(f"Chapter.driver: {self.key} already has a driver named {fn.__name__!r}")
        self.drivers[fn.__name__] = fn
        return fn

    def driver_name(self, fn: Driver) -> str:
        """The name a child process uses to find ``fn`` (it must be registered here)."""
        name = getattr(fn, "__name__", None)
        if name is None or self.drivers.get(name) is not fn:
            raise ValueError(f"{self.key}: {fn!r} is used by a Case but is not a registered driver")
        return name


_CHAPTERS: dict[str, Chapter] = {}
_EXERCISES: dict[str, Exercise] = {}
_BUILTINS_LOADED = False


def _load_builtin_chapters() -> None:
    """Import every ``autodiff/grading/chNN.py`` (each registers its chapter on import)."""
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    package_dir = Path(__file__).resolve().parent
    for info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda m: m.name):
        if info.name.startswith("ch") and info.name[2:].isdigit():
            importlib.import_module(f"autodiff.grading.{info.name}")
    _BUILTINS_LOADED = True


def chapters() -> list[Chapter]:
    """Every registered chapter: the built-in ones and any loaded with :func:`load_checks_file`.

    >>> "05_micrograd" in [c.key for c in chapters()]
    True
    """
    _load_builtin_chapters()
    return list(_CHAPTERS.values())


def find_exercise(exercise_id: str) -> Exercise:
    """The exercise with this id, or :class:`KeyError` listing the known ones.

    >>> find_exercise("5.1").chapter.key
    '05_micrograd'
    """
    if exercise_id not in _EXERCISES:
        _load_builtin_chapters()
    try:
        return _EXERCISES[exercise_id]
    except KeyError:
        known = ", ".join(sorted(_EXERCISES)) or "none"
        raise KeyError(f"no exercise {exercise_id!r}; known exercises: {known}") from None


def chapter_for_exercises(ids: Iterable[str]) -> Chapter | None:
    """The chapter that owns most of ``ids`` (``None`` if none of them is known).

    >>> chapter_for_exercises(["5.1", "5.7", "zz"]).key, chapter_for_exercises(["zz"])
    ('05_micrograd', None)
    """
    _load_builtin_chapters()
    votes: dict[str, int] = {}
    for exercise_id in ids:
        exercise = _EXERCISES.get(exercise_id)
        if exercise is not None:
            votes[exercise.chapter.key] = votes.get(exercise.chapter.key, 0) + 1
    if not votes:
        return None
    return _CHAPTERS[max(sorted(votes), key=votes.__getitem__)]


def load_checks_file(path: str | Path) -> Chapter:
    """Load a chapter file from outside the package (an instructor's own set, or a test fixture).

    The file must create exactly one :class:`Chapter`; it is registered like the built-in ones.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.py"
    >>> _ = path.write_text("from autodiff.grading.registry import Chapter\\n"
    ...                     "chapter = Chapter('96_mine', 'Mine', module=__name__)\\n"
    ...                     "chapter.exercise('96.1', 'One', ('f',))\\n")
    >>> load_checks_file(path).key, find_exercise("96.1").title
    ('96_mine', 'One')
    >>> forget_chapter("96_mine")
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"load_checks_file: no such file {path}")
    name = f"autodiff_grading_checks_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"load_checks_file: cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    new = [c for c in _CHAPTERS.values() if c.module == name]
    if len(new) != 1:
        raise ValueError(f"load_checks_file: {path} must define exactly one Chapter, found {len(new)}")
    return new[0]


def forget_chapter(key: str) -> None:
    """Unregister a chapter and its exercises (for tests and doctests).

    >>> _ = Chapter("95_gone", "Gone", module=__name__).exercise("95.1", "x", ("f",))
    >>> forget_chapter("95_gone")
    >>> "95_gone" in [c.key for c in chapters()]
    False
    """
    chapter = _CHAPTERS.pop(key, None)
    if chapter is not None:
        for exercise_id in chapter.exercises:
            if _EXERCISES.get(exercise_id) is chapter.exercises[exercise_id]:
                del _EXERCISES[exercise_id]
