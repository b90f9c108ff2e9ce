"""The grading package's parts: plain data and comparison, the policy scan, notebooks, the
generator, the in-notebook check, the runner, and chapter 5's oracles (against other engines)."""

from __future__ import annotations

import copy
import io
import json
import math
import os
import random
import time
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import numpy as np
import pytest

import autodiff as ad
from autodiff.grading import ch05, check, oracles, policy
from autodiff.grading.compare import NotPlain, close, equal, fmt, to_plain
from autodiff.grading.generate import exercise_notebook, generate, problems, stub_source
from autodiff.grading.inline import run_public
from autodiff.grading.notebook import Template, Unreadable, parse_notebook
from autodiff.grading.registry import (
    AnswerMissing,
    Case,
    Chapter,
    chapter_for_exercises,
    find_exercise,
    forget_chapter,
    load_checks_file,
    worst,
)
from autodiff.grading.runner import Limits, Runner, RunResult
from autodiff.grading.verdict import judge, run_case

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "grading_fixtures"
SOLUTIONS = ROOT / "solutions" / "05_micrograd.ipynb"
EXERCISES = ROOT / "exercises" / "05_micrograd.ipynb"


def namespace_of(path: Path) -> dict:
    """Run a notebook's code cells, check cells and solution-only cells excepted, in one dict."""
    ns: dict = {"__name__": "__main__"}
    for cell in nbformat.read(path, as_version=4).cells:
        grader = cell.metadata.get("grader", {})
        if cell.cell_type == "code" and not grader.get("check") and not grader.get("solution_only"):
            try:
                exec(compile(cell.source, "<cell>", "exec"), ns)
            except NotImplementedError:
                pass
    return ns


def printed(fn, *args) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        result = fn(*args)
    assert result is None
    return buffer.getvalue()


# -- plain data and comparison -------------------------------------------------------------------


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class LyingFloat(float):
    def __eq__(self, other):
        return True

    def __float__(self):
        return 42.0

    __hash__ = float.__hash__


def test_to_plain_keeps_values_and_rejects_objects() -> None:
    assert to_plain({"a": (1, 2.5, np.float64(3.0), np.int32(4), True, None)}) == {"a": [1, 2.5, 3.0, 4, True, None]}
    assert type(to_plain(np.float32(0.5))) is float
    assert to_plain(LyingFloat(1.0)) == 1.0 and type(to_plain(LyingFloat(1.0))) is float
    for bad in (AlwaysEqual(), {1: 2}, {"x": object()}, [[[[]]]] * 0 + [ad.Value(1.0)]):
        with pytest.raises(NotPlain):
            to_plain(bad)
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(NotPlain, match="nested"):
        to_plain(deep)


def test_comparators_are_exact_about_types() -> None:
    cmp = close(rtol=1e-6)
    assert cmp(1.0 + 1e-9, 1.0) is None
    assert cmp(1.1, 1.0) == "expected 1, got 1.1"
    assert cmp(True, 1.0) is not None and cmp("1", 1.0) is not None and cmp(None, 0.0) is not None
    assert cmp([1.0], [1.0, 2.0]) == "expected 2 items, got 1"
    assert cmp({"a": 1.0}, {"a": 1.0, "b": 2.0}) == "missing 'b'"
    assert cmp(float("nan"), 1.0) is not None and cmp(float("nan"), float("nan")) is None
    assert cmp(math.inf, math.inf) is None and cmp(1e308, math.inf) is not None
    assert equal()(2, 2.0) is None and equal()([1, 2], [1, 3]) == "[1]: expected 3, got 2"
    assert fmt({"data": -6.0, "grads": [-3.0, 2.0]}) == "{data=-6, grads=[-3, 2]}"


def test_judge_only_passes_what_it_compared_itself() -> None:
    case = Case("x", len, (), 1.0)
    assert judge(case, {"status": "ok", "value": 1.0})[0] == "pass"
    for forged in ({"status": "pass"}, {"status": "ok"}, "pass", None, {"status": "ok", "value": "passed"}, [1.0]):
        assert judge(case, forged)[0] != "pass", forged
    assert judge(case, {"status": "crashed", "message": "x"})[0] == "crashed"


