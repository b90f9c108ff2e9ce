"""Submissions of the toy exercise set (``90_toy``): correct, blank, broken and malicious ones.

Each submission is the generated toy template with some answer cells replaced (or the notebook
otherwise damaged). ``EXPECTED[name]`` gives the points every exercise must get (3 is full marks,
1 is the public check alone) and, where it matters, the status. The attacks are written out as
the code a student would put in an answer cell.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

IDS = ("90.1", "90.2", "90.3", "90.4")

CORRECT = {
    "90.1": "def square(x):\n    return x * x\n",
    "90.2": "def cube_slope(x):\n    return 3 * x**2\n",
    "90.3": "def total(xs):\n    s = 0.0\n    for x in xs:\n        s += x\n    return s\n",
    "90.4": "def norm(v):\n    return math.sqrt(sum(x * x for x in v))\n",
}

HARDCODED = {
    "90.1": "def square(x):\n    return 9.0\n",
    "90.2": "def cube_slope(x):\n    return 12.0\n",
    "90.3": "def total(xs):\n    return 6.0\n",
    "90.4": "def norm(v):\n    return 5.0\n",
}

LOOP = "while True:\n    pass\n"

STUBBORN_LOOP = """\
import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
"""

SWALLOWING_LOOP = """\
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""

# Grows in steps of 1 GiB: past the batch's 512 MB address-space limit at the first step, so the
# MemoryError comes at once. (Small steps would spend the cell's time budget filling pages on a
# loaded machine and end as a timeout instead.) Without the limit it would take the whole machine.
MEMORY_BOMB = """\
hog = []
while True:
    hog.append(bytearray(1024 * 1024 * 1024))
"""

MEGAPRINT = """\
for _ in range(200):
    print("x" * 100_000)
import sys
sys.stderr.write("e" * 5_000_000)
"""

PATCH_CHECKER = """\
import autodiff.grading.compare as compare
import autodiff.grading.verdict as verdict
import autodiff.grading.registry as registry
import autodiff.grading.inline as inline

compare.close = lambda *args, **kwargs: (lambda got, expected: None)
compare.equal = compare.close
verdict.judge = lambda case, outcome: ("pass", "", "")
registry.worst = lambda statuses: "pass"
inline.check = check = lambda *args, **kwargs: print("All public checks pass (3 of 3 points).")
try:
    with open(compare.__file__, "a") as handle:
        handle.write("\\n# tampered\\n")
except OSError as error:
    print("could not tamper:", error)


def square(x):
    return None
"""

ALWAYS_EQUAL = """\
class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class Sneaky(float):
    def __eq__(self, other):
        return True

    def __float__(self):
        return 12.0


def cube_slope(x):
    return Sneaky(0.0)


def square(x):
    return AlwaysEqual()
"""

PRINTS_PASSED = """\
print("All public checks pass (1 of 1 point).")
print("passed")


def total(xs):
    print("passed")
    return None
"""

FORGE_RESULTS = """\
import json
import os
import sys

frame = sys._getframe()
while frame is not None and "job" not in frame.f_locals:
    frame = frame.f_back
if frame is not None:
    for case in frame.f_locals["job"]["cases"]:
        for outcome in ({"status": "pass"}, {"status": "ok", "value": "passed"}):
            line = {"ev": "case", "t": case["token"], "outcome": outcome}
            os.write(3, (json.dumps(line) + "\\n").encode())
    os.write(3, b'{"ev": "end"}\\n')


def norm(v):
    return None
"""


def escape_attempts(marker: Path) -> str:
    """An answer that tries to get out: every attempt is caught, then the answer is correct.

    Module names are spelled in pieces so that the static scan does not reject the cell before
    it runs: this exercises the run-time guard."""
    return f"""\
import os
import signal
attempts = []
for name, attempt in [
    ("kill the grader", lambda: os.kill(os.getppid(), signal.SIGKILL)),
    ("signal the grader's group", lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)),
    ("fork", lambda: os.fork()),
    ("run a program", lambda: __import__("sub" + "process").Popen(["sleep", "100"])),
    ("system", lambda: os.system("touch {marker}")),
    ("write outside", lambda: open({str(marker)!r}, "w").write("pwned")),
    ("write via ..", lambda: open("../../" + {marker.name!r}, "w").write("pwned")),
    ("socket", lambda: __import__("soc" + "ket").socket()),
    ("ctypes", lambda: __import__("ct" + "ypes").CDLL(None)),
    ("raise limits", lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_AS, (-1, -1))),
]:
    try:
        attempt()
        attempts.append(name + ": succeeded")
    except BaseException as error:
        attempts.append(name + ": " + type(error).__name__)
print(attempts)


def square(x):
    return x * x
"""


