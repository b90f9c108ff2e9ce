"""Command line of the grader: ``python -m autodiff.grading {grade,generate,list} ...``.

>>> import contextlib, io
>>> printed = io.StringIO()
>>> with contextlib.redirect_stdout(printed):
...     status = main(["list"])
>>> status, "05_micrograd: Build a micrograd-style engine (22 points)" in printed.getvalue()
(0, True)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autodiff.grading.registry import STATUSES

DESCRIPTION = """\
Grade exercise notebooks, or generate the exercise notebooks from the solutions.

  grade      grade submitted notebooks: grades.csv plus a JSON report per submission
  generate   build exercises/*.ipynb from solutions/*.ipynb (--check: only verify them)
  list       list the exercises the grader knows, with their points

Run `python -m autodiff.grading COMMAND --help` for a command's options.
"""

GRADE_EPILOG = f"""\
How a submission is graded: only its answer cells (cell metadata {{"grader": {{"answer": "5.1"}}}})
are taken, put into the pristine template (exercises/NN_name.ipynb), and each exercise runs in its
own fresh Python process (python -I) with the limits above, a scrubbed environment, an empty
working directory and an audit-hook guard. Checks are judged in the grader's process; expected
values never enter the student's process. Hidden checks draw their inputs from --seed.

Statuses, best to worst: {", ".join(STATUSES)}.

Outputs in --out DIR:
  grades.csv          one row per submission, one column per exercise (points), total, max, status
  <submission>.json   per exercise and check: status, points, message, duration; version, seed
  <submission>.md     feedback for the student, without the hidden checks' inputs
  batch.json          the run's settings and a count of statuses

The exit status is 0 whenever grading ran, whatever the students scored; 2 for bad arguments,
1 when the templates or check files cannot be loaded.

The limits are not a security sandbox: for high stakes, run the grader inside a throwaway
container or VM. See the book page "How exercises are graded".
"""


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser of the three commands.

    >>> parser().parse_args(["grade", "a.ipynb", "--out", "out", "-j", "2"]).jobs
    2
    """
    main = argparse.ArgumentParser(
        prog="python -m autodiff.grading", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = main.add_subparsers(dest="command", metavar="COMMAND")

    grade = commands.add_parser(
        "grade",
        help="grade submitted notebooks",
        description="Grade submitted notebooks in isolated processes.",
        epilog=GRADE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb", help="notebooks to grade")
    grade.add_argument("--out", required=True, metavar="DIR", help="directory for grades.csv and the reports")
    grade.add_argument("-j", "--jobs", type=_positive_int, default=1, metavar="N",
                       help="submissions graded in parallel (default 1)")
    grade.add_argument("--seed", type=int, default=None, metavar="S",
                       help="seed of the hidden checks' random inputs (default: a random seed, recorded "
                            "in the reports); keep it secret until grades are final")
    grade.add_argument("--timeout", type=_positive_float, default=10.0, metavar="S",
                       help="seconds per exercise for its cells and checks; the process is killed 1 s "
                            "later (default 10)")
    grade.add_argument("--memory", type=_positive_int, default=1024, metavar="MB",
                       help="address-space limit per exercise process, interpreter and numpy included "
                            "(default 1024)")
    grade.add_argument("--output-limit", type=_positive_int, default=64, metavar="KB",
                       help="printed output kept per exercise process; the rest is dropped (default 64)")
    where = grade.add_mutually_exclusive_group()
    where.add_argument("--template", metavar="NOTEBOOK", help="grade every submission against this template")
    where.add_argument("--templates", metavar="DIR",
                       help="directory of templates, NN_name.ipynb (default: exercises/ of the checkout)")
    grade.add_argument("--checks", action="append", default=[], metavar="FILE.py",
                       help="load an extra check file (an exercise set of your own); repeatable")
    grade.add_argument("--spawn", action="store_true",
                       help="start a fresh interpreter per exercise instead of forking a pre-warmed one "
                            "(slower; the default on systems other than Linux)")
    grade.add_argument("-q", "--quiet", action="store_true", help="print only the summary")

    gen = commands.add_parser(
        "generate",
        help="build exercises/ from solutions/",
        description="Build exercise notebooks from solution notebooks: answer cells become stubs that "
                    "raise NotImplementedError, outputs are cleared.",
    )
    gen.add_argument("notebooks", nargs="*", metavar="NAME", help="only these notebooks (e.g. 05_micrograd)")
    gen.add_argument("--check", action="store_true",
                     help="write nothing; fail if a committed exercise notebook is out of date")
    gen.add_argument("--solutions", metavar="DIR", help="solution notebooks (default: solutions/ of the checkout)")
    gen.add_argument("--exercises", metavar="DIR", help="exercise notebooks (default: exercises/ of the checkout)")

    lst = commands.add_parser("list", help="list exercises and points")
    lst.add_argument("--checks", action="append", default=[], metavar="FILE.py", help="load an extra check file")
    return main


def _grade(args: argparse.Namespace) -> int:
    from autodiff.grading.batch import Batch
    from autodiff.grading.runner import Limits

    try:
        limits = Limits(timeout=args.timeout, memory_mb=args.memory, output_bytes=args.output_limit * 1024)
        batch = Batch(
            seed=args.seed,
            limits=limits,
            jobs=args.jobs,
            mode="spawn" if args.spawn else None,
            templates_dir=args.templates,
            template=args.template,
            checks_files=args.checks,
        )
    except (ValueError, OSError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"grading {len(args.submissions)} submission(s) with seed {batch.seed}, {args.jobs} job(s)")
    try:
        reports = batch.run(args.submissions, args.out, progress=None if args.quiet else print)
    except KeyboardInterrupt:
        print("interrupted: the reports written so far are in place; grades.csv was not written", file=sys.stderr)
        return 130
    statuses: dict[str, int] = {}
    for report in reports:
        statuses[report["status"]] = statuses.get(report["status"], 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    print(f"done: {summary}; grades in {Path(args.out) / 'grades.csv'}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from autodiff.grading.generate import default_notebook_dirs, generate

    solutions, exercises = default_notebook_dirs()
    solutions = Path(args.solutions) if args.solutions else solutions
    exercises = Path(args.exercises) if args.exercises else exercises
    found = generate(solutions, exercises, check=args.check, names=args.notebooks)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        return 1
    print(f"exercise notebooks in {exercises} are up to date" if args.check else f"wrote {exercises}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from autodiff.grading.registry import chapters, load_checks_file

    for path in args.checks:
        load_checks_file(path)
    for chapter in chapters():
        total = sum(e.points for e in chapter.exercises.values())
        print(f"{chapter.key}: {chapter.title} ({total:g} points)")
        for exercise in chapter.exercises.values():
            print(f"  {exercise.id:<6} {exercise.title:<48} {exercise.points:>3g} points "
                  f"({exercise.public_points:g} public, {exercise.points - exercise.public_points:g} hidden)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status (0 when the command ran, 1 on a failed check, 2 on usage).

    >>> main([])  # doctest: +ELLIPSIS
    usage: python -m autodiff.grading [-h] COMMAND ...
    ...
    2
    """
    args = parser().parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    if args.command == "generate":
        return _generate(args)
    if args.command == "list":
        return _list(args)
    parser().print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