def test_run_case_classifies_every_kind_of_ending() -> None:
    def driver(ns, kind):
        if kind == "exit":
            raise SystemExit(3)
        if kind == "interrupt":
            raise KeyboardInterrupt
        if kind == "stub":
            raise NotImplementedError("Exercise 1: write f")
        if kind == "undefined":
            raise AnswerMissing("`f` is not defined")
        if kind == "object":
            return AlwaysEqual()
        if kind == "loop":
            while True:
                pass
        return 1.0

    statuses = {k: run_case(driver, {}, (k,), timeout=0.2)["status"]
                for k in ("exit", "interrupt", "stub", "undefined", "object", "loop", "ok")}
    assert statuses == {"exit": "error", "interrupt": "error", "stub": "missing", "undefined": "missing",
                        "object": "fail", "loop": "timeout", "ok": "ok"}
    assert worst(["pass", "timeout", "fail"]) == "timeout"


# -- the policy scan ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import torch", ["line 1: imports torch (another AD library)"]),
        ("import jax.numpy as jnp", ["line 1: imports jax.numpy (another AD library)"]),
        ("from autodiff.graph import topological_order as t\nt(x)", ["line 1: imports autodiff.graph",
                                                                      "line 2: uses autodiff.graph.topological_order"]),
        ("g = ad.graph\norder = g.topological_order(x)", ["line 1: uses autodiff.graph"]),
        ("f = getattr(ad.graph, 'topological_order')", ["line 1: uses autodiff.graph.topological_order"]),
        ("m = __import__('torch')", ["line 1: imports torch (another AD library)"]),
        ("def topological_order(root):\n    return list(root._prev)", []),
        ("y = ad.sin(x)\nz = math.tanh(x)", []),
        ("check('5.4')", []),
        ("%timeit f(x)\nimport numpy as np", []),
    ],
)
def test_scan_finds_forbidden_names_through_aliases(source: str, found: list[str]) -> None:
    aliases = {"ad": "autodiff", "math": "math", "check": "autodiff.grading.check"}
    assert policy.scan(source, ["autodiff.graph.topological_order"], aliases) == found


def test_scan_honours_allowed_prefixes_and_review_lists_dynamic_code() -> None:
    aliases = {"ad": "autodiff", "check": "autodiff.grading.check"}
    assert policy.scan("check('5.1')\nx = ad.Value(1)", ["autodiff"], aliases, ["autodiff.grading"]) == [
        "line 2: uses autodiff.Value"
    ]
    assert policy.review("f = eval(s)\nexec(t)") == ["line 1: calls eval", "line 2: calls exec"]


# -- notebooks and templates ----------------------------------------------------------------------


def toy_template(tmp_path: Path) -> Template:
    load_checks_file(FIXTURES / "toy_checks.py")
    assert generate(FIXTURES, tmp_path, names=["90_toy"]) == []
    return Template(tmp_path / "90_toy.ipynb")


def test_parse_notebook_is_tolerant_of_damaged_cells() -> None:
    text = json.dumps({"cells": [
        {"cell_type": "code", "source": "a = 1", "metadata": "not a dict"},
        {"source": "no type"},
        {"cell_type": "code", "source": ["b = ", "2"], "metadata": {"grader": {"answer": "1.1"}}, "id": "x"},
        {"cell_type": "code", "source": 5},
        "junk",
    ], "nbformat": 4, "nbformat_minor": 5})
    cells = parse_notebook(text)
    assert [(c.index, c.source, c.answer, c.id) for c in cells] == [(0, "a = 1", None, None), (2, "b = 2", "1.1", "x")]
    for bad, why in ((b"\xff\xfe", "UTF-8"), ("[]", "not a Jupyter notebook"), ('{"nbformat": 3}', "nbformat 3")):
        with pytest.raises(Unreadable, match=why):
            parse_notebook(bad)