def snooping(other_notebook: Path, out_dir: Path) -> str:
    """An answer that tries to read what it must not: another student's notebook, the grader's
    reports, other processes' files and the scratch space of the other children; then it is correct."""
    return f"""\
import glob
import os
attempts = []
work = os.getcwd()
scratch = os.path.dirname(os.path.dirname(os.path.dirname(work)))
for name, attempt in [
    ("another notebook", lambda: open({str(other_notebook)!r}).read()),
    ("a report", lambda: open(os.path.join({str(out_dir)!r}, "correct.json")).read()),
    ("the grades", lambda: open(os.path.join({str(out_dir)!r}, "grades.csv")).read()),
    ("the grader's command line", lambda: open("/proc/%d/cmdline" % os.getppid()).read()),
    ("scratch files", lambda: [open(p).read() for p in glob.glob(scratch + "/*/*/*")][0]),
    ("a path object", lambda: open(__import__("pathlib").Path(scratch) / "x.txt", "w")),
]:
    try:
        attempt()
        attempts.append(name + ": succeeded")
    except BaseException as error:
        attempts.append(name + ": " + type(error).__name__)
own = open("/proc/self/status").read().startswith("Name:")
print(attempts, own)


def square(x):
    return x * x
"""


Edit = Callable[[dict[str, Any]], None]


def _answer_cells(nb: dict[str, Any], exercise: str) -> list[dict[str, Any]]:
    return [c for c in nb["cells"] if c.get("metadata", {}).get("grader", {}).get("answer") == exercise]


def answers(**sources: str) -> Edit:
    """Replace the answer cell of each exercise (``e90_1="..."``) by this source."""

    def edit(nb: dict[str, Any]) -> None:
        for key, source in sources.items():
            for cell in _answer_cells(nb, key[1:].replace("_", ".")):
                cell["source"] = source

    return edit


def all_answers(table: dict[str, str]) -> Edit:
    return answers(**{"e" + k.replace(".", "_"): v for k, v in table.items()})


def then(*edits: Edit) -> Edit:
    def edit(nb: dict[str, Any]) -> None:
        for step in edits:
            step(nb)

    return edit


def delete(exercise: str) -> Edit:
    def edit(nb: dict[str, Any]) -> None:
        nb["cells"] = [c for c in nb["cells"] if c not in _answer_cells(nb, exercise)]

    return edit


def duplicate_first_wrong(exercise: str, wrong: str) -> Edit:
    def edit(nb: dict[str, Any]) -> None:
        cell = _answer_cells(nb, exercise)[0]
        copy_ = copy.deepcopy(cell)
        copy_["id"] = cell["id"] + "-copy"
        cell["source"] = wrong
        nb["cells"].insert(nb["cells"].index(cell) + 1, copy_)

    return edit


def reorder(nb: dict[str, Any]) -> None:
    """Every answer cell moved to the end, in reverse order; the set-up cell moved after them."""
    moved = [c for c in nb["cells"] if c.get("metadata", {}).get("grader", {}).get("answer")]
    setup = [c for c in nb["cells"] if c["cell_type"] == "code" and not c.get("metadata", {}).get("grader")]
    rest = [c for c in nb["cells"] if c not in moved and c not in setup]
    nb["cells"] = rest + moved[::-1] + setup


def to_markdown(exercise: str) -> Edit:
    def edit(nb: dict[str, Any]) -> None:
        cell = _answer_cells(nb, exercise)[0]
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)

    return edit


def lose_metadata(exercise: str, keep_id: bool) -> Edit:
    def edit(nb: dict[str, Any]) -> None:
        cell = _answer_cells(nb, exercise)[0]
        cell["metadata"] = {}
        if not keep_id:
            cell["id"] = "renamed-by-student"

    return edit


def _full(**points: int) -> list[int]:
    table = {"90.1": 3, "90.2": 3, "90.3": 3, "90.4": 3}
    table.update({k[1:].replace("_", "."): v for k, v in points.items()})
    return [table[i] for i in IDS]


