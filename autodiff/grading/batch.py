"""The batch grader: many submissions in, ``grades.csv`` and one JSON report per submission out.

For every submission, every exercise of its set is graded in its own child process (see
:mod:`autodiff.grading.runner`), in template order, and the cases are judged here, in the grader's
process, against expected values the child never sees. A submission that cannot be read, an answer
that crashes, exits, loops or exhausts memory costs only what it touches: the batch always
completes and every submission gets a row.

A cell that kills or exhausts its child (a timeout, a crash, a ``MemoryError``) when its own
exercise is graded is left out when later exercises are graded, so a runaway answer to 5.2 does not
also time out 5.3 to 5.7. (If 5.5 really uses 5.2's function, 5.5 then fails with a ``NameError``,
as it should.)

Outputs in ``--out DIR``:

* ``grades.csv``: one row per submission (in the order given), one column per exercise (points),
  then ``total``, ``max`` and ``status`` (the worst exercise status);
* ``<submission>.json``: per exercise and check: status, points, message, duration, each case; the
  notes and flags; the answer cells' errors; the child's printed output (head and tail); the grader
  version, the seed, the limits and hashes of the template and the check files;
* ``<submission>.md``: feedback for the student, with the hidden checks' inputs left out;
* ``batch.json``: the run's settings and a status count.
"""

from __future__ import annotations

import concurrent.futures
import csv
import hashlib
import io
import json
import os
import queue
import re
import secrets
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import autodiff
from autodiff.grading import policy
from autodiff.grading.feedback import student_feedback
from autodiff.grading.notebook import Answers, ProgramCell, Template, Unreadable, read_notebook
from autodiff.grading.registry import (
    Case,
    Chapter,
    Check,
    Exercise,
    chapter_for_exercises,
    chapters,
    load_checks_file,
    worst,
)
from autodiff.grading.runner import Limits, Runner, RunResult
from autodiff.grading.verdict import CheckResult, score_check

__all__ = ["GRADER_VERSION", "default_templates_dir", "submission_ids", "Batch"]

GRADER_VERSION = f"autodiff {autodiff.__version__}, grading format 1"
_PACKAGE_DIR = Path(__file__).resolve().parent


def default_templates_dir() -> Path:
    """``exercises/`` of the checkout the package is installed from, else ``./exercises``.

    >>> default_templates_dir().name
    'exercises'
    """
    beside = _PACKAGE_DIR.parent.parent / "exercises"
    return beside if beside.is_dir() else Path("exercises")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _grader_files() -> dict[str, str]:
    return {p.name: _sha256(p) for p in sorted(_PACKAGE_DIR.glob("*.py"))}


def submission_ids(paths: Sequence[Path]) -> list[str]:
    """Unique, file-system-safe names for the reports: the file stem, or ``parent__stem`` when
    several submissions share a stem (``alice/05_micrograd.ipynb``, ``bob/05_micrograd.ipynb``).

    >>> submission_ids([Path("a/hw.ipynb"), Path("b/hw.ipynb"), Path("c/x y.ipynb")])
    ['a__hw', 'b__hw', 'x_y']
    """
    stems = Counter(p.stem for p in paths)
    ids: list[str] = []
    for path in paths:
        name = path.stem if stems[path.stem] == 1 else f"{path.resolve().parent.name}__{path.stem}"
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"
        if name in ("grades", "batch"):
            name += "_"
        candidate, n = name, 2
        while candidate in ids:
            candidate, n = f"{name}-{n}", n + 1
        ids.append(candidate)
    return ids


def _synthetic(check: Check, cases: list[Case], status: str, message: str) -> CheckResult:
    outcome = {"status": status, "message": message}
    return score_check(check, cases, [outcome] * len(cases))