def test_program_takes_only_answer_cells_and_keeps_template_order(tmp_path: Path) -> None:
    template = toy_template(tmp_path)
    nb = json.loads(template.path.read_text())
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code" and not c["metadata"].get("grader"))
    setup["source"] = "import os; os._exit(1)"  # edits outside answer cells are ignored
    nb["cells"].append({"cell_type": "code", "source": "raise SystemExit", "metadata": {}, "outputs": []})
    for cell in nb["cells"]:
        if cell["metadata"].get("grader", {}).get("answer") == "90.2":
            cell["source"] = "def cube_slope(x):\n    return 3 * x * x"
    nb["cells"].reverse()
    answers = template.answers(parse_notebook(json.dumps(nb)))
    program = template.program("90.2", answers)
    assert [c.label for c in program] == ["cell 2", "answer cell of 90.1", "answer cell of 90.2"]
    assert program[0].source.startswith("import math") and "3 * x * x" in program[2].source
    assert [c.key for c in template.program("90.2", answers, skip={"a90.1#0"})] == ["t1", "a90.2#0"]
    forget_chapter("90_toy")


def test_missing_answers_run_the_template_stub(tmp_path: Path) -> None:
    template = toy_template(tmp_path)
    empty = template.answers([])
    program = template.program("90.3", empty)
    assert [c.label for c in program][-1] == "stub of 90.3 (no answer cell)"
    assert "NotImplementedError" in program[-1].source
    forget_chapter("90_toy")


# -- the generator --------------------------------------------------------------------------------


def test_stub_source_keeps_signatures_docstrings_and_imports() -> None:
    source = '''import math
from typing import (Any,
                    Sequence)


@staticmethod
def f(x: float,
      y: Sequence[Any] = ()) -> float:
    """Docstring
    over two lines."""
    # a comment
    return math.sqrt(x)


def g(x): return x


class C:
    """A class."""
    value = 1

    def method(self):
        return 2
'''
    expected = '''import math
from typing import (Any,
                    Sequence)


@staticmethod
def f(x: float,
      y: Sequence[Any] = ()) -> float:
    """Docstring
    over two lines."""
    raise NotImplementedError("Exercise 9.9: write f")


def g(x):
    raise NotImplementedError("Exercise 9.9: write g")


class C:
    """A class."""
    def method(self):
        raise NotImplementedError("Exercise 9.9: write method")'''
    assert stub_source(source, "9.9") == expected
    assert stub_source("x = 3", "9.9").startswith("raise NotImplementedError")
    ns: dict = {}
    exec(stub_source(source, "9.9"), ns)
    with pytest.raises(NotImplementedError, match="Exercise 9.9: write f"):
        ns["f"](1.0)


def test_exercise_notebook_clears_outputs_tags_stubs_and_drops_solution_only_cells() -> None:
    solution = nbformat.read(SOLUTIONS, as_version=4)
    solution.cells[3].metadata["ExecuteTime"] = {"start": "now"}
    exercise = exercise_notebook(solution)
    assert len(exercise.cells) == len(solution.cells) - sum(
        1 for c in solution.cells if c.metadata.get("grader", {}).get("solution_only"))
    for cell in exercise.cells:
        assert "ExecuteTime" not in cell.metadata
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if cell.metadata.get("grader", {}).get("answer"):
            assert "raises-exception" in cell.metadata["tags"] and "NotImplementedError" in cell.source
    assert solution.cells[3].metadata["ExecuteTime"]  # the input is untouched
    assert [c.id for c in exercise.cells] == [
        c.id for c in solution.cells if not c.metadata.get("grader", {}).get("solution_only")]


def test_generate_is_deterministic_and_check_catches_drift(tmp_path: Path) -> None:
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    (solutions / "05_micrograd.ipynb").write_bytes(SOLUTIONS.read_bytes())
    assert generate(solutions, exercises) == []
    first = (exercises / "05_micrograd.ipynb").read_bytes()
    assert first == EXERCISES.read_bytes()  # the committed file is what the generator writes
    assert generate(solutions, exercises) == [] and (exercises / "05_micrograd.ipynb").read_bytes() == first
    assert generate(solutions, exercises, check=True) == []
    edited = json.loads(first)
    edited["cells"][1]["source"] = ["print('edited by hand')"]
    (exercises / "05_micrograd.ipynb").write_text(json.dumps(edited, indent=1) + "\n")
    assert "differs from what" in generate(solutions, exercises, check=True)[0]
    (exercises / "99_orphan.ipynb").write_text("{}")
    (exercises / "05_micrograd.ipynb").unlink()
    found = generate(solutions, exercises, check=True)
    assert any("is missing" in p for p in found) and any("99_orphan.ipynb has no solution" in p for p in found)


