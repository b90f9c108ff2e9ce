"""A small exercise set for the grader's own tests (chapter "90_toy"): four independent exercises.

Each exercise is worth 3 points: 1 public, 2 hidden. The drivers call the student's function and
return what it gave; the checks compute expected values with plain Python in the grader.
"""

from __future__ import annotations

import math

from autodiff.grading.compare import close
from autodiff.grading.registry import Case, Chapter, need

chapter = Chapter("90_toy", "Toy exercises for the grader's tests", module=__name__)

square = chapter.exercise("90.1", "Squares", answers=("square",))
cube_slope = chapter.exercise("90.2", "Slope of a cube", answers=("cube_slope",))
total = chapter.exercise("90.3", "A sum without sum()", answers=("total",), forbidden=("math.fsum",))
norm = chapter.exercise("90.4", "Euclidean norm", answers=("norm",))


@chapter.driver
def call_one(ns, name, *args):
    return need(ns, name)(*args)


@square.check(points=1)
def square_public(rng):
    return [Case("square(3)", call_one, ("square", 3.0), 9.0, hint="x * x")]


@square.check(points=2, hidden=True)
def square_hidden(rng):
    xs = [rng.uniform(-10, 10) for _ in range(5)]
    return [Case(f"square({x:.3f})", call_one, ("square", x), x * x) for x in xs]


@cube_slope.check(points=1)
def cube_public(rng):
    return [Case("cube_slope(2)", call_one, ("cube_slope", 2.0), 12.0, hint="d/dx x**3 = 3 x**2")]


@cube_slope.check(points=2, hidden=True)
def cube_hidden(rng):
    xs = [rng.uniform(-5, 5) for _ in range(5)]
    return [Case(f"cube_slope({x:.3f})", call_one, ("cube_slope", x), 3 * x * x) for x in xs]


@total.check(points=1)
def total_public(rng):
    return [Case("total([1, 2, 3])", call_one, ("total", [1.0, 2.0, 3.0]), 6.0)]


@total.check(points=2, hidden=True)
def total_hidden(rng):
    lists = [[rng.uniform(-1, 1) for _ in range(rng.randint(0, 20))] for _ in range(4)]
    return [Case(f"total(<{len(xs)} numbers>)", call_one, ("total", xs), math.fsum(xs), close(rtol=1e-9, atol=1e-12)) for xs in lists]


@norm.check(points=1)
def norm_public(rng):
    return [Case("norm([3, 4])", call_one, ("norm", [3.0, 4.0]), 5.0)]


@norm.check(points=2, hidden=True)
def norm_hidden(rng):
    vectors = [[rng.gauss(0, 1) for _ in range(rng.randint(1, 6))] for _ in range(4)]
    return [Case(f"norm(<{len(v)} numbers>)", call_one, ("norm", v), math.hypot(*v)) for v in vectors]
