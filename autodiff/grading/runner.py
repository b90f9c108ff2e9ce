"""Starting the student's process with limits, enforcing its deadline, collecting its report.

One :class:`Runner` per worker thread of the batch grader. In ``"fork"`` mode (the default on
Linux) it keeps a zygote, a ``python -I`` process that has already imported numpy, the package and
the chapter's drivers, and asks it to fork one child per exercise: about a millisecond per child
instead of a fresh interpreter's few hundred. In ``"spawn"`` mode (other systems, or
``--spawn``) every exercise gets a fresh ``python -I`` interpreter. Both run the same
:func:`autodiff.grading.child.execute` with:

* a scrubbed environment (``PATH``, a UTF-8 locale, one BLAS thread, ``HOME`` and ``TMPDIR`` set to
  the child's own empty working directory, which holds neither solutions nor tests);
* its own session (process group), killed with ``SIGKILL`` at the wall-clock deadline: a loop
  that ignores ``SIGALRM`` and ``SIGINT`` cannot outlive it;
* the resource limits of :class:`Limits`.

Its output and its report are files, read afterwards with a size cap, so nothing the child writes
can block the grader or fill its memory.
"""

from __future__ import annotations

import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Limits", "RunResult", "Runner", "scrubbed_env", "default_mode"]

#: How much of a child's report the grader reads (a report is a few kB; the rest is ignored).
MAX_RESULTS_BYTES = 16 * 1024 * 1024
#: How much of a child's printed output goes into the JSON report (head and tail).
OUTPUT_EXCERPT = 2000


@dataclass(frozen=True)
class Limits:
    """Per-exercise limits. ``timeout`` is the wall-clock budget for the cells and the checks.

    >>> Limits(timeout=4).deadline_seconds
    5.0
    >>> Limits(timeout=4).item_seconds
    2.0
    """

    timeout: float = 10.0
    memory_mb: int = 1024
    output_bytes: int = 64 * 1024
    file_bytes: int = 32 * 1024 * 1024
    open_files: int = 64

    def __post_init__(self) -> None:
        if not (self.timeout > 0 and math.isfinite(self.timeout)):
            raise ValueError(f"Limits: timeout must be a positive number of seconds, got {self.timeout!r}")
        if self.memory_mb < 64:
            raise ValueError(f"Limits: memory_mb must be at least 64 (the interpreter needs it), got {self.memory_mb!r}")

    @property
    def item_seconds(self) -> float:
        """The alarm of one cell or one case: half the budget, so one loop cannot spend it all."""
        return self.timeout / 2

    @property
    def deadline_seconds(self) -> float:
        """When the process group is killed, whatever it is doing: the budget plus a second."""
        return self.timeout + 1.0

    def for_child(self) -> dict[str, Any]:
        return {
            "memory_mb": self.memory_mb,
            "cpu_seconds": math.ceil(self.timeout) + 2,
            "file_bytes": max(self.file_bytes, 2 * self.output_bytes),
            "open_files": self.open_files,
            "output_bytes": self.output_bytes,
            "budget_seconds": self.timeout,
            "item_seconds": self.item_seconds,
        }