def test_problems_reports_broken_conventions() -> None:
    solution = nbformat.read(SOLUTIONS, as_version=4)
    assert problems(solution, "05_micrograd") == []
    broken = copy.deepcopy(solution)
    broken.cells = [c for c in broken.cells if c.metadata.get("grader", {}).get("check") != "5.3"]
    answer_52 = next(c for c in broken.cells if c.metadata.get("grader", {}).get("answer") == "5.2")
    broken.cells.append(copy.deepcopy(answer_52))
    broken.cells[-1].metadata["grader"]["answer"] = "5.99"
    found = problems(broken, "05_micrograd")
    assert "05_micrograd: no check cell for 5.3 after its answer cell" in found
    assert any("answers '5.99', which the check file does not declare" in p for p in found)
    assert problems(solution, "77_unknown")[0].startswith("77_unknown: no check file")


# -- the in-notebook check ------------------------------------------------------------------------


def test_check_on_the_solutions_passes_every_public_check_quickly() -> None:
    ns = namespace_of(SOLUTIONS)
    for exercise in ch05.chapter.exercises.values():
        start = time.process_time()  # CPU time: the machine may be busy with other work
        text = printed(check, exercise.id, ns)
        assert time.process_time() - start < 1.0, exercise.id
        assert "All public checks pass" in text and "FAIL" not in text, text
        assert "The graded run adds hidden checks on random inputs" in text


def test_check_on_the_stubs_says_not_answered_and_never_raises() -> None:
    ns = namespace_of(EXERCISES)
    for exercise_id in ch05.chapter.exercises:
        text = printed(check, exercise_id, ns)
        assert "not answered yet" in text, text
    assert printed(check, "5.1", {}).startswith(
        "Exercise 5.1 (Multiplication and its backward rule): not answered yet (`Value` is not defined")
    assert printed(check, "nope", {}).startswith("check: no exercise 'nope'")


def test_check_shows_failures_with_hints_and_rejects_always_equal() -> None:
    ns = namespace_of(SOLUTIONS)
    ns["sub"] = lambda a, b: _assigning_sub(ns, a, b)
    text = printed(check, "5.6", ns)
    assert "FAIL" in text and "hint: x - x does not depend on x" in text and "Not passing yet: 0 of 1" in text
    ns["mul"] = lambda a, b: AlwaysEqual()
    assert "mul returned a AlwaysEqual, not a Value" in printed(check, "5.1", ns)


def _assigning_sub(ns: dict, a, b):
    out = ns["Value"](a.data - b.data, (a, b), "-")

    def _backward():
        a.grad = out.grad
        b.grad = -out.grad

    out._backward = _backward
    return out


def test_check_warns_about_answers_the_grader_will_not_accept() -> None:
    ns = namespace_of(SOLUTIONS)
    ns["ad"] = ad
    ns["topological_order"] = ad.graph.topological_order
    text = printed(check, "5.4", ns)
    assert "All public checks pass" in text
    assert "The graded run will not accept this answer: `topological_order` is autodiff.graph.topological_order" in text


def test_public_results_are_identical_in_two_runs() -> None:
    ns = namespace_of(SOLUTIONS)
    assert printed(check, "5.4", ns) == printed(check, "5.4", ns)


# -- the runner -----------------------------------------------------------------------------------


def test_limits_validate_and_runresult_explains_endings() -> None:
    with pytest.raises(ValueError, match="timeout"):
        Limits(timeout=0)
    with pytest.raises(ValueError, match="memory_mb"):
        Limits(memory_mb=10)
    assert RunResult(killed=True).ending() == ("timeout", "killed at the wall-clock limit")
    assert RunResult(signal=9).ending()[1] == "the process was killed by SIGKILL (out of memory?)"
    assert RunResult(exit_code=0).ending()[0] == "crashed"
    assert RunResult(events=[{"ev": "end"}], exit_code=0).ending() is None