#: name -> (edit, expected points per exercise, {exercise: expected status})
SUBMISSIONS: dict[str, tuple[Edit | None, list[int], dict[str, str]]] = {
    "correct": (all_answers(CORRECT), _full(), {i: "pass" for i in IDS}),
    "blank": (None, [0, 0, 0, 0], {i: "missing" for i in IDS}),
    "hardcoded": (all_answers(HARDCODED), [1, 1, 1, 1], {i: "fail" for i in IDS}),
    "raises": (then(all_answers(CORRECT), answers(e90_2='raise RuntimeError("not today")\n' + CORRECT["90.2"])),
               _full(e90_2=0), {"90.2": "error"}),
    "loop": (then(all_answers(CORRECT), answers(e90_2=LOOP + CORRECT["90.2"])), _full(e90_2=0), {"90.2": "timeout"}),
    "stubborn_loop": (then(all_answers(CORRECT), answers(e90_3=STUBBORN_LOOP + CORRECT["90.3"])),
                      _full(e90_3=0), {"90.3": "timeout"}),
    "swallowing_loop": (then(all_answers(CORRECT), answers(e90_1=SWALLOWING_LOOP + CORRECT["90.1"])),
                        _full(e90_1=0), {"90.1": "timeout"}),
    "os_exit": (then(all_answers(CORRECT), answers(e90_1=CORRECT["90.1"] + "import os\nos._exit(0)\n")),
                _full(e90_1=0), {"90.1": "crashed"}),
    "sys_exit": (then(all_answers(CORRECT), answers(e90_4="import sys\n\n\ndef norm(v):\n    sys.exit(3)\n",
                                                    e90_2=CORRECT["90.2"] + "import sys\nsys.exit(0)\n")),
                 _full(e90_4=0), {"90.4": "error", "90.2": "pass"}),
    "memory_bomb": (then(all_answers(CORRECT), answers(e90_2=MEMORY_BOMB + CORRECT["90.2"])),
                    _full(e90_2=0), {"90.2": "error"}),
    "megaprint": (then(all_answers(CORRECT), answers(e90_1=MEGAPRINT + CORRECT["90.1"])), _full(), {"90.1": "pass"}),
    "deleted": (then(all_answers(CORRECT), delete("90.3")), _full(e90_3=0), {"90.3": "missing"}),
    "duplicated": (then(all_answers(CORRECT), duplicate_first_wrong("90.2", "def cube_slope(x):\n    return 0.0\n")),
                   _full(), {"90.2": "pass"}),
    "reordered": (then(all_answers(CORRECT), reorder), _full(), {i: "pass" for i in IDS}),
    "markdown": (then(all_answers(CORRECT), to_markdown("90.3")), _full(), {"90.3": "pass"}),
    "lost_metadata": (then(all_answers(CORRECT), lose_metadata("90.4", keep_id=True)), _full(), {"90.4": "pass"}),
    "lost_cell": (then(all_answers(CORRECT), lose_metadata("90.4", keep_id=False)), _full(e90_4=0), {"90.4": "missing"}),
    "patch_checker": (then(all_answers(CORRECT), answers(e90_1=PATCH_CHECKER)), _full(e90_1=0), {"90.1": "fail"}),
    "always_equal": (then(all_answers(CORRECT), answers(e90_1=ALWAYS_EQUAL, e90_2=ALWAYS_EQUAL)),
                     _full(e90_1=0, e90_2=0), {"90.1": "fail", "90.2": "fail"}),
    "prints_passed": (then(all_answers(CORRECT), answers(e90_3=PRINTS_PASSED)), _full(e90_3=0), {"90.3": "fail"}),
    "forge_results": (then(all_answers(CORRECT), answers(e90_4=FORGE_RESULTS)), _full(e90_4=0), {"90.4": "error"}),
    "forbidden": (then(all_answers(CORRECT), answers(e90_3="def total(xs):\n    return math.fsum(xs)\n",
                                                    e90_4="import torch\n\n\ndef norm(v):\n    return float(torch.tensor(v).norm())\n")),
                  _full(e90_3=0, e90_4=0), {"90.3": "fail", "90.4": "fail"}),
    "syntax_error": (then(all_answers(CORRECT), answers(e90_2="def cube_slope(x)\n    return 3 * x**2\n")),
                     _full(e90_2=0), {"90.2": "error"}),
    "magics": (then(all_answers(CORRECT), answers(e90_1="%time y = 1\n!echo hi\n" + CORRECT["90.1"])), _full(), {"90.1": "pass"}),
    "recursion": (then(all_answers(CORRECT), answers(e90_1="def square(x):\n    return square(x)\n")),
                  _full(e90_1=0), {"90.1": "error"}),
}

#: Files that are not notebooks: name -> bytes
UNREADABLE = {
    "not_json": b"this is not a notebook {",
    "empty": b"",
    "json_not_notebook": b'{"cells": "no"}',
    "binary": bytes(range(256)) * 4,
}


def write_all(template: Path, folder: Path, escape_marker: Path, out_dir: Path | None = None) -> dict[str, Path]:
    """Write every submission into ``folder``; return name -> path. ``out_dir`` is where the
    grader will write its reports (the snooping submission tries to read them)."""
    base = json.loads(template.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, (edit, _, _) in SUBMISSIONS.items():
        nb = copy.deepcopy(base)
        if edit is not None:
            edit(nb)
        paths[name] = folder / f"{name}.ipynb"
        paths[name].write_text(json.dumps(nb, indent=1), encoding="utf-8")
    nb = copy.deepcopy(base)
    all_answers(CORRECT)(nb)
    answers(e90_1=escape_attempts(escape_marker))(nb)
    paths["escape"] = folder / "escape.ipynb"
    paths["escape"].write_text(json.dumps(nb, indent=1), encoding="utf-8")
    nb = copy.deepcopy(base)
    all_answers(CORRECT)(nb)
    answers(e90_1=snooping(paths["correct"], out_dir or folder))(nb)
    paths["snoop"] = folder / "snoop.ipynb"
    paths["snoop"].write_text(json.dumps(nb, indent=1), encoding="utf-8")
    for name, data in UNREADABLE.items():
        paths[name] = folder / f"{name}.ipynb"
        paths[name].write_bytes(data)
    return paths