def _check_json(result: CheckResult) -> dict[str, Any]:
    data = asdict(result)
    del data["exercise"]
    data["max"] = data.pop("max_points")
    for case in data["cases"]:
        if not case["hint"]:
            del case["hint"]
    return data


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class Batch:
    """A grading run: the seed, the limits and the cases, the same for every submission.

    ``template`` forces one template for every submission; otherwise each submission's template
    is found in ``templates_dir`` from its answer cells' exercise ids (or its file name).

    >>> batch = Batch(seed=7, template=default_templates_dir() / "05_micrograd.ipynb")
    >>> batch.columns
    ['5.1', '5.2', '5.3', '5.4', '5.5', '5.6', '5.7']
    >>> with Runner(batch.limits) as runner:
    ...     report = batch.grade_submission(default_templates_dir() / "05_micrograd.ipynb", runner)
    >>> report["total"], report["max"], report["status"]
    (0, 22, 'missing')
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        limits: Limits | None = None,
        jobs: int = 1,
        mode: str | None = None,
        templates_dir: str | Path | None = None,
        template: str | Path | None = None,
        checks_files: Iterable[str | Path] = (),
    ) -> None:
        if jobs < 1:
            raise ValueError(f"Batch: jobs must be at least 1, got {jobs}")
        self.seed = seed if seed is not None else secrets.randbelow(2**31)
        self.limits = limits or Limits()
        self.jobs = jobs
        self.mode = mode
        extra = [load_checks_file(path) for path in checks_files]
        self.chapters = {c.key: c for c in [*chapters(), *extra]}
        self.templates: dict[str, Template] = {}
        if template is not None:
            forced = Template(template)
            if forced.key not in self.chapters:
                owner = chapter_for_exercises(forced.exercise_ids)
                if owner is None:
                    raise ValueError(f"{template}: no registered exercise set has exercises {forced.exercise_ids}")
                forced.key = owner.key
            self.templates[forced.key] = forced
            self.forced: str | None = forced.key
        else:
            self.forced = None
            folder = Path(templates_dir) if templates_dir is not None else default_templates_dir()
            for key in self.chapters:
                path = folder / f"{key}.ipynb"
                if path.is_file():
                    self.templates[key] = Template(path)
        if not self.templates:
            raise ValueError("Batch: no exercise template found; pass --template or --templates DIR")
        for key, tpl in self.templates.items():
            declared = list(self.chapters[key].exercises)
            if sorted(declared) != sorted(tpl.exercise_ids):
                raise ValueError(
                    f"{tpl.path}: its answer cells are for {tpl.exercise_ids} but {key} declares {declared}; "
                    "regenerate it with `python -m autodiff.grading generate`"
                )
        self.cases = self._plan()
        self.grader_files = _grader_files()
        self.outputs_dir: str | None = None  # set by run(): answers may not read the reports

    def _plan(self) -> dict[str, list[tuple[Check, list[Case]]]]:
        planned: dict[str, list[tuple[Check, list[Case]]]] = {}
        for key in self.templates:
            chapter = self.chapters[key]
            for exercise in chapter.exercises.values():
                planned[exercise.id] = []
                for chk in exercise.checks:
                    cases = chk.cases(self.seed)
                    for case in cases:
                        chapter.driver_name(case.driver)
                        try:
                            json.dumps(list(case.args), allow_nan=True)
                        except (TypeError, ValueError):
                            raise ValueError(f"{exercise.id}/{chk.name}: the args of {case.label!r} are not plain data") from None
                    planned[exercise.id].append((chk, cases))
        return planned

    @property
    def columns(self) -> list[str]:
        """The exercise columns of ``grades.csv``, template by template."""
        return [eid for tpl in self.templates.values() for eid in tpl.exercise_ids]

    # -- one submission -------------------------------------------------------------------------

    def _template_for(self, path: Path, cells: list[Any]) -> Template | None:
        if self.forced:
            return self.templates[self.forced]
        owner = chapter_for_exercises(c.answer for c in cells if c.answer)
        if owner is not None and owner.key in self.templates:
            return self.templates[owner.key]
        named = [tpl for key, tpl in self.templates.items() if key in path.name]
        if len(named) == 1:
            return named[0]
        if len(self.templates) == 1:
            return next(iter(self.templates.values()))
        return None

    def grade_submission(self, path: str | Path, runner: Runner, sid: str | None = None) -> dict[str, Any]:
        """Grade one notebook; the report is plain data (what ``<submission>.json`` holds)."""
        path = Path(path)
        start = time.perf_counter()
        report: dict[str, Any] = {
            "submission": str(path),
            "id": sid or submission_ids([path])[0],
            "grader_version": GRADER_VERSION,
            "seed": self.seed,
            "limits": asdict(self.limits),
            "mode": runner.mode,
            "status": "unreadable",
            "message": "",
            "total": 0,
            "max": 0,
            "warnings": [],
            "exercises": [],
        }
        try:
            cells = read_notebook(path)
            template = self._template_for(path, cells)
            if template is None:
                raise Unreadable("no answer cells and a file name that matches no exercise set")
        except Unreadable as error:
            report["message"] = str(error)
            report["duration"] = round(time.perf_counter() - start, 3)
            only = self.forced or (next(iter(self.templates)) if len(self.templates) == 1 else None)
            if only is not None:  # the row still shows what the submission was worth
                report["exercise_set"] = only
                report["max"] = sum(e.points for e in self.chapters[only].exercises.values())
            return report
        chapter = self.chapters[template.key]
        answers = template.answers(cells)
        report.update(
            {
                "exercise_set": template.key,
                "template": str(template.path),
                "template_sha256": template.sha256,
                "checks_sha256": _sha256(Path(chapter.source_path)) if chapter.source_path else None,
                "warnings": answers.warnings,
            }
        )
        skip: dict[str, str] = {}
        for eid in template.exercise_ids:
            report["exercises"].append(self._grade_exercise(chapter.exercises[eid], template, answers, skip, runner))
        report["total"] = sum(e["points"] for e in report["exercises"])
        report["max"] = sum(e["max"] for e in report["exercises"])
        report["status"] = worst(e["status"] for e in report["exercises"])
        report["duration"] = round(time.perf_counter() - start, 3)
        return report

    def _grade_exercise(
        self, exercise: Exercise, template: Template, answers: Answers, skip: dict[str, str], runner: Runner
    ) -> dict[str, Any]:
        planned = self.cases[exercise.id]
        entry: dict[str, Any] = {
            "id": exercise.id,
            "title": exercise.title,
            "points": 0,
            "max": exercise.points,
            "status": "missing",
            "duration": 0.0,
            "flags": [],
            "notes": [],
            "review": [],
            "cells": [],
            "output": "",
            "checks": [],
        }
        if exercise.id not in answers.cells:
            results = [_synthetic(c, cases, "missing", f"no answer cell for {exercise.id} in the submission") for c, cases in planned]
        else:
            sources = [cell.source for cell in answers.cells[exercise.id]]
            entry["flags"] = [f for s in sources for f in policy.scan(s, exercise.forbidden, template.aliases, exercise.allowed)]
            entry["review"] = [r for s in sources for r in policy.review(s)]
            if entry["flags"]:
                message = "not accepted: " + entry["flags"][0]
                results = [_synthetic(c, cases, "fail", message) for c, cases in planned]
            else:
                results = self._run_exercise(exercise, template, answers, skip, runner, planned, entry)
        entry["checks"] = [_check_json(r) for r in results]
        entry["points"] = sum(r.points for r in results)
        entry["status"] = worst(r.status for r in results)
        return entry

    def _run_exercise(
        self,
        exercise: Exercise,
        template: Template,
        answers: Answers,
        skip: dict[str, str],
        runner: Runner,
        planned: list[tuple[Check, list[Case]]],
        entry: dict[str, Any],
    ) -> list[CheckResult]:
        chapter = exercise.chapter
        for attempt in range(3):
            program = template.program(exercise.id, answers, skip)
            tokens = [[secrets.token_hex(8) for _ in cases] for _, cases in planned]
            job = {
                "cells": [{"key": c.key, "label": c.label, "source": c.source, "answer": c.answer} for c in program],
                "cases": [
                    {"token": token, "driver": chapter.driver_name(case.driver), "args": list(case.args)}
                    for (_, cases), row in zip(planned, tokens)
                    for case, token in zip(cases, row)
                ],
                "checks_module": chapter.module,
                "checks_path": chapter.source_path,
                "preload": template.modules,
                "tripwires": list(exercise.forbidden),
                "outputs_dir": self.outputs_dir,
            }
            run = runner.run(job)
            fatal, cells = _cell_report(run, program)
            earlier = {key: why for key, why in fatal.items() if not key.startswith(f"a{exercise.id}#")}
            if earlier and attempt < 2:
                skip.update(earlier)
                continue
            skip.update(fatal)
            break
        ran = {c.key for c in program}
        for cell in template.program(exercise.id, answers):
            if cell.key not in ran:
                entry["notes"].append(f"left out {cell.label}: {skip.get(cell.key, '')}")
        entry["cells"] = cells
        for cell in cells:
            if cell["status"] != "ok":
                entry["notes"].append(f"{cell['cell']}: {cell['status']}: {cell['message']}")
        entry["duration"] = round(run.duration, 3)
        entry["output"] = run.output
        if run.max_rss_kb:
            entry["max_rss_kb"] = run.max_rss_kb
        outcomes, duplicates = _outcomes(run)
        if duplicates:
            entry["notes"].append(f"{duplicates} duplicate results were written to the report channel; the first of each was used")
        ending = run.ending()
        setup = next((e.get("message") for e in run.events if e.get("ev") == "setup-error"), None)
        if setup is not None and ending is not None:  # the child could not even start the program
            ending = ("crashed", f"the grader could not set up the process ({str(setup)[:300]})")
        where = next((c["cell"] for c in cells if c["status"] in ("timeout", "crashed")), "the checks")
        own = next(
            (c for c in cells if c["cell"].startswith(f"answer cell of {exercise.id}") and c["status"] in ("error", "timeout")),
            None,
        )
        results = []
        for (chk, cases), row in zip(planned, tokens):
            found = []
            for token in row:
                outcome = outcomes.get(token)
                if own is not None and type(outcome) is dict and outcome.get("undefined"):
                    # The answer is undefined because its cell failed: that failure is the status.
                    found.append({"status": own["status"], "message": f"{own['cell']}: {own['message']}"})
                elif token in outcomes:
                    found.append(outcome)
                elif ending is not None:
                    found.append({"status": ending[0], "message": f"{ending[1]} while running {where}"})
                else:
                    found.append({"status": "error", "message": "no result was reported for this case"})
            results.append(score_check(chk, cases, found))
        return results

    # -- many submissions -----------------------------------------------------------------------

    def run(
        self,
        paths: Sequence[str | Path],
        out_dir: str | Path,
        progress: Callable[[str], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Grade ``paths`` with ``jobs`` workers; write every output file; return the reports."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.outputs_dir = str(out.resolve())
        paths = [Path(p) for p in paths]
        ids = submission_ids(paths)
        started = time.perf_counter()
        scratch = tempfile.mkdtemp(prefix="autodiff-grading-")
        runners: queue.Queue[Runner] = queue.Queue()
        for _ in range(self.jobs):
            runners.put(Runner(self.limits, self.mode, root=scratch))

        def one(index: int) -> dict[str, Any]:
            runner = runners.get()
            try:
                report = self.grade_submission(paths[index], runner, ids[index])
            finally:
                runners.put(runner)
            _write(out / f"{ids[index]}.json", json.dumps(report, indent=1, allow_nan=True) + "\n")
            _write(out / f"{ids[index]}.md", student_feedback(report))
            if progress:
                progress(f"{ids[index]}: {report['total']:g}/{report['max']:g} ({report['status']})")
            return report

        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs) as pool:
                reports = list(pool.map(one, range(len(paths))))
        finally:
            while not runners.empty():
                runners.get().close()
            shutil.rmtree(scratch, ignore_errors=True)
        _write(out / "grades.csv", self.csv(reports))
        changed = sorted(name for name, digest in _grader_files().items() if self.grader_files.get(name) != digest)
        summary = {
            "grader_version": GRADER_VERSION,
            "seed": self.seed,
            "limits": asdict(self.limits),
            "jobs": self.jobs,
            "submissions": len(reports),
            "statuses": dict(sorted(Counter(r["status"] for r in reports).items())),
            "duration": round(time.perf_counter() - started, 3),
            "grader_files_changed": changed,
        }
        _write(out / "batch.json", json.dumps(summary, indent=1) + "\n")
        if changed and progress:
            progress(f"WARNING: grader files changed during the run: {', '.join(changed)}")
        return reports

    def csv(self, reports: Sequence[dict[str, Any]]) -> str:
        """``grades.csv``: submission, one column per exercise, total, max, status."""
        columns = self.columns
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["submission", *columns, "total", "max", "status"])
        for report in reports:
            points = {e["id"]: e["points"] for e in report["exercises"]}
            writer.writerow(
                [report["id"], *[f"{points.get(c, 0):g}" for c in columns], f"{report['total']:g}",
                 f"{report['max']:g}", report["status"]]
            )
        return buffer.getvalue()


def _cell_report(run: RunResult, program: list[ProgramCell]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Which cells ended how; and the cells that must be left out of later exercises (key -> why)."""
    started: set[str] = set()
    ended: dict[str, dict[str, Any]] = {}
    for event in run.events:
        if event.get("ev") != "cell" or type(event.get("key")) is not str:
            continue
        key = event["key"]
        if event.get("state") == "start":
            started.add(key)
        elif event.get("state") in ("done", "error") and key not in ended:
            ended[key] = event
    ending = run.ending()
    fatal: dict[str, str] = {}
    cells = []
    for cell in program:
        event = ended.get(cell.key)
        if event is None:
            if cell.key in started and ending is not None:
                status, message = ending
                fatal[cell.key] = f"it {'timed out' if status == 'timeout' else 'crashed the process'} earlier"
            else:
                status, message = "not run", "the process ended before this cell"
        elif event.get("state") == "done":
            status, message = "ok", ""
        else:
            kind = event.get("kind")
            status = "timeout" if kind == "timeout" else "error"
            message = str(event.get("message", ""))[:500]
            if kind in ("timeout", "memory"):
                fatal[cell.key] = "it ran out of time earlier" if kind == "timeout" else "it ran out of memory earlier"
        if cell.answer is not None or status != "ok":
            cells.append({"cell": cell.label, "status": status, "message": message})
    return fatal, cells


def _outcomes(run: RunResult) -> tuple[dict[str, Any], int]:
    outcomes: dict[str, Any] = {}
    duplicates = 0
    for event in run.events:
        if event.get("ev") == "case" and type(event.get("t")) is str:
            if event["t"] in outcomes:
                duplicates += 1
            else:
                outcomes[event["t"]] = event.get("outcome")
    return outcomes, duplicates