@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_the_child_sees_a_scrubbed_environment_and_an_empty_directory(mode: str, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "s3cr3t")
    job = {
        "cells": [{"key": "t0", "label": "cell 1", "answer": None, "source":
                   "import os, sys\nprint(sorted(os.environ))\nprint(os.listdir('.'))\nprint(sys.flags.isolated)"}],
        "cases": [], "checks_module": "autodiff.grading.ch05", "checks_path": None, "preload": [], "tripwires": [],
    }
    with Runner(Limits(timeout=5), mode=mode) as runner:
        result = runner.run(job)
    assert result.ending() is None, result
    environment, listing, isolated = result.output.strip().splitlines()
    assert "GRADER_SECRET_TOKEN" not in environment and "PATH" in environment
    assert listing == "[]" and isolated == "1"


def test_tripwires_guard_the_answers_and_not_the_notebooks_own_cells() -> None:
    """A chapter may demonstrate the function an exercise forbids; only the student's code is refused,
    even through a name that the notebook's import cell bound before the answer ran."""
    probe = ("try:\n    print(len(topo(ad.Value(2.0) * 3.0)), len(g.topological_order(ad.Value(1.0))))\n"
             "except PermissionError as error:\n    print('refused:', error)\n")
    job = {
        "cells": [
            {"key": "t0", "label": "cell 1", "answer": None,
             "source": "import autodiff as ad\nimport autodiff.graph as g\nfrom autodiff.graph import topological_order as topo\n" + probe},
            {"key": "a1", "label": "answer cell of 9.9", "answer": "9.9", "source": probe},
            {"key": "t2", "label": "cell 3", "answer": None, "source": probe},
        ],
        "cases": [], "checks_module": "autodiff.grading.ch05", "checks_path": None, "preload": [],
        "tripwires": ["autodiff.graph.topological_order"],
    }
    with Runner(Limits(timeout=20), mode="fork") as runner:
        result = runner.run(job)
    assert result.ending() is None, result
    assert result.output.splitlines() == [
        "3 1", "refused: autodiff.graph.topological_order may not be used in this exercise", "3 1",
    ]


# -- chapter 5: the oracles against independent engines ----------------------------------------


def package_graph(spec: list) -> list:
    nodes: list = []
    for kind, *args in spec:
        if kind == "leaf":
            nodes.append(ad.Value(args[0]))
        elif kind in oracles.BINARY:
            a, b = nodes[args[0]], nodes[args[1]]
            nodes.append({"add": a + b, "sub": a - b, "mul": a * b}[kind])
        else:
            nodes.append(getattr(nodes[args[0]], kind)())
    return nodes


@pytest.mark.parametrize("seed", range(12))
def test_finite_difference_adjoints_agree_with_the_package_engine(seed: int) -> None:
    """node_gradients (central differences) vs autodiff.Value's reverse mode, at every leaf."""
    rng = random.Random(seed)
    spec = oracles.random_expression(rng, rng.randint(1, 4), rng.randint(3, 20), rng.randint(0, 3),
                                     kinds=("add", "sub", "mul", "tanh", "exp"))
    nodes = package_graph(spec)
    assert [n.data for n in nodes] == pytest.approx(oracles.evaluate(spec), rel=1e-12)
    nodes[-1].backward()
    expected = oracles.node_gradients(spec)
    reach = oracles.reachable(spec)
    for i, (kind, *_) in enumerate(spec):
        if kind == "leaf":
            assert nodes[i].grad == pytest.approx(expected[i], rel=1e-5, abs=1e-7)
        if i not in reach:
            assert expected[i] == 0.0


@pytest.mark.parametrize("seed", range(8))
def test_the_order_property_accepts_every_valid_order_and_only_those(seed: int) -> None:
    rng = random.Random(seed)
    spec = oracles.random_expression(rng, 3, 12, 2)
    nodes = package_graph(spec)
    index = {id(n): i for i, n in enumerate(nodes)}
    valid = [index[id(n)] for n in ad.graph.topological_order(nodes[-1])]
    assert oracles.topological_order_problem(valid, spec) is None
    assert oracles.topological_order_problem(valid[::-1], spec) is not None
    assert oracles.topological_order_problem(valid + valid[:1], spec) is not None
    assert oracles.topological_order_problem(valid[1:], spec) is not None
    unreachable = sorted(set(range(len(spec))) - oracles.reachable(spec))
    if unreachable:
        assert "not reachable" in oracles.topological_order_problem([unreachable[0], *valid], spec)