@dataclass
class RunResult:
    """What the grader learned about one child: its events, how it ended, its output.

    >>> RunResult(events=[{"ev": "end"}], exit_code=0).ending() is None
    True
    >>> RunResult(killed=True).ending()
    ('timeout', 'killed at the wall-clock limit')
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    killed: bool = False
    exit_code: int | None = None
    signal: int | None = None
    duration: float = 0.0
    output: str = ""
    max_rss_kb: int | None = None
    lost: str | None = None  # the runner itself failed (the zygote died, ...)

    @property
    def finished(self) -> bool:
        """The child reached its end and reported it (the report may still be forged: it does not matter)."""
        return any(e.get("ev") == "end" for e in self.events)

    def ending(self) -> tuple[str, str] | None:
        """``(status, message)`` when the child did not end normally, else ``None``."""
        if self.lost:
            return "crashed", self.lost
        if self.killed:
            return "timeout", "killed at the wall-clock limit"
        if self.signal is not None:
            if self.signal == getattr(signal, "SIGXCPU", -1):
                return "timeout", "killed at the CPU-time limit"
            name = signal.Signals(self.signal).name if self.signal in signal.Signals._value2member_map_ else str(self.signal)
            hint = " (out of memory?)" if self.signal == signal.SIGKILL else ""
            return "crashed", f"the process was killed by {name}{hint}"
        if not self.finished:
            return "crashed", f"the process exited (code {self.exit_code}) before it finished"
        return None


def scrubbed_env(workdir: str) -> dict[str, str]:
    """The child's whole environment: nothing from the grader's (no tokens, no PYTHONPATH).

    >>> sorted(scrubbed_env("/tmp/w"))[:3], scrubbed_env("/tmp/w")["HOME"]
    (['HOME', 'LANG', 'LC_ALL'], '/tmp/w')
    """
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": workdir,
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "VECLIB_MAXIMUM_THREADS": "1",
    }


def default_mode() -> str:
    """``"fork"`` on Linux, ``"spawn"`` elsewhere (fork with numpy is only dependable on Linux).

    >>> default_mode() in ("fork", "spawn")
    True
    """
    return "fork" if sys.platform.startswith("linux") and hasattr(os, "fork") else "spawn"


def _excerpt(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= 2 * OUTPUT_EXCERPT:
                data = handle.read()
            else:
                head = handle.read(OUTPUT_EXCERPT)
                handle.seek(size - OUTPUT_EXCERPT)
                data = head + f"\n[... {size - 2 * OUTPUT_EXCERPT} bytes left out ...]\n".encode() + handle.read()
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def _events(path: Path) -> list[dict[str, Any]]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_RESULTS_BYTES)
    except OSError:
        return []
    events = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if type(event) is dict:
            events.append(event)
    return events


class Runner:
    """Runs children for one worker thread; use as a context manager, or call :meth:`close`.

    A job lists the cells to run and the cases (driver name and arguments) of one exercise:

    >>> job = {"cells": [{"key": "t0", "label": "cell 1", "answer": None, "source": "print(6 * 7)"}],
    ...        "cases": [], "checks_module": "autodiff.grading.ch05", "preload": []}
    >>> with Runner(Limits(timeout=5)) as runner:
    ...     result = runner.run(job)
    >>> result.output, result.ending()
    ('42\\n', None)
    """

    def __init__(self, limits: Limits, mode: str | None = None, root: str | Path | None = None) -> None:
        self.limits = limits
        self.mode = mode or default_mode()
        if self.mode not in ("fork", "spawn"):
            raise ValueError(f"Runner: mode must be 'fork' or 'spawn', got {self.mode!r}")
        # Children may not read anything under `root` (other runners' scratch files) but their own
        # working directory.
        self.base = Path(tempfile.mkdtemp(prefix="autodiff-grading-", dir=root))
        self.root = Path(root) if root is not None else self.base
        self._counter = 0
        self._zygote: subprocess.Popen[bytes] | None = None
        self._to_zygote = self._from_zygote = -1
        self._buffer = b""
        self._preloaded: tuple[tuple[str, ...], tuple[tuple[str, str | None], ...]] | None = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the zygote and remove every temporary file."""
        self._stop_zygote()
        shutil.rmtree(self.base, ignore_errors=True)

    # -- the zygote ---------------------------------------------------------------------------

    def _start_zygote(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        log = open(self.base / "zygote.log", "ab")  # noqa: SIM115
        try:
            self._zygote = subprocess.Popen(
                [sys.executable, "-I", "-m", "autodiff.grading.child", "--serve", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.base,
                env=scrubbed_env(str(self.base)),
            )
        finally:
            log.close()
            os.close(to_child_r)
            os.close(from_child_w)
        self._to_zygote, self._from_zygote = to_child_w, from_child_r
        self._buffer = b""
        self._preloaded = None

    def _stop_zygote(self) -> None:
        if self._zygote is None:
            return
        for fd in (self._to_zygote, self._from_zygote):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            self._zygote.kill()
            self._zygote.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._zygote = None

    def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            written = os.write(self._to_zygote, data)
            data = data[written:]

    def _receive(self, seconds: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + seconds
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_zygote], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._from_zygote, 65536)
            if not chunk:
                raise EOFError("the zygote exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _ensure_zygote(self, modules: list[str], chapter: tuple[str, str | None]) -> None:
        if self._zygote is None or self._zygote.poll() is not None:
            self._stop_zygote()
            self._start_zygote()
        wanted = (tuple(modules), (chapter,))
        if self._preloaded != wanted:
            self._send({"op": "preload", "modules": modules, "chapters": [list(chapter)]})
            if self._receive(120) is None:
                raise RuntimeError("the zygote did not finish importing the template's modules in 120 s")
            self._preloaded = wanted

    # -- running one child ----------------------------------------------------------------------

    def run(self, job: dict[str, Any]) -> RunResult:
        """Run one exercise's ``job`` (cells, cases, chapter module, modules to preload)."""
        self._counter += 1
        folder = self.base / f"run{self._counter}"
        workdir = folder / "work"
        workdir.mkdir(parents=True)
        output, results = folder / "output.txt", folder / "results.jsonl"
        full = {
            **job,
            "workdir": str(workdir.resolve()),
            "output_path": str(output),
            "results_path": str(results),
            "limits": self.limits.for_child(),
            "deadline_seconds": self.limits.deadline_seconds,
            "hidden_dirs": [str(self.root.resolve())],
        }
        try:
            if self.mode == "fork":
                result = self._run_forked(full)
            else:
                result = self._run_spawned(full, folder)
            result.events = _events(results)
            result.output = _excerpt(output)
            return result
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _run_forked(self, job: dict[str, Any]) -> RunResult:
        start = time.monotonic()
        pid = None
        try:
            self._ensure_zygote(job.get("preload", []), (job["checks_module"], job.get("checks_path")))
            self._send({"op": "run", "job": job})
            forked = self._receive(30)
            if forked is None:
                raise EOFError("the zygote did not fork in 30 s")
            pid = forked["pid"]
            done = self._receive(job["deadline_seconds"] + 10)
            if done is None:
                raise EOFError("the zygote did not report the child's end")
        except (EOFError, OSError, ValueError, RuntimeError) as error:
            if pid is not None:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            self._stop_zygote()
            return RunResult(duration=time.monotonic() - start, lost=f"the grader lost the process: {error}")
        status = int(done["status"])
        return RunResult(
            killed=bool(done["killed"]),
            exit_code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) and not done["killed"] else None,
            duration=float(done["duration"]),
            max_rss_kb=int(done["max_rss_kb"]),
        )

    def _run_spawned(self, job: dict[str, Any], folder: Path) -> RunResult:
        start = time.monotonic()
        results_fd = os.open(job["results_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        output_fd = os.open(job["output_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        job_path = folder / "job.json"
        job_path.write_text(json.dumps({**job, "results_fd": results_fd}), encoding="utf-8")
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-m", "autodiff.grading.child", str(job_path)],
                pass_fds=(results_fd,),
                stdin=subprocess.DEVNULL,
                stdout=output_fd,
                stderr=output_fd,
                cwd=job["workdir"],
                env=scrubbed_env(job["workdir"]),
                start_new_session=True,
            )
        finally:
            os.close(results_fd)
            os.close(output_fd)
        killed = False
        try:
            process.wait(timeout=job["deadline_seconds"] + 2.0)  # + interpreter start-up
        except subprocess.TimeoutExpired:
            killed = True
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (OSError, AttributeError):  # AttributeError: no process groups (Windows)
                process.kill()
            process.wait()
        code = process.returncode
        return RunResult(
            killed=killed,
            exit_code=code if code is not None and code >= 0 else None,
            signal=-code if code is not None and code < 0 and not killed else None,
            duration=time.monotonic() - start,
        )

