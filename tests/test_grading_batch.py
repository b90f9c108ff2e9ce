"""The batch grader against correct, broken and malicious submissions.

The toy exercise set (tests/grading_fixtures: four independent exercises worth 3 points each, 1
public + 2 hidden) is graded once per module, in parallel with short limits; each test then looks
at one aspect of the outputs. A second batch grades chapter 5's solutions, its generated
exercises and a set of typical wrong answers.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autodiff.grading.batch import Batch
from autodiff.grading.feedback import student_feedback
from autodiff.grading.generate import generate
from autodiff.grading.registry import STATUSES, forget_chapter, load_checks_file
from autodiff.grading.runner import Limits

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "grading_fixtures"
_spec = importlib.util.spec_from_file_location("toy_submissions", FIXTURES / "toy_submissions.py")
toy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(toy)

GRADING_DIR = ROOT / "autodiff" / "grading"


def _digests() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(GRADING_DIR.glob("*.py"))}


@pytest.fixture(scope="module")
def toy_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    load_checks_file(FIXTURES / "toy_checks.py")
    folder = tmp_path_factory.mktemp("toy_exercises")
    assert generate(FIXTURES, folder, names=["90_toy"]) == []
    yield folder / "90_toy.ipynb"
    forget_chapter("90_toy")


@pytest.fixture(scope="module")
def toy_batch(toy_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("toy_batch")
    marker = work / "pwned.txt"
    paths = toy.write_all(toy_template, work / "submissions", marker, work / "out")
    before = _digests()
    batch = Batch(
        seed=1234,
        limits=Limits(timeout=2.0, memory_mb=512, output_bytes=32 * 1024),
        jobs=2,
        template=toy_template,
        checks_files=[FIXTURES / "toy_checks.py"],
    )
    start = time.perf_counter()
    reports = batch.run(list(paths.values()), work / "out")
    elapsed = time.perf_counter() - start
    return {
        "paths": paths,
        "reports": {name: report for name, report in zip(paths, reports)},
        "out": work / "out",
        "marker": marker,
        "before": before,
        "after": _digests(),
        "elapsed": elapsed,
    }


def _points(report: dict) -> list[float]:
    return [e["points"] for e in report["exercises"]]


def _statuses(report: dict) -> dict[str, str]:
    return {e["id"]: e["status"] for e in report["exercises"]}


@pytest.mark.parametrize("name", list(toy.SUBMISSIONS))
def test_each_submission_gets_exactly_the_points_it_earned(toy_batch: dict, name: str) -> None:
    """Correct answers score, broken or malicious ones cost only the exercises they touch."""
    _, expected_points, expected_status = toy.SUBMISSIONS[name]
    report = toy_batch["reports"][name]
    assert _points(report) == expected_points, json.dumps(report["exercises"], indent=1)[:3000]
    statuses = _statuses(report)
    for exercise, status in expected_status.items():
        assert statuses[exercise] == status, (exercise, report["exercises"])


def test_every_submission_gets_a_row_in_input_order(toy_batch: dict) -> None:
    with open(toy_batch["out"] / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["submission"] for r in rows] == list(toy_batch["paths"])
    assert list(rows[0]) == ["submission", *toy.IDS, "total", "max", "status"]
    for row in rows:
        report = toy_batch["reports"][row["submission"]]
        assert float(row["total"]) == report["total"] == sum(float(row[i]) for i in toy.IDS)
        assert row["max"] == "12" and row["status"] in STATUSES


@pytest.mark.parametrize("name", list(toy.UNREADABLE))
def test_unreadable_files_are_a_row_not_a_crash(toy_batch: dict, name: str) -> None:
    report = toy_batch["reports"][name]
    assert report["status"] == "unreadable" and report["total"] == 0 and report["message"]
    assert json.loads((toy_batch["out"] / f"{name}.json").read_text())["status"] == "unreadable"


def test_solution_scores_full_marks_and_blank_scores_zero(toy_batch: dict) -> None:
    assert toy_batch["reports"]["correct"]["total"] == 12
    assert toy_batch["reports"]["blank"]["total"] == 0
    assert "not answered yet" in toy_batch["reports"]["blank"]["exercises"][0]["checks"][0]["message"]


def test_no_tampering_earns_a_point(toy_batch: dict) -> None:
    """Patched checkers, always-equal objects, fake 'passed' prints and forged reports score 0."""
    reports = toy_batch["reports"]
    assert _points(reports["patch_checker"])[0] == 0
    assert _points(reports["always_equal"])[:2] == [0, 0]
    assert _points(reports["prints_passed"])[2] == 0
    assert _points(reports["forge_results"])[3] == 0
    forged = reports["forge_results"]["exercises"][3]
    assert any("duplicate results" in note for note in forged["notes"])
    assert all(c["status"] != "pass" for check in forged["checks"] for c in check["cases"])


def test_the_grader_files_cannot_be_changed_from_an_answer(toy_batch: dict) -> None:
    assert toy_batch["after"] == toy_batch["before"]
    assert json.loads((toy_batch["out"] / "batch.json").read_text())["grader_files_changed"] == []
    output = toy_batch["reports"]["patch_checker"]["exercises"][0]["output"]
    assert "could not tamper: the grader only allows writing inside the working directory" in output


def test_escape_attempts_are_refused_and_cost_nothing(toy_batch: dict) -> None:
    report = toy_batch["reports"]["escape"]
    assert _points(report) == [3, 3, 3, 3]
    assert not toy_batch["marker"].exists()
    output = report["exercises"][0]["output"]
    assert "succeeded" not in output, output
    for attempt in ("kill the grader", "fork", "run a program", "write outside", "socket", "ctypes"):
        assert f"{attempt}: " in output


def test_answers_cannot_read_other_submissions_reports_or_other_processes(toy_batch: dict) -> None:
    report = toy_batch["reports"]["snoop"]
    assert _points(report) == [3, 3, 3, 3]
    output = report["exercises"][0]["output"]
    for attempt in ("another notebook", "a report", "the grades", "the grader's command line", "scratch files",
                    "a path object"):
        assert f"{attempt}: PermissionError" in output, output
    assert output.rstrip().endswith("True")  # its own /proc entry stays readable


def test_hard_coded_public_answers_fail_the_hidden_checks(toy_batch: dict) -> None:
    for exercise in toy_batch["reports"]["hardcoded"]["exercises"]:
        public, hidden = exercise["checks"]
        assert public["status"] == "pass" and not public["hidden"]
        assert hidden["status"] == "fail" and hidden["hidden"] and hidden["points"] == 0


def test_a_runaway_cell_is_left_out_of_later_exercises(toy_batch: dict) -> None:
    for name, exercise in (("stubborn_loop", "90.3"), ("swallowing_loop", "90.1"), ("memory_bomb", "90.2")):
        later = [e for e in toy_batch["reports"][name]["exercises"] if e["id"] > exercise]
        assert later and all(e["status"] == "pass" for e in later), name
        assert all(any(f"answer cell of {exercise}" in note for note in e["notes"]) for e in later), name


def test_timeouts_and_crashes_say_where_they_happened(toy_batch: dict) -> None:
    stubborn = toy_batch["reports"]["stubborn_loop"]["exercises"][2]
    assert "killed at the wall-clock limit" in stubborn["checks"][0]["message"]
    assert "answer cell of 90.3" in stubborn["checks"][0]["message"]
    crashed = toy_batch["reports"]["os_exit"]["exercises"][0]
    assert "exited (code 0)" in crashed["checks"][0]["message"]
    bomb = toy_batch["reports"]["memory_bomb"]["exercises"][1]
    assert "MemoryError" in bomb["checks"][0]["message"]
    interrupted = toy_batch["reports"]["loop"]["exercises"][1]
    assert interrupted["status"] == "timeout" and "stopped after" in interrupted["checks"][0]["message"]


def test_printed_megabytes_are_truncated(toy_batch: dict) -> None:
    report_file = toy_batch["out"] / "megaprint.json"
    assert report_file.stat().st_size < 200_000
    output = toy_batch["reports"]["megaprint"]["exercises"][0]["output"]
    assert "output truncated by the grader" in output or "bytes left out" in output


def test_cell_structure_changes_are_reported_as_warnings(toy_batch: dict) -> None:
    reports = toy_batch["reports"]
    assert any("2 answer cells for 90.2" in w for w in reports["duplicated"]["warnings"])
    assert any("markdown cell" in w for w in reports["markdown"]["warnings"])
    assert any("cell id" in w for w in reports["lost_metadata"]["warnings"])


def test_forbidden_names_are_flagged_not_run(toy_batch: dict) -> None:
    exercises = toy_batch["reports"]["forbidden"]["exercises"]
    assert exercises[2]["flags"] == ["line 2: uses math.fsum"]
    assert exercises[3]["flags"][0] == "line 1: imports torch (another AD library)"
    assert exercises[2]["checks"][0]["message"].endswith("not accepted: line 2: uses math.fsum")


def test_reports_record_version_seed_and_limits(toy_batch: dict) -> None:
    report = json.loads((toy_batch["out"] / "correct.json").read_text())
    assert report["seed"] == 1234 and report["grader_version"].startswith("autodiff ")
    assert report["limits"]["timeout"] == 2.0 and report["limits"]["memory_mb"] == 512
    check = report["exercises"][0]["checks"][1]
    assert set(check) >= {"status", "message", "duration", "points", "max", "hidden", "cases"}
    feedback = (toy_batch["out"] / "correct.md").read_text()
    assert "hidden check `square_hidden` (2/2): passed" in feedback


def test_hidden_inputs_stay_out_of_student_feedback(toy_batch: dict) -> None:
    report = toy_batch["reports"]["hardcoded"]
    feedback = (toy_batch["out"] / "hardcoded.md").read_text()
    hidden_labels = [c["label"] for e in report["exercises"] for chk in e["checks"] if chk["hidden"] for c in chk["cases"]]
    assert hidden_labels and not any(label in feedback for label in hidden_labels)
    assert "wrong result on 5 of 5 random inputs" in feedback


def test_student_feedback_shows_public_failures_like_the_notebook_check(toy_batch: dict) -> None:
    """A failing public case gets its message, expected and got, and the hint the in-notebook table shows."""
    feedback = (toy_batch["out"] / "always_equal.md").read_text()
    public = feedback.split("## Exercise 90.1")[1].split("## Exercise 90.2")[0]
    assert "- public check `square_public` (0/1): fail" in public, public
    assert "square(3): fail: got a AlwaysEqual object" in public and "\n    hint: x * x\n" in public, public
    report = json.loads((toy_batch["out"] / "always_equal.json").read_text())
    case = report["exercises"][0]["checks"][0]["cases"][0]
    assert case["hint"] == "x * x"
    # A plain wrong number is shown with what was expected, as in the notebook's table.
    case.update(status="fail", message="off by 1", expected="9", got="10")
    assert "  - square(3): fail: off by 1\n    (expected `9`, got `10`)\n    hint: x * x" in student_feedback(report)


def test_the_batch_is_parallel_and_bounded_in_time(toy_batch: dict) -> None:
    """Three submissions need a full wall-clock kill (3 s each) and one an interrupted loop; with
    two workers the whole batch must finish well before the sum of its parts would."""
    assert toy_batch["elapsed"] < 60


def test_same_seed_same_hidden_inputs_other_seed_other_inputs(toy_template: Path, tmp_path: Path) -> None:
    def labels(seed: int) -> list[str]:
        batch = Batch(seed=seed, template=toy_template, checks_files=[FIXTURES / "toy_checks.py"])
        return [c.label for check, cases in batch.cases["90.1"] for c in cases if check.hidden]

    assert labels(5) == labels(5) != labels(6)


def test_spawn_mode_grades_like_fork_mode(toy_template: Path, tmp_path: Path) -> None:
    paths = toy.write_all(toy_template, tmp_path / "subs", tmp_path / "marker")
    chosen = [paths["correct"], paths["os_exit"], paths["hardcoded"]]
    batch = Batch(seed=9, limits=Limits(timeout=4.0), jobs=2, mode="spawn", template=toy_template,
                  checks_files=[FIXTURES / "toy_checks.py"])
    reports = batch.run(chosen, tmp_path / "out")
    assert [r["mode"] for r in reports] == ["spawn"] * 3
    assert [_points(r) for r in reports] == [[3, 3, 3, 3], [0, 3, 3, 3], [1, 1, 1, 1]]


# -- chapter 5 ---------------------------------------------------------------------------------

CH05_BUGS = {
    # The textbook formula overflows at the hidden check's large inputs.
    "5.3": '''
def tanh(a):
    e = math.exp(2 * a.data)
    out = Value((e - 1) / (e + 1), (a,), "tanh")
    def _backward():
        a.grad += (1 - out.data**2) * out.grad
    out._backward = _backward
    return out
''',
    # Recursive: fine on small graphs, RecursionError on the long chain.
    "5.4": '''
def topological_order(root):
    order, seen = [], set()
    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for child in node._prev:
                visit(child)
            order.append(node)
    visit(root)
    return order
''',
    # `=` instead of `+=`: wrong as soon as a node is used twice.
    "5.6": '''
def sub(a, b):
    out = Value(a.data - b.data, (a, b), "-")
    def _backward():
        a.grad = out.grad
        b.grad = -out.grad
    out._backward = _backward
    return out
''',
    # Overflows at -800.
    "5.7": '''
def sigmoid(a):
    out = Value(1 / (1 + math.exp(-a.data)), (a,), "sigmoid")
    def _backward():
        a.grad += out.data * (1 - out.data) * out.grad
    out._backward = _backward
    return out


def sigmoid_composed(a):
    return 1 / (1 + (-a).exp())
''',
}

CH05_CHEATS = {
    "5.1": "from autodiff.scalar import Value as _V\n\ndef mul(a, b):\n    return a * b\n",
    "5.4": 'topological_order = getattr(__import__("auto" + "diff").graph, "topological_order")\n',
    "5.5": '''
def backward(root):
    class Always(float):
        def __eq__(self, other):
            return True
    for node in [root]:
        node.grad = Always(0.0)
''',
}


def _with_answers(source: Path, replacements: dict[str, str], target: Path) -> Path:
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        answer = cell.get("metadata", {}).get("grader", {}).get("answer")
        if answer in replacements:
            cell["source"] = replacements[answer].strip("\n") + "\n"
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def ch05_batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("ch05")
    paths = {
        "solutions": ROOT / "solutions" / "05_micrograd.ipynb",
        "exercises": ROOT / "exercises" / "05_micrograd.ipynb",
        "bugs": _with_answers(ROOT / "solutions" / "05_micrograd.ipynb", CH05_BUGS, work / "bugs.ipynb"),
        "cheats": _with_answers(ROOT / "solutions" / "05_micrograd.ipynb", CH05_CHEATS, work / "cheats.ipynb"),
    }
    batch = Batch(seed=2026, limits=Limits(timeout=10.0), jobs=2, template=ROOT / "exercises" / "05_micrograd.ipynb")
    reports = batch.run(list(paths.values()), work / "out")
    return {name: report for name, report in zip(paths, reports)}


def test_ch05_solutions_score_full_marks(ch05_batch: dict) -> None:
    report = ch05_batch["solutions"]
    assert report["total"] == report["max"] == 22, [(e["id"], e["status"], e["notes"]) for e in report["exercises"]]
    assert len(report["exercises"]) >= 6


def test_ch05_generated_exercises_score_zero(ch05_batch: dict) -> None:
    report = ch05_batch["exercises"]
    assert report["total"] == 0 and {e["status"] for e in report["exercises"]} == {"missing"}


def test_ch05_typical_bugs_lose_exactly_the_checks_they_break(ch05_batch: dict) -> None:
    report = ch05_batch["bugs"]
    lost = {e["id"]: [c["name"] for c in e["checks"] if c["status"] != "pass"] for e in report["exercises"]}
    assert lost == {
        "5.1": [], "5.2": [], "5.3": ["tanh_large"], "5.4": ["order_long_chain"],
        "5.5": [], "5.6": ["sub_by_hand", "sub_random", "sub_in_graphs"], "5.7": ["sigmoid_large"],
    }
    chain = next(c for e in report["exercises"] if e["id"] == "5.4" for c in e["checks"] if c["name"] == "order_long_chain")
    assert "RecursionError" in chain["message"]


def test_ch05_shortcuts_and_always_equal_score_nothing(ch05_batch: dict) -> None:
    exercises = {e["id"]: e for e in ch05_batch["cheats"]["exercises"]}
    assert exercises["5.1"]["points"] == 0 and "imports autodiff.scalar" in exercises["5.1"]["flags"][0]
    # Obfuscated past the scan, the run-time tripwire still refuses the package's topological sort.
    assert exercises["5.4"]["flags"] == [] and exercises["5.4"]["points"] == 0
    assert "may not be used in this exercise" in json.dumps(exercises["5.4"]["checks"])
    assert exercises["5.5"]["points"] == 0
    assert all(exercises[i]["points"] == exercises[i]["max"] for i in ("5.2", "5.3", "5.6"))
    # sigmoid_composed multiplies through the notebook's Value, whose `*` now calls itself.
    composed = [c for c in exercises["5.7"]["checks"] if c["name"] == "sigmoid_by_hand"][0]
    assert composed["status"] == "error" and "RecursionError" in composed["message"]


# -- the command line --------------------------------------------------------------------------


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autodiff.grading", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONHASHSEED": "0"})


def test_cli_help_documents_the_options() -> None:
    result = _cli("grade", "--help")
    assert result.returncode == 0
    for option in ("--out", "-j", "--seed", "--timeout", "--memory", "grades.csv", "unreadable", "sandbox"):
        assert option in result.stdout


def test_cli_grades_and_exits_zero_whatever_the_score(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{", encoding="utf-8")
    template = str(ROOT / "exercises" / "05_micrograd.ipynb")
    result = _cli("grade", template, str(bad), "--out", str(tmp_path / "out"), "--seed", "1", "-q",
                  "--template", template)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(tmp_path / "out" / "grades.csv", encoding="utf-8")))
    assert [(r["submission"], r["total"], r["max"], r["status"]) for r in rows] == [
        ("05_micrograd", "0", "22", "missing"), ("broken", "0", "22", "unreadable")
    ]


def test_cli_usage_errors_are_not_exit_zero(tmp_path: Path) -> None:
    assert _cli("grade", "x.ipynb").returncode == 2  # --out missing
    assert _cli("grade", "x.ipynb", "--out", str(tmp_path), "--templates", str(tmp_path)).returncode == 1


def test_cli_generate_check_passes_on_the_committed_notebooks() -> None:
    result = _cli("generate", "--check", "05_micrograd")
    assert result.returncode == 0, result.stderr