def test_rule_oracle_matches_the_calculus() -> None:
    got = ch05._rule_expected(lambda t: t**3, [2.0], [0.5], 2.0)
    assert got["data"] == 8.0 and got["grads"][0] == pytest.approx(0.5 + 2 * 12.0, rel=1e-9)
    same = ch05._rule_expected(lambda a, b: a * b, [3.0], [0.0], 1.0, same=True)
    assert same["grads"] == pytest.approx([6.0], rel=1e-9) and same["prev"] == "(a, a)"
    for x in (-800.0, -3.0, 0.0, 2.5, 800.0):
        assert ch05._stable_sigmoid(x) == pytest.approx(float(ad.Value(x).sigmoid().data), abs=1e-15)


def test_every_registered_exercise_has_public_and_hidden_checks() -> None:
    exercises = list(ch05.chapter.exercises.values())
    assert len(exercises) >= 6 and sum(e.points for e in exercises) == 22
    for exercise in exercises:
        assert exercise.public_checks and any(c.hidden for c in exercise.checks), exercise.id
    assert find_exercise("5.4") is ch05.topo and chapter_for_exercises(["5.1", "x"]) is ch05.chapter
    with pytest.raises(ValueError, match="declared twice"):
        ch05.chapter.exercise("5.1", "again", ("x",))
    with pytest.raises(KeyError, match="known exercises"):
        find_exercise("0.0")


def test_hidden_cases_depend_on_the_seed_only() -> None:
    check_ = next(c for c in ch05.backward.checks if c.hidden)
    a, b, c = check_.cases(seed=1), check_.cases(seed=1), check_.cases(seed=2)
    assert [x.args for x in a] == [x.args for x in b] != [x.args for x in c]
    public = ch05.backward.public_checks[0]
    assert [x.args for x in public.cases(seed=1)] == [x.args for x in public.cases(seed=2)]


def test_run_public_on_a_chapter_of_ones_own() -> None:
    chapter = Chapter("97_local", "Local", module=__name__)
    ex = chapter.exercise("97.1", "Double", ("double",))

    @chapter.driver
    def call(ns, x):
        return ns["double"](x)

    @ex.check(points=2)
    def doubles(rng):
        return [Case(f"double({x})", call, (x,), 2.0 * x) for x in (1.0, -2.5)]

    try:
        results = run_public(ex, {"double": lambda x: x + x})
        assert [(r.status, r.points) for r in results] == [("pass", 2)]
        assert run_public(ex, {"double": lambda x: 2})[0].cases[1].status == "fail"
    finally:
        forget_chapter("97_local")


def test_the_example_on_the_grading_page_is_what_check_prints() -> None:
    page = (ROOT / "grading.md").read_text(encoding="utf-8")
    example = page.split("```text\n", 1)[1].split("```", 1)[0]
    ns = namespace_of(SOLUTIONS)
    ns["sub"] = lambda a, b: _assigning_sub(ns, a, b)
    assert printed(check, "5.6", ns) == example


@pytest.mark.parametrize("name", ["registry", "compare", "verdict", "policy", "notebook", "child", "runner", "batch",
                                  "generate", "feedback", "inline", "oracles", "ch05", "__main__", "__init__"])
def test_every_module_has_docstring_examples(name: str) -> None:
    # The examples run in the package step (pytest --doctest-modules autodiff); here, only count them.
    import doctest
    import importlib

    module = importlib.import_module("autodiff.grading" if name == "__init__" else f"autodiff.grading.{name}")
    assert sum(len(test.examples) for test in doctest.DocTestFinder().find(module)) > 0


def test_a_memory_limit_below_the_interpreter_is_reported_not_mysterious(tmp_path: Path) -> None:
    from autodiff.grading.batch import Batch

    batch = Batch(seed=1, limits=Limits(memory_mb=64), template=EXERCISES)
    with Runner(batch.limits) as runner:
        report = batch.grade_submission(SOLUTIONS, runner)
    message = report["exercises"][0]["checks"][0]["message"]
    assert report["exercises"][0]["status"] == "crashed" and "raise --memory" in message, message
